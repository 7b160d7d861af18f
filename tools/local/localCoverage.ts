/**
 * The coverage scan on this machine, built from the plan: STS whose trust decisions are the planned
 * trust policies (conditions on `aws:PrincipalArn` included), WAFV2 holding every resource stack's
 * planned web ACL and the web ACLs it adopts, with their planned logging configurations, and, as
 * IAM, the planned role policies;
 * the coverage Lambda is the deployed `__index.js` of the plan. Used by the tests and `npm start`.
 */
import { CoverageSummary, apiLocation } from "../../handlers/coverage";
import { coverageMain } from "../cli/coverage";
import { LambdaServer, startLambdaServer } from "./aws/lambdaServer";
import { COVERAGE_FUNCTION, coverageScannerRoleArn } from "../../names";
import { Handler, deployedEnvironment, deployedSource, loadHandler } from "./deployedCode";
import { ProgramRun, RecordedResource } from "./mockEngine";
import { StsServer, accountOfPrincipal, sessionRoleArn, startStsServer } from "./aws/stsServer";
import { WEB_ACL_ARN, WafServer, startWafServer } from "./aws/wafServer";

/** The access key the coverage Lambda's execution-role session signs with. */
const COVERAGE_KEY = "ASIALOCALCOVERAGE";

interface Statement {
    Effect: string;
    Action: string | string[];
    Resource?: string | string[];
    Principal?: { AWS?: string | string[] };
    Condition?: Record<string, Record<string, string | string[]>>;
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** An IAM ARN pattern (`*` any run of characters, `?` one) as a matcher. */
export function arnMatches(pattern: string, arn: string): boolean {
    const regex = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${regex}$`).test(arn);
}

/**
 * Who a trust policy lets assume its role, as IAM evaluates the shapes this program writes: a
 * principal ARN admits that principal; an account root with an `aws:PrincipalArn` condition
 * (ArnEquals or ArnLike, StringEquals or StringLike) admits the principals the condition names;
 * an account root without one admits every principal of that account.
 */
export function trustAdmits(statements: readonly Statement[], callerPrincipalArn: string): boolean {
    const caller = sessionRoleArn(callerPrincipalArn) ?? callerPrincipalArn;
    return statements.some((s) => {
        if (s.Effect !== "Allow" || !asList(s.Action).includes("sts:AssumeRole")) return false;
        return asList(s.Principal?.AWS).some((principal) => {
            const root = /^arn:[\w-]+:iam::(\d{12}):root$/.exec(principal);
            if (!root) return principal === caller;
            if (accountOfPrincipal(caller) !== root[1]) return false;
            const conditions = Object.entries(s.Condition ?? {});
            return conditions.every(([operator, keys]) =>
                Object.entries(keys).every(([key, values]) => {
                    if (key !== "aws:PrincipalArn") return false;
                    const like = operator === "ArnLike" || operator === "StringLike";
                    return asList(values).some((v) => (like ? arnMatches(v, caller) : v === caller));
                }),
            );
        });
    });
}

/** The trust and permission statements of every planned role in `runs`, by role ARN. */
export function plannedRoles(runs: readonly ProgramRun[]): Map<string, { trust: Statement[]; policy: Statement[] }> {
    const roles = new Map<string, { trust: Statement[]; policy: Statement[] }>();
    for (const run of runs) {
        for (const role of run.resources.filter((r) => r.type === "aws:iam/role:Role")) {
            const policies = run.resources.filter(
                (r) =>
                    r.type === "aws:iam/rolePolicy:RolePolicy" &&
                    (r.propertyDependencies.role ?? []).includes(role.urn),
            );
            roles.set(role.state.arn, {
                trust: JSON.parse(role.inputs.assumeRolePolicy).Statement,
                policy: policies.flatMap((p) => JSON.parse(p.inputs.policy).Statement as Statement[]),
            });
        }
    }
    return roles;
}

/** Pulumi's camelCase WAF inputs in the WAFV2 API's shape (`ipSetReferenceStatement.arn` → `IPSetReferenceStatement.ARN`). */
export function toApiShape(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(toApiShape);
    if (typeof value !== "object" || value === null) return value;
    const special: Record<string, string> = {
        arn: "ARN",
        ipSetReferenceStatement: "IPSetReferenceStatement",
        cloudwatchMetricsEnabled: "CloudWatchMetricsEnabled",
    };
    return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [special[k] ?? k[0].toUpperCase() + k.slice(1), toApiShape(v)]),
    );
}

/** The rule docs/adoption.md gives an owner to put first in a web ACL the stack adopts. */
function adoptionRule(ruleGroupArn: string): unknown {
    return {
        Name: "central-blocklist",
        Priority: 0,
        Statement: { RuleGroupReferenceStatement: { ARN: ruleGroupArn } },
        OverrideAction: { None: {} },
        VisibilityConfig: {
            SampledRequestsEnabled: true,
            CloudWatchMetricsEnabled: true,
            MetricName: "central-blocklist",
        },
    };
}

export interface LocalCoverage {
    readonly sts: StsServer;
    readonly waf: WafServer;
    /**
     * Every planned web ACL, with its stack's account and Region (`global` for CloudFront): each
     * resource stack's own web ACL, then those it adopts.
     */
    readonly webAcls: readonly { accountId: string; region: string; arn: string }[];
    /** The deployed coverage Lambda's handler. */
    readonly handler: Handler;
    /** Runs the deployed coverage Lambda once. */
    scan(): Promise<CoverageSummary>;
    close(): Promise<void>;
}

/**
 * Starts STS and WAFV2 for `runs` (the logging run and the resource runs, as planned) and seeds
 * each resource stack's planned web ACL and the web ACLs it adopts, with their planned logging
 * configurations.
 */
export async function startLocalCoverage(runs: readonly ProgramRun[]): Promise<LocalCoverage> {
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const resources = runs.filter((r) => r.config["central-waf-logs:role"] === "resource");
    const roles = plannedRoles(runs);
    const sts = await startStsServer({
        mayAssume: (caller, roleArn) => trustAdmits(roles.get(roleArn)?.trust ?? [], caller),
    });
    const scanner = coverageScannerRoleArn("aws", logging.config["central-waf-logs:accountId"]);
    sts.register(COVERAGE_KEY, `${scanner.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")}/local`);
    const waf = await startWafServer({
        resolveCaller: sts.resolveCaller,
        authorize: (caller, operation, arn) =>
            (roles.get(sessionRoleArn(caller.principalArn) ?? "")?.policy ?? []).some(
                (s) =>
                    s.Effect === "Allow" &&
                    asList(s.Action).includes(`wafv2:${operation}`) &&
                    asList(s.Resource).some((r) => arnMatches(r, arn)),
            ),
    });

    const webAcls: { accountId: string; region: string; arn: string }[] = [];
    const one = (run: ProgramRun, type: string): RecordedResource | undefined =>
        run.resources.find((r) => r.type === type);
    for (const run of resources) {
        const accountId = run.outputs.accountId as string;
        const region = run.outputs.region as string;
        const { apiRegion } = apiLocation(region);
        const stream = one(run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
        const streamArn = stream && `arn:aws:firehose:${apiRegion}:${accountId}:deliverystream/${stream.inputs.name}`;
        const loggings = run.resources.filter(
            (r) => r.type === "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        );
        const acl = one(run, "aws:wafv2/webAcl:WebAcl");
        if (acl) {
            const { arn } = waf.createWebAcl({
                accountId,
                region: apiRegion,
                scope: acl.inputs.scope,
                // The mock engine records no physical name for a web ACL: its resource name stands in.
                name: acl.state.name ?? acl.inputs.name ?? acl.name,
                description: acl.inputs.description,
                rules: toApiShape(acl.inputs.rules ?? []) as unknown[],
            });
            webAcls.push({ accountId, region, arn });
            if (loggings.length > 0 && streamArn) waf.putLoggingConfiguration(arn, [streamArn]);
        }
        // The web ACLs the stack adopts exist before it, with their IDs: their owners keep them and,
        // as docs/adoption.md asks, put the stack's blocklist rule group first; the stack gives each
        // its logging configuration.
        for (const arn of (run.outputs.existingWebAclArns ?? []) as string[]) {
            const [, aclRegion, , kind, name, id] = WEB_ACL_ARN.exec(arn)!;
            const ruleGroup = run.outputs.blocklistRuleGroupArn as string | undefined;
            waf.createWebAcl({
                accountId,
                region: aclRegion,
                scope: kind === "global" ? "CLOUDFRONT" : "REGIONAL",
                name,
                id,
                rules: ruleGroup ? [adoptionRule(ruleGroup)] : [],
            });
            webAcls.push({ accountId, region, arn });
            if (loggings.some((l) => l.inputs.resourceArn === arn) && streamArn) {
                waf.putLoggingConfiguration(arn, [streamArn]);
            }
        }
    }

    const handler = loadHandler(await deployedSource(logging, COVERAGE_FUNCTION), {
        ...deployedEnvironment(logging, COVERAGE_FUNCTION),
        AWS_REGION: logging.config["central-waf-logs:region"],
        AWS_ACCESS_KEY_ID: COVERAGE_KEY,
        AWS_SECRET_ACCESS_KEY: "local",
        AWS_LAMBDA_FUNCTION_NAME: COVERAGE_FUNCTION,
        ...sts.lambdaEnvironment(),
        ...waf.lambdaEnvironment(),
    });
    return {
        sts,
        waf,
        webAcls,
        handler,
        scan: async () => (await handler({ source: "local schedule" })) as CoverageSummary,
        close: async () => {
            await Promise.all([sts.close(), waf.close()]);
        },
    };
}

/** The web ACL the local run adds by hand, as a team would outside the platform: it does not log. */
export const UNMANAGED_WEB_ACL = "legacy-marketing-site";

export interface CoverageShown {
    readonly summary: CoverageSummary;
    /** The unmanaged web ACL was reported as not logging, and every planned one as covered. */
    readonly ok: boolean;
}

/**
 * Starts the coverage world of `runs` with one web ACL made by hand in the first planned location
 * and no logging configuration, and registers the deployed coverage Lambda on `lambda` (the local
 * run's own Lambda, or the sandbox's), so `npm run coverage -- --endpoint` reaches it.
 */
export async function serveLocalCoverage(
    runs: readonly ProgramRun[],
    lambda: LambdaServer,
    log: (line: string) => void,
): Promise<LocalCoverage> {
    const local = await startLocalCoverage(runs);
    const [first] = local.webAcls;
    const { apiRegion, scope } = apiLocation(first.region);
    local.waf.createWebAcl({ accountId: first.accountId, region: apiRegion, scope, name: UNMANAGED_WEB_ACL });
    log(
        `  added web ACL ${UNMANAGED_WEB_ACL} in ${first.accountId}/${first.region} by hand, with no logging configuration`,
    );
    lambda.register(COVERAGE_FUNCTION, (event) => local.handler(event), { timeoutSeconds: 300 });
    return local;
}

/**
 * What a coverage summary of `local` should say: the hand-made web ACL reported as not logging,
 * every target scanned, and every planned web ACL covered.
 */
export function coverageAsExpected(summary: CoverageSummary, local: LocalCoverage): boolean {
    const unmanaged = summary.targets
        .flatMap((t) => (t.status === "scanned" ? t.webAcls : []))
        .find((a) => a.name === UNMANAGED_WEB_ACL);
    const planned = new Set(local.webAcls.map((a) => a.arn));
    return (
        unmanaged?.logging === "none" &&
        summary.targets.every((t) => t.status === "scanned") &&
        summary.targets.flatMap((t) => t.webAcls).every((a) => !planned.has(a.arn) || a.problems.length === 0)
    );
}

/**
 * The coverage step of the local run: every planned web ACL in the WAFV2 stand-in, plus one made
 * by hand in the first planned location with no logging configuration; `npm run coverage` invokes
 * the deployed coverage Lambda through a local Lambda and prints the table.
 */
export async function showLocalCoverage(
    runs: readonly ProgramRun[],
    log: (line: string) => void,
): Promise<CoverageShown> {
    const lambda = await startLambdaServer({
        accountId: runs.find((r) => r.config["central-waf-logs:role"] === "logging")!.config[
            "central-waf-logs:accountId"
        ],
    });
    let local: LocalCoverage | undefined;
    try {
        local = await serveLocalCoverage(runs, lambda, log);
        log("  npm run coverage (the deployed coverage Lambda, through the read-only inventory roles):");
        const summary = await coverageMain(["--endpoint", lambda.url], (line) => log(`    ${line}`));
        const ok = coverageAsExpected(summary, local);
        log(
            ok
                ? `  coverage: ${UNMANAGED_WEB_ACL} does not log to the platform (reported, with its alarm's metric); every planned web ACL is covered`
                : "  coverage: NOT as expected (see the table above)",
        );
        return { summary, ok };
    } finally {
        await Promise.all([lambda.close(), local?.close()]);
    }
}
