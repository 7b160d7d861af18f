/**
 * The response loop as deployed: the detector's and publisher's `__index.js` from the plan, run
 * against dynalite (the planned tables), Athena on DuckDB over a generated central layout, STS
 * whose trust is the planned trust policies, and WAFV2 holding every resource stack's planned IP
 * sets with the planned sync-role policy as IAM. The clock is set per run.
 */
import * as dynamoSdk from "@aws-sdk/client-dynamodb";
import {
    BatchWriteItemCommand,
    DynamoDBClient,
    GetItemCommand,
    QueryCommand,
    ScanCommand,
} from "@aws-sdk/client-dynamodb";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { changeBlocklist } from "../handlers/blocklistChange";
import { dynamoBlocklistStore, fromItem, toItem } from "../handlers/blocklistStore";
import { wafHomeOf } from "../layout";
import { firehoseStreamName } from "../names";
import { parseBlocklistArgs, runBlocklistCommand } from "../tools/cli/blocklist";
import { lambdaContext } from "../tools/local/deployedCode";
import { LocalResponse, startLocalResponse } from "../tools/local/localResponse";
import { ProgramRun } from "../tools/local/mockEngine";
import { deliveredObjects } from "../tools/traffic/traffic";
import { auditTrail as auditTrailOf } from "./support/auditTrail";
import { metricsOf } from "./support/capture";
import { committedRuns, runWith } from "./support/program";
import { ATTACKER_CROSS_ACCOUNT, L1, L3, writeObject, writeScenario } from "./support/scenario";

const at = (hour: number, minute = 0) => Date.UTC(2026, 10, 27, hour, minute);
const MINUTE = 60_000;
const ATTACKER = `${ATTACKER_CROSS_ACCOUNT}/32`;
const SETS = { ipv4: "central-waf-logs-blocklist-ipv4", ipv6: "central-waf-logs-blocklist-ipv6" };
/** The committed resource stacks' locations; the scenario's attacker never reaches ap-southeast-2. */
const L2 = { accountId: "222222222222", region: "ap-southeast-2" };
/** The account's CloudFront web ACLs (resource-global): CLOUDFRONT-scope sets in us-east-1. */
const LG = { accountId: "222222222222", region: "global" };
const LOCATIONS = [L1, L2, L3, LG].map((l) => `${l.accountId}/${l.region}`).sort();
/** Floods one account (L1) only: blocked only where it was seen. */
const ONE_ACCOUNT = "198.51.100.150/32";
/** Writes a flood whose records carry forged times (years ahead), filed under the hour they arrived. */
const FORGED = "198.51.100.160/32";

/** Writes extra flows into the central layout under `root`. */
function addFlows(root: string, flows: Parameters<typeof deliveredObjects>[0]): void {
    for (const object of deliveredObjects(flows, (l) => firehoseStreamName(l.region), { seed: 7 })) {
        writeObject(root, object);
    }
}

/** Writes one blocklist item as another writer would (an older version, a hand edit). */
async function putEntry(local: LocalResponse, fields: Record<string, unknown>): Promise<void> {
    const item = {
        family: "ipv4",
        offenses: 1,
        reason: "test",
        source: "operator",
        seenIn: [],
        firstSeen: at(10, 0),
        lastSeen: at(10, 0),
        updatedBy: "test",
        updatedAt: at(10, 0),
        version: 1,
        ttl: 0,
        ...fields,
    };
    await local.dynamo.client.send(
        new BatchWriteItemCommand({
            RequestItems: { "central-waf-logs-blocklist": [{ PutRequest: { Item: toItem(item) } }] },
        }),
    );
}

/** The audit trail of one range, oldest first. */
const auditTrail = (local: LocalResponse, cidr: string) => auditTrailOf(local.dynamo.client as DynamoDBClient, cidr);

async function entry(local: LocalResponse, cidr: string): Promise<Record<string, any> | undefined> {
    const { Item } = await local.dynamo.client.send(
        new GetItemCommand({ TableName: "central-waf-logs-blocklist", Key: { cidr: { S: cidr } } }),
    );
    return Item && fromItem(Item);
}

const addressesEverywhere = (local: LocalResponse, family: "ipv4" | "ipv6") =>
    Object.fromEntries(
        local.locations.map((l) => [
            `${l.accountId}/${l.region}`,
            local.waf.ipSet(l.accountId, wafHomeOf(l.region).region, SETS[family], wafHomeOf(l.region).scope)!
                .addresses,
        ]),
    );

describe("response loop, as deployed: detector and publisher against the stand-ins", () => {
    let runs: ProgramRun[];
    let root: string;
    let local: LocalResponse;

    before(async () => {
        runs = await committedRuns();
        root = fs.mkdtempSync(path.join(os.tmpdir(), "response-"));
        writeScenario(root);
        // A health checker in the allowlisted range, flooding like an attacker.
        addFlows(root, [
            { clientIp: "192.0.2.99", country: "US", location: L2, startMs: at(10, 31), spanMs: 120_000, count: 1500 },
            // One account's flood: over the threshold in 222222222222/us-east-1 alone.
            {
                clientIp: "198.51.100.150",
                country: "RU",
                location: L1,
                startMs: at(10, 32),
                spanMs: 120_000,
                count: 1500,
            },
        ]);
        // An account's admin forges 3000 records for an address, dated years ahead, into its own prefix.
        for (const object of deliveredObjects(
            [
                {
                    clientIp: "198.51.100.160",
                    country: "US",
                    location: L3,
                    startMs: at(10, 33),
                    spanMs: 60_000,
                    count: 3000,
                },
            ],
            (l) => firehoseStreamName(l.region),
            { seed: 9 },
        )) {
            writeObject(root, {
                ...object,
                lines: object.lines.map((l) => JSON.stringify({ ...JSON.parse(l), timestamp: Date.UTC(2031, 0, 1) })),
            });
        }
        local = await startLocalResponse(runs, root);
    });
    after(async () => {
        await local?.close();
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("blocks a burst found across accounts, skipping the allowlisted flood, and audits who, what, why and when", async () => {
        const { result, metrics } = await metricsOf(() => local.detect(at(10, 40)));
        // The forged records (dated 2031, filed under 10:00) are not counted: no candidate.
        assert.deepStrictEqual(
            [result.added, result.extended, result.allowlisted, result.circuitBreakerTripped, result.candidates],
            [[ATTACKER, ONE_ACCOUNT], [], ["192.0.2.99/32"], false, 3],
        );
        assert.strictEqual(await entry(local, FORGED), undefined);
        assert.strictEqual(result.window, "2026-11-27T10:25:00.000Z..2026-11-27T10:40:00.000Z");
        assert.ok(result.scannedBytes > 0, "the bytes of the searched hours are reported");
        // In the query's order: parameters stand only in WHERE clauses, so the threshold comes twice.
        assert.deepStrictEqual(local.athena.started[0].executionParameters, [
            "'2026/11/27/10'",
            "'2026/11/27/10'",
            "900000",
            "900000",
            "1000",
            String(at(10, 25)),
            "1000",
        ]);
        const stored = (await entry(local, ATTACKER))!;
        assert.deepStrictEqual(
            [
                stored.family,
                stored.source,
                stored.offenses,
                stored.blockedUntil,
                stored.peakRequests,
                stored.query,
                stored.version,
            ],
            ["ipv4", "detector", 1, at(14, 40), 1600, "blocklist-candidates", 1],
        );
        assert.strictEqual(stored.reason, "1600 requests in 5 minutes (threshold 1000)");
        // Two accounts each saw it over threshold / globalMinAccounts (800 > 500): global.
        assert.deepStrictEqual(
            [stored.scope, stored.evidenceAccounts, stored.locations],
            ["global", ["222222222222", "333333333333"], ["222222222222/us-east-1", "333333333333/eu-west-1"]],
        );
        // One account alone: blocked only where it was seen.
        const single = (await entry(local, ONE_ACCOUNT))!;
        assert.deepStrictEqual(
            [single.scope, single.evidenceAccounts, single.locations, single.peakRequests],
            ["local", ["222222222222"], ["222222222222/us-east-1"], 1500],
        );
        const audit = await local.dynamo.client.send(
            new QueryCommand({
                TableName: "central-waf-logs-blocklist-audit",
                KeyConditionExpression: "cidr = :c",
                ExpressionAttributeValues: { ":c": { S: ATTACKER } },
            }),
        );
        assert.deepStrictEqual(
            audit.Items!.map((i) => [i.action.S, i.actor.S, i.reason.S, Number(i.at.N)]),
            [
                [
                    "add",
                    "lambda:central-waf-logs-blocklist-detector",
                    "1600 requests in 5 minutes (threshold 1000)",
                    at(10, 40),
                ],
            ],
        );
        assert.deepStrictEqual(
            metrics.map((m) => [m.CircuitBreakerTripped, m.BlocklistAdded, m.BurstCandidates]),
            [[0, 2, 3]],
        );
    });

    it("writes a global entry into every account's and Region's IP set, including one the attacker never reached, and a local one only where it was seen", async () => {
        const { result, metrics } = await metricsOf(() => local.publish(at(10, 41)));
        assert.deepStrictEqual(
            result.targets.map((t: any) => [t.target, t.status]),
            LOCATIONS.map((l) => [l, "synced"]),
        );
        assert.deepStrictEqual(addressesEverywhere(local, "ipv4"), {
            "222222222222/ap-southeast-2": [ATTACKER],
            "222222222222/global": [ATTACKER],
            "222222222222/us-east-1": [ONE_ACCOUNT, ATTACKER],
            "333333333333/eu-west-1": [ATTACKER],
        });
        assert.deepStrictEqual(addressesEverywhere(local, "ipv6"), Object.fromEntries(LOCATIONS.map((l) => [l, []])));
        // Each target was written by its own applier, invoked with the sync role assumed from the publisher's role.
        // The global applier and the us-east-1 one share WAF's update rate of 222222222222 in us-east-1:
        // one may be throttled and retry (its own backoff). Only there, and each set is written in the end.
        const throttled = local.waf.calls.filter(
            (c) => c.operation === "UpdateIPSet" && c.outcome === "ThrottlingException",
        );
        assert.ok(
            throttled.every((c) => c.accountId === "222222222222" && c.region === "us-east-1"),
            JSON.stringify(throttled),
        );
        const updates = local.waf.calls.filter(
            (c) => c.operation === "UpdateIPSet" && c.outcome !== "ThrottlingException",
        );
        assert.deepStrictEqual(
            updates.map((c) => [c.accountId, c.region, c.principalArn?.split("/")[1], c.outcome]).sort(),
            [
                ["222222222222", "ap-southeast-2", "central-waf-logs-blocklist-applier-ap-southeast-2", "ok"],
                // The CloudFront sets: WAFV2 in us-east-1, scope CLOUDFRONT, written by the global applier.
                ["222222222222", "us-east-1", "central-waf-logs-blocklist-applier-global", "ok"],
                ["222222222222", "us-east-1", "central-waf-logs-blocklist-applier-us-east-1", "ok"],
                ["333333333333", "eu-west-1", "central-waf-logs-blocklist-applier-eu-west-1", "ok"],
            ],
        );
        assert.deepStrictEqual(
            local.lambda.attempts.map((a) => [a.functionName, a.outcome]).sort(),
            LOCATIONS.map((l) => [`central-waf-logs-blocklist-applier-${l.split("/")[1]}`, "success"]).sort(),
        );
        assert.deepStrictEqual(
            metrics
                .filter((m) => m.TargetAccount)
                .map((m) => [m.TargetAccount, m.TargetRegion, m.BlocklistSyncFailures])
                .sort(),
            LOCATIONS.map((l) => [...l.split("/"), 0]),
        );
        // A second run finds nothing to change and writes nothing.
        const before = local.waf.calls.length;
        await metricsOf(() => local.publish(at(10, 42)));
        assert.deepStrictEqual(
            local.waf.calls.slice(before).filter((c) => c.operation === "UpdateIPSet"),
            [],
        );
    });

    it("extends an active block instead of adding it twice", async () => {
        const { result } = await metricsOf(() => local.detect(at(10, 42)));
        assert.deepStrictEqual([result.added, result.extended], [[], [ATTACKER, ONE_ACCOUNT]]);
        const stored = (await entry(local, ATTACKER))!;
        assert.deepStrictEqual([stored.version, stored.offenses, stored.blockedUntil], [2, 1, at(14, 42)]);
    });

    it("re-reads and retries when another writer changed an IP set between read and update", async () => {
        await putEntry(local, { cidr: "2001:db8::66/128", family: "ipv6", blockedUntil: at(12, 0) });
        local.waf.bumpLockBeforeNextUpdate(L3.accountId, L3.region, SETS.ipv6, ["2001:db8::bad/128"]);
        const { result } = await metricsOf(() => local.publish(at(10, 43)));
        assert.ok(
            result.targets.every((t: any) => t.status === "synced"),
            JSON.stringify(result.targets),
        );
        assert.deepStrictEqual(
            addressesEverywhere(local, "ipv6"),
            Object.fromEntries(LOCATIONS.map((l) => [l, ["2001:db8::66/128"]])),
        );
        // The conflict was met (once, or again if a throttled retry raced it) and only on that set.
        const conflicts = local.waf.calls.filter((c) => c.outcome === "WAFOptimisticLockException");
        assert.ok(conflicts.length >= 1, "the injected conflict was met");
        assert.deepStrictEqual(
            [...new Set(conflicts.map((c) => `${c.accountId}/${c.region}/${c.ipSetName}`))],
            [`${L3.accountId}/${L3.region}/${SETS.ipv6}`],
        );
    });

    it("keeps syncing the other accounts and Regions when one fails, and reports the failed one", async () => {
        local.waf.failRegion(L2.accountId, L2.region, {
            status: 400,
            errorName: "AccessDeniedException",
            message: "User is not authorized to perform: wafv2:GetIPSet",
        });
        try {
            const { result, metrics } = await metricsOf(() => local.publish(at(12, 1)));
            // The IPv6 entry expired at 12:00: every healthy target drops it.
            assert.deepStrictEqual(
                result.targets.map((t: any) => [t.target, t.status]),
                [
                    ["222222222222/ap-southeast-2", "failed"],
                    ["222222222222/global", "synced"],
                    ["222222222222/us-east-1", "synced"],
                    ["333333333333/eu-west-1", "synced"],
                ],
            );
            // The applier there failed, and said why.
            assert.match(
                result.targets[0].error,
                /^ApplierFailed: the applier arn:aws:lambda:ap-southeast-2:222222222222:function:central-waf-logs-blocklist-applier-ap-southeast-2 failed: AccessDeniedException: /,
            );
            assert.deepStrictEqual(local.waf.ipSet(L1.accountId, L1.region, SETS.ipv6)!.addresses, []);
            assert.deepStrictEqual(local.waf.ipSet(L2.accountId, L2.region, SETS.ipv6)!.addresses, [
                "2001:db8::66/128",
            ]);
            const failed = metrics.find((m) => m.TargetRegion === L2.region && m.TargetAccount === L2.accountId);
            assert.strictEqual(failed.BlocklistSyncFailures, 1);
            assert.deepStrictEqual(failed._aws.CloudWatchMetrics[0].Dimensions, [["TargetAccount", "TargetRegion"]]);
        } finally {
            local.waf.failRegion(L2.accountId, L2.region, undefined);
        }
        // The next (scheduled) run heals it: full-state sync.
        await metricsOf(() => local.publish(at(12, 6)));
        assert.deepStrictEqual(local.waf.ipSet(L2.accountId, L2.region, SETS.ipv6)!.addresses, []);
    });

    it("releases an expired block everywhere, and blocks a returning attacker twice as long", async () => {
        await metricsOf(() => local.publish(at(14, 43)));
        assert.deepStrictEqual(addressesEverywhere(local, "ipv4"), Object.fromEntries(LOCATIONS.map((l) => [l, []])));
        assert.deepStrictEqual(addressesEverywhere(local, "ipv4"), Object.fromEntries(LOCATIONS.map((l) => [l, []])));
        // The attacker returns after the block ended.
        addFlows(root, [
            {
                clientIp: ATTACKER_CROSS_ACCOUNT,
                country: "CN",
                location: L2,
                startMs: at(15, 0),
                spanMs: 200_000,
                count: 1200,
            },
        ]);
        const { result } = await metricsOf(() => local.detect(at(15, 10)));
        assert.deepStrictEqual(result.added, [ATTACKER]);
        const stored = (await entry(local, ATTACKER))!;
        assert.deepStrictEqual([stored.offenses, stored.blockedUntil], [2, at(15, 10) + 480 * MINUTE]);
        assert.match(stored.reason, /offense 2 within 30 days$/);
        // This time only one account saw it: a new block is judged on its own evidence, so it is local.
        assert.deepStrictEqual([stored.scope, stored.locations], ["local", ["222222222222/ap-southeast-2"]]);
        await metricsOf(() => local.publish(at(15, 11)));
        assert.deepStrictEqual(addressesEverywhere(local, "ipv4"), {
            "222222222222/ap-southeast-2": [ATTACKER],
            "222222222222/global": [],
            "222222222222/us-east-1": [],
            "333333333333/eu-west-1": [],
        });
    });

    it("fills a full IP set by evidence, not by a time an account wrote: forged future lastSeen cannot push real attackers out", async () => {
        const now = at(16, 0);
        const items = Array.from({ length: 10_003 }, (_, i) => ({
            cidr: `11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`,
            family: "ipv4",
            blockedUntil: now + 60 * MINUTE,
            offenses: 1,
            reason: "overflow test",
            source: "detector",
            // The first four: barely over the threshold, seen by one account, and dated years ahead.
            peakRequests: i < 4 ? 1001 : 5000,
            seenIn: ["222222222222/us-east-1"],
            scope: "global",
            evidenceAccounts: i < 4 ? ["222222222222"] : ["222222222222", "333333333333"],
            locations: ["222222222222/us-east-1"],
            firstSeen: now - 1000,
            lastSeen: i < 4 ? Date.UTC(2031, 0, 1) : at(12, 0) + i,
            updatedBy: "test",
            updatedAt: now,
            version: 1,
            ttl: 0,
        }));
        for (let i = 0; i < items.length; i += 25) {
            await local.dynamo.client.send(
                new BatchWriteItemCommand({
                    RequestItems: {
                        "central-waf-logs-blocklist": items
                            .slice(i, i + 25)
                            .map((item) => ({ PutRequest: { Item: toItem(item) } })),
                    },
                }),
            );
        }
        const { result, metrics } = await metricsOf(() => local.publish(now));
        assert.deepStrictEqual([result.ipv4, result.overflow], [10_000, { ipv4: 4, ipv6: 0 }]);
        // 222222222222/ap-southeast-2 holds the 10,003 global entries and the attacker's local one.
        const set = local.waf.ipSet(L2.accountId, L2.region, SETS.ipv4)!.addresses;
        assert.strictEqual(set.length, 10_000);
        for (const forged of ["11.0.0.0/32", "11.0.0.1/32", "11.0.0.2/32", "11.0.0.3/32"]) {
            assert.ok(!set.includes(forged), forged);
        }
        assert.ok(set.includes(ATTACKER), "the real attacker (1600 requests at its peak) stays");
        assert.deepStrictEqual(
            result.targets.map((t: any) => [t.target, t.ipv4]),
            LOCATIONS.map((l) => [l, 10_000]),
        );
        assert.strictEqual(metrics.find((m) => m.BlocklistOverflow !== undefined).BlocklistOverflow, 4);
    });
});

describe("response loop, as deployed: the detector's and publisher's guards", () => {
    let local: LocalResponse;
    let root: string;
    const OTHERS = ["198.51.100.201/32", "198.51.100.202/32"];
    /** A row as the candidates query returns it (Athena answers every value as text). */
    const row = (clientIp: string | null, over: Record<string, string | null> = {}) => ({
        client_ip: clientIp,
        requests_in_5_minutes: "1700",
        window_start_ms: String(at(10, 40)),
        first_seen_ms: String(at(10, 40)),
        last_seen_ms: String(at(10, 43)),
        requests: "1700",
        seen_in: "222222222222/us-east-1,333333333333/eu-west-1",
        // Two accounts, each over threshold / 2 (250) on its own: global unless a test says otherwise.
        evidence: "222222222222:900,333333333333:800",
        ...over,
    });
    const COLUMNS = Object.keys(row(""));
    const answer = (rows: Record<string, string | null>[], columns = COLUMNS) =>
        local.athena.answerWith({ rows, columns });
    const cidrs = async () =>
        (await local.dynamo.client.send(new ScanCommand({ TableName: "central-waf-logs-blocklist" })))
            .Items!.map((i) => i.cidr.S!)
            .sort();

    before(async () => {
        const logging = await runWith("logging", {
            configOverrides: {
                "central-waf-logs:response": JSON.stringify({
                    mode: "block",
                    threshold: 500,
                    lookbackMinutes: 20,
                    maxNewEntriesPerRun: 1,
                    allowlist: ["::ffff:192.0.2.0/120"],
                    trustedEvidenceAccounts: ["333333333333"],
                }),
            },
        });
        const resources = (await committedRuns()).filter((r) => r.stack !== "logging");
        root = fs.mkdtempSync(path.join(os.tmpdir(), "guards-"));
        writeScenario(root);
        local = await startLocalResponse([logging, ...resources], root);
    });
    afterEach(() => {
        local.athena.answerWith(undefined);
        local.athena.holdWhen(undefined);
    });
    after(async () => {
        await local?.close();
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("blocks the cap's worth of the busiest new entries when one run would add more than allowed, refuses the rest, and alarms", async () => {
        const { result, metrics, logs } = await metricsOf(() => local.detect(at(10, 46)));
        assert.deepStrictEqual(
            [result.circuitBreakerTripped, result.refusedNew, result.added, result.extended, result.candidates],
            [true, 1, [ATTACKER], [], 2],
        );
        assert.deepStrictEqual(await cidrs(), [ATTACKER]);
        assert.deepStrictEqual(
            metrics.map((m) => [m.CircuitBreakerTripped, m.BlocklistAdded, m.BlocklistExtended]),
            [[1, 1, 0]],
        );
        assert.deepStrictEqual(
            logs.map((l) => JSON.parse(l)).map((l) => [l.msg, l.newEntries, l.sample]),
            [
                [
                    "detector circuit breaker tripped: the busiest new entries written up to the cap, the rest refused, active blocks extended",
                    2,
                    ["203.0.113.20/32"],
                ],
            ],
        );
    });

    it("still extends active blocks when the breaker trips (they do not grow the blocked set), and audits the new evidence", async () => {
        await putEntry(local, {
            cidr: ATTACKER,
            reason: "seen in the forensics report",
            source: "operator",
            blockedUntil: at(11, 0),
        });
        answer([row(ATTACKER_CROSS_ACCOUNT), row(OTHERS[0].split("/")[0]), row(OTHERS[1].split("/")[0])]);
        const { result, metrics, logs } = await metricsOf(() => local.detect(at(10, 47)));
        assert.deepStrictEqual(
            [result.circuitBreakerTripped, result.refusedNew, result.added, result.extended],
            [true, 1, [OTHERS[0]], [ATTACKER]],
        );
        assert.deepStrictEqual(await cidrs(), [OTHERS[0], ATTACKER]);
        const stored = (await entry(local, ATTACKER))!;
        // The operator's reason stays on the entry; the audit record says why it was extended.
        assert.deepStrictEqual(
            [stored.blockedUntil, stored.version, stored.reason, stored.peakRequests],
            [at(10, 47) + 240 * MINUTE, 2, "seen in the forensics report", 1700],
        );
        assert.deepStrictEqual(
            (await auditTrail(local, ATTACKER)).map((r) => [r.action, r.reason]),
            [
                // Blocked by the previous run (the busiest of its two new entries).
                ["add", "1600 requests in 5 minutes (threshold 500)"],
                [
                    "extend",
                    "1700 requests in 5 minutes (threshold 500) in 2026-11-27T10:27:00.000Z..2026-11-27T10:47:00.000Z; blocked until 2026-11-27T14:47:00.000Z",
                ],
            ],
        );
        assert.deepStrictEqual(
            metrics.map((m) => [m.CircuitBreakerTripped, m.BlocklistAdded, m.BlocklistExtended]),
            [[1, 1, 1]],
        );
        assert.deepStrictEqual(
            logs.map((l) => JSON.parse(l)).map((l) => [l.msg, l.newEntries, l.sample]),
            [
                [
                    "detector circuit breaker tripped: the busiest new entries written up to the cap, the rest refused, active blocks extended",
                    2,
                    [OTHERS[1]],
                ],
            ],
        );
    });

    it("starts a range over at offense 1 when it returns after an operator released it as a false positive", async () => {
        const store = dynamoBlocklistStore(dynamoSdk, local.dynamo.client as DynamoDBClient, {
            blocklist: "central-waf-logs-blocklist",
            audit: "central-waf-logs-blocklist-audit",
        });
        await runBlocklistCommand(
            parseBlocklistArgs(["remove", ATTACKER, "--reason", "our load test", "--minutes", "5"]),
            {
                store,
                change: (request) =>
                    changeBlocklist(request, {
                        store,
                        actor: "arn:aws:sts::111111111111:assumed-role/security-admin/alice",
                        now: at(10, 50),
                        policy: { blockMinutes: 240, maxBlockMinutes: 10_080, repeatWindowDays: 30, allowlist: [] },
                    }),
                now: () => at(10, 50),
                out: () => undefined,
            },
        );
        answer([row(ATTACKER_CROSS_ACCOUNT, { first_seen_ms: String(at(10, 55)), last_seen_ms: String(at(10, 58)) })]);
        const { result } = await metricsOf(() => local.detect(at(11, 0)));
        assert.deepStrictEqual(result.added, [ATTACKER]);
        const stored = (await entry(local, ATTACKER))!;
        assert.deepStrictEqual(
            [stored.offenses, stored.blockedUntil, stored.reason],
            [1, at(11, 0) + 240 * MINUTE, "1700 requests in 5 minutes (threshold 500)"],
        );
    });

    it("checks every row before writing: unusable rows are skipped with the column and why, the others are blocked", async () => {
        const before = await cidrs();
        answer([
            row("203.0.113.40", { requests_in_5_minutes: "abc" }),
            row("203.0.113.41"),
            row("1.0.0.0/8"),
            row("fe80::1%eth0"),
            row("198.051.100.007"),
            row("203.0.113.42", { requests_in_5_minutes: "10" }),
            row("203.0.113.43", { first_seen_ms: null, last_seen_ms: "later" }),
            row("::FFFF:203.0.113.41", { requests_in_5_minutes: "2100", last_seen_ms: String(at(10, 44)) }),
            row("203.0.113.45", { requests_in_5_minutes: "1e+300" }),
            row("::ffff:192.0.2.7"),
            row(null),
        ]);
        const { result, metrics, logs } = await metricsOf(() => local.detect(at(11, 5)));
        assert.deepStrictEqual(
            [result.candidates, result.unusable, result.added, result.allowlisted, result.circuitBreakerTripped],
            [11, 8, ["203.0.113.41/32"], ["192.0.2.7/32"], false],
        );
        assert.deepStrictEqual(result.unusableReasons, [
            'row 1 (client_ip "203.0.113.40"): requests_in_5_minutes "abc" is not a whole number',
            'row 3 (client_ip "1.0.0.0/8"): client_ip: "1.0.0.0/8" is a CIDR range; a client IP is a single address',
            'row 4 (client_ip "fe80::1%eth0"): client_ip: "fe80::1%eth0" has a zone ID ("%eth0"), which only means something on one host; write the address without it (fe80::1)',
            'row 5 (client_ip "198.051.100.007"): client_ip: "198.051.100.007" is not an IP address or CIDR range: write IPv4 as four decimal numbers from 0 to 255 separated by dots, without leading zeros (e.g. 203.0.113.7)',
            'row 6 (client_ip "203.0.113.42"): requests_in_5_minutes 10 is not above the threshold 500',
            'row 7 (client_ip "203.0.113.43"): first_seen_ms is empty; last_seen_ms "later" is not a time in epoch milliseconds',
            'row 9 (client_ip "203.0.113.45"): requests_in_5_minutes "1e+300" is not a whole number',
            "row 11: client_ip is empty",
        ]);
        // The IPv4-mapped row is the same client: one entry, with the larger peak and the later time.
        assert.deepStrictEqual(await cidrs(), [...before, "203.0.113.41/32"].sort());
        const stored = (await entry(local, "203.0.113.41/32"))!;
        assert.deepStrictEqual([stored.peakRequests, stored.lastSeen], [2100, at(10, 44)]);
        assert.strictEqual(metrics[0].BurstRowsUnusable, 8);
        assert.deepStrictEqual(JSON.parse(logs[0]).unusableReasons, result.unusableReasons);
    });

    it("fails naming the column when the query and the detector disagree, and writes nothing", async () => {
        const before = await cidrs();
        const id = `q-${local.athena.started.length + 1}`;
        const renamed = COLUMNS.map((c) => (c === "requests_in_5_minutes" ? "peak" : c));
        answer([{ ...row("203.0.113.50"), peak: "1700" }], renamed);
        await assert.rejects(
            metricsOf(() => local.detect(at(11, 6))),
            {
                message: `Query blocklist-candidates (execution ${id}) returned no column requests_in_5_minutes; its columns are client_ip, peak, window_start_ms, first_seen_ms, last_seen_ms, requests, seen_in, evidence, and the detector reads client_ip, requests_in_5_minutes, first_seen_ms, last_seen_ms, seen_in, evidence. Fix: deploy the named query and the detector from the same version; nothing was written.`,
            },
        );
        assert.deepStrictEqual(await cidrs(), before);
    });

    it("stops a query still running at its invocation's deadline and fails as Transient, before Lambda's timeout", async () => {
        local.athena.holdWhen(/blocklist-candidates/);
        // Lambda's clock, driven by the test: 300 s at the start (a 30 s margin), then 20 s left.
        const remaining = [300_000];
        const context = lambdaContext(() => remaining.shift() ?? 20_000);
        const calls = local.athena.calls.length;
        const id = `q-${local.athena.started.length + 1}`;
        await assert.rejects(
            metricsOf(() => local.detect(at(11, 7), context)),
            {
                message: `Transient: Athena query ${id} was still RUNNING with 0.0 s of the invocation's time left; it was stopped (StopQueryExecution) so that it scans no further. Nothing was written; the next scheduled run searches the window again.`,
            },
        );
        assert.deepStrictEqual(local.athena.calls.slice(calls), [
            "StartQueryExecution",
            "GetQueryExecution",
            "StopQueryExecution",
        ]);
    });

    it("leaves an entry AWS WAF would refuse out of every IP set, counts it, and syncs the rest", async () => {
        await putEntry(local, { cidr: "fe80::1%eth0/128", family: "ipv6", blockedUntil: at(12, 0) });
        await putEntry(local, { cidr: "198.051.100.007/32", blockedUntil: at(12, 0) });
        await putEntry(local, { cidr: "2001:db8::77/128", family: "ipv6", blockedUntil: at(12, 0) });
        const { result, metrics, logs } = await metricsOf(() => local.publish(at(11, 8)));
        assert.deepStrictEqual(
            result.targets.map((t: any) => [t.target, t.status]),
            LOCATIONS.map((l) => [l, "synced"]),
        );
        assert.deepStrictEqual(result.skipped, [
            {
                cidr: "198.051.100.007/32",
                problem:
                    '"198.051.100.007/32" is not an IP address or CIDR range: write IPv4 as four decimal numbers from 0 to 255 separated by dots, without leading zeros (e.g. 203.0.113.7)',
            },
            {
                cidr: "fe80::1%eth0/128",
                problem:
                    '"fe80::1%eth0/128" has a zone ID ("%eth0"), which only means something on one host; write the address without it (fe80::1/128)',
            },
        ]);
        assert.deepStrictEqual(
            addressesEverywhere(local, "ipv6"),
            Object.fromEntries(LOCATIONS.map((l) => [l, ["2001:db8::77/128"]])),
        );
        assert.deepStrictEqual(
            addressesEverywhere(local, "ipv4"),
            Object.fromEntries(LOCATIONS.map((l) => [l, ["198.51.100.201/32", "203.0.113.10/32", "203.0.113.41/32"]])),
        );
        assert.strictEqual(metrics.find((m) => m.BlocklistEntriesSkipped !== undefined).BlocklistEntriesSkipped, 2);
        assert.deepStrictEqual(
            logs
                .map((l) => JSON.parse(l))
                .filter((l) => l.msg.startsWith("publisher skipped"))
                .map((l) => l.cidr),
            ["198.051.100.007/32", "fe80::1%eth0/128"],
        );
    });

    it("blocks on a trusted account's evidence everywhere, and on one ordinary account's only where it was seen", async () => {
        answer([row("198.51.100.170", { seen_in: "333333333333/eu-west-1", evidence: "333333333333:700" })]);
        assert.deepStrictEqual((await metricsOf(() => local.detect(at(11, 10)))).result.added, ["198.51.100.170/32"]);
        answer([
            row("198.51.100.171", {
                seen_in: "222222222222/ap-southeast-2,222222222222/us-east-1,333333333333/eu-west-1",
                // 333333333333 saw it too, but only twice: its handful is no evidence.
                evidence: "222222222222:1698,333333333333:2",
            }),
        ]);
        assert.deepStrictEqual((await metricsOf(() => local.detect(at(11, 11)))).result.added, ["198.51.100.171/32"]);
        assert.deepStrictEqual(
            [(await entry(local, "198.51.100.170/32"))!.scope, (await entry(local, "198.51.100.171/32"))!.locations],
            ["global", ["222222222222/ap-southeast-2", "222222222222/us-east-1"]],
        );
        await metricsOf(() => local.publish(at(11, 12)));
        const sets = addressesEverywhere(local, "ipv4");
        assert.deepStrictEqual(
            Object.entries(sets)
                .map(([l, ips]) => [l, ips.includes("198.51.100.170/32"), ips.includes("198.51.100.171/32")])
                .sort(),
            [
                ["222222222222/ap-southeast-2", true, true],
                // The global (CloudFront) location saw neither: only the trusted account's evidence counts there.
                ["222222222222/global", true, false],
                ["222222222222/us-east-1", true, true],
                ["333333333333/eu-west-1", true, false],
            ].sort(),
        );
    });

    it("never blocks address space that is not globally reachable: the detector refuses it, the publisher leaves it out", async () => {
        const special = ["10.0.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1", "::"];
        const before = await cidrs();
        answer(special.map((ip) => row(ip)));
        const { result } = await metricsOf(() => local.detect(at(11, 13)));
        assert.deepStrictEqual([result.added, result.circuitBreakerTripped], [[], false]);
        assert.deepStrictEqual(result.notReachable, [
            "10.0.0.1/32 (10.0.0.0/8 Private-Use (RFC 1918))",
            "100.64.0.1/32 (100.64.0.0/10 Shared Address Space (RFC 6598))",
            "127.0.0.1/32 (127.0.0.0/8 Loopback (RFC 1122))",
            "169.254.169.254/32 (169.254.0.0/16 Link Local (RFC 3927))",
            "192.168.1.1/32 (192.168.0.0/16 Private-Use (RFC 1918))",
            "::/128 (::/128 Unspecified Address (RFC 4291))",
        ]);
        assert.deepStrictEqual(await cidrs(), before);
        // Written by hand past the detector and the CLI: the publisher still keeps them out of every set.
        for (const ip of special) {
            const family = ip.includes(":") ? "ipv6" : "ipv4";
            await putEntry(local, { cidr: `${ip}/${family === "ipv6" ? 128 : 32}`, family, blockedUntil: at(12, 0) });
        }
        const { result: published, metrics } = await metricsOf(() => local.publish(at(11, 14)));
        assert.deepStrictEqual(
            published.notReachable.map((n: any) => n.cidr),
            ["::/128", "10.0.0.1/32", "100.64.0.1/32", "127.0.0.1/32", "169.254.169.254/32", "192.168.1.1/32"],
        );
        for (const ips of [
            ...Object.values(addressesEverywhere(local, "ipv4")),
            ...Object.values(addressesEverywhere(local, "ipv6")),
        ]) {
            assert.deepStrictEqual(
                ips.filter((ip) => special.some((s) => ip.startsWith(`${s}/`))),
                [],
            );
        }
        // Counted with the malformed entries written earlier (two): the skipped-entries alarm fires.
        assert.strictEqual(metrics.find((m) => m.BlocklistSyncRuns !== undefined).BlocklistEntriesSkipped, 8);
    });

    it("handles each entry on its own: a stored item with a wrong type is reported and skipped, the others are written", async () => {
        await putEntry(local, { cidr: "198.51.100.180/32", version: "3", blockedUntil: at(12, 0) });
        answer([row("198.51.100.180"), row("198.51.100.181")]);
        await assert.rejects(
            metricsOf(() => local.detect(at(11, 15))),
            {
                message:
                    'Detector could not handle 1 of 2 detections (the others were written): 198.51.100.180/32: MalformedEntryError: Blocklist item 198.51.100.180/32 is malformed (version "3" is not a number); it is left as it is. Fix: correct or delete the item in the blocklist table.',
            },
        );
        assert.deepStrictEqual(
            [(await entry(local, "198.51.100.181/32"))?.version, (await auditTrail(local, "198.51.100.181/32")).length],
            [1, 1],
        );
        assert.strictEqual((await entry(local, "198.51.100.180/32"))!.version, "3");
        // The publisher reports it and syncs the rest.
        const { result } = await metricsOf(() => local.publish(at(11, 16)));
        assert.deepStrictEqual(
            result.skipped.filter((s: any) => s.cidr === "198.51.100.180/32"),
            [{ cidr: "198.51.100.180/32", problem: 'version "3" is not a number' }],
        );
        assert.ok(result.targets.every((t: any) => t.status === "synced"));
        assert.ok(addressesEverywhere(local, "ipv4")[LOCATIONS[0]].includes("198.51.100.181/32"));
    });

    it("never writes a block without its audit record: when the audit write fails, neither is written", async () => {
        local.dynamo.failWritesTo("central-waf-logs-blocklist-audit");
        try {
            answer([row("198.51.100.185")]);
            await assert.rejects(
                metricsOf(() => local.detect(at(11, 17))),
                (err: Error) => {
                    assert.match(
                        err.message,
                        /^Detector could not handle 1 of 1 detections .*198\.51\.100\.185\/32: TransactionCanceledException: Transaction cancelled, please refer cancellation reasons for specific reasons \[None, ThrottlingError\]$/,
                    );
                    return true;
                },
            );
            assert.deepStrictEqual(
                [await entry(local, "198.51.100.185/32"), await auditTrail(local, "198.51.100.185/32")],
                [undefined, []],
            );
        } finally {
            local.dynamo.failWritesTo(undefined);
        }
        // The next run writes both.
        const { result } = await metricsOf(() => local.detect(at(11, 18)));
        assert.deepStrictEqual(result.added, ["198.51.100.185/32"]);
        assert.deepStrictEqual(
            (await auditTrail(local, "198.51.100.185/32")).map((r) => r.action),
            ["add"],
        );
    });

    it("holds a botnet over the cap by blocking its busiest members first", async () => {
        answer([
            row("198.51.100.190", { requests_in_5_minutes: "900" }),
            row("198.51.100.191", { requests_in_5_minutes: "2000" }),
            row("198.51.100.192", { requests_in_5_minutes: "1500" }),
            row("198.51.100.193", { requests_in_5_minutes: "700" }),
        ]);
        const { result, metrics, logs } = await metricsOf(() => local.detect(at(11, 19)));
        assert.deepStrictEqual(
            [result.added, result.refusedNew, result.circuitBreakerTripped],
            [["198.51.100.191/32"], 3, true],
        );
        assert.deepStrictEqual(JSON.parse(logs[0]).sample, [
            "198.51.100.192/32",
            "198.51.100.190/32",
            "198.51.100.193/32",
        ]);
        assert.strictEqual(metrics[0].CircuitBreakerTripped, 1);
    });
});

describe("response loop, as deployed: prefix aggregation", () => {
    let local: LocalResponse;
    let root: string;
    /** A row as the candidates query returns it: two accounts, each over threshold / 2, so global. */
    const row = (clientIp: string, requests = 600) => ({
        client_ip: clientIp,
        requests_in_5_minutes: String(requests),
        first_seen_ms: String(at(10, 40)),
        last_seen_ms: String(at(10, 43)),
        seen_in: "222222222222/us-east-1,333333333333/eu-west-1",
        evidence: `222222222222:${requests},333333333333:${requests}`,
    });
    const hosts = (prefix: string, count: number, sep = ".") =>
        Array.from({ length: count }, (_, i) => `${prefix}${sep}${i + 1}`);
    const answer = (rows: Record<string, string>[]) => local.athena.answerWith({ rows, columns: Object.keys(row("")) });
    const stored = async () =>
        (await local.dynamo.client.send(new ScanCommand({ TableName: "central-waf-logs-blocklist" })))
            .Items!.map((i) => i.cidr.S!)
            .sort();

    before(async () => {
        const logging = await runWith("logging", {
            configOverrides: {
                "central-waf-logs:response": JSON.stringify({
                    mode: "block",
                    threshold: 500,
                    lookbackMinutes: 20,
                    maxNewEntriesPerRun: 4,
                    aggregatePrefixMinAddresses: 4,
                    // A documentation address named by the allowlist: its /24 is never one entry.
                    allowlist: ["198.51.100.77/32"],
                }),
            },
        });
        const resources = (await committedRuns()).filter((r) => r.stack !== "logging");
        root = fs.mkdtempSync(path.join(os.tmpdir(), "aggregate-"));
        writeScenario(root);
        local = await startLocalResponse([logging, ...resources], root);
    });
    afterEach(() => local.athena.answerWith(undefined));
    after(async () => {
        await local?.close();
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("blocks a botnet in a few prefixes with one entry each, within the cap, never over a protected address, and every applier takes them", async () => {
        answer([
            ...hosts("203.0.113", 20).map((ip) => row(ip)),
            ...hosts("45.33.32", 20).map((ip) => row(ip)),
            ...hosts("2001:db8:1:2:", 8, ":").map((ip) => row(ip)),
            // Next to an allowlisted address, next to the canary (192.0.2.250), in shared address space.
            ...hosts("198.51.100.10", 5, "").map((ip) => row(ip, 550)),
            ...hosts("192.0.2", 5).map((ip) => row(ip, 520)),
            ...hosts("100.64.0", 5).map((ip) => row(ip)),
        ]);
        const { result, metrics } = await metricsOf(() => local.detect(at(10, 46)));
        // Three prefixes and the busiest single: four new entries, the cap; the other singles refused.
        assert.deepStrictEqual(
            [result.added.sort(), result.aggregated.sort(), result.circuitBreakerTripped, result.refusedNew],
            [
                ["198.51.100.101/32", "2001:db8:1:2::/64", "203.0.113.0/24", "45.33.32.0/24"],
                ["2001:db8:1:2::/64 (8 addresses)", "203.0.113.0/24 (20 addresses)", "45.33.32.0/24 (20 addresses)"],
                true,
                9,
            ],
        );
        assert.strictEqual(result.notReachable.length, 5);
        assert.deepStrictEqual(await stored(), [
            "198.51.100.101/32",
            "2001:db8:1:2::/64",
            "203.0.113.0/24",
            "45.33.32.0/24",
        ]);
        const prefix = (await entry(local, "203.0.113.0/24"))!;
        assert.deepStrictEqual(
            [prefix.peakRequests, prefix.scope, prefix.evidenceAccounts, prefix.reason],
            [
                12_000,
                "global",
                ["222222222222", "333333333333"],
                "20 addresses over the threshold, 12000 requests in their busiest 5 minutes together (threshold 500 each)",
            ],
        );
        assert.deepStrictEqual(
            metrics.map((m) => m.BlocklistAdded),
            [4],
        );

        // The resource accounts' appliers take /24 and /64 with their default limits (/24, /48).
        const { result: published } = await metricsOf(() => local.publish(at(10, 47)));
        assert.ok(
            published.targets.every((t: any) => t.status === "synced"),
            JSON.stringify(published.targets),
        );
        for (const ips of Object.values(addressesEverywhere(local, "ipv4"))) {
            assert.deepStrictEqual(ips, ["198.51.100.101/32", "203.0.113.0/24", "45.33.32.0/24"]);
        }
        for (const ips of Object.values(addressesEverywhere(local, "ipv6"))) {
            assert.deepStrictEqual(ips, ["2001:db8:1:2::/64"]);
        }
    });

    it("extends an active prefix through any address inside it, however few, and adds none of them", async () => {
        answer([row("203.0.113.200", 700), row("203.0.113.201", 650)]);
        const { result } = await metricsOf(() => local.detect(at(11, 0)));
        assert.deepStrictEqual(
            [result.added, result.extended, result.aggregated],
            [[], ["203.0.113.0/24"], ["203.0.113.0/24 (2 addresses)"]],
        );
        assert.deepStrictEqual((await entry(local, "203.0.113.0/24"))!.blockedUntil, at(15, 0));
        assert.deepStrictEqual(
            (await auditTrail(local, "203.0.113.0/24")).map((r) => r.action),
            ["add", "extend"],
        );
    });
});
