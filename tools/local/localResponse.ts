/**
 * The response loop on this machine, built from the plan: DynamoDB (dynalite) with the planned
 * tables, STS whose trust decisions are the planned trust policies, WAFV2 with every resource
 * stack's planned IP sets and, as IAM, the planned sync-role policy, and Athena running the SQL on
 * DuckDB over a local copy of the central layout. The detector and publisher are the deployed
 * `__index.js` of the plan, run with a clock the caller controls. Used by the tests and `npm start`.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWarehouse } from "../../analytics/warehouse";
import { wafHomeOf } from "../../layout";
import { BLOCKLIST_DETECTOR_FUNCTION, BLOCKLIST_PUBLISHER_FUNCTION } from "../../names";
import { MAX_PARTITIONS_WRITTEN, startAthenaServer, AthenaServer } from "./aws/athenaServer";
import { Handler, LambdaContext, deployedEnvironment, deployedSource, loadHandler } from "./deployedCode";
import { LocalDynamo, recordedTables, startLocalDynamo } from "./localDynamo";
import { ProgramRun } from "./mockEngine";
import { StsServer, sessionRoleArn, startStsServer } from "./aws/stsServer";
import { WafServer, startWafServer } from "./aws/wafServer";

/** The stand-ins' own clock: real time, whatever the deployed code's clock says (see atTime). */
const realClock = Date.now;

/** The access key the publisher's (and detector's) execution-role session signs with. */
const LAMBDA_KEYS = { publisher: "ASIALOCALPUBLISHER", detector: "ASIALOCALDETECTOR" };

export interface LocalResponse {
    readonly dynamo: LocalDynamo;
    readonly sts: StsServer;
    readonly waf: WafServer;
    readonly athena: AthenaServer;
    /** Runs the deployed detector at `now` (epoch ms), with `context` as its Lambda context if given. */
    detect(now: number, context?: LambdaContext): Promise<any>;
    /** Runs the deployed publisher at `now` (epoch ms). */
    publish(now: number): Promise<any>;
    /** Every planned resource stack's account and Region, with its two IP sets' names. */
    readonly locations: readonly { accountId: string; region: string }[];
    close(): Promise<void>;
}

interface Statement {
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Principal?: { AWS?: string | string[] };
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Starts every stand-in for `runs` (the logging run and the resource runs, as planned), reading
 * the central layout under `dataDir` for Athena.
 */
export async function startLocalResponse(runs: readonly ProgramRun[], dataDir: string): Promise<LocalResponse> {
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const resources = runs.filter((r) => r.config["central-waf-logs:role"] === "resource");

    // Trust as planned: each sync role admits the principals its trust policy names.
    const trust = new Map<string, string[]>();
    const permissions = new Map<string, Statement[]>();
    for (const run of resources) {
        for (const role of run.resources.filter((r) => r.type === "aws:iam/role:Role")) {
            const statements: Statement[] = JSON.parse(role.inputs.assumeRolePolicy).Statement;
            trust.set(
                role.state.arn,
                statements.filter((s) => s.Effect === "Allow").flatMap((s) => asList(s.Principal?.AWS)),
            );
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
        mayAssume: (caller, roleArn) => (trust.get(roleArn) ?? []).includes(sessionRoleArn(caller) ?? caller),
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
    const locations: { accountId: string; region: string }[] = [];
    for (const run of resources) {
        const accountId = run.outputs.accountId as string;
        // The location (`global` for CloudFront); its sets live in us-east-1, scope CLOUDFRONT.
        const region = run.outputs.region as string;
        locations.push({ accountId, region });
        for (const set of run.resources.filter((r) => r.type === "aws:wafv2/ipSet:IpSet")) {
            waf.createIpSet({
                accountId,
                region: wafHomeOf(region).region,
                scope: set.inputs.scope,
                name: set.inputs.name,
                ipAddressVersion: set.inputs.ipAddressVersion,
                addresses: set.inputs.addresses,
                description: set.inputs.description,
            });
        }
    }

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
            AWS_ENDPOINT_URL_ATHENA: athena.url,
        });
    const detector = await handler(BLOCKLIST_DETECTOR_FUNCTION, LAMBDA_KEYS.detector);
    const publisher = await handler(BLOCKLIST_PUBLISHER_FUNCTION, LAMBDA_KEYS.publisher);
    return {
        dynamo,
        sts,
        waf,
        athena,
        locations,
        detect: (now, context) => atTime(now, () => detector({ source: "local schedule" }, context)),
        publish: (now) => atTime(now, () => publisher({ source: "local schedule" })),
        async close() {
            await Promise.all([dynamo.close(), sts.close(), waf.close(), athena.close()]);
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
