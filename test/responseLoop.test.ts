/**
 * The response loop as deployed: the detector's and publisher's `__index.js` from the plan, run
 * against dynalite (the planned tables), Athena on DuckDB over a generated central layout, STS
 * whose trust is the planned trust policies, and WAFV2 holding every resource stack's planned IP
 * sets with the planned sync-role policy as IAM. The clock is set per run.
 */
import { BatchWriteItemCommand, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fromItem, toItem } from "../handlers/blocklistStore";
import { firehoseStreamName } from "../names";
import { LocalResponse, startLocalResponse } from "../tools/localResponse";
import { ProgramRun } from "../tools/mockEngine";
import { deliveredObjects } from "../tools/traffic";
import { committedRuns, runWith } from "./support/program";
import { ATTACKER_CROSS_ACCOUNT, L1, L3, writeObject, writeScenario } from "./support/scenario";

const at = (hour: number, minute = 0) => Date.UTC(2026, 10, 27, hour, minute);
const MINUTE = 60_000;
const ATTACKER = `${ATTACKER_CROSS_ACCOUNT}/32`;
const SETS = { ipv4: "central-waf-logs-blocklist-ipv4", ipv6: "central-waf-logs-blocklist-ipv6" };
/** The committed resource stacks' locations; the scenario's attacker never reaches ap-southeast-2. */
const L2 = { accountId: "222222222222", region: "ap-southeast-2" };
const LOCATIONS = [L1, L2, L3].map((l) => `${l.accountId}/${l.region}`).sort();

/** Writes extra flows into the central layout under `root`. */
function addFlows(root: string, flows: Parameters<typeof deliveredObjects>[0]): void {
    for (const object of deliveredObjects(flows, (l) => firehoseStreamName(l.region), { seed: 7 })) {
        writeObject(root, object);
    }
}

/** Runs `f` capturing the EMF documents written to stdout. */
async function metricsOf<T>(f: () => Promise<T>): Promise<{ result: T; metrics: any[] }> {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
        lines.push(String(chunk));
        return true;
    }) as typeof process.stdout.write;
    const log = console.log;
    console.log = () => undefined;
    try {
        const result = await f();
        return { result, metrics: lines.map((l) => JSON.parse(l)).filter((d) => d._aws) };
    } finally {
        process.stdout.write = write;
        console.log = log;
    }
}

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
            local.waf.ipSet(l.accountId, l.region, SETS[family])!.addresses,
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
        ]);
        local = await startLocalResponse(runs, root);
    });
    after(async () => {
        await local?.close();
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("blocks a burst found across accounts, skipping the allowlisted flood, and audits who, what, why and when", async () => {
        const { result, metrics } = await metricsOf(() => local.detect(at(10, 40)));
        assert.deepStrictEqual(
            [result.added, result.extended, result.allowlisted, result.circuitBreakerTripped, result.candidates],
            [[ATTACKER], [], ["192.0.2.99/32"], false, 2],
        );
        assert.strictEqual(result.window, "2026-11-27T10:25:00.000Z..2026-11-27T10:40:00.000Z");
        assert.ok(result.scannedBytes > 0, "the bytes of the searched hours are reported");
        assert.deepStrictEqual(local.athena.started[0].executionParameters, [
            "'2026/11/27/10'",
            "'2026/11/27/10'",
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
            [[0, 1, 2]],
        );
    });

    it("writes the blocklist into every account's and Region's IP set, including one the attacker never reached", async () => {
        const { result, metrics } = await metricsOf(() => local.publish(at(10, 41)));
        assert.deepStrictEqual(
            result.targets.map((t: any) => [t.target, t.status]),
            LOCATIONS.map((l) => [l, "synced"]),
        );
        assert.deepStrictEqual(
            addressesEverywhere(local, "ipv4"),
            Object.fromEntries(LOCATIONS.map((l) => [l, [ATTACKER]])),
        );
        assert.deepStrictEqual(addressesEverywhere(local, "ipv6"), Object.fromEntries(LOCATIONS.map((l) => [l, []])));
        // Each target was written with its own sync role, assumed from the publisher's role.
        const updates = local.waf.calls.filter((c) => c.operation === "UpdateIPSet");
        assert.deepStrictEqual(
            updates.map((c) => [c.accountId, c.region, c.principalArn?.split("/")[1], c.outcome]).sort(),
            [
                ["222222222222", "ap-southeast-2", "central-waf-logs-blocklist-sync-ap-southeast-2", "ok"],
                ["222222222222", "us-east-1", "central-waf-logs-blocklist-sync-us-east-1", "ok"],
                ["333333333333", "eu-west-1", "central-waf-logs-blocklist-sync-eu-west-1", "ok"],
            ],
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
        assert.deepStrictEqual([result.added, result.extended], [[], [ATTACKER]]);
        const stored = (await entry(local, ATTACKER))!;
        assert.deepStrictEqual([stored.version, stored.offenses, stored.blockedUntil], [2, 1, at(14, 42)]);
    });

    it("re-reads and retries when another writer changed an IP set between read and update", async () => {
        await local.dynamo.client.send(
            new BatchWriteItemCommand({
                RequestItems: {
                    "central-waf-logs-blocklist": [
                        {
                            PutRequest: {
                                Item: toItem({
                                    cidr: "2001:db8::66/128",
                                    family: "ipv6",
                                    blockedUntil: at(12, 0),
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
                                }),
                            },
                        },
                    ],
                },
            }),
        );
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
            message: "User is not authorized to perform: wafv2:ListIPSets",
        });
        try {
            const { result, metrics } = await metricsOf(() => local.publish(at(12, 1)));
            // The IPv6 entry expired at 12:00: every healthy target drops it.
            assert.deepStrictEqual(
                result.targets.map((t: any) => [t.target, t.status]),
                [
                    ["222222222222/ap-southeast-2", "failed"],
                    ["222222222222/us-east-1", "synced"],
                    ["333333333333/eu-west-1", "synced"],
                ],
            );
            assert.match(result.targets[0].error, /^AccessDeniedException: /);
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
        await metricsOf(() => local.publish(at(15, 11)));
        assert.deepStrictEqual(
            addressesEverywhere(local, "ipv4"),
            Object.fromEntries(LOCATIONS.map((l) => [l, [ATTACKER]])),
        );
    });

    it("fills each IP set up to WAF's 10,000 addresses with the most recently seen, and counts the overflow", async () => {
        const now = at(16, 0);
        const items = Array.from({ length: 10_003 }, (_, i) => ({
            cidr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`,
            family: "ipv4",
            blockedUntil: now + 60 * MINUTE,
            offenses: 1,
            reason: "overflow test",
            source: "operator",
            seenIn: [],
            firstSeen: now - 1000,
            // All seen before the attacker's return; the four oldest are the ones left out.
            lastSeen: at(12, 0) + i,
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
        const set = local.waf.ipSet(L1.accountId, L1.region, SETS.ipv4)!.addresses;
        assert.strictEqual(set.length, 10_000);
        for (const oldest of ["10.0.0.0/32", "10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"]) {
            assert.ok(!set.includes(oldest), oldest);
        }
        assert.ok(set.includes(ATTACKER), "the recently seen attacker stays");
        assert.strictEqual(metrics.find((m) => m.BlocklistOverflow !== undefined).BlocklistOverflow, 4);
    });
});

describe("response loop, as deployed: the detector's circuit breaker", () => {
    it("writes nothing when one run would add more new entries than allowed, and says why", async () => {
        const logging = await runWith("logging", {
            configOverrides: {
                "central-waf-logs:response": JSON.stringify({
                    mode: "block",
                    threshold: 500,
                    lookbackMinutes: 20,
                    maxNewEntriesPerRun: 1,
                }),
            },
        });
        const resources = (await committedRuns()).filter((r) => r.stack !== "logging");
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "breaker-"));
        writeScenario(root);
        const local = await startLocalResponse([logging, ...resources], root);
        try {
            const { result, metrics } = await metricsOf(() => local.detect(at(10, 46)));
            assert.deepStrictEqual([result.circuitBreakerTripped, result.added, result.candidates], [true, [], 2]);
            assert.strictEqual(
                (
                    await local.dynamo.client.send(
                        new GetItemCommand({ TableName: "central-waf-logs-blocklist", Key: { cidr: { S: ATTACKER } } }),
                    )
                ).Item,
                undefined,
            );
            assert.deepStrictEqual(
                metrics.map((m) => m.CircuitBreakerTripped),
                [1],
            );
        } finally {
            await local.close();
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
