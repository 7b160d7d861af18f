/**
 * The detector's optional prefix aggregation (response.aggregatePrefixMinAddresses), in process
 * against an in-memory blocklist that writes conditionally on the version as DynamoDB does. The
 * deployed detector runs the same code in test/responseLoop.test.ts ("prefix aggregation").
 */
import * as assert from "assert";
import { prefixAction, prefixOf, prefixProblem } from "../handlers/aggregate";
import { AuditRecord, BlockEntry } from "../handlers/blocklist";
import { BlocklistStore } from "../handlers/blocklistStore";
import { DetectionSummary, DetectorSettings, detect } from "../handlers/detector";

const NOW = Date.UTC(2026, 10, 27, 12, 0);
const MINUTE = 60_000;
const SETTINGS: DetectorSettings = {
    blockMinutes: 240,
    maxBlockMinutes: 10_080,
    repeatWindowDays: 30,
    allowlist: [],
    threshold: 1000,
    lookbackMinutes: 15,
    maxNewEntriesPerRun: 50,
    timestampSlackMinutes: 15,
    globalMinAccounts: 2,
    trustedEvidenceAccounts: [],
    queryName: "blocklist-candidates",
};
const ON = { ...SETTINGS, aggregatePrefixMinAddresses: 4 };
const A = "222222222222";
const B = "333333333333";

/** A row as the candidates query returns it; one account (A) by default, so a local block. */
const row = (clientIp: string, requests = 1500, evidence = `${A}:${requests}`, seenIn = `${A}/us-east-1`) => ({
    client_ip: clientIp,
    requests_in_5_minutes: String(requests),
    first_seen_ms: String(NOW - 10 * MINUTE),
    last_seen_ms: String(NOW - 5 * MINUTE),
    seen_in: seenIn,
    evidence,
});

/** The blocklist in memory: a write lands only on the version it read (as the DynamoDB store's condition). */
function memoryStore(initial: BlockEntry[] = []) {
    const items = new Map(initial.map((e) => [e.cidr, e]));
    const audit: AuditRecord[] = [];
    const store: BlocklistStore = {
        get: async (cidr) => items.get(cidr),
        write: async (entry, record) => {
            if ((items.get(entry.cidr)?.version ?? 0) !== entry.version - 1) return false;
            items.set(entry.cidr, entry);
            audit.push(record);
            return true;
        },
        all: async () => [...items.values()],
        audit: async (record) => void audit.push(record),
        history: async (cidr) => audit.filter((r) => r.cidr === cidr),
    };
    return { store, items, audit };
}

async function run(
    rows: Record<string, string>[],
    settings: DetectorSettings,
    memory = memoryStore(),
    now = NOW,
): Promise<{ summary: DetectionSummary; items: Map<string, BlockEntry>; audit: AuditRecord[] }> {
    const summary = await detect(
        {
            runQuery: async () => ({ queryExecutionId: "q", rows, columns: Object.keys(row("")), scannedBytes: 1 }),
            store: memory.store,
            now: () => now,
            actor: "test",
            log: () => undefined,
            metrics: () => undefined,
        },
        settings,
    );
    return { summary, items: memory.items, audit: memory.audit };
}

const addresses = (prefix: string, from: number, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}.${from + i}`);

const entry = (fields: Partial<BlockEntry>): BlockEntry => ({
    cidr: "198.51.100.1/32",
    family: "ipv4",
    blockedUntil: NOW + 60 * MINUTE,
    offenses: 1,
    reason: "r",
    source: "detector",
    seenIn: [],
    firstSeen: NOW - 60 * MINUTE,
    lastSeen: NOW - 60 * MINUTE,
    updatedBy: "t",
    updatedAt: NOW - 60 * MINUTE,
    version: 1,
    ttl: 0,
    ...fields,
});

/** A range an operator released a minute ago, for an hour. */
const releasedEntry = (cidr: string) => entry({ cidr, blockedUntil: NOW - MINUTE, suppressedUntil: NOW + 60 * MINUTE });

describe("response loop: prefix aggregation in the detector", () => {
    it("is off by default (and with 0): each address on its own, as before", async () => {
        const rows = addresses("198.51.100", 1, 5).map((ip) => row(ip));
        for (const settings of [SETTINGS, { ...SETTINGS, aggregatePrefixMinAddresses: 0 }]) {
            const { summary, items } = await run(rows, settings);
            assert.deepStrictEqual(
                summary.added,
                addresses("198.51.100", 1, 5).map((ip) => `${ip}/32`),
            );
            assert.deepStrictEqual([...items.keys()].sort(), summary.added);
            assert.deepStrictEqual(summary.aggregated, []);
        }
    });

    it("keeps N-1 addresses of a /24 single, and covers N with one /24 entry carrying their evidence and scope", async () => {
        const few = await run(
            addresses("198.51.100", 1, 3).map((ip) => row(ip)),
            ON,
        );
        assert.deepStrictEqual(few.summary.added, ["198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32"]);

        const rows = [
            ...addresses("198.51.100", 1, 3).map((ip) => row(ip, 1500)),
            row("198.51.100.200", 2500),
            // Another /24: stays single.
            row("203.0.113.9", 1200),
        ];
        const { summary, items, audit } = await run(rows, ON);
        assert.deepStrictEqual(summary.added.sort(), ["198.51.100.0/24", "203.0.113.9/32"]);
        assert.deepStrictEqual(summary.aggregated, ["198.51.100.0/24 (4 addresses)"]);
        assert.deepStrictEqual([...items.keys()].sort(), ["198.51.100.0/24", "203.0.113.9/32"]);
        const prefix = items.get("198.51.100.0/24")!;
        // One account saw them all: blocked only where it saw them, as one address would be.
        assert.deepStrictEqual(
            [prefix.family, prefix.peakRequests, prefix.scope, prefix.evidenceAccounts, prefix.locations],
            ["ipv4", 7000, "local", [A], [`${A}/us-east-1`]],
        );
        assert.deepStrictEqual(
            [prefix.reason, prefix.blockedUntil, prefix.offenses],
            [
                "4 addresses over the threshold, 7000 requests in their busiest 5 minutes together (threshold 1000 each)",
                NOW + 240 * MINUTE,
                1,
            ],
        );
        assert.deepStrictEqual(
            audit.filter((r) => r.cidr === "198.51.100.0/24").map((r) => [r.action, r.reason]),
            [["add", prefix.reason]],
        );
    });

    it("makes a prefix global only when two accounts each saw N of its addresses on their own evidence", async () => {
        const both = `${A}:900,${B}:900`;
        const where = `${A}/us-east-1,${B}/eu-west-1`;
        const rows = addresses("198.51.100", 1, 4).map((ip) => row(ip, 1800, both, where));
        const { items } = await run(rows, ON);
        const prefix = items.get("198.51.100.0/24")!;
        assert.deepStrictEqual(
            [prefix.scope, prefix.evidenceAccounts, prefix.locations],
            ["global", [A, B], [`${A}/us-east-1`, `${B}/eu-west-1`]],
        );
        // A second account with a handful of requests from one member is no evidence: still local.
        const thin = await run(
            [
                ...addresses("198.51.100", 1, 3).map((ip) => row(ip)),
                row("198.51.100.4", 1510, `${A}:1500,${B}:10`, `${A}/us-east-1,${B}/eu-west-1`),
            ],
            ON,
        );
        assert.deepStrictEqual(thin.items.get("198.51.100.0/24")!.scope, "local");
    });

    it("keeps a prefix local around an address two accounts saw: one account's neighbours do not widen it (red team F3)", async () => {
        // One account (A) writes three neighbours of an address A and B both saw.
        const rows = [
            ...addresses("198.51.100", 1, 3).map((ip) => row(ip)),
            row("198.51.100.4", 1800, `${A}:900,${B}:900`, `${A}/us-east-1,${B}/eu-west-1`),
        ];
        const { summary, items } = await run(rows, ON);
        const prefix = items.get("198.51.100.0/24")!;
        // The /24 on A's evidence alone (four addresses it saw), where A saw them.
        assert.deepStrictEqual(
            [prefix.scope, prefix.evidenceAccounts, prefix.locations, prefix.reason],
            [
                "local",
                [A],
                [`${A}/us-east-1`],
                "3 addresses over the threshold, 4500 requests in their busiest 5 minutes together (threshold 1000 each)",
            ],
        );
        // The address two accounts saw is blocked everywhere, on its own.
        assert.deepStrictEqual(summary.added.sort(), ["198.51.100.0/24", "198.51.100.4/32"]);
        assert.deepStrictEqual(items.get("198.51.100.4/32")!.scope, "global");
    });

    it("never writes a prefix holding an allowlisted address, the canary, or an address an operator released", async () => {
        // The allowlist names one documentation address; its neighbours attack.
        const allowlisted = await run(
            addresses("198.51.100", 1, 6).map((ip) => row(ip)),
            {
                ...ON,
                allowlist: ["198.51.100.77/32"],
            },
        );
        assert.strictEqual(allowlisted.summary.added.length, 6);
        assert.ok(allowlisted.summary.added.every((c) => c.endsWith("/32")));
        // The canary of `npm run verify` (192.0.2.250) lies in 192.0.2.0/24, whatever the allowlist says.
        const canary = await run(
            addresses("192.0.2", 1, 6).map((ip) => row(ip)),
            ON,
        );
        assert.deepStrictEqual(
            canary.summary.added,
            addresses("192.0.2", 1, 6).map((ip) => `${ip}/32`),
        );
        // An operator released 198.51.100.3 as a false positive: a prefix would block it again.
        const memory = memoryStore([releasedEntry("198.51.100.3/32")]);
        const released = await run(
            addresses("198.51.100", 1, 6).map((ip) => row(ip)),
            ON,
            memory,
        );
        assert.deepStrictEqual(
            [released.summary.added.length, released.summary.suppressed, released.items.has("198.51.100.0/24")],
            [5, ["198.51.100.3/32"], false],
        );
        // An operator released the prefix itself: left alone, its members handled on their own.
        const prefixReleased = memoryStore([releasedEntry("198.51.100.0/24")]);
        const singles = await run(
            addresses("198.51.100", 1, 6).map((ip) => row(ip)),
            ON,
            prefixReleased,
        );
        assert.deepStrictEqual(
            singles.summary.added,
            addresses("198.51.100", 1, 6).map((ip) => `${ip}/32`),
        );
    });

    it("never writes a prefix over a range an operator released, though none of its addresses attacks this run (red team F2)", async () => {
        const attackers = addresses("198.51.100", 130, 6).map((ip) => row(ip));
        // Released: the lower /25, and one address that sent nothing this run.
        for (const releasedRange of ["198.51.100.0/25", "198.51.100.7/32"]) {
            const memory = memoryStore([releasedEntry(releasedRange)]);
            const { summary, items } = await run(attackers, ON, memory);
            assert.deepStrictEqual(
                [summary.added.length, summary.added.every((c) => c.endsWith("/32")), items.has("198.51.100.0/24")],
                [6, true, false],
                releasedRange,
            );
        }
        // A release that has ended protects nothing: the /24 is one entry again.
        const ended = memoryStore([
            entry({ cidr: "198.51.100.0/25", blockedUntil: NOW - 120 * MINUTE, suppressedUntil: NOW - MINUTE }),
        ]);
        assert.deepStrictEqual((await run(attackers, ON, ended)).summary.added, ["198.51.100.0/24"]);
        // An active prefix with a release inside it is not extended: it ends at its own time.
        const active = memoryStore([
            entry({ cidr: "198.51.100.0/24", blockedUntil: NOW + 30 * MINUTE }),
            releasedEntry("198.51.100.0/25"),
        ]);
        const afterRelease = await run(attackers, ON, active);
        assert.deepStrictEqual(
            [afterRelease.summary.extended, afterRelease.items.get("198.51.100.0/24")!.blockedUntil],
            [[], NOW + 30 * MINUTE],
        );
    });

    it("reads the releases only when a prefix would be added or extended", async () => {
        const memory = memoryStore();
        let scans = 0;
        memory.store.all = async () => {
            scans++;
            return [];
        };
        // Three addresses in each of two /24s: below N (4), so no prefix and no scan.
        const spread = await run(
            [...addresses("198.51.100", 130, 3), ...addresses("203.0.113", 1, 3)].map((ip) => row(ip)),
            ON,
            memory,
        );
        assert.deepStrictEqual([spread.summary.added.length, scans], [6, 0]);
        // Two /24s of four: one scan for both.
        const prefixes = await run(
            [...addresses("45.33.32", 1, 4), ...addresses("45.33.33", 1, 4)].map((ip) => row(ip)),
            ON,
            memory,
        );
        assert.deepStrictEqual([prefixes.summary.added.sort(), scans], [["45.33.32.0/24", "45.33.33.0/24"], 1]);
    });

    it("adds no prefix when the releases cannot be read, and fails the run naming them", async () => {
        const memory = memoryStore();
        memory.store.all = async () => {
            throw new Error("ProvisionedThroughputExceededException: rate of requests exceeds the allowed throughput");
        };
        await assert.rejects(
            run(
                addresses("198.51.100", 130, 6).map((ip) => row(ip)),
                ON,
                memory,
            ),
            /\(the blocklist's releases\): .*ProvisionedThroughputExceededException/,
        );
        assert.ok(![...memory.items.keys()].some((c) => c.endsWith("/24")));
        assert.strictEqual(memory.items.size, 6);
    });

    it("never aggregates address space that is not globally reachable, and writes nothing broader than /24 or /64", async () => {
        const rows = [
            ...addresses("100.64.0", 1, 8),
            ...addresses("10.1.2", 1, 8),
            ...addresses("192.168.1", 1, 8),
            ...addresses("192.0.0", 1, 8),
        ].map((ip) => row(ip));
        const { summary, items } = await run(rows, { ...ON, aggregatePrefixMinAddresses: 2 });
        assert.deepStrictEqual([summary.added, [...items.keys()], summary.notReachable.length], [[], [], 32]);
        // The guard itself, for prefixes whose members could be globally reachable.
        assert.deepStrictEqual(
            ["192.88.99.0/24", "192.0.2.0/24", "198.51.100.0/24", "::/64", "2001:db8:1:2::/64"].map((p) =>
                prefixProblem(p, ["2001:db8:1:2::9/128"]),
            ),
            [
                "it overlaps 192.88.99.0/24 Deprecated (6to4 Relay Anycast) (RFC 7526), which is not globally reachable",
                "it holds 192.0.2.250/32, which is never blocked",
                undefined,
                "::/64 contains every IPv4-mapped address (::ffff:0:0/96), that is all of IPv4 in another form; write IPv4 ranges as IPv4, and IPv6 ranges outside ::ffff:0:0/96",
                "it holds 2001:db8:1:2::9/128, which is never blocked",
            ],
        );
        // 200 addresses of one /24 make one /24, never a broader range.
        const botnet = addresses("198.51.100", 1, 200).map((ip) => row(ip));
        const wide = await run(botnet, { ...ON, aggregatePrefixMinAddresses: 2 });
        assert.deepStrictEqual([...wide.items.keys()], ["198.51.100.0/24"]);
    });

    it("groups IPv6 by /64 (IPv4-mapped addresses by their IPv4 /24)", async () => {
        const rows = [
            ...["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::a:b", "2001:db8:1:2:ffff:ffff:ffff:ffff"].map(
                (ip) => row(ip),
            ),
            row("2001:db8:1:3::1"),
            ...addresses("::ffff:203.0.113", 1, 4).map((ip) => row(ip)),
        ];
        assert.deepStrictEqual(
            prefixOf({ cidr: "2001:db8:1:2:ffff:ffff:ffff:ffff/128", family: "ipv6" }),
            "2001:db8:1:2::/64",
        );
        const { summary } = await run(rows, ON);
        assert.deepStrictEqual(summary.added.sort(), ["2001:db8:1:2::/64", "2001:db8:1:3::1/128", "203.0.113.0/24"]);
        assert.deepStrictEqual(summary.aggregated.sort(), [
            "2001:db8:1:2::/64 (4 addresses)",
            "203.0.113.0/24 (4 addresses)",
        ]);
    });

    it("holds a botnet of 600 addresses in six /24s with a cap of 50 new entries; without aggregation it blocks 50", async () => {
        const bots = ["198.51.100", "203.0.113", "203.0.114", "45.33.32", "45.33.33", "45.33.34"].flatMap((prefix) =>
            addresses(prefix, 1, 100),
        );
        assert.strictEqual(bots.length, 600);
        const rows = bots.map((ip, i) => row(ip, 1100 + i));
        const covered = (items: Map<string, BlockEntry>, ip: string) =>
            items.has(`${ip}/32`) || items.has(prefixOf({ cidr: `${ip}/32`, family: "ipv4" }));

        const without = await run(rows, SETTINGS);
        assert.deepStrictEqual(
            [without.summary.circuitBreakerTripped, without.summary.added.length, without.summary.refusedNew],
            [true, 50, 550],
        );
        assert.strictEqual(bots.filter((ip) => covered(without.items, ip)).length, 50);

        const withPrefixes = await run(rows, { ...SETTINGS, aggregatePrefixMinAddresses: 16 });
        assert.deepStrictEqual(
            [
                withPrefixes.summary.circuitBreakerTripped,
                withPrefixes.summary.added.length,
                withPrefixes.summary.refusedNew,
            ],
            [false, 6, 0],
        );
        assert.strictEqual(bots.filter((ip) => covered(withPrefixes.items, ip)).length, 600);
    });

    it("counts a prefix as one new entry against the cap, the busiest prefix first", async () => {
        const rows = [
            ...addresses("198.51.100", 1, 4).map((ip) => row(ip, 1100)),
            ...addresses("203.0.113", 1, 4).map((ip) => row(ip, 1200)),
        ];
        const { summary } = await run(rows, { ...ON, maxNewEntriesPerRun: 1 });
        assert.deepStrictEqual(
            [summary.circuitBreakerTripped, summary.added, summary.refusedNew],
            [true, ["203.0.113.0/24"], 1],
        );
    });

    it("extends an active prefix through any of its addresses, leaving single entries inside it alone; adds no duplicate", async () => {
        const memory = memoryStore([
            entry({ cidr: "198.51.100.1/32", version: 3 }),
            entry({ cidr: "198.51.100.2/32", version: 3 }),
        ]);
        // Two members already blocked as singles, three new: one /24 entry is added for all five;
        // the singles are still extended in this run (the breaker could have refused the prefix).
        const first = await run(
            addresses("198.51.100", 1, 5).map((ip) => row(ip)),
            ON,
            memory,
        );
        assert.deepStrictEqual(
            [first.summary.added, first.summary.extended],
            [["198.51.100.0/24"], ["198.51.100.1/32", "198.51.100.2/32"]],
        );
        assert.deepStrictEqual([...memory.items.keys()].sort(), [
            "198.51.100.0/24",
            "198.51.100.1/32",
            "198.51.100.2/32",
        ]);
        assert.strictEqual(memory.items.get("198.51.100.1/32")!.version, 4);

        // Next run: two addresses of it, fewer than N, one of them a blocked single: both extend the prefix.
        const later = NOW + 10 * MINUTE;
        const second = await run([row("198.51.100.1", 1300), row("198.51.100.99", 1400)], ON, memory, later);
        assert.deepStrictEqual(
            [second.summary.added, second.summary.extended, second.summary.aggregated],
            [[], ["198.51.100.0/24"], ["198.51.100.0/24 (2 addresses)"]],
        );
        const prefix = memory.items.get("198.51.100.0/24")!;
        assert.deepStrictEqual([prefix.version, prefix.blockedUntil], [2, later + 240 * MINUTE]);
        // The single inside is left to expire at its own time; no /32 of the new address is written.
        assert.deepStrictEqual(
            [memory.items.get("198.51.100.1/32")!.version, memory.items.has("198.51.100.99/32")],
            [4, false],
        );
    });

    it("reports a prefix whose stored item is malformed and handles its members on their own", async () => {
        const memory = memoryStore();
        const store: BlocklistStore = {
            ...memory.store,
            get: async (cidr) => {
                if (cidr === "198.51.100.0/24")
                    throw Object.assign(new Error("version is text"), { name: "MalformedEntryError" });
                return memory.store.get(cidr);
            },
        };
        await assert.rejects(
            run(
                addresses("198.51.100", 1, 4).map((ip) => row(ip)),
                ON,
                { ...memory, store },
            ),
            {
                message:
                    "Detector could not handle 1 of 4 detections (the others were written): 198.51.100.0/24: MalformedEntryError: version is text",
            },
        );
        assert.deepStrictEqual(
            [...memory.items.keys()].sort(),
            addresses("198.51.100", 1, 4).map((ip) => `${ip}/32`),
        );
    });

    it("decides per prefix: off below 2, suppressed or protected prefixes left to their members", () => {
        const members = (outcomes: string[]) => outcomes.map((outcome) => ({ outcome }));
        const p = "198.51.100.0/24";
        assert.deepStrictEqual(
            [
                prefixAction(p, members(["added", "added"]), undefined, NOW, 0, []),
                prefixAction(p, members(["added", "added"]), undefined, NOW, 2, []),
                prefixAction(p, members(["added", "extended"]), undefined, NOW, 2, ["198.51.100.128/25"]),
                prefixAction(p, members(["added"]), entry({ cidr: p }), NOW, 2, []),
                prefixAction(p, members(["suppressed"]), entry({ cidr: p }), NOW, 2, []),
                prefixAction(p, members(["added"]), entry({ cidr: p, blockedUntil: NOW - 1 }), NOW, 2, []),
                // An active prefix that now holds an allowlisted address is not extended.
                prefixAction(p, members(["added"]), entry({ cidr: p }), NOW, 2, ["198.51.100.9/32"]),
                // A release inside the prefix protects it; one in the next /24 does not.
                prefixAction(p, members(["added", "added"]), undefined, NOW, 2, [], ["198.51.100.200/32"]),
                prefixAction(p, members(["added", "added"]), undefined, NOW, 2, [], ["198.51.101.0/25"]),
            ],
            [undefined, "add", undefined, "extend", undefined, undefined, undefined, undefined, "add"],
        );
    });
});

describe("prefix aggregation and the breaker, against one account's forged logs (red-team findings)", () => {
    it("keeps a prefix of thinly spread evidence local, as each address would be: only accounts over their share make it global", async () => {
        const C = "444444444444";
        const where = `${A}/us-east-1,${B}/eu-west-1,${C}/eu-west-1`;
        // No account over threshold / 2 on its own: each address alone is local to A, B and C.
        const thin = addresses("198.51.100", 1, 4).map((ip) => row(ip, 1050, `${A}:400,${B}:350,${C}:300`, where));
        const { items } = await run(thin, ON);
        const prefix = items.get("198.51.100.0/24")!;
        assert.deepStrictEqual(
            [prefix.scope, prefix.evidenceAccounts, prefix.locations],
            ["local", [A, B, C], [`${A}/us-east-1`, `${B}/eu-west-1`, `${C}/eu-west-1`]],
        );
        // One account under its own share, with ten others' trickle (a carrier's NAT): still local.
        const others = Array.from({ length: 10 }, (_, i) => `55555555550${i}`);
        const trickle = others.map((a) => `${a}:60`).join(",");
        const seen = others.map((a) => `${a}/us-east-1`).join(",");
        const spread = addresses("198.51.101", 1, 4).map((ip) =>
            row(ip, 1099, `${A}:499,${trickle}`, `${A}/us-east-1,${seen}`),
        );
        const wide = (await run(spread, ON)).items.get("198.51.101.0/24")!;
        assert.deepStrictEqual([wide.scope, wide.evidenceAccounts?.length], ["local", 11]);
    });

    it("makes no /24 of one account's members and another's: each account needs N of its own (red team F3)", async () => {
        const rows = [
            ...addresses("198.51.100", 1, 3).map((ip) => row(ip)),
            row("198.51.100.200", 1500, `${B}:1500`, `${B}/eu-west-1`),
        ];
        const { summary, items } = await run(rows, ON);
        assert.deepStrictEqual(summary.aggregated, []);
        assert.deepStrictEqual([...items.values()].map((e) => [e.cidr, e.scope, e.locations]).sort(), [
            ["198.51.100.1/32", "local", [`${A}/us-east-1`]],
            ["198.51.100.2/32", "local", [`${A}/us-east-1`]],
            ["198.51.100.200/32", "local", [`${B}/eu-west-1`]],
            ["198.51.100.3/32", "local", [`${A}/us-east-1`]],
        ]);
    });

    it("does not spread an active local prefix to another account's locations: its address is blocked there alone (red team F3)", async () => {
        const memory = memoryStore();
        await run(
            addresses("198.51.100", 1, 4).map((ip) => row(ip)),
            ON,
            memory,
        );
        assert.deepStrictEqual(memory.items.get("198.51.100.0/24")!.locations, [`${A}/us-east-1`]);
        // Next run: B sees one address inside A's prefix, and A one more.
        const later = NOW + 10 * MINUTE;
        const { summary } = await run(
            [row("198.51.100.77", 1500, `${B}:1500`, `${B}/eu-west-1`), row("198.51.100.9")],
            ON,
            memory,
            later,
        );
        assert.deepStrictEqual([summary.added, summary.extended], [["198.51.100.77/32"], ["198.51.100.0/24"]]);
        const prefix = memory.items.get("198.51.100.0/24")!;
        assert.deepStrictEqual([prefix.locations, prefix.evidenceAccounts], [[`${A}/us-east-1`], [A]]);
        assert.deepStrictEqual(memory.items.get("198.51.100.77/32")!.locations, [`${B}/eu-west-1`]);
        // B alone: no extension at all, and the prefix ends at its own time.
        const alone = await run(
            [row("198.51.100.78", 1500, `${B}:1500`, `${B}/eu-west-1`)],
            ON,
            memory,
            later + MINUTE,
        );
        assert.deepStrictEqual([alone.summary.added, alone.summary.extended], [["198.51.100.78/32"], []]);
    });

    it("gives a two-account attacker a place under the cap before 50 forged prefixes of one account", async () => {
        const rows = [
            ...Array.from({ length: 50 }, (_, p) => addresses(`45.34.${p}`, 1, 4).map((ip) => row(ip, 1001))).flat(),
            row("203.0.113.250", 4000, `${A}:2000,${B}:2000`, `${A}/us-east-1,${B}/eu-west-1`),
        ];
        const { items, summary } = await run(rows, ON);
        assert.ok(items.has("203.0.113.250/32"), "the corroborated attacker was refused by the breaker");
        assert.strictEqual(summary.refusedNew, 1);
    });

    it("without aggregation too: 50 forged addresses at a million requests each do not crowd out the corroborated one", async () => {
        const rows = [
            ...addresses("45.34.0", 1, 50).map((ip) => row(ip, 1_000_000)),
            row("203.0.113.250", 4000, `${A}:2000,${B}:2000`, `${A}/us-east-1,${B}/eu-west-1`),
        ];
        const { items } = await run(rows, SETTINGS);
        assert.ok(items.has("203.0.113.250/32"));
    });

    it("shares the cap between accounts' local attacks: one account's flood leaves room for another's", async () => {
        const rows = [
            ...addresses("45.34.0", 1, 60).map((ip) => row(ip, 1_000_000)),
            row("203.0.113.251", 1500, `${B}:1500`, `${B}/eu-west-1`),
        ];
        const { items } = await run(rows, { ...SETTINGS, maxNewEntriesPerRun: 10 });
        assert.ok(items.has("203.0.113.251/32"), "B's own attacker was crowded out by A's flood");
        assert.strictEqual([...items.keys()].filter((c) => c.startsWith("45.34.0.")).length, 9);
    });

    it("never aggregates IPv6 space that stands for IPv4 (NAT64 64:ff9b::/96, 6to4 2002::/16)", () => {
        assert.match(prefixProblem("64:ff9b::/64", [])!, /NAT64/);
        assert.match(prefixProblem("2002:a00:1::/64", [])!, /6to4/);
        assert.strictEqual(prefixProblem("2001:db8:1:2::/64", []), undefined);
    });
});
