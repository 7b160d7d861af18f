import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fieldPaths } from "../analytics/schema";
import { namedQueries } from "../analytics/sql";
import { LocalWarehouse, Row } from "../analytics/warehouse";
import { DeliveredObject } from "../tools/traffic/traffic";
import { sampleLines, skipWithoutSamples } from "./support/samples";
import {
    ATTACKER_CROSS_ACCOUNT,
    ATTACKER_SINGLE_REGION,
    SAMPLES_HOUR,
    SLOW_SCANNER,
    flowRecords,
    samplesHourLines,
    writeScenario,
} from "./support/scenario";

const DAY = { from_hour: "2026/11/27/00", to_hour: "2026/11/27/23" };
const MONTH = { from_hour: "2026/11/01/00", to_hour: "2026/11/30/23" };

/** Expected answers, computed from the generated records in plain JavaScript. */
function oracle(objects: readonly DeliveredObject[]) {
    const records = flowRecords(objects).filter((r) => r.hour >= DAY.from_hour && r.hour <= DAY.to_hour);
    const byIp = new Map<string, { requests: number; blocked: number; countries: Set<string> }>();
    for (const r of records) {
        const ip = r.httpRequest.clientIp;
        const entry = byIp.get(ip) ?? { requests: 0, blocked: 0, countries: new Set() };
        entry.requests++;
        if (r.action === "BLOCK") entry.blocked++;
        entry.countries.add(r.httpRequest.country);
        byIp.set(ip, entry);
    }
    const topClientIps = [...byIp.entries()]
        .map(([client_ip, e]) => ({ client_ip, requests: e.requests, blocked: e.blocked, countries: e.countries.size }))
        .sort((a, b) => b.requests - a.requests || a.client_ip.localeCompare(b.client_ip))
        .slice(0, 25);
    const byCountryHour = new Map<string, { requests: number; blocked: number }>();
    for (const r of records) {
        const key = `${new Date(r.timestamp).toISOString().slice(0, 13).replace("T", " ")}:00|${r.httpRequest.country}`;
        const e = byCountryHour.get(key) ?? { requests: 0, blocked: 0 };
        e.requests++;
        if (r.action === "BLOCK") e.blocked++;
        byCountryHour.set(key, e);
    }
    const requestsByCountry = [...byCountryHour.entries()]
        .map(([key, e]) => ({ hour_start: key.split("|")[0], country: key.split("|")[1], ...e }))
        .sort(
            (a, b) =>
                a.hour_start.localeCompare(b.hour_start) ||
                b.requests - a.requests ||
                a.country.localeCompare(b.country),
        );
    return { total: records.length, topClientIps, requestsByCountry, thresholdTuning: tuning(records) };
}

/** Nearest-rank percentile of ascending values: the smallest value with at least p of them at or below it. */
const percentile = (sorted: readonly number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];

/**
 * threshold-tuning by its definition: a request is blocked at limit T when its IP's requests in
 * the 300,000 ms ending with it (ties included) number more than T.
 */
function tuning(records: readonly Record<string, any>[], thresholds = [100, 500, 2000]): Row[] {
    const byIp = new Map<string, number[]>();
    for (const r of records)
        byIp.set(r.httpRequest.clientIp, [...(byIp.get(r.httpRequest.clientIp) ?? []), r.timestamp]);
    // hour -> ip -> trailing counts of the IP's requests in that hour
    const hours = new Map<string, Map<string, number[]>>();
    for (const [ip, times] of byIp) {
        for (const t of times) {
            const inWindow = times.filter((u) => u >= t - 299_999 && u <= t).length;
            const hour = `${new Date(t).toISOString().slice(0, 13).replace("T", " ")}:00`;
            const ips = hours.get(hour) ?? new Map<string, number[]>();
            ips.set(ip, [...(ips.get(ip) ?? []), inWindow]);
            hours.set(hour, ips);
        }
    }
    return [...hours.keys()].sort().flatMap((hour) => {
        const ips = [...hours.get(hour)!.values()];
        const busiest = ips.map((counts) => Math.max(...counts)).sort((a, b) => a - b);
        return thresholds.map((threshold) => ({
            hour_start: hour,
            threshold,
            client_ips_blocked: ips.filter((counts) => counts.some((c) => c > threshold)).length,
            requests_blocked: ips.flat().filter((c) => c > threshold).length,
            client_ips: ips.length,
            requests: ips.flat().length,
            p50_5_minutes: percentile(busiest, 0.5),
            p95_5_minutes: percentile(busiest, 0.95),
            p99_5_minutes: percentile(busiest, 0.99),
            max_5_minutes: busiest[busiest.length - 1],
        }));
    });
}

describe("analytics on DuckDB: the named queries over the central layout", () => {
    let root: string;
    let objects: DeliveredObject[];
    let warehouse: LocalWarehouse;
    let expected: ReturnType<typeof oracle>;

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "central-layout-"));
        objects = writeScenario(root);
        expected = oracle(objects);
        warehouse = await LocalWarehouse.open({ dataDir: root });
    });
    after(() => {
        warehouse?.close();
        fs.rmSync(root, { recursive: true, force: true });
    });

    /** Every check, so it can run on raw JSON and again after compaction. */
    const checks: [string, (w: LocalWarehouse) => Promise<void>][] = [
        [
            "burst-detection finds exactly the two flooding IPs, with their peak window",
            async (w) => {
                assert.deepStrictEqual(await w.run("burst-detection", { ...DAY, threshold: 500 }), [
                    {
                        client_ip: ATTACKER_CROSS_ACCOUNT,
                        requests_in_5_minutes: 1600,
                        window_start: "2026-11-27 10:30",
                    },
                    { client_ip: ATTACKER_SINGLE_REGION, requests_in_5_minutes: 600, window_start: "2026-11-27 10:45" },
                ]);
            },
        ],
        [
            "cross-account-attackers finds the IPs active in several accounts or Regions, not the quiet ones",
            async (w) => {
                assert.deepStrictEqual(
                    await w.run("cross-account-attackers", { ...DAY, min_locations: 2, min_requests: 1000 }),
                    [
                        {
                            client_ip: ATTACKER_CROSS_ACCOUNT,
                            locations: 2,
                            accounts: 2,
                            requests: 1600,
                            seen_in: "222222222222/us-east-1, 333333333333/eu-west-1",
                        },
                        {
                            client_ip: SLOW_SCANNER,
                            locations: 2,
                            accounts: 1,
                            requests: 1200,
                            seen_in: "222222222222/eu-west-1, 222222222222/us-east-1",
                        },
                    ],
                );
            },
        ],
        [
            "blocked-by-rule counts blocks per terminating rule",
            async (w) => {
                assert.deepStrictEqual(await w.run("blocked-by-rule", DAY), [
                    {
                        terminating_rule: "rate-limit-per-client-ip",
                        rule_type: "RATE_BASED",
                        blocked: 1600,
                        client_ips: 1,
                    },
                    {
                        terminating_rule: "AWS-AWSManagedRulesCommonRuleSet",
                        rule_type: "MANAGED_RULE_GROUP",
                        blocked: 600,
                        client_ips: 1,
                    },
                ]);
            },
        ],
        [
            "top-client-ips matches a plain JavaScript count",
            async (w) => assert.deepStrictEqual(await w.run("top-client-ips", DAY), expected.topClientIps),
        ],
        [
            "threshold-tuning reports, per hour and candidate limit, the IPs and requests a rate-based rule would block",
            async (w) => {
                const rows = await w.run("threshold-tuning", { ...DAY, thresholds: "2000, 500,100,500" });
                const hour10 = { hour_start: "2026-11-27 10:00", client_ips: 33, requests: 2982 };
                const hour11 = { hour_start: "2026-11-27 11:00", client_ips: 31, requests: 718 };
                const spread10 = { p50_5_minutes: 1, p95_5_minutes: 600, p99_5_minutes: 1600, max_5_minutes: 1600 };
                const spread11 = { p50_5_minutes: 1, p95_5_minutes: 1, p99_5_minutes: 52, max_5_minutes: 52 };
                const row = (hour: object, threshold: number, ips: number, blocked: number, spread: object) => ({
                    ...hour,
                    threshold,
                    client_ips_blocked: ips,
                    requests_blocked: blocked,
                    ...spread,
                });
                // At 500 the flood is blocked after its 500th request in 5 minutes: 1,100 of 1,600 and
                // 100 of the other burst's 600. Duplicate limits count once; their order does not matter.
                const expectedRows = [
                    row(hour10, 100, 2, 2000, spread10),
                    row(hour10, 500, 2, 1200, spread10),
                    row(hour10, 2000, 0, 0, spread10),
                    row(hour11, 100, 0, 0, spread11),
                    row(hour11, 500, 0, 0, spread11),
                    row(hour11, 2000, 0, 0, spread11),
                ];
                assert.deepStrictEqual(rows, expectedRows);
                assert.deepStrictEqual(rows, expected.thresholdTuning);
            },
        ],
        [
            "requests-by-country matches a plain JavaScript count",
            async (w) => assert.deepStrictEqual(await w.run("requests-by-country", DAY), expected.requestsByCountry),
        ],
        [
            "monthly-requests covers every record of the month, the shared samples included",
            async (w) => {
                const rows = await w.run("monthly-requests", MONTH);
                const total = rows.reduce((n, r) => n + Number(r.requests), 0);
                assert.strictEqual(total, flowRecords(objects).length + samplesHourLines().length);
                const attacker = rows.filter((r) => r.client_ip === ATTACKER_CROSS_ACCOUNT);
                assert.deepStrictEqual(
                    attacker.map((r) => [r.event_date, r.account_id, r.region, r.web_acl, r.requests]),
                    [
                        ["2026-11-27", "222222222222", "us-east-1", "shop", 800],
                        ["2026-11-27", "333333333333", "eu-west-1", "shop", 800],
                    ],
                );
            },
        ],
    ];

    describe("on the raw JSON", () => {
        for (const [title, check] of checks) it(title, () => check(warehouse));
    });

    describe("after compacting both days (and compacting one again)", () => {
        before(async () => {
            await warehouse.compactDay("2026-11-27T01:30:00Z");
            await warehouse.compactDay("2026-11-27T01:30:00Z");
            await warehouse.compactDay("2026-11-28T01:30:00Z");
        });

        it("holds each compacted record once, and leaves the uncompacted samples day to the raw table", async () => {
            const [compacted] = await warehouse.query("SELECT count(*) AS n FROM waf_logs_compacted");
            assert.strictEqual(compacted.n, flowRecords(objects).length);
            const [all] = await warehouse.query("SELECT count(*) AS n FROM waf_logs");
            assert.strictEqual(all.n, flowRecords(objects).length + samplesHourLines().length);
        });

        for (const [title, check] of checks) it(title, () => check(warehouse));
    });

    describe("from compacted Parquet files", () => {
        let reopened: LocalWarehouse;
        let parquetDir: string;
        before(async () => {
            parquetDir = fs.mkdtempSync(path.join(os.tmpdir(), "compacted-"));
            await warehouse.exportCompacted(parquetDir);
            reopened = await LocalWarehouse.open({ dataDir: root, compactedDir: parquetDir });
        });
        after(() => {
            reopened?.close();
            fs.rmSync(parquetDir, { recursive: true, force: true });
        });

        it("writes Parquet partitioned by account, Region and stream", () => {
            const dirs = fs.readdirSync(parquetDir).sort();
            assert.deepStrictEqual(dirs, ["account_id=222222222222", "account_id=333333333333"]);
        });

        for (const [title, check] of checks) it(title, () => check(reopened));
    });
});

describe("analytics schema and queries", () => {
    it("covers every field present in the shared samples", function () {
        skipWithoutSamples(this);
        const covered = new Set(fieldPaths());
        const seen = new Set<string>();
        const walk = (value: unknown, prefix: string) => {
            if (Array.isArray(value)) return value.forEach((v) => walk(v, prefix));
            if (typeof value !== "object" || value === null) return;
            for (const [key, v] of Object.entries(value)) {
                const p = `${prefix}${key.toLowerCase()}`;
                seen.add(p);
                walk(v, `${p}.`);
            }
        };
        for (const line of sampleLines()) walk(JSON.parse(line), "");
        // A malformed header in one AWS example carries "myValue" instead of "value".
        const missing = [...seen].filter((p) => !covered.has(p) && p !== "httprequest.headers.myvalue");
        assert.deepStrictEqual(missing, []);
    });

    it("filters every named query on the hour partition, so a one-hour question reads one hour", () => {
        for (const query of namedQueries()) {
            assert.match(query.sql, /WHERE hour BETWEEN \? AND \?/, query.name);
            assert.deepStrictEqual(
                query.params.slice(0, 2).map((p) => p.name),
                ["from_hour", "to_hour"],
                query.name,
            );
        }
    });

    it("reads a samples hour on its own", async function () {
        skipWithoutSamples(this);
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "samples-"));
        writeScenario(root);
        const warehouse = await LocalWarehouse.open({ dataDir: root });
        try {
            const rows = await warehouse.run("top-client-ips", { from_hour: SAMPLES_HOUR, to_hour: SAMPLES_HOUR });
            const lines = sampleLines().map((l) => JSON.parse(l).httpRequest.clientIp);
            assert.strictEqual(
                rows.reduce((n: number, r: Row) => n + Number(r.requests), 0),
                lines.length,
            );
        } finally {
            warehouse.close();
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
