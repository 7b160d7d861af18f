import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { namedQueries } from "../analytics/sql";
import { LocalWarehouse, Row } from "../analytics/warehouse";
import { firehoseStreamName } from "../names";
import { DeliveredObject, Flow, deliveredObjects } from "../tools/traffic/traffic";
import { L1, L3, flowRecords, writeObject } from "./support/scenario";

const at = (hour: number, minute = 0, ms = 0) => Date.UTC(2026, 10, 27, hour, minute) + ms;
const burst = (clientIp: string, startMs: number, count: number, location = L1): Flow => ({
    clientIp,
    country: "CN",
    location,
    startMs,
    spanMs: 0,
    count,
});

/**
 * Flows on the edges of the window and of the pre-filter, with threshold 500 (requests must be
 * above it): every timestamp is chosen, so the expected answers follow from the definitions.
 */
const EDGE_FLOWS: Flow[] = [
    // 501 requests within 299,999 ms: one window holds them all.
    burst("192.0.2.1", at(10, 0), 500),
    burst("192.0.2.1", at(10, 0, 299_999), 1),
    // The 501st is 300,000 ms after the first: no 5-minute window holds more than 500.
    burst("192.0.2.2", at(10, 0), 500),
    burst("192.0.2.2", at(10, 5), 1),
    // Exactly the threshold, all in one millisecond: not above it (and cut by the pre-filter).
    burst("192.0.2.3", at(10, 0), 500),
    // A window across an hour boundary, an account boundary and two objects.
    burst("192.0.2.4", at(10, 58), 300),
    burst("192.0.2.4", at(11, 2, 59_999), 201, L3),
    // Two equal peaks: the earlier window is reported.
    burst("192.0.2.5", at(10, 40), 501),
    burst("192.0.2.5", at(10, 10), 501),
    // Above the threshold, but in an hour outside the searched ones.
    burst("192.0.2.6", at(9, 30), 900),
    // Many requests in all, never many in 5 minutes: the pre-filter keeps it, the window drops it.
    { clientIp: "192.0.2.7", country: "NL", location: L1, startMs: at(10, 0), spanMs: 7_000_000, count: 1500 },
];
const HOURS = { from_hour: "2026/11/27/10", to_hour: "2026/11/27/11" };
/** The detector's default slack: a record may lie 15 minutes outside its partition's hour. */
const SLACK_MS = 900_000;

/**
 * The most requests in any [t, t + 300,000 ms) with t one of `times` at or after `sinceMs`, and
 * the earliest such t. Sorts `times`.
 */
function peakWindow(times: number[], sinceMs = -Infinity): { peak: number; start: number } {
    times.sort((a, b) => a - b);
    let peak = 0;
    let start = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
        while (j < times.length && times[j] < times[i] + 300_000) j++;
        if (times[i] >= sinceMs && j - i > peak) [peak, start] = [j - i, times[i]];
    }
    return { peak, start };
}

/** The queries' order: busiest first, then by client IP. */
const byPeak = (a: Row, b: Row) =>
    Number(b.requests_in_5_minutes) - Number(a.requests_in_5_minutes) ||
    String(a.client_ip).localeCompare(String(b.client_ip));

/** The definition, in plain JavaScript: the most requests of an IP in any [t, t + 300,000 ms). */
function expectedBursts(objects: readonly DeliveredObject[], threshold: number): Row[] {
    const byIp = new Map<string, number[]>();
    for (const r of flowRecords(objects)) {
        if (r.hour < HOURS.from_hour || r.hour > HOURS.to_hour) continue;
        byIp.set(r.httpRequest.clientIp, [...(byIp.get(r.httpRequest.clientIp) ?? []), r.timestamp]);
    }
    const rows: Row[] = [];
    for (const [ip, times] of byIp) {
        const { peak, start } = peakWindow(times);
        const minute = new Date(start).toISOString().slice(0, 16).replace("T", " ");
        if (peak > threshold) rows.push({ client_ip: ip, requests_in_5_minutes: peak, window_start: minute });
    }
    return rows.sort(byPeak);
}

describe("burst-detection and blocklist-candidates (the detector's query) at the edges of the window and of the pre-filter", () => {
    let root: string;
    let objects: DeliveredObject[];
    let warehouse: LocalWarehouse;

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "burst-edges-"));
        objects = deliveredObjects(EDGE_FLOWS, (l) => firehoseStreamName(l.region), { maxRecordsPerObject: 400 });
        for (const object of objects) writeObject(root, object);
        warehouse = await LocalWarehouse.open({ dataDir: root });
    });
    after(() => {
        warehouse?.close();
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("reports exactly the IPs above the threshold in some 300,000 ms, with the earliest peak window", async () => {
        const rows = await warehouse.run("burst-detection", { ...HOURS, threshold: 500 });
        assert.deepStrictEqual(rows, [
            { client_ip: "192.0.2.1", requests_in_5_minutes: 501, window_start: "2026-11-27 10:00" },
            { client_ip: "192.0.2.4", requests_in_5_minutes: 501, window_start: "2026-11-27 10:58" },
            { client_ip: "192.0.2.5", requests_in_5_minutes: 501, window_start: "2026-11-27 10:10" },
        ]);
        assert.deepStrictEqual(rows, expectedBursts(objects, 500));
    });

    it("agrees with the definition at every threshold around the edges", async () => {
        for (const threshold of [0, 1, 499, 500, 501, 1499, 1500]) {
            assert.deepStrictEqual(
                await warehouse.run("burst-detection", { ...HOURS, threshold }),
                expectedBursts(objects, threshold),
                `threshold ${threshold}`,
            );
        }
    });

    it("finds nothing in hours with no data", async () => {
        assert.deepStrictEqual(
            await warehouse.run("burst-detection", { from_hour: "2026/11/28/00", to_hour: "2026/11/28/23" }),
            [],
        );
    });

    const numbers = (rows: Row[]) =>
        rows.map((r) =>
            Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])),
        );

    it("blocks what burst-detection reports, with the same peaks and window starts, when every window is recent", async () => {
        const since = at(10, 0);
        for (const threshold of [0, 499, 500, 501, 1499]) {
            const rows = numbers(
                await warehouse.run("blocklist-candidates", {
                    ...HOURS,
                    since_ms: since,
                    threshold,
                    slack_ms: SLACK_MS,
                }),
            );
            assert.deepStrictEqual(rows, expectedCandidates(objects, threshold, since), `threshold ${threshold}`);
            const bursts = await warehouse.run("burst-detection", { ...HOURS, threshold });
            assert.deepStrictEqual(
                rows.map((r) => [r.client_ip, r.requests_in_5_minutes]),
                bursts.map((r) => [r.client_ip, r.requests_in_5_minutes]),
                `threshold ${threshold}`,
            );
        }
    });

    it("counts only windows starting at or after since_ms, and still reports every account and Region hit", async () => {
        const since = at(10, 30);
        const rows = numbers(
            await warehouse.run("blocklist-candidates", {
                ...HOURS,
                since_ms: since,
                threshold: 500,
                slack_ms: SLACK_MS,
            }),
        );
        assert.deepStrictEqual(
            rows.map((r) => [r.client_ip, r.requests_in_5_minutes, r.window_start_ms, r.seen_in]),
            [
                ["192.0.2.4", 501, at(10, 58), "222222222222/us-east-1,333333333333/eu-west-1"],
                ["192.0.2.5", 501, at(10, 40), "222222222222/us-east-1"],
            ],
        );
        assert.deepStrictEqual(rows, expectedCandidates(objects, 500, since));
    });

    it("reads the logs once, and every CTE once", () => {
        const sql = namedQueries().find((q) => q.name === "blocklist-candidates")!.sql;
        assert.strictEqual(sql.match(/\bFROM waf_logs\b/g)?.length, 1);
        for (const cte of ["per_ip", "candidates", "per_request", "recent"]) {
            assert.strictEqual(
                sql.match(new RegExp(`\\b${cte}\\b`, "g"))?.length,
                2,
                `${cte}: defined once, read once`,
            );
        }
    });
});

describe("blocklist-candidates ignores forged time: only records within their partition's hour, give or take the slack, count", () => {
    let root: string;
    let warehouse: LocalWarehouse;
    /** Flows filed under the hour 2026/11/27/10 whatever their records' time says. */
    const forged = (clientIp: string, timestampMs: number, count: number, location = L1): DeliveredObject => {
        const [object] = deliveredObjects([burst(clientIp, at(10, 30), count, location)], (l) =>
            firehoseStreamName(l.region),
        );
        return {
            ...object,
            // One object per client (the generator names objects by time and place).
            fileName: object.fileName.replace(/\.gz$/, `-${clientIp}.gz`),
            lines: object.lines.map((l) => JSON.stringify({ ...JSON.parse(l), timestamp: timestampMs })),
        };
    };

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "burst-forged-"));
        for (const object of [
            // Years ahead of the hour they were filed under: forged, never counted.
            forged("203.0.113.61", Date.UTC(2031, 0, 1), 900),
            // 20 minutes before the hour: outside the 15-minute slack.
            forged("203.0.113.62", at(9, 40), 900),
            // 10 minutes after the hour's end: inside the slack (Firehose buffering), counted.
            forged("203.0.113.63", at(11, 10), 900),
            // 14 minutes before the hour: inside the slack, counted.
            forged("203.0.113.64", at(9, 46), 900),
        ]) {
            writeObject(root, object);
        }
        warehouse = await LocalWarehouse.open({ dataDir: root });
    });
    after(() => {
        warehouse?.close();
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("counts a record only when its time lies within its partition's hour, with the slack either side", async () => {
        const rows = await warehouse.run("blocklist-candidates", {
            from_hour: "2026/11/27/10",
            to_hour: "2026/11/27/10",
            slack_ms: SLACK_MS,
            since_ms: at(9, 0),
            threshold: 500,
        });
        assert.deepStrictEqual(
            rows.map((r) => [r.client_ip, Number(r.requests_in_5_minutes), Number(r.last_seen_ms), r.evidence]),
            [
                ["203.0.113.63", 900, at(11, 10), "222222222222:900"],
                ["203.0.113.64", 900, at(9, 46), "222222222222:900"],
            ],
        );
    });
});

/** The detector's definition: burst-detection's window, counted only for windows starting at or after `sinceMs`. */
function expectedCandidates(objects: readonly DeliveredObject[], threshold: number, sinceMs: number): Row[] {
    const byIp = new Map<string, { times: number[]; seenIn: Set<string>; byAccount: Map<string, number[]> }>();
    for (const r of flowRecords(objects)) {
        if (r.hour < HOURS.from_hour || r.hour > HOURS.to_hour) continue;
        const ip = byIp.get(r.httpRequest.clientIp) ?? {
            times: [],
            seenIn: new Set<string>(),
            byAccount: new Map<string, number[]>(),
        };
        ip.times.push(r.timestamp);
        ip.seenIn.add(`${r.location.accountId}/${r.location.region}`);
        ip.byAccount.set(r.location.accountId, [...(ip.byAccount.get(r.location.accountId) ?? []), r.timestamp]);
        byIp.set(r.httpRequest.clientIp, ip);
    }
    const rows: Row[] = [];
    for (const [ip, { times, seenIn, byAccount }] of byIp) {
        const { peak, start } = peakWindow(times, sinceMs);
        // Each account's own busiest 5 minutes among windows starting at or after sinceMs.
        const evidence = [...byAccount]
            .map(([account, accountTimes]) => [account, peakWindow(accountTimes, sinceMs).peak] as const)
            .filter(([, accountPeak]) => accountPeak > 0)
            .map(([account, accountPeak]) => `${account}:${accountPeak}`)
            .sort();
        if (peak > threshold) {
            rows.push({
                client_ip: ip,
                requests_in_5_minutes: peak,
                window_start_ms: start,
                first_seen_ms: times[0],
                last_seen_ms: times[times.length - 1],
                requests: times.length,
                seen_in: [...seenIn].sort().join(","),
                evidence: evidence.join(","),
            });
        }
    }
    return rows.sort(byPeak);
}

describe("named queries stay valid Athena (Trino) SQL", () => {
    /** DuckDB spellings with no Trino equivalent; the warehouse's macros cover the Trino names instead. */
    const DUCKDB_ONLY: [RegExp, string][] = [
        [/::/, "the :: cast (use CAST(x AS type))"],
        [/\/\//, "// integer division"],
        [/\bQUALIFY\b/i, "QUALIFY"],
        [/\bEXCLUDE\s*\(/i, "SELECT * EXCLUDE"],
        [/\b(list|struct|array)_(value|extract|transform|filter|aggregate|to_string)\b/i, "DuckDB list functions"],
        [
            /\b(strftime|epoch_ms|to_timestamp|approx_quantile|quantile_(cont|disc)|string_split|regexp_matches)\s*\(/i,
            "DuckDB functions",
        ],
        [/\bILIKE\b/i, "ILIKE"],
    ];

    it("uses no DuckDB-only syntax in any query", () => {
        for (const query of namedQueries()) {
            for (const [pattern, what] of DUCKDB_ONLY) {
                assert.ok(!pattern.test(query.sql), `${query.name} uses ${what}`);
            }
        }
    });

    it("counts per IP with the same text in burst-detection and threshold-tuning", () => {
        const perIp = (name: string) => {
            const sql = namedQueries().find((q) => q.name === name)!.sql;
            return sql.slice(sql.indexOf("per_ip AS ("), sql.indexOf("\n),") + 3);
        };
        assert.match(perIp("burst-detection"), /^per_ip AS \(\n {4}SELECT\n[\s\S]*GROUP BY 1\n\),$/);
        assert.strictEqual(perIp("threshold-tuning"), perIp("burst-detection"));
    });

    it("reads the logs once in burst-detection: Athena inlines a CTE at each reference, scan included", () => {
        const sql = namedQueries().find((q) => q.name === "burst-detection")!.sql;
        assert.strictEqual(sql.match(/\bFROM waf_logs\b/g)?.length, 1);
        for (const cte of ["per_ip", "candidates", "per_request", "peaks"]) {
            assert.strictEqual(
                sql.match(new RegExp(`\\b${cte}\\b`, "g"))?.length,
                2,
                `${cte}: defined once, read once`,
            );
        }
    });
});
