/**
 * The response loop's inputs, as plain functions: the one strict address reader the detector, the
 * operator CLI, the allowlist and the publisher share; the detector's check of each query row;
 * the publisher's check of each stored entry; and the detector's Athena polling against its
 * invocation deadline. The deployed Lambdas run the same functions in test/responseLoop.test.ts.
 */
import * as assert from "assert";
import { BlockEntry, BlockPolicy, applyDetection, operatorRelease, scopeOfEvidence } from "../handlers/blocklist";
import { AthenaQueryCalls, runAthenaQuery } from "../handlers/athenaQuery";
import { DetectorSettings, detect, readDetections } from "../handlers/detector";
import { NOT_GLOBALLY_REACHABLE, notGloballyReachable, parseRange } from "../handlers/ipRange";
import { targetEntries } from "../handlers/targetEntries";

const NOW = Date.UTC(2026, 10, 27, 12, 0);
const MINUTE = 60_000;
const LEGACY =
    "is not an IP address or CIDR range: write IPv4 as four decimal numbers from 0 to 255 separated by dots, without leading zeros (e.g. 203.0.113.7)";
const POLICY: BlockPolicy = { blockMinutes: 240, maxBlockMinutes: 10_080, repeatWindowDays: 30, allowlist: [] };
const SETTINGS: DetectorSettings = {
    ...POLICY,
    allowlist: ["192.0.2.0/24"],
    threshold: 1000,
    lookbackMinutes: 15,
    maxNewEntriesPerRun: 50,
    timestampSlackMinutes: 15,
    globalMinAccounts: 2,
    trustedEvidenceAccounts: ["999999999999"],
    queryName: "blocklist-candidates",
};

describe("response loop inputs: one strict address reader", () => {
    it("reads dotted decimal IPv4 and standard IPv6 text in any case, and writes them as AWS WAF takes them", () => {
        const read = (text: string, options?: Parameters<typeof parseRange>[1]) => parseRange(text, options);
        assert.deepStrictEqual(
            [
                "203.0.113.7",
                " 203.0.113.0/24 ",
                "0.0.0.0",
                "255.255.255.255",
                "2001:DB8:0:0:0:0:0:1",
                "2001:db8::/32",
                "FE80::A",
                "::",
                "1:2:3:4:5:6:7::",
                "64:ff9b::198.51.100.7",
                // IPv4-compatible (deprecated, RFC 4291 2.5.5.1), not mapped: ipaddr.js's parse() reads it as mapped.
                "::1.2.3.4",
            ].map((t) => read(t)),
            [
                { cidr: "203.0.113.7/32", family: "ipv4" },
                { cidr: "203.0.113.0/24", family: "ipv4" },
                { cidr: "0.0.0.0/32", family: "ipv4" },
                { cidr: "255.255.255.255/32", family: "ipv4" },
                { cidr: "2001:db8::1/128", family: "ipv6" },
                { cidr: "2001:db8::/32", family: "ipv6" },
                { cidr: "fe80::a/128", family: "ipv6" },
                { cidr: "::/128", family: "ipv6" },
                { cidr: "1:2:3:4:5:6:7:0/128", family: "ipv6" },
                { cidr: "64:ff9b::c633:6407/128", family: "ipv6" },
                { cidr: "::102:304/128", family: "ipv6" },
            ],
        );
        assert.deepStrictEqual(read("0.0.0.0/0", { narrowest: false }), { cidr: "0.0.0.0/0", family: "ipv4" });
    });

    it("reads IPv4-mapped IPv6 as the IPv4 it carries, so guards and the allowlist judge it in IPv4 space", () => {
        assert.deepStrictEqual(
            [
                "::ffff:198.51.100.7",
                "::FFFF:C633:6407",
                "0:0:0:0:0:ffff:198.51.100.7",
                "::ffff:198.51.100.128/121",
                "::ffff:0:0/104",
            ].map((t) => parseRange(t)),
            [
                { cidr: "198.51.100.7/32", family: "ipv4" },
                { cidr: "198.51.100.7/32", family: "ipv4" },
                { cidr: "198.51.100.7/32", family: "ipv4" },
                { cidr: "198.51.100.128/25", family: "ipv4" },
                { cidr: "0.0.0.0/8", family: "ipv4" },
            ],
        );
        assert.deepStrictEqual(parseRange("::ffff:0:0/96"), {
            problem:
                "::ffff:0:0/96 (0.0.0.0/0 as IPv4) is broader than /8; block narrower ranges (this guard keeps one typo from blocking a continent)",
        });
        assert.deepStrictEqual(parseRange("::ffff:198.51.100.130/121"), {
            problem:
                "::ffff:198.51.100.130/121 has host bits set; AWS WAF takes the network address: use 198.51.100.128/25",
        });
        // A broader IPv6 range would hold all of IPv4 in mapped form: refused, whatever the guard.
        for (const text of ["::/80", "::/64", "::/0"]) {
            assert.deepStrictEqual(parseRange(text, { narrowest: false }), {
                problem: `${text} contains every IPv4-mapped address (::ffff:0:0/96), that is all of IPv4 in another form; write IPv4 ranges as IPv4, and IPv6 ranges outside ::ffff:0:0/96`,
            });
        }
        assert.deepStrictEqual(parseRange("::/96"), { cidr: "::/96", family: "ipv6" });
    });

    it("refuses the legacy spellings inet_aton reads as another address, and zone IDs, naming the fix", () => {
        // ipaddr.js's parse() reads these as 198.41.100.7, 1.2.0.3, 127.0.0.1 and 192.168.1.1.
        for (const text of ["198.051.100.007", "1.2.3", "0x7f.1", "3232235777", "256.1.1.1", "00.1.1.1", "1.2.3.4.5"]) {
            assert.deepStrictEqual(parseRange(text), { problem: `"${text}" ${LEGACY}` }, text);
        }
        assert.deepStrictEqual(parseRange("198.051.100.007/32", { narrowest: false }), {
            problem: `"198.051.100.007/32" ${LEGACY}`,
        });
        assert.deepStrictEqual(parseRange("fe80::1%eth0"), {
            problem:
                '"fe80::1%eth0" has a zone ID ("%eth0"), which only means something on one host; write the address without it (fe80::1)',
        });
        assert.deepStrictEqual(parseRange("fe80::%25/64"), {
            problem:
                '"fe80::%25/64" has a zone ID ("%25"), which only means something on one host; write the address without it (fe80::/64)',
        });
        for (const text of [
            "",
            "X.X.X.X",
            "not-an-ip",
            "::ffff:1.2.3",
            "::ffff:0x7f.0.0.1",
            "::ffff:01.2.3.4",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            ":1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:",
            "12345::",
            "[2001:db8::5]:443",
            "203.0.113.5:443",
            "1:2:3:4:5:6:7:1.2.3.4",
        ]) {
            assert.deepStrictEqual(
                parseRange(text),
                { problem: `${JSON.stringify(text)} is not an IP address or CIDR range` },
                text,
            );
        }
        assert.deepStrictEqual(parseRange("x".repeat(100)), {
            problem: `"${"x".repeat(64)}…" is not an IP address or CIDR range`,
        });
    });

    it("takes a prefix only as decimal digits within the family's length", () => {
        for (const [text, bits] of [
            ["10.0.0.0/08", 32],
            ["10.0.0.0/33", 32],
            ["10.0.0.0/", 32],
            ["10.0.0.0/8/8", 32],
            ["10.0.0.0/ 8", 32],
            ["10.0.0.0/0x8", 32],
            ["2001:db8::/129", 128],
        ] as const) {
            assert.deepStrictEqual(parseRange(text, { narrowest: false }), {
                problem: `"${text}" has an invalid prefix length: write /0 to /${bits} in decimal, without leading zeros`,
            });
        }
    });

    it("takes a client IP only as one address", () => {
        assert.deepStrictEqual(parseRange("1.0.0.0/8", { singleAddress: true }), {
            problem: '"1.0.0.0/8" is a CIDR range; a client IP is a single address',
        });
        assert.deepStrictEqual(parseRange("203.0.113.9/32", { singleAddress: true }), {
            problem: '"203.0.113.9/32" is a CIDR range; a client IP is a single address',
        });
        assert.deepStrictEqual(parseRange("::ffff:203.0.113.9", { singleAddress: true }), {
            cidr: "203.0.113.9/32",
            family: "ipv4",
        });
    });

    it("names the IANA special-purpose block a range overlaps, for every row not globally reachable, judging IPv4-mapped forms as IPv4", () => {
        // IANA IPv4 and IPv6 Special-Purpose Address Registries, rows with Globally Reachable = False
        // (every row, the more specific ones inside a listed block too), and multicast.
        const rows: [string, string][] = [
            ["0.0.0.0/8", '0.0.0.0/8 "This network" (RFC 791)'],
            ["0.0.0.0/32", '0.0.0.0/8 "This network" (RFC 791)'],
            ["10.0.0.1", "10.0.0.0/8 Private-Use (RFC 1918)"],
            ["100.64.0.1", "100.64.0.0/10 Shared Address Space (RFC 6598)"],
            ["100.127.255.255", "100.64.0.0/10 Shared Address Space (RFC 6598)"],
            ["127.0.0.1", "127.0.0.0/8 Loopback (RFC 1122)"],
            ["169.254.169.254", "169.254.0.0/16 Link Local (RFC 3927)"],
            ["172.31.255.1", "172.16.0.0/12 Private-Use (RFC 1918)"],
            ["192.0.0.0/29", "192.0.0.0/24 IETF Protocol Assignments (RFC 6890)"],
            ["192.0.0.8", "192.0.0.0/24 IETF Protocol Assignments (RFC 6890)"],
            ["192.0.0.9", "192.0.0.0/24 IETF Protocol Assignments (RFC 6890)"],
            ["192.0.0.170", "192.0.0.0/24 IETF Protocol Assignments (RFC 6890)"],
            ["192.0.0.171", "192.0.0.0/24 IETF Protocol Assignments (RFC 6890)"],
            ["192.88.99.1", "192.88.99.0/24 Deprecated (6to4 Relay Anycast) (RFC 7526)"],
            ["192.168.1.1", "192.168.0.0/16 Private-Use (RFC 1918)"],
            ["198.18.0.1", "198.18.0.0/15 Benchmarking (RFC 2544)"],
            ["198.19.255.255", "198.18.0.0/15 Benchmarking (RFC 2544)"],
            ["224.0.0.1", "224.0.0.0/4 Multicast (RFC 5771)"],
            ["239.255.255.250", "224.0.0.0/4 Multicast (RFC 5771)"],
            ["240.0.0.1", "240.0.0.0/4 Reserved (RFC 1112)"],
            ["255.255.255.255", "255.255.255.255/32 Limited Broadcast (RFC 919)"],
            ["::", "::/128 Unspecified Address (RFC 4291)"],
            ["::1", "::1/128 Loopback Address (RFC 4291)"],
            ["64:ff9b:1::1", "64:ff9b:1::/48 IPv4-IPv6 Translation (RFC 8215)"],
            ["100::1", "100::/64 Discard-Only Address Block (RFC 6666)"],
            ["2001::1", "2001::/23 IETF Protocol Assignments (RFC 2928)"],
            ["2001:1::1", "2001::/23 IETF Protocol Assignments (RFC 2928)"],
            ["2001:2::1", "2001::/23 IETF Protocol Assignments (RFC 2928)"],
            ["2001:10::1", "2001::/23 IETF Protocol Assignments (RFC 2928)"],
            ["2001:1ff::1", "2001::/23 IETF Protocol Assignments (RFC 2928)"],
            ["5f00::1", "5f00::/16 Segment Routing (SRv6) SIDs (RFC 9602)"],
            ["fd12:3456::1", "fc00::/7 Unique-Local (RFC 4193)"],
            ["fe80::1", "fe80::/10 Link-Local Unicast (RFC 4291)"],
            ["ff02::1", "ff00::/8 Multicast (RFC 4291)"],
            // IPv4-mapped IPv6 is judged as the IPv4 it carries.
            ["::ffff:10.0.0.1", "10.0.0.0/8 Private-Use (RFC 1918)"],
            ["::ffff:127.0.0.1", "127.0.0.0/8 Loopback (RFC 1122)"],
            ["::ffff:169.254.169.254", "169.254.0.0/16 Link Local (RFC 3927)"],
            // A range overlapping a block in either direction is refused too.
            ["10.0.0.0/7", "10.0.0.0/8 Private-Use (RFC 1918)"],
            ["8.0.0.0/6", "10.0.0.0/8 Private-Use (RFC 1918)"],
            ["2001::/22", "2001::/23 IETF Protocol Assignments (RFC 2928)"],
        ];
        const cidrOf = (text: string) => {
            const range = parseRange(text, { narrowest: false });
            assert.ok(!("problem" in range), text);
            return range.cidr;
        };
        assert.deepStrictEqual(
            rows.map(([text]) => [text, notGloballyReachable(cidrOf(text))]),
            rows,
        );
        for (const [block] of NOT_GLOBALLY_REACHABLE) assert.ok(notGloballyReachable(block), block);
        // Globally reachable, and the documentation ranges kept blockable on purpose.
        const blockable = [
            "1.1.1.1",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "192.0.1.255",
            "192.0.2.1",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.100.7",
            "203.0.113.0/24",
            "223.255.255.255",
            "2001:200::1",
            "2001:db8::/32",
            "3fff::1",
            "64:ff9b::203.0.113.7",
            "2a00:1450::1",
            "fbff::1",
            "fec0::1",
        ];
        assert.deepStrictEqual(
            blockable.map((text) => notGloballyReachable(cidrOf(text))),
            blockable.map(() => undefined),
        );
    });
});

/** A row of the candidates query, as Athena answers it (text). */
const row = (clientIp: string | null, over: Record<string, string | null> = {}): Record<string, string | null> => ({
    client_ip: clientIp,
    requests_in_5_minutes: "1500",
    first_seen_ms: String(NOW - 10 * MINUTE),
    last_seen_ms: String(NOW - 7 * MINUTE),
    seen_in: "222222222222/us-east-1",
    evidence: "222222222222:1500",
    ...over,
});

describe("response loop inputs: the detector's rows", () => {
    it("uses only rows over the threshold it ran with, with whole counts and epoch-millisecond times", () => {
        const { found, unusable, allowlisted } = readDetections(
            [
                row("203.0.113.1", { requests_in_5_minutes: "1000" }),
                row("203.0.113.2", { requests_in_5_minutes: "1001" }),
                row("203.0.113.3", { requests_in_5_minutes: "-5" }),
                row("203.0.113.4", { requests_in_5_minutes: null }),
                row("203.0.113.5", { requests_in_5_minutes: "1500.7" }),
                row("203.0.113.6", { requests_in_5_minutes: "99999999999999999" }),
                row("203.0.113.7", { first_seen_ms: "9000000000000000" }),
                row("203.0.113.8", { last_seen_ms: "" }),
                row("X.X.X.X"),
                row("192.0.2.9"),
                row("::ffff:192.0.2.10"),
                row("203.0.113.11", { evidence: "2222:1500" }),
                row("203.0.113.12", { evidence: null }),
            ],
            SETTINGS,
            "w",
            NOW,
        );
        assert.deepStrictEqual(
            found.map((f) => [f.cidr, f.peakRequests]),
            [["203.0.113.2/32", 1001]],
        );
        assert.deepStrictEqual(unusable, [
            'row 1 (client_ip "203.0.113.1"): requests_in_5_minutes 1000 is not above the threshold 1000',
            'row 3 (client_ip "203.0.113.3"): requests_in_5_minutes "-5" is not a whole number',
            'row 4 (client_ip "203.0.113.4"): requests_in_5_minutes is empty',
            'row 5 (client_ip "203.0.113.5"): requests_in_5_minutes "1500.7" is not a whole number',
            'row 6 (client_ip "203.0.113.6"): requests_in_5_minutes "99999999999999999" is not a whole number',
            'row 7 (client_ip "203.0.113.7"): first_seen_ms "9000000000000000" is not a time in epoch milliseconds',
            'row 8 (client_ip "203.0.113.8"): last_seen_ms "" is not a time in epoch milliseconds',
            'row 9 (client_ip "X.X.X.X"): client_ip: "X.X.X.X" is not an IP address or CIDR range',
            'row 12 (client_ip "203.0.113.11"): evidence "2222:1500" is not a list of <account>:<requests>',
            'row 13 (client_ip "203.0.113.12"): evidence is empty',
        ]);
        assert.deepStrictEqual(allowlisted, ["192.0.2.9/32", "192.0.2.10/32"]);
    });

    it("merges a client seen in IPv4 and in IPv4-mapped form into one detection", () => {
        const { found } = readDetections(
            [
                row("198.51.100.7", { seen_in: "222222222222/us-east-1" }),
                row("::ffff:198.51.100.7", {
                    requests_in_5_minutes: "2500",
                    first_seen_ms: String(NOW - 14 * MINUTE),
                    last_seen_ms: String(NOW - 8 * MINUTE),
                    seen_in: "333333333333/eu-west-1,222222222222/us-east-1",
                    evidence: "222222222222:1200,333333333333:1300",
                }),
            ],
            SETTINGS,
            "w",
            NOW,
        );
        assert.deepStrictEqual(found, [
            {
                cidr: "198.51.100.7/32",
                family: "ipv4",
                peakRequests: 2500,
                seenIn: ["222222222222/us-east-1", "333333333333/eu-west-1"],
                firstSeen: NOW - 14 * MINUTE,
                lastSeen: NOW - 7 * MINUTE,
                query: "blocklist-candidates",
                window: "w",
                threshold: 1000,
                // Two accounts, each over threshold / globalMinAccounts on its own: global.
                scope: "global",
                evidenceAccounts: ["222222222222", "333333333333"],
                locations: ["222222222222/us-east-1", "333333333333/eu-west-1"],
                strongAccounts: ["222222222222", "333333333333"],
            },
        ]);
    });

    it("never takes a time later than the run's own clock, and never detects address space that is not globally reachable", () => {
        const { found, notReachable } = readDetections(
            [
                row("203.0.113.5", { first_seen_ms: String(NOW - MINUTE), last_seen_ms: String(Date.UTC(2031, 0, 1)) }),
                row("10.0.0.1"),
                row("::ffff:169.254.169.254"),
                row("100.64.0.1"),
                row("::"),
            ],
            SETTINGS,
            "w",
            NOW,
        );
        assert.deepStrictEqual(
            found.map((f) => [f.cidr, f.firstSeen, f.lastSeen]),
            [["203.0.113.5/32", NOW - MINUTE, NOW]],
        );
        assert.deepStrictEqual(notReachable, [
            "10.0.0.1/32 (10.0.0.0/8 Private-Use (RFC 1918))",
            "100.64.0.1/32 (100.64.0.0/10 Shared Address Space (RFC 6598))",
            "169.254.169.254/32 (169.254.0.0/16 Link Local (RFC 3927))",
            "::/128 (::/128 Unspecified Address (RFC 4291))",
        ]);
    });

    it("scopes a detection by its evidence: one account blocks where it was seen, two accounts or a trusted one everywhere", () => {
        const policy = { globalMinAccounts: 2, trustedEvidenceAccounts: ["999999999999"] };
        const seen = [
            "111111111111/us-east-1",
            "222222222222/eu-west-1",
            "222222222222/us-east-1",
            "999999999999/us-east-1",
        ];
        const scope = (peaks: [string, number][], p = policy) => scopeOfEvidence(new Map(peaks), seen, 1000, p);
        // One account over the threshold, another with a handful of requests: local to the first.
        assert.deepStrictEqual(
            scope([
                ["222222222222", 5000],
                ["111111111111", 3],
            ]),
            {
                scope: "local",
                evidenceAccounts: ["222222222222"],
                locations: ["222222222222/eu-west-1", "222222222222/us-east-1"],
            },
        );
        // Two accounts each over threshold / 2 on their own: global.
        assert.deepStrictEqual(
            scope([
                ["222222222222", 800],
                ["111111111111", 800],
            ]).scope,
            "global",
        );
        // Exactly half is not over it: one account's share, local.
        assert.deepStrictEqual(
            scope([
                ["222222222222", 1200],
                ["111111111111", 500],
            ]).scope,
            "local",
        );
        // A trusted account's evidence alone: global.
        assert.deepStrictEqual(scope([["999999999999", 1500]]).scope, "global");
        // A trusted account with only a handful of requests is not evidence.
        assert.deepStrictEqual(
            scope([
                ["222222222222", 1500],
                ["999999999999", 2],
            ]).scope,
            "local",
        );
        // Spread thin (no account over its share): every account seen is evidence, for a local block.
        assert.deepStrictEqual(
            scope([
                ["222222222222", 400],
                ["111111111111", 400],
                ["999999999999", 400],
            ]),
            {
                scope: "local",
                evidenceAccounts: ["111111111111", "222222222222", "999999999999"],
                locations: seen,
            },
        );
        // globalMinAccounts 1: any one account decides for all.
        assert.deepStrictEqual(
            scope([["222222222222", 1500]], { globalMinAccounts: 1, trustedEvidenceAccounts: [] }).scope,
            "global",
        );
        // Three required: two is not enough.
        assert.deepStrictEqual(
            scope(
                [
                    ["222222222222", 800],
                    ["111111111111", 800],
                ],
                { globalMinAccounts: 3, trustedEvidenceAccounts: [] },
            ).scope,
            "local",
        );
    });

    it("reads every row before writing anything, keeps the first 50 reasons and counts them all", async () => {
        const events: string[] = [];
        const rows = [
            ...Array.from({ length: 60 }, (_, i) => row(`198.51.100.${i}`, { requests_in_5_minutes: "abc" })),
            row("203.0.113.9"),
        ];
        const summary = await detect(
            {
                runQuery: async () => {
                    events.push("query");
                    return { queryExecutionId: "q-1", rows, columns: Object.keys(rows[0]), scannedBytes: 5 };
                },
                store: {
                    get: async (cidr) => (events.push(`get ${cidr}`), undefined),
                    write: async (e, r) => (events.push(`write ${e.cidr}`, `audit ${r.cidr} ${r.reason}`), true),
                    audit: async () => assert.fail("only refusals are audited alone"),
                    all: async () => [],
                    history: async () => [],
                },
                now: () => NOW,
                actor: "test",
                log: (line) => events.push(`log ${JSON.parse(line).msg}`),
                metrics: (values) => events.push(`metrics ${values.BurstRowsUnusable}`),
            },
            SETTINGS,
        );
        assert.deepStrictEqual(events, [
            "query",
            "get 203.0.113.9/32",
            "write 203.0.113.9/32",
            "audit 203.0.113.9/32 1500 requests in 5 minutes (threshold 1000)",
            "log detector summary",
            "metrics 60",
        ]);
        assert.deepStrictEqual(
            [summary.unusable, summary.unusableReasons.length, summary.unusableReasons[49], summary.added],
            [
                60,
                50,
                'row 50 (client_ip "198.51.100.49"): requests_in_5_minutes "abc" is not a whole number',
                ["203.0.113.9/32"],
            ],
        );
    });

    it("fails naming every column the query did not return, before reading the blocklist", async () => {
        const rows = [{ client_ip: "203.0.113.9", requests: "1500" }];
        await assert.rejects(
            detect(
                {
                    runQuery: async () => ({
                        queryExecutionId: "q-2",
                        rows,
                        columns: ["client_ip", "requests"],
                        scannedBytes: 1,
                    }),
                    store: {
                        get: async () => assert.fail("nothing is read"),
                        write: async () => assert.fail("nothing is written"),
                        audit: async () => assert.fail("nothing is audited"),
                        all: async () => [],
                        history: async () => [],
                    },
                    now: () => NOW,
                    actor: "test",
                    log: () => undefined,
                    metrics: () => undefined,
                },
                SETTINGS,
            ),
            {
                message:
                    "Query blocklist-candidates (execution q-2) returned no columns requests_in_5_minutes, first_seen_ms, last_seen_ms, seen_in, evidence; its columns are client_ip, requests, and the detector reads client_ip, requests_in_5_minutes, first_seen_ms, last_seen_ms, seen_in, evidence. Fix: deploy the named query and the detector from the same version; nothing was written.",
            },
        );
    });

    it("lists a range an operator released while the run was writing as suppressed", async () => {
        const released = { suppressedUntil: NOW + 60 * MINUTE, version: 1 } as BlockEntry;
        const reads = [undefined, released];
        const summary = await detect(
            {
                runQuery: async () => ({
                    queryExecutionId: "q-1",
                    rows: [row("203.0.113.9")],
                    columns: Object.keys(row("")),
                    scannedBytes: 5,
                }),
                store: {
                    get: async () => reads.shift(),
                    // The operator's release landed between the detector's read and its write.
                    write: async () => false,
                    audit: async () => assert.fail("nothing is audited"),
                    all: async () => [],
                    history: async () => [],
                },
                now: () => NOW,
                actor: "test",
                log: () => undefined,
                metrics: () => undefined,
            },
            SETTINGS,
        );
        assert.deepStrictEqual([summary.added, summary.suppressed], [[], ["203.0.113.9/32"]]);
    });
});

const entry = (fields: Partial<BlockEntry>): BlockEntry => ({
    cidr: "203.0.113.9/32",
    family: "ipv4",
    blockedUntil: NOW + 60 * MINUTE,
    offenses: 1,
    reason: "r",
    source: "operator",
    seenIn: [],
    firstSeen: NOW,
    lastSeen: NOW,
    updatedBy: "t",
    updatedAt: NOW,
    version: 1,
    ttl: 0,
    ...fields,
});

describe("response loop inputs: the publisher's entries and the repeat count", () => {
    it("leaves out active entries AWS WAF would refuse, saying why, and keeps the rest", () => {
        const desired = targetEntries(
            [
                entry({ cidr: "203.0.113.9/32" }),
                entry({ cidr: "fe80::1%eth0/128", family: "ipv6" }),
                entry({ cidr: "198.051.100.007/32" }),
                entry({ cidr: "2001:DB8::1/128", family: "ipv6" }),
                entry({ cidr: "2001:db8::2/128", family: "ipv4" }),
                entry({ cidr: "0.0.0.0/1" }),
                entry({ cidr: "2001:db8::3/128", family: "ipv6" }),
                // Expired: not published, so not counted either.
                entry({ cidr: "1.2.3", blockedUntil: NOW - 1 }),
            ],
            { accountId: "222222222222", region: "us-east-1" },
            NOW,
            [],
        );
        assert.deepStrictEqual([desired.ipv4, desired.ipv6], [["203.0.113.9/32"], ["2001:db8::3/128"]]);
        assert.deepStrictEqual(desired.skipped, [
            {
                cidr: "0.0.0.0/1",
                problem:
                    "0.0.0.0/1 is broader than /8; block narrower ranges (this guard keeps one typo from blocking a continent)",
            },
            { cidr: "198.051.100.007/32", problem: `"198.051.100.007/32" ${LEGACY}` },
            {
                cidr: "2001:DB8::1/128",
                problem: "2001:DB8::1/128 is not in the form AWS WAF takes; it reads as 2001:db8::1/128",
            },
            { cidr: "2001:db8::2/128", problem: "2001:db8::2/128 is ipv6, but the entry says ipv4" },
            {
                cidr: "fe80::1%eth0/128",
                problem:
                    '"fe80::1%eth0/128" has a zone ID ("%eth0"), which only means something on one host; write the address without it (fe80::1/128)',
            },
        ]);
    });

    it("counts a return within the repeat window as the next offense, unless an operator released the range", () => {
        const found = {
            cidr: "203.0.113.9/32",
            family: "ipv4" as const,
            peakRequests: 1500,
            seenIn: [],
            firstSeen: NOW,
            lastSeen: NOW,
            query: "q",
            window: "w",
            threshold: 1000,
            scope: "local" as const,
            evidenceAccounts: ["222222222222"],
            locations: ["222222222222/us-east-1"],
        };
        const expired = entry({ blockedUntil: NOW - 60 * MINUTE, offenses: 2, source: "detector" });
        const repeat = applyDetection(expired, found, NOW, POLICY, "d");
        assert.deepStrictEqual(
            [repeat.entry!.offenses, repeat.entry!.blockedUntil, repeat.why],
            [3, NOW + 960 * MINUTE, "1500 requests in 5 minutes (threshold 1000), offense 3 within 30 days"],
        );
        const released = operatorRelease(entry({ offenses: 2 }), 10, "false positive", NOW - 60 * MINUTE, POLICY, "o");
        assert.strictEqual(released.offenses, 0);
        const fresh = applyDetection(released, found, NOW, POLICY, "d");
        assert.deepStrictEqual(
            [fresh.outcome, fresh.entry!.offenses, fresh.entry!.blockedUntil, fresh.entry!.reason],
            ["added", 1, NOW + 240 * MINUTE, "1500 requests in 5 minutes (threshold 1000)"],
        );
    });
});

describe("response loop inputs: the detector's Athena query and its deadline", () => {
    /** Athena calls answering `states` in turn, recording what was called. */
    const athena = (states: string[], stop: () => Promise<void> = async () => undefined) => {
        const calls: string[] = [];
        const fake: AthenaQueryCalls = {
            start: async () => (calls.push("start"), "q-9"),
            status: async () => (calls.push("status"), { state: states.shift() ?? "RUNNING", scannedBytes: 7 }),
            page: async () => (
                calls.push("page"),
                {
                    rows: [
                        ["client_ip", "requests_in_5_minutes"],
                        ["203.0.113.9", "1500"],
                    ],
                }
            ),
            stop: async () => (calls.push("stop"), stop()),
            sleep: async (ms) => void calls.push(`sleep ${ms}`),
        };
        return { fake, calls };
    };

    it("polls with backoff while time remains, through QUEUED and RUNNING, and returns the rows and columns", async () => {
        const { fake, calls } = athena(["QUEUED", "RUNNING", "SUCCEEDED"]);
        const result = await runAthenaQuery("select", [], fake, () => 10_000);
        assert.deepStrictEqual(result, {
            queryExecutionId: "q-9",
            rows: [{ client_ip: "203.0.113.9", requests_in_5_minutes: "1500" }],
            columns: ["client_ip", "requests_in_5_minutes"],
            scannedBytes: 7,
        });
        assert.deepStrictEqual(calls, ["start", "status", "sleep 250", "status", "sleep 500", "status", "page"]);
    });

    it("stops the query and fails as Transient when the next wait would pass the deadline", async () => {
        const left = [10_000, 400];
        const { fake, calls } = athena([]);
        await assert.rejects(
            runAthenaQuery("select", [], fake, () => left.shift() ?? 0),
            {
                message:
                    "Transient: Athena query q-9 was still RUNNING with 0.4 s of the invocation's time left; it was stopped (StopQueryExecution) so that it scans no further. Nothing was written; the next scheduled run searches the window again.",
            },
        );
        assert.deepStrictEqual(calls, ["start", "status", "sleep 250", "status", "stop"]);
    });

    it("says so when the query could not be stopped", async () => {
        const denied = Object.assign(new Error("not authorized to perform: athena:StopQueryExecution"), {
            name: "AccessDeniedException",
        });
        const { fake } = athena(["QUEUED"], async () => {
            throw denied;
        });
        await assert.rejects(
            runAthenaQuery("select", [], fake, () => -5_000),
            {
                message:
                    "Transient: Athena query q-9 was still QUEUED with 0.0 s of the invocation's time left; stopping it failed (AccessDeniedException: not authorized to perform: athena:StopQueryExecution), so it may still be running. Nothing was written; the next scheduled run searches the window again.",
            },
        );
    });
});
