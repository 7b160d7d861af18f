import * as assert from "assert";
import { ReportData, TEXT_SHOWN, flaggedAttackers, loggedText, renderReport, timeTicks } from "../analytics/report";
import { Row } from "../analytics/warehouse";

const WINDOW = { from_hour: "2026/11/27/10", to_hour: "2026/11/27/11" };
const HOURS = "hours 2026/11/27/10 to 2026/11/27/11 (UTC)";

function report(overrides: Partial<ReportData> = {}): string {
    return renderReport({
        title: "WAF forensics report",
        window: WINDOW,
        threshold: 500,
        timeline: [
            { client_ip: "203.0.113.10", window_start: "2026-11-27 10:30", requests: 1600 },
            { client_ip: "203.0.113.10", window_start: "2026-11-27 11:55", requests: 800 },
            { client_ip: "192.0.2.30", window_start: "2026-11-27 10:00", requests: 400 },
        ],
        countries: [
            { hour_start: "2026-11-27 10:00", country: "CN", requests: 1600, blocked: 1600 },
            { hour_start: "2026-11-27 11:00", country: "NL", requests: 400, blocked: 0 },
        ],
        locations: [
            { account_id: "222222222222", region: "us-east-1", requests: 1500, blocked: 1200, counted: 0 },
            { account_id: "333333333333", region: "eu-west-1", requests: 500, blocked: 400, counted: 25 },
        ],
        bursts: [{ client_ip: "203.0.113.10", requests_in_5_minutes: 1600, window_start: "2026-11-27 10:30" }],
        crossAccount: [],
        attackers: {
            ips: ["203.0.113.10"],
            uris: [
                { uri: "/login", requests: 900, client_ips: 1, blocked: 800 },
                { uri: "/api/cart", requests: 700, client_ips: 1, blocked: 0 },
            ],
            userAgents: [{ user_agent: "curl/8.5.0", requests: 1600, client_ips: 1, blocked: 800 }],
        },
        tuning: [
            { hour_start: "2026-11-27 10:00", threshold: 500, client_ips_blocked: 1, requests_blocked: 1100 },
            { hour_start: "2026-11-27 10:00", threshold: 2000, client_ips_blocked: 0, requests_blocked: 0 },
        ].map((r) => ({
            ...r,
            client_ips: 2,
            requests: 2000,
            p50_5_minutes: 400,
            p95_5_minutes: 1600,
            p99_5_minutes: 1600,
            max_5_minutes: 1600,
        })),
        ...overrides,
    });
}

/** The `points` of each timeline polyline, by the IP it draws. */
function series(html: string): Map<string, [number, number][]> {
    const found = new Map<string, [number, number][]>();
    for (const m of html.matchAll(/<polyline class="series" data-ip="([^"]*)"[^>]* points="([^"]*)"/g)) {
        found.set(
            m[1],
            m[2].split(" ").map((p) => p.split(",").map(Number) as [number, number]),
        );
    }
    return found;
}

const attribute = (html: string, name: string) =>
    new RegExp(`<svg class="timeline"[^>]* ${name}="([^"]*)"`).exec(html)?.[1];

describe("HTML report (analytics/report.ts): what an analyst acts on", () => {
    it("zooms the time axis to the incident and summarizes the whole window", () => {
        const html = report({
            window: { from_hour: "2026/11/27/08", to_hour: "2026/11/27/11" },
            timeline: [
                { client_ip: "203.0.113.10", window_start: "2026-11-27 10:30", requests: 1600 },
                { client_ip: "203.0.113.10", window_start: "2026-11-27 10:35", requests: 800 },
            ],
        });
        assert.deepStrictEqual(
            [attribute(html, "data-from"), attribute(html, "data-to")],
            ["2026-11-27T10:15:00.000Z", "2026-11-27T10:55:00.000Z"],
        );
        assert.ok(
            html.includes(
                "Zoomed to 2026-11-27 10:15 to 2026-11-27 10:55 UTC, where these IPs had requests; the searched window is 2026-11-27 08:00 to 2026-11-27 12:00 UTC, in which they made 2,400 requests in all.",
            ),
        );
    });

    it("keeps identical series distinguishable: a dash pattern each, and the legend says which coincide", () => {
        const same = [
            { client_ip: "203.0.113.10", window_start: "2026-11-27 10:30", requests: 900 },
            { client_ip: "203.0.113.11", window_start: "2026-11-27 10:30", requests: 900 },
        ];
        const html = report({ timeline: same });
        const dashes = [
            ...html.matchAll(
                /<polyline class="series" data-ip="([^"]*)"[^>]*?(?: stroke-dasharray="([^"]*)")? points=/g,
            ),
        ];
        assert.deepStrictEqual(
            dashes.map((m) => [m[1], m[2]]),
            [
                ["203.0.113.10", undefined],
                ["203.0.113.11", "6 3"],
            ],
        );
        assert.ok(html.includes("same counts as 203.0.113.10: drawn on top of it"));
    });

    it("labels both axes with their units and fits any width (viewBox, no fixed pixel width)", () => {
        const html = report();
        assert.ok(html.includes(">time (UTC), 5-minute windows</text>"));
        assert.ok(html.includes(">requests per 5 minutes</text>"));
        assert.strictEqual(attribute(html, "viewBox"), "0 0 900 340");
        assert.strictEqual(attribute(html, "width"), "100%");
        assert.ok(!/<svg[^>]* width="\d+"/.test(html.replace(/<svg width="28" height="10" aria-hidden="true">/g, "")));
        assert.ok(html.includes('<meta name="viewport" content="width=device-width, initial-scale=1">'));
    });

    it("states its burst threshold beside the detector's", () => {
        assert.ok(
            report({ detectorThreshold: 1000 }).includes(
                "This report's burst threshold: more than 500 requests in 5 minutes. The detector blocks above 1,000 (central-waf-logs:response.threshold): bursts between the two are shown here but were not blocked for their rate.",
            ),
        );
        assert.ok(
            report().includes(
                "The detector's threshold (central-waf-logs:response.threshold) was not given to this report.",
            ),
        );
    });

    it("marks allowlisted addresses wherever they appear, and says they were never blocked", () => {
        const html = report({ allowlist: ["203.0.113.0/28"] });
        assert.ok(html.includes("203.0.113.10 (allowlisted) @ 2026-11-27 10:30"), "burst bar label");
        assert.ok(html.includes("<td>yes: never blocked</td>"), "burst table");
        assert.ok(
            html.includes(
                '203.0.113.10 <span class="allowlisted">(allowlisted in 203.0.113.0/28: never blocked)</span>',
            ),
            "legend",
        );
        assert.ok(
            html.includes(
                "Allowlisted, so never blocked whatever their rate (central-waf-logs:response.allowlist): 203.0.113.10 (in 203.0.113.0/28).",
            ),
        );
        assert.ok(!report().includes("allowlisted in"));
    });

    it("says what was blocked, where, in which scope and until when; or that it was not given the blocklist", () => {
        const html = report({
            response: {
                source: "the local run's DynamoDB blocklist",
                blocked: [
                    {
                        range: "198.51.100.7/32",
                        where: ["222222222222/us-east-1", "333333333333/eu-west-1"],
                        scope: "REGIONAL",
                        until: "2026-11-27T14:35:00.000Z",
                        reason: "1,600 requests in 5 minutes",
                    },
                ],
            },
        });
        assert.ok(html.includes("From the local run&#39;s DynamoDB blocklist: 1 range blocked."));
        assert.ok(
            html.includes(
                "<tr><td>198.51.100.7/32</td><td>" +
                    '<span class="nowrap">222222222222/us-east-1</span>, <span class="nowrap">333333333333/eu-west-1</span></td>' +
                    '<td>REGIONAL</td><td class="nowrap">2026-11-27 14:35 UTC</td><td>1,600 requests in 5 minutes</td></tr>',
            ),
        );
        assert.ok(report().includes("No blocklist state was given to this report (forensics run on its own)"));
    });
});

describe("HTML report (analytics/report.ts): the SVG's structure", () => {
    it("draws one series per charted IP, busiest first, on a uniform 5-minute axis over the whole window", () => {
        const html = report();
        const drawn = series(html);
        assert.deepStrictEqual([...drawn.keys()], ["203.0.113.10", "192.0.2.30"]);
        assert.strictEqual(attribute(html, "data-from"), "2026-11-27T10:00:00.000Z");
        assert.strictEqual(attribute(html, "data-to"), "2026-11-27T12:00:00.000Z");
        assert.strictEqual(attribute(html, "data-step-ms"), "300000");
        for (const points of drawn.values()) {
            // Two hours of 5-minute windows, every one drawn (empty ones at 0), equally spaced.
            assert.strictEqual(points.length, 24);
            assert.strictEqual(points[0][0], 70);
            const gaps = points.slice(1).map(([x], i) => x - points[i][0]);
            assert.ok(
                gaps.every((gap) => Math.abs(gap - 810 / 24) <= 0.1),
                `uneven: ${gaps.join(", ")}`,
            );
        }
        const flood = drawn.get("203.0.113.10")!;
        const baseline = 285;
        const top = 15;
        // 10:30 is window 6 and at the axis maximum; 11:55 (window 23) at half of it; 10:00 at 0.
        assert.deepStrictEqual(
            [flood[6][1], flood[23][1], flood[0][1], flood[22][1]],
            [top, (top + baseline) / 2, baseline, baseline],
        );
        assert.strictEqual(
            drawn.get("192.0.2.30")![0][1],
            Number((baseline - (400 / 1600) * (baseline - top)).toFixed(1)),
        );
    });

    it("labels the time axis with uniform ticks on round times", () => {
        const html = report();
        const labels = [
            ...html.matchAll(/<text x="([\d.]+)" y="303" font-size="11" text-anchor="middle">([^<]*)<\/text>/g),
        ];
        assert.deepStrictEqual(
            labels.map((m) => m[2]),
            [
                "10:00",
                "10:10",
                "10:20",
                "10:30",
                "10:40",
                "10:50",
                "11:00",
                "11:10",
                "11:20",
                "11:30",
                "11:40",
                "11:50",
                "12:00",
            ],
        );
        const xs = labels.map((m) => Number(m[1]));
        assert.strictEqual(xs[0], 70);
        assert.strictEqual(xs[xs.length - 1], 880);
        const gaps = xs.slice(1).map((x, i) => x - xs[i]);
        assert.ok(
            gaps.every((gap) => Math.abs(gap - 810 / 12) <= 0.1),
            `uneven: ${gaps.join(", ")}`,
        );
    });

    it("picks tick spacing by the span: minutes for hours, hours for a day, days for a month", () => {
        const hour = (d: number, h: number) => Date.UTC(2026, 10, d, h);
        assert.deepStrictEqual(
            timeTicks(hour(27, 0), hour(28, 0)).map((t) => t.label),
            [
                "00:00",
                "02:00",
                "04:00",
                "06:00",
                "08:00",
                "10:00",
                "12:00",
                "14:00",
                "16:00",
                "18:00",
                "20:00",
                "22:00",
                "00:00",
            ],
        );
        // A month: a tick every 7 days (on multiples of 7 days since the epoch), dates only.
        assert.deepStrictEqual(
            timeTicks(hour(1, 0), hour(31, 0)).map((t) => t.label),
            ["11-05", "11-12", "11-19", "11-26"],
        );
        assert.deepStrictEqual(
            timeTicks(hour(27, 10), hour(27, 11)).map((t) => t.label),
            [
                "10:00",
                "10:05",
                "10:10",
                "10:15",
                "10:20",
                "10:25",
                "10:30",
                "10:35",
                "10:40",
                "10:45",
                "10:50",
                "10:55",
                "11:00",
            ],
        );
    });

    it("captions every chart and table with what it shows and the hours covered", () => {
        const html = report();
        const captions = [...html.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1]);
        assert.strictEqual(captions.length, 7);
        assert.strictEqual(html.match(/<figure>/g)?.length, 7);
        for (const caption of captions) assert.ok(caption.includes(HOURS), caption);
        assert.ok(captions[0].startsWith("Requests per account and Region, hours"));
        assert.ok(captions[1].startsWith("Requests per 5-minute window of the busiest client IPs (up to 10"));
        assert.ok(captions[3].startsWith("Client IPs with more than 500 requests in some 5 minutes"));
        assert.ok(captions[5].startsWith("The 1 flagged address (over the burst threshold"));
        assert.ok(captions[6].startsWith("What a per-IP rate-based rule over 5 minutes would have blocked"));
    });

    it("summarises threshold tuning per limit and per hour", () => {
        const html = report();
        assert.ok(html.includes("<td>500</td><td>1</td><td>1</td><td>1,100</td><td>55.00 %</td>"), "per limit");
        assert.ok(
            html.includes(
                "<td>2026-11-27 10:00</td><td>2</td><td>2,000</td><td>400</td><td>1,600</td><td>1,600</td><td>1,600</td><td>1 IP / 1,100</td><td>0 IPs / 0</td>",
            ),
            "per hour",
        );
    });

    it("escapes whatever the logs carried, and loads or runs nothing", () => {
        const hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>';
        const rows = (extra: Row): Row[] => [{ window_start: "2026-11-27 10:30", requests: 5, ...extra }];
        const html = report({
            timeline: rows({ client_ip: hostile }),
            countries: [{ country: hostile, requests: 5 }],
            bursts: [{ client_ip: hostile, requests_in_5_minutes: 900, window_start: "2026-11-27 10:30" }],
            crossAccount: [{ client_ip: hostile, seen_in: hostile }],
        });
        assert.ok(!/<script|<img|onerror=alert\(2\)>/.test(html.replace(/&lt;[^&]*&gt;/g, "")), "nothing unescaped");
        assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
        assert.ok(!/<script|https?:\/\/|<link|<img/.test(html));
    });

    it("says so when the hours hold no requests, still captioned", () => {
        const html = report({
            timeline: [],
            countries: [],
            locations: [],
            bursts: [],
            crossAccount: [],
            attackers: { ips: [], uris: [], userAgents: [] },
            tuning: [],
        });
        assert.strictEqual(html.match(/<p>No requests in these hours\.<\/p>/g)?.length, 3);
        assert.strictEqual(html.match(/<figcaption>/g)?.length, 7);
        assert.ok(!html.includes("<polyline"));
    });
});

describe("HTML report (analytics/report.ts): where the attack landed and what the attackers sent", () => {
    it("tables requests per account and Region with blocked, counted, the share of all requests and a total", () => {
        const html = report();
        assert.ok(
            html.includes(
                '<tr><td>222222222222</td><td>us-east-1</td><td class="n">1,500</td><td class="n">1,200</td><td class="n">0</td><td class="n">75.0 %</td></tr>\n' +
                    '<tr><td>333333333333</td><td>eu-west-1</td><td class="n">500</td><td class="n">400</td><td class="n">25</td><td class="n">25.0 %</td></tr>\n' +
                    '<tr class="total"><td colspan="2">all</td><td class="n">2,000</td><td class="n">1,600</td><td class="n">25</td><td class="n">100.0 %</td></tr>',
            ),
            html,
        );
        // Before the timeline: where it landed is the analyst's first question after what was blocked.
        assert.ok(html.indexOf("Where the requests landed") < html.indexOf("Busiest client IPs over time"));
    });

    it("lists the flagged addresses' top URIs and user agents with their counts", () => {
        const html = report();
        assert.ok(
            html.includes(
                '<tr><td class="text"><bdi>/login</bdi></td><td class="n">900</td><td class="n">1</td><td class="n">800</td></tr>\n' +
                    '<tr><td class="text"><bdi>/api/cart</bdi></td><td class="n">700</td><td class="n">1</td><td class="n">0</td></tr>',
            ),
        );
        assert.ok(
            html.includes(
                '<tr><td class="text"><bdi>curl/8.5.0</bdi></td><td class="n">1,600</td><td class="n">1</td><td class="n">800</td></tr>',
            ),
        );
        assert.ok(
            html.includes(
                "The 1 flagged address (over the burst threshold or seen across accounts; allowlisted ones left out): 203.0.113.10, hours",
            ),
        );
    });

    it("shows hostile URIs and user agents escaped, cut with the whole value in a title, and isolated", () => {
        const script = '<script>alert(1)</script>"><img src=x onerror=alert(2)>';
        const long = `Mozilla/5.0 ${"A".repeat(4988)}`;
        assert.strictEqual(long.length, 5000);
        const html = report({
            attackers: {
                ips: ["203.0.113.10"],
                uris: [
                    { uri: `/search?q=${script}`, requests: 3, client_ips: 1, blocked: 0 },
                    { uri: "/produits/été/日本語?\u202eevil", requests: 2, client_ips: 1, blocked: 0 },
                    { uri: "/a\u0000b\nc", requests: 1, client_ips: 1, blocked: 0 },
                ],
                userAgents: [{ user_agent: long, requests: 5, client_ips: 1, blocked: 5 }],
            },
        });
        assert.ok(!/<script|<img|onerror=alert\(2\)>/.test(html.replace(/&lt;[^&]*&gt;/g, "")), "nothing unescaped");
        assert.ok(
            html.includes(
                "<bdi>/search?q=&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</bdi>",
            ),
        );
        // Non-ASCII kept as it is (the page is UTF-8); a right-to-left override shown, not obeyed
        // (it would display "evil" as "live").
        assert.ok(html.includes("<bdi>/produits/été/日本語?\\u202eevil</bdi>"));
        assert.ok(!html.includes("\u202e"));
        assert.ok(html.includes("<bdi>/a\\x00b\\x0ac</bdi>"), "control characters shown, not passed through");
        // 5,000 characters: the first TEXT_SHOWN - 1 and an ellipsis shown, the whole value in the title.
        const cell =
            /<td class="text">(<bdi title="([^"]*)">([^<]*)<\/bdi> <span class="cut">\(([^)]*)\)<\/span>)<\/td>/.exec(
                html,
            );
        assert.ok(cell, "the long user agent is cut");
        assert.strictEqual(cell[2], long);
        assert.strictEqual(cell[3], `${long.slice(0, TEXT_SHOWN - 1)}…`);
        assert.strictEqual(cell[4], "5,000 characters");
    });

    it("cuts at whole code points, never in the middle of a surrogate pair", () => {
        const emoji = "😀".repeat(TEXT_SHOWN + 50);
        const shown = /<bdi title="[^"]*">([^<]*)<\/bdi>/.exec(loggedText(emoji))![1];
        assert.strictEqual(shown, `${"😀".repeat(TEXT_SHOWN - 1)}…`);
        assert.strictEqual(loggedText("😀".repeat(TEXT_SHOWN)), `<bdi>${"😀".repeat(TEXT_SHOWN)}</bdi>`);
    });

    it("says so when no address was flagged, instead of empty tables", () => {
        const html = report({ bursts: [], crossAccount: [], attackers: { ips: [], uris: [], userAgents: [] } });
        assert.ok(html.includes("<p>No flagged addresses, so no URIs or user agents to show.</p>"));
        assert.ok(
            html.includes(
                "No address was flagged (none over the burst threshold or seen across accounts, allowlisted ones aside)",
            ),
        );
        assert.ok(!html.includes("<h3>Top URIs</h3>"));
    });

    it("flags the bursts' and the cross-account attackers' addresses once each, allowlisted ones left out", () => {
        const bursts = [{ client_ip: "203.0.113.10" }, { client_ip: "192.0.2.10" }, { client_ip: "203.0.113.20" }];
        const crossAccount = [{ client_ip: "203.0.113.20" }, { client_ip: "198.51.100.7" }];
        assert.deepStrictEqual(flaggedAttackers(bursts, crossAccount, ["192.0.2.0/24"]), [
            "203.0.113.10",
            "203.0.113.20",
            "198.51.100.7",
        ]);
        assert.deepStrictEqual(flaggedAttackers([], [], ["192.0.2.0/24"]), []);
        assert.deepStrictEqual(flaggedAttackers(bursts, [])[1], "192.0.2.10");
    });
});
