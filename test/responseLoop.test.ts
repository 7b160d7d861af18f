/**
 * The response loop as deployed: the detector's and publisher's `__index.js` from the plan, run
 * against dynalite (the planned tables), Athena on DuckDB over a generated central layout, STS
 * whose trust is the planned trust policies, and WAFV2 holding every resource stack's planned IP
 * sets with the planned sync-role policy as IAM. The clock is set per run. Its guards are in
 * responseGuards.test.ts, prefix aggregation in responseAggregation.test.ts.
 */
import { BatchWriteItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toItem } from "../handlers/blocklistStore";
import { firehoseStreamName } from "../names";
import { LocalResponse, startLocalResponse } from "../tools/local/localResponse";
import { ProgramRun } from "../tools/local/mockEngine";
import { deliveredObjects } from "../tools/traffic/traffic";
import { metricsOf } from "./support/capture";
import { committedRuns } from "./support/program";
import {
    ATTACKER,
    L2,
    LOCATIONS,
    MINUTE,
    SETS,
    addressesEverywhere,
    at,
    entry,
    putEntry,
} from "./support/responseLoop";
import { ATTACKER_CROSS_ACCOUNT, L1, L3, writeObject, writeScenario } from "./support/scenario";

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
