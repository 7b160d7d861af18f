/**
 * The response loop's guards, as deployed: the detector's breaker, its checks of every row and
 * every address, the publisher's per-entry handling and the block-with-audit transaction, with a
 * logging stack configured for them (threshold 500, at most one new entry per run, a trusted
 * evidence account) and Athena's answers given per test. Stand-ins as in responseLoop.test.ts.
 */
import * as dynamoSdk from "@aws-sdk/client-dynamodb";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as assert from "assert";
import { changeBlocklist } from "../handlers/blocklistChange";
import { dynamoBlocklistStore } from "../handlers/blocklistStore";
import { parseBlocklistArgs, runBlocklistCommand } from "../tools/cli/blocklist";
import { lambdaContext } from "../tools/local/deployedCode";
import { LocalResponse } from "../tools/local/localResponse";
import { metricsOf } from "./support/capture";
import {
    ATTACKER,
    LOCATIONS,
    MINUTE,
    addressesEverywhere,
    at,
    auditTrail,
    entry,
    putEntry,
    startWithResponse,
    storedRanges,
} from "./support/responseLoop";
import { ATTACKER_CROSS_ACCOUNT } from "./support/scenario";

describe("response loop, as deployed: the detector's and publisher's guards", () => {
    let local: LocalResponse;
    let stop: () => Promise<void>;
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
    const cidrs = () => storedRanges(local);

    before(async () => {
        ({ local, stop } = await startWithResponse({
            mode: "block",
            threshold: 500,
            lookbackMinutes: 20,
            maxNewEntriesPerRun: 1,
            allowlist: ["::ffff:192.0.2.0/120"],
            trustedEvidenceAccounts: ["333333333333"],
        }));
    });
    afterEach(() => {
        local.athena.answerWith(undefined);
        local.athena.holdWhen(undefined);
    });
    after(async () => stop?.());

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
