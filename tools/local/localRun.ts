/**
 * The whole platform on this machine, from the plan: every planned bucket on a local S3, every
 * S3-triggered function run from its deployed `__index.js` by a Lambda stand-in (retries, on-failure
 * queues), the loader indexing into a loopback stand-in of OpenSearch's `_bulk` contract (or a real
 * cluster), realistic WAF traffic with a DDoS written as Firehose writes it, then:
 * - accounting: every generated record is in the central layout exactly once, and is indexed or
 *   parked (with its reason), with nothing lost or duplicated;
 * - forensics on DuckDB with the Athena SQL, and the HTML report;
 * - the response loop: the deployed detector finds the attackers, the deployed publisher writes the
 *   blocklist into every account's and Region's IP sets, a second wave shows them blocked
 *   everywhere and no one else, and the blocks expire on a simulated clock.
 * With `faults`, S3 and the cluster misbehave on the way and what was dead-lettered is replayed.
 * Memory stays bounded: objects are generated, delivered and checked one at a time.
 */
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import type { ResponseState } from "../../analytics/report";
import { LocalWarehouse, Row } from "../../analytics/warehouse";
import { parseStackConfig } from "../../config";
import { BLOCKLIST_IP_SETS } from "../../names";
import { parseCentralKey, wafHomeOf } from "../../layout";
import { writeReport } from "../cli/forensics";
import { LocalPlatform, startLocalPlatform } from "./localPlatform";
import { listAllKeys } from "../cli/s3Listing";
import { CoverageShown, showLocalCoverage } from "./localCoverage";
import { LocalResponse, startLocalResponse } from "./localResponse";
import { ProgramRun } from "./mockEngine";
import { ReplayOutcome, replay } from "../cli/replay";
import { DeliveredObject, Flow, Location, centralKeyOf, hourOf } from "../traffic/traffic";
import { streamDeliveredObjects } from "../traffic/trafficStream";
import { ipSetMatcher } from "./aws/wafServer";

export interface LocalRunOptions {
    /** Background records in all (the attack comes on top). */
    readonly records: number;
    /** Working directory (local S3 storage, the central copy, the report). */
    readonly workDir: string;
    /** A real OpenSearch cluster for the loader; default: the loopback stand-in. */
    readonly openSearchUrl?: string;
    /** Inject S3 and cluster faults on the way, then replay what was dead-lettered. */
    readonly faults?: boolean;
    readonly log?: (line: string) => void;
    /** Runs after delivery and replay, before the accounting (tests use it to lose a record). */
    readonly afterDelivery?: (platform: LocalPlatform, central: string) => Promise<void>;
    /**
     * Runs once the run is summed up, with every stand-in still serving (the sandbox keeps them
     * until its operator is done); they are closed when it resolves.
     */
    readonly hold?: (world: LocalWorld) => Promise<void>;
}

/** The local world of a finished run, still serving: what the sandbox hands to operators. */
export interface LocalWorld {
    readonly runs: readonly ProgramRun[];
    readonly platform: LocalPlatform;
    /** The response loop's stand-ins (absent when response.mode is off). */
    readonly response?: LocalResponse;
    readonly workDir: string;
    /** The central layout copied out of the local S3 (DuckDB reads it). */
    readonly centralCopy: string;
    readonly summary: LocalRunSummary;
}

export interface IndexAccounting {
    /** `the loopback stand-in of the _bulk contract`, or the cluster's URL. */
    readonly target: string;
    readonly indexed: number;
    /** Lines parked one by one, with their reasons. */
    readonly parked: number;
    /** Records in unreadable gzip tails (each tail parked as one entry, with its byte offset). */
    readonly unreadable: number;
    readonly lost: number;
    readonly duplicated: number;
    /** Up to 10 parked lines: where and why. */
    readonly examples: string[];
}

export interface ResponseVerdict {
    readonly mode: string;
    readonly blocked: Record<string, string[]>;
    readonly attackersNotBlocked: string[];
    readonly quietClientsBlocked: string[];
    readonly allowlistedBlocked: string[];
    readonly stillBlockedAfterExpiry: string[];
    /** The attacker only one account saw: where it was seen, and where it was blocked (only there). */
    readonly oneAccountAttacker: { readonly ip: string; readonly seenAt: string; readonly blockedAt: string[] };
    readonly blocklist: string[];
    /** The blocklist as the report shows it, read before the blocks expired; absent when mode is off. */
    readonly reported?: ResponseState;
    readonly ok: boolean;
}

/** Faults the run met, and what Lambda did about them. */
export interface FaultsMet {
    /** Requests the S3 fault proxy answered with a fault. */
    readonly s3Faults: number;
    /** Function tries that failed (each retried by Lambda, or dead-lettered after the last). */
    readonly failedTries: number;
    readonly deadLettered: number;
}

export interface LocalRunSummary {
    readonly faultsMet: FaultsMet;
    readonly objectsGenerated: number;
    readonly recordsGenerated: number;
    readonly objectsCopied: number;
    readonly recordsInCentral: number;
    readonly missing: number;
    readonly duplicated: number;
    /** Dead letters and replays that still failed at the end. */
    readonly deliveryFailures: string[];
    readonly replayed: ReplayOutcome[];
    readonly indexing: IndexAccounting;
    readonly attackersInjected: string[];
    readonly attackersFound: string[];
    readonly bursts: Row[];
    readonly crossAccount: Row[];
    readonly reportPath: string;
    readonly response: ResponseVerdict;
    /** The coverage table: the planned web ACLs and one made by hand that does not log. */
    readonly coverage: CoverageShown;
    readonly ok: boolean;
}

export const ATTACKERS = ["203.0.113.66", "203.0.113.77", "203.0.113.88"];
/**
 * Floods one location of one account only: scope by evidence blocks it only there (the
 * ATTACKERS flood two accounts each, so they are blocked everywhere).
 */
export const ONE_ACCOUNT_ATTACKER = "203.0.113.55";
/** A health checker in the committed allowlist (192.0.2.0/24), as busy as an attacker. */
export const HEALTH_CHECKER = "192.0.2.10";
const ATTACK_PER_LOCATION = 600;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const RECORDS_PER_OBJECT = 2000;

/**
 * The DDoS hits one location in each of the first two accounts (an account's last Region, by
 * name), so a cross-account attack is visible and, where an account has several Regions, one
 * location is never hit: the blocklist must protect it all the same.
 */
export function attackedLocations(locations: readonly Location[]): Location[] {
    const accounts = [...new Set(locations.map((l) => l.accountId))].sort();
    return accounts.slice(0, 2).map((account) =>
        locations
            .filter((l) => l.accountId === account)
            .sort((a, b) => a.region.localeCompare(b.region))
            .at(-1)!,
    );
}

/** Background traffic for each location, a burst from every attacker, and the health checker's. */
export function trafficPlan(locations: readonly Location[], records: number, startMs: number): Flow[] {
    const clients = Math.max(2000, Math.ceil(records / 40));
    const perClient = Math.max(1, Math.floor(records / clients));
    const flows: Flow[] = [];
    const countries = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "NL", "AU", "CA", "-"];
    for (let c = 0; c < clients && flows.length * perClient < records; c++) {
        flows.push({
            clientIp: quietClient(c),
            country: countries[c % countries.length],
            location: locations[c % locations.length],
            startMs: startMs + ((c * 7919) % 600_000),
            spanMs: 2 * HOUR - 600_000,
            count: perClient,
            action: c % 20 === 0 ? "BLOCK" : "ALLOW",
        });
    }
    const attacked = attackedLocations(locations);
    // One attacker floods the first attacked location alone: over the threshold in one account only.
    flows.push({
        clientIp: ONE_ACCOUNT_ATTACKER,
        country: "RU",
        location: attacked[0],
        startMs: startMs + HOUR + 3 * MINUTE,
        spanMs: 240_000,
        count: 2 * ATTACK_PER_LOCATION,
    });
    // Every attacker floods two accounts within the same four minutes.
    for (const [a, clientIp] of ATTACKERS.entries()) {
        for (const location of attacked) {
            const burstStart = startMs + HOUR + a * MINUTE;
            flows.push({ clientIp, country: "CN", location, startMs: burstStart, spanMs: 240_000, count: 100 });
            flows.push({
                clientIp,
                country: "CN",
                location,
                startMs: burstStart + 2400,
                spanMs: 237_600,
                count: ATTACK_PER_LOCATION - 100,
                rateLimited: true,
            });
        }
    }
    flows.push({
        clientIp: HEALTH_CHECKER,
        country: "US",
        location: attacked[0],
        startMs: startMs + HOUR + 6 * MINUTE,
        spanMs: 240_000,
        count: 1500,
    });
    return flows;
}

const quietClient = (c: number) => `198.${18 + ((c >> 16) & 1)}.${(c >> 8) & 255}.${c & 255}`;

/** What the accounting keeps per generated object: a digest, not its text. */
interface Expected {
    readonly digest: string;
    readonly lines: number;
    /** Lines this run damaged on purpose (a seconds timestamp, not JSON) that the loader must park. */
    readonly badLines: number;
    /** Lines in a gzip tail this run cut off on purpose. */
    readonly unreadable: number;
}

const sha256 = (body: Buffer) => createHash("sha256").update(body).digest("hex");

/** The faults of a run with `faults`, each given to one object (see the README). */
type ObjectFault = "s3-transient" | "s3-dead-letter" | "truncated" | "bad-lines" | "outage" | "search-403";
const FAULTS: readonly ObjectFault[] = [
    "s3-transient",
    "s3-dead-letter",
    "truncated",
    "bad-lines",
    "outage",
    "search-403",
];
/** Faults that lose or change records: never given to an object of the attack's hour. */
const DAMAGING: readonly ObjectFault[] = ["truncated", "bad-lines"];

/** The gzip body of an object, damaged as `fault` says; with what the accounting should expect. */
function bodyOf(
    object: DeliveredObject,
    fault: ObjectFault | undefined,
): { body: Buffer; expected: Omit<Expected, "digest"> } {
    const lines = [...object.lines];
    let badLines = 0;
    if (fault === "bad-lines") {
        // A record whose timestamp is in seconds, and a line that is not JSON: each parked alone.
        const record = JSON.parse(lines[0]);
        lines[0] = JSON.stringify({ ...record, timestamp: Math.floor(record.timestamp / 1000) });
        lines[1] = lines[1].slice(0, -7);
        badLines = 2;
    }
    const whole = zlib.gzipSync(`${lines.join("\n")}\n`);
    if (fault !== "truncated") return { body: whole, expected: { lines: lines.length, badLines, unreadable: 0 } };
    // Cut the stream in its middle: the records before the cut stay readable.
    const body = whole.subarray(0, Math.floor(whole.length / 2));
    const readable = zlib.gunzipSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString("utf8");
    const complete = readable.split("\n").length - 1;
    return { body, expected: { lines: lines.length, badLines, unreadable: lines.length - complete } };
}

/** Runs `f` with the functions' own output (JSON lines on stdout) kept out of the progress. */
export async function quietly<T>(f: () => Promise<T>): Promise<T> {
    const write = process.stdout.write.bind(process.stdout);
    let partial = "";
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const text = partial + (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        const lines = text.split("\n");
        partial = lines.pop() ?? "";
        const shown = lines.filter((l) => !l.startsWith("{") && !l.includes("non-retryable streaming request"));
        return shown.length > 0 ? write(`${shown.join("\n")}\n`, ...(rest as [])) : true;
    }) as typeof process.stdout.write;
    const warn = console.warn;
    console.warn = () => undefined;
    try {
        return await f();
    } finally {
        process.stdout.write = write;
        console.warn = warn;
    }
}

export async function runLocalPipeline(
    runs: readonly ProgramRun[],
    options: LocalRunOptions,
): Promise<LocalRunSummary> {
    const log = options.log ?? console.log;
    const faults = options.faults ?? false;
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const resources = runs.filter((r) => r.config["central-waf-logs:role"] === "resource");
    const centralBucket: string = logging.outputs.centralBucketName;
    const platform = await startLocalPlatform(runs, {
        workDir: options.workDir,
        openSearchUrl: options.openSearchUrl,
        faults,
    });
    const central = path.join(options.workDir, "central");
    let localResponse: LocalResponse | undefined;
    try {
        const standIn = !options.openSearchUrl;
        log(
            `Local S3 on ${platform.s3.endpoint}${platform.s3Proxy ? `, through a fault proxy on ${platform.s3Proxy.url}` : ""}`,
        );
        log(
            standIn
                ? `Search: a loopback stand-in of OpenSearch's _bulk contract on ${platform.searchUrl} (not a cluster; set OPENSEARCH_URL to use one)`
                : `Search: the cluster at ${platform.searchUrl}`,
        );
        for (const sub of platform.subscriptions) {
            log(
                `  ${sub.bucket}/${sub.prefix}* -> ${sub.functionName} (deployed __index.js, Lambda retries, on-failure queue)`,
            );
        }

        // Traffic: one location per planned resource stack, written as Firehose writes it, each
        // record through one of the location's planned web ACLs (its own, and those it adopts).
        const locations = resources.map((r) => ({
            accountId: r.outputs.accountId,
            region: r.outputs.region,
            webAclArns: [r.outputs.webAclArn, ...(r.outputs.existingWebAclArns ?? [])].filter(Boolean) as string[],
        }));
        log(`\nPlanned locations and the web ACLs logging there (own: created by the stack; adopted: pre-existing):`);
        for (const r of resources) {
            const adopted: string[] = r.outputs.existingWebAclArns ?? [];
            log(
                `  ${r.outputs.accountId}/${r.outputs.region} (${r.outputs.wafScope}${r.outputs.region === "global" ? ", CloudFront, us-east-1" : ""}): ` +
                    [
                        ...(r.outputs.webAclArn ? ["own web ACL"] : []),
                        ...adopted.map((arn) => `adopted ${arn.split("/")[2]}`),
                    ].join(", ") +
                    (r.outputs.blocklistRuleGroupArn ? "; blocklist rule group for adopted ACLs" : ""),
            );
        }
        const staging = new Map(resources.map((r) => [`${r.outputs.accountId}/${r.outputs.region}`, r]));
        const start = Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR;
        const flows = trafficPlan(locations, options.records, start);
        const attacked = attackedLocations(locations);
        log(
            `\nTraffic: about ${options.records.toLocaleString("en-US")} background records for ${locations.map((l) => `${l.accountId}/${l.region}`).join(", ")}`,
        );
        log(
            `  DDoS: ${ATTACKERS.join(", ")} each send ${ATTACK_PER_LOCATION} requests in 4 minutes to ${attacked.map((l) => `${l.accountId}/${l.region}`).join(" and ")}; health checker ${HEALTH_CHECKER} (allowlisted) sends 1,500`,
        );
        log(
            `  and ${ONE_ACCOUNT_ATTACKER} sends ${(2 * ATTACK_PER_LOCATION).toLocaleString("en-US")} to ${attacked[0].accountId}/${attacked[0].region} alone: one account's evidence, so it is blocked there only`,
        );
        if (faults) {
            log(
                "  Faults: S3 503s (retried in the invocation, and through every retry to the failure queue), a truncated",
            );
            log(
                "  gzip object, bad lines, bulk 429s, item-level 503s, 413s, a 2 s cluster outage and a 403 misconfiguration",
            );
        }

        const expected = new Map<string, Expected>();
        let generated = 0;
        let objectsGenerated = 0;
        const base = faults ? standInFaults() : {};
        // The run starts with the cluster throttling: its first two requests answered 429.
        platform.search?.inject(faults ? { ...base, throttleFirstBulkRequests: 2 } : {});
        await quietly(async () => {
            const pendingFaults = faults ? [...FAULTS] : [];
            const attackHour = hourOf(start + HOUR);
            for (const object of streamDeliveredObjects(
                flows,
                (l) => staging.get(`${l.accountId}/${l.region}`)!.outputs.firehoseStreamName,
                { maxRecordsPerObject: RECORDS_PER_OBJECT },
            )) {
                // Damaging faults go to objects outside the attack's hour, the others to any object.
                const fault =
                    (object.hour !== attackHour ? pendingFaults.find((f) => DAMAGING.includes(f)) : undefined) ??
                    pendingFaults.find((f) => !DAMAGING.includes(f));
                if (fault) pendingFaults.splice(pendingFaults.indexOf(fault), 1);
                const { body, expected: counts } = bodyOf(object, fault);
                const run = staging.get(`${object.location.accountId}/${object.location.region}`)!;
                const key = centralKeyOf(object);
                expected.set(key, { digest: sha256(body), ...counts });
                generated += counts.lines;
                objectsGenerated++;
                await injectFor(platform, fault, key, base);
                await platform.s3.client.send(
                    new PutObjectCommand({
                        Bucket: run.outputs.stagingBucketName,
                        Key: `logs/${object.hour}/${object.fileName}`,
                        Body: body,
                    }),
                );
                await platform.drain();
                if (fault) {
                    platform.s3Proxy?.inject([]);
                    platform.search?.inject(base);
                }
                if (objectsGenerated % 25 === 0)
                    log(
                        `  delivered ${objectsGenerated.toLocaleString("en-US")} objects, ${generated.toLocaleString("en-US")} records`,
                    );
            }
        });
        log(
            `  delivered ${objectsGenerated.toLocaleString("en-US")} objects, ${generated.toLocaleString("en-US")} records`,
        );

        // Replay: the causes are fixed (faults cleared); re-drive the failure queues and parked objects.
        platform.s3Proxy?.inject([]);
        platform.search?.inject({});
        const deadLetters = platform.lambda.failedEvents.length;
        let replayed: ReplayOutcome[] = [];
        if (deadLetters > 0 || faults) {
            log(
                `\nReplay (npm run replay against the stand-ins): ${deadLetters} dead-lettered events, and the parked objects`,
            );
            const calls = platform.replayCalls();
            try {
                replayed = await quietly(() =>
                    replay(
                        {
                            queues: platform.failureQueues.map((q) => q.queueUrl),
                            errorsBucket: centralBucket,
                            loader: "central-waf-logs-search-loader",
                            max: 10_000,
                        },
                        calls,
                        log,
                    ),
                );
                await quietly(() => platform.drain());
            } finally {
                calls.close();
            }
        }
        await options.afterDelivery?.(platform, central);

        // Accounting: each object exactly once, byte for byte; each record indexed or parked.
        log("\nAccounting: central objects against what was generated (digests), the index against the records");
        const delivered = await accountDelivery(platform, centralBucket, expected, central, log);
        const indexing = await accountIndex(platform, centralBucket, expected, standIn);
        log(
            `Delivery: ${delivered.objectsCopied.toLocaleString("en-US")} objects, ${delivered.recordsInCentral.toLocaleString("en-US")} records in the central layout; missing ${delivered.missing}, duplicated ${delivered.duplicated}`,
        );
        log(
            `Indexing into ${indexing.target}: ${indexing.indexed.toLocaleString("en-US")} indexed + ${indexing.parked.toLocaleString("en-US")} parked + ${indexing.unreadable.toLocaleString("en-US")} in an unreadable tail = ${(indexing.indexed + indexing.parked + indexing.unreadable).toLocaleString("en-US")} of ${generated.toLocaleString("en-US")}; lost ${indexing.lost.toLocaleString("en-US")}, duplicated ${indexing.duplicated.toLocaleString("en-US")}`,
        );
        for (const example of indexing.examples) log(`  parked: ${example}`);
        const remaining = platform.failureQueues.flatMap((q) =>
            platform.sqs.messages(q.queueUrl).map(() => `${q.functionName}: a dead-lettered event was not replayed`),
        );
        const failures = [
            ...remaining,
            ...replayed.filter((r) => r.status === "failed").map((r) => `${r.target}: ${r.detail}`),
        ];

        // Forensics on the central copy, with the same SQL Athena runs.
        const window = { from_hour: hourOf(start), to_hour: hourOf(start + 3 * HOUR) };
        log(`\nForensics (DuckDB, queries/*.sql), hours ${window.from_hour} to ${window.to_hour}:`);
        const warehouse = await LocalWarehouse.open({ dataDir: central });
        let bursts: Row[];
        let crossAccount: Row[];
        let reportPath: string;
        try {
            bursts = await warehouse.run("burst-detection", { ...window, threshold: 500 });
            crossAccount = await warehouse.run("cross-account-attackers", {
                ...window,
                min_locations: 2,
                min_requests: 1000,
            });
            log("  burst detection and cross-account queries done");
        } finally {
            warehouse.close();
        }
        const found = ATTACKERS.filter(
            (ip) => bursts.some((r) => r.client_ip === ip) && crossAccount.some((r) => r.client_ip === ip),
        );
        for (const row of bursts)
            log(
                `  burst: ${row.client_ip} ${row.requests_in_5_minutes} requests in 5 minutes from ${row.window_start}`,
            );
        for (const row of crossAccount)
            log(`  cross-account: ${row.client_ip} in ${row.seen_in} (${row.requests} requests)`);

        const response = await respond(runs, central, start, log, (local) => {
            if (options.hold) localResponse = local;
            return Boolean(options.hold);
        });
        // The report is written after the response loop, so it says what was blocked, where and until when.
        log("\nHTML report (forensics, with the response loop's blocklist):");
        const report = await LocalWarehouse.open({ dataDir: central });
        try {
            reportPath = await writeReport(report, path.join(options.workDir, "report.html"), window, {
                ...reportContext(runs),
                ...(response.reported ? { response: response.reported } : {}),
            });
        } finally {
            report.close();
        }
        log(`  HTML report: ${reportPath}`);
        log("\nCoverage: every web ACL of every planned account and Region, on the local WAFV2");
        const coverage = await quietly(() => showLocalCoverage(runs, log));
        const ok =
            delivered.missing === 0 &&
            delivered.duplicated === 0 &&
            indexing.lost === 0 &&
            indexing.duplicated === 0 &&
            failures.length === 0 &&
            found.length === ATTACKERS.length &&
            response.ok &&
            coverage.ok;
        const summary: LocalRunSummary = {
            faultsMet: {
                s3Faults: platform.s3Proxy?.requests.filter((r) => r.fault !== undefined).length ?? 0,
                failedTries: platform.lambda.attempts.filter((a) => a.outcome !== "success").length,
                deadLettered: platform.lambda.failedEvents.length,
            },
            objectsGenerated,
            recordsGenerated: generated,
            ...delivered,
            deliveryFailures: failures,
            replayed,
            indexing,
            attackersInjected: ATTACKERS,
            attackersFound: found,
            bursts,
            crossAccount,
            reportPath,
            response,
            coverage,
            ok,
        };
        await options.hold?.({
            runs,
            platform,
            response: localResponse,
            workDir: options.workDir,
            centralCopy: central,
            summary,
        });
        return summary;
    } finally {
        await localResponse?.close();
        await platform.close();
    }
}

/** The stand-in's background faults of a `faults` run: item-level 503s and a payload limit. */
function standInFaults() {
    return {
        // One document in 50 is refused with 503 on its first try: resent on its own.
        failItem: (doc: { id: string }, attempt: number) =>
            attempt === 1 && doc.id.charCodeAt(0) % 50 === 0
                ? { status: 503, type: "unavailable_shards_exception" }
                : undefined,
        maxBodyBytes: 512 * 1024,
    };
}

/** Arms the fault an object's delivery meets. */
async function injectFor(
    platform: LocalPlatform,
    fault: ObjectFault | undefined,
    key: string,
    base: ReturnType<typeof standInFaults> | Record<string, never>,
): Promise<void> {
    const file = key
        .split("/")
        .pop()!
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const unavailable = {
        kind: "status" as const,
        status: 503,
        body: "<Error><Code>ServiceUnavailable</Code><Message>Please reduce your request rate.</Message></Error>",
        contentType: "application/xml",
    };
    // The copier's PUT of the central object (its path ends in the SDK's `?x-id=PutObject`).
    const centralWrite = (count: number) => ({
        method: "PUT",
        path: new RegExp(`/${file}(\\?|$)`),
        count,
        fault: unavailable,
    });
    if (fault === "s3-transient") platform.s3Proxy?.inject([centralWrite(3)]);
    // Three tries of three attempts each: the event ends in the copier's failure queue.
    if (fault === "s3-dead-letter") platform.s3Proxy?.inject([centralWrite(9)]);
    if (fault === "outage") await platform.search?.outage(2000, "refuse");
    if (fault === "search-403") {
        platform.search?.inject({
            ...base,
            failBulkRequests: {
                count: 3,
                status: 403,
                body: {
                    Message:
                        "User: arn:aws:sts::111111111111:assumed-role/central-waf-logs-search-loader is not authorized to perform: es:ESHttpPost",
                },
            },
        });
    }
}

function listKeys(platform: LocalPlatform, bucket: string, prefix = ""): Promise<string[]> {
    return listAllKeys(platform.s3.client, bucket, prefix);
}

async function getBody(platform: LocalPlatform, bucket: string, key: string): Promise<Buffer> {
    const object = await platform.s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
}

/** Each generated object must be in the central layout once, byte for byte; copies it for DuckDB. */
async function accountDelivery(
    platform: LocalPlatform,
    bucket: string,
    expected: ReadonlyMap<string, Expected>,
    central: string,
    log: (line: string) => void,
) {
    const keys = (await listKeys(platform, bucket)).filter((k) => parseCentralKey(k));
    let objectsCopied = 0;
    let recordsInCentral = 0;
    let duplicated = 0;
    const seen = new Set<string>();
    for (const [i, key] of keys.entries()) {
        const body = await getBody(platform, bucket, key);
        const want = expected.get(key);
        if (!want || sha256(body) !== want.digest) {
            // Nothing generated this object (or not these bytes): its records count twice.
            duplicated += zlib
                .gunzipSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH })
                .toString("utf8")
                .split("\n")
                .filter(Boolean).length;
            continue;
        }
        seen.add(key);
        objectsCopied++;
        recordsInCentral += want.lines;
        fs.mkdirSync(path.dirname(path.join(central, key)), { recursive: true });
        fs.writeFileSync(path.join(central, key), body);
        if ((i + 1) % 200 === 0) log(`  checked ${i + 1} of ${keys.length} central objects`);
    }
    let missing = 0;
    for (const [key, want] of expected) if (!seen.has(key)) missing += want.lines;
    return { objectsCopied, recordsInCentral, missing, duplicated };
}

/** Indexed and parked lines against the generated records, per object. */
async function accountIndex(
    platform: LocalPlatform,
    bucket: string,
    expected: ReadonlyMap<string, Expected>,
    standIn: boolean,
): Promise<IndexAccounting> {
    let parked = 0;
    let unreadable = 0;
    const examples: string[] = [];
    for (const report of await listKeys(platform, bucket, "_errors/")) {
        const source = /^_errors\/(.+)\.rejected\.ndjson$/.exec(report)?.[1];
        for (const line of (await getBody(platform, bucket, report)).toString("utf8").split("\n").filter(Boolean)) {
            const entry = JSON.parse(line);
            if (entry.byteOffset !== undefined) {
                // The tail of a damaged object: the records in it were generated, and are not readable.
                unreadable += source ? (expected.get(source)?.unreadable ?? 0) : 0;
                if (examples.length < 10) examples.push(`${source} from byte ${entry.byteOffset}: ${entry.reason}`);
            } else {
                parked++;
                if (examples.length < 10) examples.push(`${source} line ${entry.line}: ${entry.reason}`);
            }
        }
    }
    const generated = [...expected.values()].reduce((n, e) => n + e.lines, 0);
    const indexed = standIn ? platform.search!.documents.size : generated - parked - unreadable;
    const accounted = indexed + parked + unreadable;
    return {
        target: standIn ? "the loopback stand-in of the _bulk contract" : platform.searchUrl,
        indexed,
        parked,
        unreadable,
        lost: Math.max(0, generated - accounted),
        duplicated: Math.max(0, accounted - generated),
        examples,
    };
}

/** The response loop on the local data: detection, blocklist, sync, a second wave, and expiry. */
async function respond(
    runs: readonly ProgramRun[],
    central: string,
    start: number,
    log: (line: string) => void,
    /** Offered the stand-ins at the end; when it answers true they stay open (the caller closes them). */
    keep: (local: LocalResponse) => boolean = () => false,
): Promise<ResponseVerdict> {
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const mode: string = logging.outputs.responseMode;
    log(`\nResponse (mode ${mode}): the deployed detector and publisher on local DynamoDB, STS, WAFV2 and Athena`);
    if (mode === "off") {
        log("  response.mode is off: nothing to show");
        return {
            mode,
            blocked: {},
            attackersNotBlocked: [],
            quietClientsBlocked: [],
            allowlistedBlocked: [],
            stillBlockedAfterExpiry: [],
            oneAccountAttacker: { ip: ONE_ACCOUNT_ATTACKER, seenAt: "", blockedAt: [] },
            blocklist: [],
            reported: { source: "the local run, whose response.mode is off: nothing was blocked", blocked: [] },
            ok: true,
        };
    }
    const local = await startLocalResponse(runs, central);
    try {
        // Minutes after the last attacker started, as the 5-minute schedule would run.
        const now = start + HOUR + 2 * MINUTE + 10 * MINUTE;
        const detection = await quietly(() => local.detect(now));
        log(
            `  detector: ${detection.candidates} bursts over the threshold, ${detection.added.length} blocked (${detection.added.join(", ")}), ${detection.allowlisted.length} allowlisted (${detection.allowlisted.join(", ")}); ${detection.scannedBytes.toLocaleString("en-US")} bytes read`,
        );
        const sync = await quietly(() => local.publish(now));
        log(
            `  publisher: ${sync.targets.map((t: { target: string; status: string }) => `${t.target} ${t.status}`).join(", ")}`,
        );

        // The second wave: every attacker, 200 quiet clients and the health checker, at every location.
        const quiet = Array.from({ length: 200 }, (_, c) => quietClient(c * 37));
        const blockedNow = () => {
            const result: Record<string, string[]> = {};
            for (const l of local.locations) {
                // A `global` location's sets are CLOUDFRONT-scope sets in us-east-1.
                const home = wafHomeOf(l.region);
                const addresses = [
                    ...local.waf.ipSet(l.accountId, home.region, BLOCKLIST_IP_SETS.ipv4, home.scope)!.addresses,
                    ...local.waf.ipSet(l.accountId, home.region, BLOCKLIST_IP_SETS.ipv6, home.scope)!.addresses,
                ];
                const matches = ipSetMatcher(addresses);
                result[`${l.accountId}/${l.region}`] = [
                    ...ATTACKERS,
                    ONE_ACCOUNT_ATTACKER,
                    ...quiet,
                    HEALTH_CHECKER,
                ].filter((ip) => matches(ip));
            }
            return result;
        };
        const action = ruleActionOf(runs);
        const blocked = blockedNow();
        const everywhere = Object.values(blocked);
        const attackersNotBlocked = ATTACKERS.filter((ip) => !everywhere.every((ips) => ips.includes(ip)));
        const quietClientsBlocked = quiet.filter((ip) => everywhere.some((ips) => ips.includes(ip)));
        const allowlistedBlocked = [HEALTH_CHECKER].filter((ip) => everywhere.some((ips) => ips.includes(ip)));
        const seenAt = attackedLocations(local.locations).map((l) => `${l.accountId}/${l.region}`)[0];
        const oneAccountAttacker = {
            ip: ONE_ACCOUNT_ATTACKER,
            seenAt,
            blockedAt: Object.keys(blocked).filter((l) => blocked[l].includes(ONE_ACCOUNT_ATTACKER)),
        };
        log(
            `  scope by evidence: ${ATTACKERS.join(", ")} (seen by two accounts) blocked at ${everywhere.length - everywhere.filter((ips) => ATTACKERS.every((a) => ips.includes(a))).length === 0 ? "every location" : "some locations only"}; ${ONE_ACCOUNT_ATTACKER} (seen by one account, at ${seenAt}) blocked at ${oneAccountAttacker.blockedAt.join(", ") || "no location"}`,
        );
        for (const [location, ips] of Object.entries(blocked)) {
            log(
                `  second wave at ${location}: ${action === "block" ? "blocked" : "counted (mode count)"} ${ips.join(", ") || "nobody"}`,
            );
        }
        const listed =
            (await local.dynamo.client.send(new ScanCommand({ TableName: "central-waf-logs-blocklist" }))).Items ?? [];
        const blocklist = listed
            .map((i: any) => `${i.cidr.S} until ${new Date(Number(i.blockedUntil.N)).toISOString()} (${i.reason.S})`)
            .sort();
        const reported = blocklistAsReported(local, listed);

        // Expiry on a simulated clock: after the block time, the next sync empties every set.
        const config = parseStackConfig(logging.stack, logging.config);
        const blockMinutes = config.role === "logging" ? config.response.blockMinutes : 240;
        const later = now + (blockMinutes + 1) * MINUTE;
        await quietly(() => local.publish(later));
        const after = Object.values(blockedNow());
        const stillBlockedAfterExpiry = [...ATTACKERS, ONE_ACCOUNT_ATTACKER].filter((ip) =>
            after.some((ips) => ips.includes(ip)),
        );
        log(
            `  ${blockMinutes + 1} minutes later: ${stillBlockedAfterExpiry.length === 0 ? "every block expired and left every IP set" : `still blocked: ${stillBlockedAfterExpiry.join(", ")}`}`,
        );
        const ok =
            attackersNotBlocked.length === 0 &&
            quietClientsBlocked.length === 0 &&
            allowlistedBlocked.length === 0 &&
            stillBlockedAfterExpiry.length === 0 &&
            oneAccountAttacker.blockedAt.join(",") === seenAt;
        return {
            mode,
            blocked,
            attackersNotBlocked,
            quietClientsBlocked,
            allowlistedBlocked,
            stillBlockedAfterExpiry,
            oneAccountAttacker,
            blocklist,
            reported,
            ok,
        };
    } finally {
        if (!keep(local)) await local.close();
    }
}

/**
 * The blocklist items as the report shows them: each range with the locations whose IP sets hold
 * it now (read from the WAFV2 stand-in, not assumed), their WAF scopes, and until when.
 */
function blocklistAsReported(local: LocalResponse, items: readonly Record<string, any>[]): ResponseState {
    const sets = local.locations.map((l) => {
        const home = wafHomeOf(l.region);
        const addresses = [BLOCKLIST_IP_SETS.ipv4, BLOCKLIST_IP_SETS.ipv6].flatMap(
            (name) => local.waf.ipSet(l.accountId, home.region, name, home.scope)?.addresses ?? [],
        );
        return { where: `${l.accountId}/${l.region}`, scope: home.scope, addresses: new Set(addresses) };
    });
    const blocked = items
        .map((item) => {
            const range = String(item.cidr.S);
            const holding = sets.filter((s) => s.addresses.has(range));
            return {
                range,
                where: holding.map((s) => s.where).sort(),
                scope: [...new Set(holding.map((s) => s.scope))].join(", ") || "none",
                until: new Date(Number(item.blockedUntil.N)).toISOString(),
                reason: String(item.reason?.S ?? ""),
            };
        })
        .sort((a, b) => a.range.localeCompare(b.range));
    return {
        source: "the local run's DynamoDB blocklist and WAFV2 IP sets, after the detector and publisher ran",
        blocked,
    };
}

/** The detector's threshold and allowlist from the run's logging stack, for the report to state. */
function reportContext(runs: readonly ProgramRun[]): { detectorThreshold?: number; allowlist?: readonly string[] } {
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const config = parseStackConfig(logging.stack, logging.config);
    return config.role === "logging"
        ? { detectorThreshold: config.response.threshold, allowlist: config.response.allowlist }
        : {};
}

/** The action of the planned blocklist rule (the first rule of every resource stack's web ACL). */
function ruleActionOf(runs: readonly ProgramRun[]): string {
    const acl = runs.flatMap((r) => r.resources).find((r) => r.type === "aws:wafv2/webAcl:WebAcl");
    const rule = acl?.inputs.rules?.find((r: { name: string }) => r.name === "central-blocklist");
    return rule ? Object.keys(rule.action)[0] : "none";
}
