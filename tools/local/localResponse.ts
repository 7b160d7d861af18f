/**
 * The response loop on this machine, built from the plan: DynamoDB (dynalite) with the planned
 * tables, STS whose trust decisions are the planned trust policies, a Lambda Invoke API running
 * every resource stack's deployed applier (IAM: the planned sync-role policy), WAFV2 with every
 * resource stack's planned IP sets and, as IAM, the planned applier-role policy, and Athena running
 * the SQL on DuckDB over a local copy of the central layout. The detector, publisher and appliers
 * are the deployed `__index.js` of the plan, the first two run with a clock the caller controls.
 * Used by the tests and `npm start`.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWarehouse } from "../../analytics/warehouse";
import { wafHomeOf } from "../../layout";
import {
    BLOCKLIST_DETECTOR_FUNCTION,
    BLOCKLIST_OPERATOR_FUNCTION,
    BLOCKLIST_OPERATOR_POLICY,
    BLOCKLIST_PUBLISHER_FUNCTION,
} from "../../names";
import { MAX_PARTITIONS_WRITTEN, startAthenaServer, AthenaServer } from "./aws/athenaServer";
import { Handler, LambdaContext, deployedEnvironment, deployedSource, loadHandler } from "./deployedCode";
import { LocalDynamo, recordedTables, startLocalDynamo } from "./localDynamo";
import { ProgramRun } from "./mockEngine";
import { FaultProxy, startFaultProxy } from "./aws/faultProxy";
import { LambdaRequestContext, LambdaServer, startLambdaServer } from "./aws/lambdaServer";
import { StsServer, sessionRoleArn, startStsServer } from "./aws/stsServer";
import { WafServer, startWafServer } from "./aws/wafServer";

/** The stand-ins' own clock: real time, whatever the deployed code's clock says (see atTime). */
const realClock = Date.now;

/** The access key the publisher's (and detector's) execution-role session signs with. */
const LAMBDA_KEYS = {
    publisher: "ASIALOCALPUBLISHER",
    detector: "ASIALOCALDETECTOR",
    operatorFunction: "ASIALOCALOPERATORFN",
};
/** An operator's session in the logging account, allowed what the planned operator policy allows. */
const OPERATOR_KEY = "ASIALOCALOPERATOR";

export interface LocalResponse {
    readonly dynamo: LocalDynamo;
    readonly sts: StsServer;
    readonly waf: WafServer;
    readonly athena: AthenaServer;
    /** The Lambda Invoke API running every resource stack's deployed applier, IAM as planned. */
    readonly lambda: LambdaServer;
    /** Between the publisher and the Lambda stand-in, and between the appliers and WAF: inject faults here. */
    readonly lambdaFaults: FaultProxy;
    readonly wafFaults: FaultProxy;
    /** Runs the deployed detector at `now` (epoch ms), with `context` as its Lambda context if given. */
    detect(now: number, context?: LambdaContext): Promise<any>;
    /** Runs the deployed publisher at `now` (epoch ms), with `context` as its Lambda context if given. */
    publish(now: number, context?: LambdaContext): Promise<any>;
    /** Every planned resource stack's account and Region, with its two IP sets' names. */
    readonly locations: readonly { accountId: string; region: string }[];
    /**
     * An operator of the logging account whose role has the planned operator policy, nothing
     * else: the credentials `npm run blocklist` signs with, and the session ARN AWS would name.
     */
    readonly operator: {
        readonly accessKeyId: string;
        readonly secretAccessKey: string;
        readonly principalArn: string;
    };
    /** The deployed operator function (absent in mode off), for another Lambda stand-in to serve too. */
    readonly operatorFunction?: { readonly arn: string; readonly handler: Handler; readonly timeoutSeconds: number };
    close(): Promise<void>;
}

interface Statement {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Principal?: { AWS?: string | string[] };
    Condition?: Record<string, Record<string, string | string[]>>;
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Whether a trust statement admits a caller role, as IAM judges it: the role named as principal, or
 * its account's root (any principal of that account) with any `ArnEquals`/`ArnLike` condition on
 * `aws:PrincipalArn` naming the role. Other conditions are not modelled: such a statement admits no one.
 */
/**
 * Whether a statement's Condition holds for a Lambda request: the two keys Lambda sets for its
 * function URLs, compared as IAM compares them; any other condition fails closed.
 */
export function lambdaConditionsMet(condition: unknown, request: LambdaRequestContext): boolean {
    if (condition === undefined) return true;
    const context: Record<string, string | undefined> = {
        "lambda:invokedviafunctionurl": String(request.invokedViaFunctionUrl),
        "lambda:functionurlauthtype": request.functionUrlAuthType,
    };
    return Object.entries(condition as Record<string, Record<string, unknown>>).every(([operator, keys]) =>
        Object.entries(keys).every(([key, expected]) => {
            const actual = context[key.toLowerCase()];
            const values = asList(expected as string | string[]).map(String);
            if (operator === "StringEquals") return actual !== undefined && values.includes(actual);
            if (operator === "Bool") return actual !== undefined && values.some((v) => v.toLowerCase() === actual);
            return false;
        }),
    );
}

export function trustAdmits(statement: Statement, callerRoleArn: string): boolean {
    if (statement.Effect !== "Allow") return false;
    const principals = asList(statement.Principal?.AWS);
    if (principals.includes(callerRoleArn)) return statement.Condition === undefined;
    const root = callerRoleArn.replace(/:role\/.*$/, ":root");
    if (!principals.includes(root)) return false;
    const conditions = Object.entries(statement.Condition ?? {});
    return conditions.every(
        ([operator, keys]) =>
            (operator === "ArnEquals" || operator === "ArnLike") &&
            Object.entries(keys).every(
                ([key, values]) => key === "aws:PrincipalArn" && asList(values).includes(callerRoleArn),
            ),
    );
}

/**
 * Starts every stand-in for `runs` (the logging run and the resource runs, as planned), reading
 * the central layout under `dataDir` for Athena.
 */
export async function startLocalResponse(runs: readonly ProgramRun[], dataDir: string): Promise<LocalResponse> {
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const resources = runs.filter((r) => r.config["central-waf-logs:role"] === "resource");

    // Trust as planned: each sync role admits the principals its trust policy names.
    const trust = new Map<string, Statement[]>();
    const permissions = new Map<string, Statement[]>();
    for (const run of resources) {
        for (const role of run.resources.filter((r) => r.type === "aws:iam/role:Role")) {
            const statements: Statement[] = JSON.parse(role.inputs.assumeRolePolicy).Statement;
            trust.set(role.state.arn, statements);
            const policies = run.resources.filter(
                (r) =>
                    r.type === "aws:iam/rolePolicy:RolePolicy" &&
                    (r.propertyDependencies.role ?? []).includes(role.urn),
            );
            permissions.set(
                role.state.arn,
                policies.flatMap((p) => JSON.parse(p.inputs.policy).Statement as Statement[]),
            );
        }
    }
    const sts = await startStsServer({
        now: realClock,
        mayAssume: (caller, roleArn) =>
            (trust.get(roleArn) ?? []).some((s) => trustAdmits(s, sessionRoleArn(caller) ?? caller)),
    });
    const publisherRole = logging.outputs.blocklistPublisherRoleArn as string;
    const sessionOf = (roleArn: string) =>
        roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + `/local`;
    sts.register(LAMBDA_KEYS.publisher, sessionOf(publisherRole));

    // IAM for WAF as planned: the caller's role policy must allow the action on the set. The
    // stand-in issues its own IP set IDs, so a planned set ARN is matched up to its scope and name.
    const setName = (arn: string) => /:(regional|global)\/ipset\/([^/]+)\//.exec(arn)?.slice(1).join("/");
    const waf = await startWafServer({
        now: realClock,
        resolveCaller: sts.resolveCaller,
        authorize: (caller, operation, ipSetArn) =>
            (permissions.get(sessionRoleArn(caller.principalArn) ?? "") ?? []).some(
                (s) =>
                    s.Effect === "Allow" &&
                    asList(s.Action).includes(`wafv2:${operation}`) &&
                    asList(s.Resource).some(
                        (r) => r === "*" || (setName(r) !== undefined && setName(r) === setName(ipSetArn)),
                    ),
            ),
    });
    const wafFaults = await startFaultProxy(waf.url);
    // IAM for Invoke as planned: the caller's role policy must allow lambda:InvokeFunction on the function.
    const lambda = await startLambdaServer({
        // Credential expiry on the real clock: the deployed code's clock may be stopped in the future.
        now: realClock,
        resolveCaller: sts.resolveCaller,
        authorize: (caller, functionArn, request) =>
            (permissions.get(sessionRoleArn(caller.principalArn) ?? "") ?? []).some(
                (s) =>
                    s.Effect === "Allow" &&
                    asList(s.Action).includes(request.action) &&
                    asList(s.Resource).includes(functionArn) &&
                    lambdaConditionsMet(s.Condition, request),
            ),
    });
    const lambdaFaults = await startFaultProxy(lambda.url);
    // The appliers share this process's environment (their credentials and endpoints): one at a time.
    let applierQueue: Promise<unknown> = Promise.resolve();
    const locations: { accountId: string; region: string }[] = [];
    for (const [index, run] of resources.entries()) {
        const accountId = run.outputs.accountId as string;
        // The location (`global` for CloudFront); its sets live in us-east-1, scope CLOUDFRONT.
        const region = run.outputs.region as string;
        locations.push({ accountId, region });
        const ids: Record<string, string> = {};
        for (const set of run.resources.filter((r) => r.type === "aws:wafv2/ipSet:IpSet")) {
            ids[set.inputs.ipAddressVersion] = waf.createIpSet({
                accountId,
                region: wafHomeOf(region).region,
                scope: set.inputs.scope,
                name: set.inputs.name,
                ipAddressVersion: set.inputs.ipAddressVersion,
                addresses: set.inputs.addresses,
                description: set.inputs.description,
            }).id;
        }
        const applierArn = run.outputs.blocklistApplierArn as string | undefined;
        if (!applierArn) continue;
        const applier = run.resources.find(
            (r) => r.type === "aws:lambda/function:Function" && r.state.arn === applierArn,
        )!;
        const key = `ASIALOCALAPPLIER${index}`;
        sts.register(key, sessionOf(applier.inputs.role));
        const handle = loadHandler(await deployedSource(run, applier.inputs.name), {
            ...deployedEnvironment(run, applier.inputs.name),
            // The stand-in issued its own IP set IDs.
            IPV4_SET_ID: ids.IPV4,
            IPV6_SET_ID: ids.IPV6,
            // The Lambda's own Region: us-east-1 for a `global` stack's applier.
            AWS_REGION: wafHomeOf(region).region,
            AWS_ACCESS_KEY_ID: key,
            AWS_SECRET_ACCESS_KEY: "local",
            AWS_LAMBDA_FUNCTION_NAME: applier.inputs.name,
            AWS_ENDPOINT_URL_WAFV2: wafFaults.url,
        });
        lambda.register(
            applierArn,
            (event, context) => {
                const run = applierQueue.then(() => handle(event, context));
                applierQueue = run.catch(() => undefined);
                return run;
            },
            { timeoutSeconds: applier.inputs.timeout },
        );
    }

    // The operator: a role of the logging account with the planned operator policy attached.
    const loggingAccount = logging.config["central-waf-logs:accountId"];
    const operatorRole = `arn:aws:iam::${loggingAccount}:role/security-admin`;
    const operatorPolicy = logging.resources.find(
        (r) => r.type === "aws:iam/policy:Policy" && r.inputs.name === BLOCKLIST_OPERATOR_POLICY,
    )!;
    permissions.set(operatorRole, JSON.parse(operatorPolicy.inputs.policy).Statement as Statement[]);
    const operator = { accessKeyId: OPERATOR_KEY, secretAccessKey: "local", principalArn: sessionOf(operatorRole) };
    sts.register(OPERATOR_KEY, operator.principalArn);

    const dynamo = await startLocalDynamo(recordedTables(logging));
    const athena = await startAthenaServer({
        // Each workgroup's scan cutoff as deployed, so a query past it is cancelled here too.
        scanCutoffs: Object.fromEntries(
            logging.resources
                .filter((r) => r.type === "aws:athena/workgroup:Workgroup")
                .map((r) => [r.inputs.name, r.inputs.configuration.bytesScannedCutoffPerQuery]),
        ),
        execute: async (sql, parameters) => {
            const warehouse = await LocalWarehouse.open({ dataDir });
            try {
                const values = parameters.map(fromAthenaLiteral);
                const { rows, partitionsWritten } = await warehouse.execute(sql, values, MAX_PARTITIONS_WRITTEN);
                return {
                    rows,
                    columns: rows.length > 0 ? Object.keys(rows[0]) : [],
                    scannedBytes: bytesInHours(dataDir, String(values[0]), String(values[1])),
                    partitionsWritten,
                };
            } finally {
                warehouse.close();
            }
        },
    });

    const region = logging.config["central-waf-logs:region"];
    const handler = async (name: string, key: string): Promise<Handler> =>
        loadHandler(await deployedSource(logging, name), {
            ...deployedEnvironment(logging, name),
            AWS_REGION: region,
            AWS_ACCESS_KEY_ID: key,
            AWS_SECRET_ACCESS_KEY: "local",
            AWS_LAMBDA_FUNCTION_NAME: name,
            ...dynamo.lambdaEnvironment(region),
            ...sts.lambdaEnvironment(),
            ...waf.lambdaEnvironment(),
            AWS_ENDPOINT_URL_LAMBDA: lambdaFaults.url,
            AWS_ENDPOINT_URL_ATHENA: athena.url,
        });
    const detector = await handler(BLOCKLIST_DETECTOR_FUNCTION, LAMBDA_KEYS.detector);
    const publisher = await handler(BLOCKLIST_PUBLISHER_FUNCTION, LAMBDA_KEYS.publisher);
    const operatorFunction = logging.resources.find(
        (r) => r.type === "aws:lambda/function:Function" && r.inputs.name === BLOCKLIST_OPERATOR_FUNCTION,
    );
    const operatorHandler = operatorFunction
        ? {
              arn: operatorFunction.state.arn as string,
              handler: await handler(BLOCKLIST_OPERATOR_FUNCTION, LAMBDA_KEYS.operatorFunction),
              timeoutSeconds: operatorFunction.inputs.timeout as number,
          }
        : undefined;
    if (operatorHandler) {
        lambda.register(operatorHandler.arn, operatorHandler.handler, {
            timeoutSeconds: operatorHandler.timeoutSeconds,
            functionUrl: true,
        });
    }
    return {
        dynamo,
        sts,
        waf,
        athena,
        lambda,
        lambdaFaults,
        wafFaults,
        locations,
        operator,
        operatorFunction: operatorHandler,
        detect: (now, context) => atTime(now, () => detector({ source: "local schedule" }, context)),
        publish: (now, context) => atTime(now, () => publisher({ source: "local schedule" }, context)),
        async close() {
            await Promise.all([lambdaFaults.close(), wafFaults.close()]);
            await Promise.all([dynamo.close(), sts.close(), waf.close(), athena.close(), lambda.close()]);
        },
    };
}

/** Athena's execution parameters are SQL literals: `'text'` (quotes doubled) or a number. */
export function fromAthenaLiteral(literal: string): string | number {
    const quoted = /^'(.*)'$/s.exec(literal);
    if (quoted) return quoted[1].replace(/''/g, "'");
    const number = Number(literal);
    if (literal.trim() === "" || !Number.isFinite(number)) throw new Error(`Not an Athena literal: ${literal}`);
    return number;
}

/** Bytes Athena would read for `hour BETWEEN from AND to`: the objects of those hour partitions. */
export function bytesInHours(dataDir: string, from: string, to: string): number {
    let bytes = 0;
    const walk = (dir: string, depth: number, hour: string[]) => {
        if (!fs.existsSync(dir)) return;
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (depth < 3) {
                if (entry.isDirectory() && !entry.name.startsWith("_")) walk(full, depth + 1, hour);
            } else if (depth < 7) {
                if (entry.isDirectory()) walk(full, depth + 1, [...hour, entry.name]);
            } else if (entry.isFile()) {
                const h = hour.join("/");
                if (h >= from && h <= to) bytes += fs.statSync(full).size;
            }
        }
    };
    walk(dataDir, 0, []);
    return bytes;
}

/**
 * Runs `f` with the process clock stopped at `now`: the deployed code reads `Date.now()` as the
 * Lambda runtime's clock, so a run's results do not depend on how long it took. Timers still run.
 */
async function atTime<T>(now: number, f: () => Promise<T>): Promise<T> {
    const real = Date.now;
    Date.now = () => now;
    try {
        return await f();
    } finally {
        Date.now = real;
    }
}
