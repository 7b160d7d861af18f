/**
 * The whole platform on this machine: every bucket the planned stacks declare on a local S3, each
 * bucket notification wired to the exact `__index.js` the program would deploy, realistic WAF
 * traffic with an injected DDoS written as Firehose writes it, delivery through the real copier
 * (and loader, when OPENSEARCH_URL names a cluster), then forensics on DuckDB, and an accounting
 * that fails if any record is missing, duplicated, or any attacker goes unnoticed.
 */
import * as fs from "fs";
import * as path from "path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { gunzipSync, gzipSync } from "zlib";
import { LocalWarehouse, Row } from "../analytics/warehouse";
import { S3EventRecord } from "../handlers/s3Events";
import { parseCentralKey } from "../layout";
import { Handler, functionSource, loadHandler } from "./deployedCode";
import { writeReport } from "./forensics";
import { LocalS3, startLocalS3 } from "./localS3";
import { ProgramRun } from "./mockEngine";
import { DeliveredObject, Flow, Location, deliveredObjects, hourOf } from "./traffic";

export interface LocalRunOptions {
    /** Background records in all (the attack comes on top). */
    readonly records: number;
    /** Working directory (local S3 storage, the central copy, the report). */
    readonly workDir: string;
    /** A real OpenSearch cluster for the loader; without it, indexing is skipped and said so. */
    readonly openSearchUrl?: string;
    readonly log?: (line: string) => void;
}

export interface LocalRunSummary {
    readonly objectsGenerated: number;
    readonly recordsGenerated: number;
    readonly objectsCopied: number;
    readonly recordsInCentral: number;
    readonly missing: number;
    readonly duplicated: number;
    readonly deliveryFailures: string[];
    readonly indexed?: number;
    readonly attackersInjected: string[];
    readonly attackersFound: string[];
    readonly bursts: Row[];
    readonly crossAccount: Row[];
    readonly reportPath: string;
    readonly ok: boolean;
}

/** A bucket notification of the plan, bound to the deployed code of its function. */
interface Subscription {
    readonly bucket: string;
    readonly filterPrefix: string;
    readonly functionName: string;
    readonly handler?: Handler;
    readonly skipped?: string;
}

export const ATTACKERS = ["203.0.113.66", "203.0.113.77", "203.0.113.88"];
const ATTACK_PER_LOCATION = 600;

/** Background traffic for each location plus a burst from every attacker at the first two. */
export function trafficPlan(locations: readonly Location[], records: number, startMs: number): Flow[] {
    const clients = Math.max(2000, Math.ceil(records / 40));
    const perClient = Math.max(1, Math.floor(records / clients));
    const flows: Flow[] = [];
    const countries = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "NL", "AU", "CA", "-"];
    for (let c = 0; c < clients && flows.length * perClient < records; c++) {
        flows.push({
            clientIp: `198.${18 + ((c >> 16) & 1)}.${(c >> 8) & 255}.${c & 255}`,
            country: countries[c % countries.length],
            location: locations[c % locations.length],
            startMs: startMs + ((c * 7919) % 600_000),
            spanMs: 2 * 3600_000 - 600_000,
            count: perClient,
            action: c % 20 === 0 ? "BLOCK" : "ALLOW",
        });
    }
    // The DDoS: every attacker floods two accounts' Regions within the same four minutes.
    for (const [a, clientIp] of ATTACKERS.entries()) {
        for (const location of locations.slice(0, 2)) {
            const burstStart = startMs + 3600_000 + a * 60_000;
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
    return flows;
}

function subscriptions(
    runs: readonly ProgramRun[],
    s3: LocalS3,
    sources: Map<string, string>,
    openSearchUrl?: string,
): Subscription[] {
    const result: Subscription[] = [];
    for (const run of runs) {
        const region = run.config["central-waf-logs:region"];
        for (const notification of run.resources.filter(
            (r) => r.type === "aws:s3/bucketNotification:BucketNotification",
        )) {
            for (const target of notification.inputs.lambdaFunctions ?? []) {
                const fn = run.resources.find(
                    (r) => r.type === "aws:lambda/function:Function" && r.state.arn === target.lambdaFunctionArn,
                )!;
                const environment: Record<string, string> = {
                    ...(fn.inputs.environment?.variables ?? {}),
                    ...s3.lambdaEnvironment(region),
                };
                const base = {
                    bucket: notification.inputs.bucket,
                    filterPrefix: target.filterPrefix ?? "",
                    functionName: fn.inputs.name,
                };
                if ("OPENSEARCH_ENDPOINT" in environment) {
                    if (!openSearchUrl) {
                        result.push({ ...base, skipped: "OPENSEARCH_URL is not set" });
                        continue;
                    }
                    environment.OPENSEARCH_ENDPOINT = openSearchUrl;
                }
                result.push({ ...base, handler: loadHandler(sources.get(fn.urn)!, environment) });
            }
        }
    }
    return result;
}

/** Delivers every pending event to its subscribers, one record per invocation as S3 does, until none are left. */
async function drain(
    s3: LocalS3,
    subs: readonly Subscription[],
    failures: string[],
    quiet: <T>(f: () => Promise<T>) => Promise<T>,
): Promise<number> {
    let invocations = 0;
    for (let records = s3.takeEvents(); records.length > 0; records = s3.takeEvents()) {
        for (const record of records.filter((r: S3EventRecord) => r.eventName?.startsWith("ObjectCreated:"))) {
            for (const sub of subs.filter(
                (s) =>
                    s.bucket === record.s3.bucket.name &&
                    decodeURIComponent(record.s3.object.key).startsWith(s.filterPrefix),
            )) {
                if (!sub.handler) continue;
                invocations++;
                try {
                    await quiet(() => sub.handler!({ Records: [record] }));
                } catch (err) {
                    failures.push(`${sub.functionName}: ${(err as Error).message}`);
                }
            }
        }
    }
    return invocations;
}

/**
 * Compares generated records with what the central layout holds: each generated line must be there
 * exactly as many times as it was generated. Extra lines nobody generated count as duplicates.
 */
export function accountRecords(
    generated: readonly string[],
    central: ReadonlyMap<string, number>,
): { missing: number; duplicated: number } {
    const expected = new Map<string, number>();
    for (const line of generated) expected.set(line, (expected.get(line) ?? 0) + 1);
    let missing = 0;
    let duplicated = 0;
    for (const [line, got] of central) {
        const want = expected.get(line) ?? 0;
        if (got > want) duplicated += got - want;
    }
    for (const [line, want] of expected) {
        const got = central.get(line) ?? 0;
        if (got < want) missing += want - got;
    }
    return { missing, duplicated };
}

async function listKeys(s3: LocalS3, bucket: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
        const page = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
    } while (token);
    return keys;
}

async function getBody(s3: LocalS3, bucket: string, key: string): Promise<Buffer> {
    const object = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
}

export async function runLocalPipeline(
    runs: readonly ProgramRun[],
    options: LocalRunOptions,
): Promise<LocalRunSummary> {
    const log = options.log ?? console.log;
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const resources = runs.filter((r) => r.config["central-waf-logs:role"] === "resource");
    const centralBucket: string = logging.outputs.centralBucketName;
    const buckets = runs.flatMap((r) =>
        r.resources.filter((b) => b.type === "aws:s3/bucket:Bucket").map((b) => b.state.bucket as string),
    );

    // Deployed code of every function, read once from the plan.
    const sources = new Map<string, string>();
    for (const run of runs) {
        for (const fn of run.resources.filter((r) => r.type === "aws:lambda/function:Function")) {
            sources.set(fn.urn, await functionSource(fn));
        }
    }

    // Inside the working directory, so an interrupted run leaves nothing behind once it is removed.
    const s3 = await startLocalS3(buckets, options.workDir);
    const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
        const original = console.log;
        console.log = () => undefined; // The functions' own JSON summaries would drown the progress.
        try {
            return await f();
        } finally {
            console.log = original;
        }
    };
    try {
        log(`Local S3 on ${s3.endpoint} with the ${buckets.length} planned buckets: ${buckets.join(", ")}`);
        const subs = subscriptions(runs, s3, sources, options.openSearchUrl);
        for (const sub of subs) {
            log(
                `  ${sub.bucket}/${sub.filterPrefix}* -> ${sub.functionName}${sub.skipped ? ` (skipped: ${sub.skipped})` : " (deployed __index.js)"}`,
            );
        }

        // Traffic: one location per planned resource stack, written as Firehose writes it.
        const locations = resources.map((r) => ({ accountId: r.outputs.accountId, region: r.outputs.region }));
        const staging = new Map(resources.map((r) => [`${r.outputs.accountId}/${r.outputs.region}`, r]));
        const start = Math.floor((Date.now() - 3 * 3600_000) / 3600_000) * 3600_000;
        const objects = deliveredObjects(
            trafficPlan(locations, options.records, start),
            (l) => staging.get(`${l.accountId}/${l.region}`)!.outputs.firehoseStreamName,
            {
                maxRecordsPerObject: 2000,
            },
        );
        const generated = objects.reduce((n, o) => n + o.lines.length, 0);
        log(
            `\nTraffic: ${generated.toLocaleString("en-US")} records in ${objects.length} GZIP objects for ${locations.map((l) => `${l.accountId}/${l.region}`).join(", ")}`,
        );
        log(
            `  DDoS: ${ATTACKERS.join(", ")} each send ${ATTACK_PER_LOCATION} requests in 4 minutes to ${locations
                .slice(0, 2)
                .map((l) => `${l.accountId}/${l.region}`)
                .join(" and ")}`,
        );

        const failures: string[] = [];
        let written = 0;
        for (const object of objects) {
            const run = staging.get(`${object.location.accountId}/${object.location.region}`)!;
            await s3.client.send(
                new PutObjectCommand({
                    Bucket: run.outputs.stagingBucketName,
                    Key: `logs/${object.hour}/${object.fileName}`,
                    Body: gzipSync(`${object.lines.join("\n")}\n`),
                }),
            );
            await drain(s3, subs, failures, quiet);
            if (++written % 25 === 0 || written === objects.length)
                log(`  delivered ${written}/${objects.length} objects`);
        }

        // Accounting: every generated record exactly once in the central layout.
        const centralKeys = (await listKeys(s3, centralBucket)).filter((k) => parseCentralKey(k));
        const central = path.join(options.workDir, "central");
        const counts = new Map<string, number>();
        for (const key of centralKeys) {
            const body = await getBody(s3, centralBucket, key);
            fs.mkdirSync(path.dirname(path.join(central, key)), { recursive: true });
            fs.writeFileSync(path.join(central, key), body);
            for (const line of gunzipSync(body).toString("utf8").split("\n").filter(Boolean))
                counts.set(line, (counts.get(line) ?? 0) + 1);
        }
        const expected = new Map<string, number>();
        for (const line of objects.flatMap((o: DeliveredObject) => o.lines))
            expected.set(line, (expected.get(line) ?? 0) + 1);
        let missing = 0;
        let duplicated = 0;
        for (const [line, n] of expected) {
            const got = counts.get(line) ?? 0;
            if (got < n) missing += n - got;
            if (got > n) duplicated += got - n;
        }
        const inCentral = [...counts.values()].reduce((a, b) => a + b, 0);
        log(
            `\nDelivery: ${centralKeys.length} objects, ${inCentral.toLocaleString("en-US")} records in the central layout; missing ${missing}, duplicated ${duplicated}`,
        );
        const loader = subs.find((s) => s.functionName.includes("loader"));
        if (loader?.skipped)
            log(`  Indexing into OpenSearch skipped: ${loader.skipped} (set OPENSEARCH_URL to a cluster to index).`);
        else if (loader) log(`  Indexed into ${options.openSearchUrl} by the loader.`);

        // Forensics on the central copy, with the same SQL Athena runs.
        const window = { from_hour: hourOf(start), to_hour: hourOf(start + 3 * 3600_000) };
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
            reportPath = await writeReport(warehouse, path.join(options.workDir, "report.html"), window);
        } finally {
            warehouse.close();
        }
        const found = ATTACKERS.filter(
            (ip) => bursts.some((r) => r.client_ip === ip) && crossAccount.some((r) => r.client_ip === ip),
        );
        log(`\nForensics (DuckDB, queries/*.sql), hours ${window.from_hour} to ${window.to_hour}:`);
        for (const row of bursts)
            log(
                `  burst: ${row.client_ip} ${row.requests_in_5_minutes} requests in 5 minutes from ${row.window_start}`,
            );
        for (const row of crossAccount)
            log(`  cross-account: ${row.client_ip} in ${row.seen_in} (${row.requests} requests)`);
        log(`  HTML report: ${reportPath}`);

        const ok = missing === 0 && duplicated === 0 && failures.length === 0 && found.length === ATTACKERS.length;
        return {
            objectsGenerated: objects.length,
            recordsGenerated: generated,
            objectsCopied: centralKeys.length,
            recordsInCentral: inCentral,
            missing,
            duplicated,
            deliveryFailures: failures,
            attackersInjected: ATTACKERS,
            attackersFound: found,
            bursts,
            crossAccount,
            reportPath,
            ok,
        };
    } finally {
        await s3.close();
    }
}
