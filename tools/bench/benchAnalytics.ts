/**
 * Analytics section of `npm run bench`: the burst-detection question over generated records, on
 * DuckDB (gzip JSON and compacted Parquet) against a plain in-memory JavaScript aggregation, each
 * measured in a fresh process for its peak memory; and the bytes a one-hour question reads with
 * partition projection against the whole month.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { createInterface } from "readline";
import { createGunzip, gzipSync } from "zlib";
import { namedQuery } from "../../analytics/sql";
import { LocalWarehouse } from "../../analytics/warehouse";
import { centralKey } from "../../layout";
import { firehoseStreamName } from "../../names";
import { Location, backgroundTraffic, hourOf, prng, wafRecord } from "../traffic/traffic";

const LOCATIONS: Location[] = [
    { accountId: "222222222222", region: "us-east-1" },
    { accountId: "222222222222", region: "eu-west-1" },
    { accountId: "333333333333", region: "eu-west-1" },
];
const DAY_START = Date.UTC(2026, 10, 27);
const WINDOW = { from_hour: "2026/11/27/00", to_hour: "2026/11/27/23", threshold: 2000 };
const RECORDS_PER_OBJECT = 50_000;

/** Writes `count` records over one day in three locations, with a 6,000-request burst from one IP. */
export function generateDataset(root: string, count: number): { bytes: number; objects: number } {
    let bytes = 0;
    let objects = 0;
    const random = prng(11);
    const burst = Array.from({ length: 6000 }, (_, i) => ({
        ts: DAY_START + 12 * 3600_000 + i * 40,
        ip: "203.0.113.99",
    }));
    for (const [index, location] of LOCATIONS.entries()) {
        const share = Math.floor(count / LOCATIONS.length) - (index === 0 ? burst.length : 0);
        const lines = backgroundTraffic(
            { ...location, webAclName: "shop", startMs: DAY_START, spanMs: 24 * 3600_000 - 1, seed: index + 1 },
            share,
        );
        let batch: string[] = [];
        let hour = "";
        const flush = () => {
            if (batch.length === 0) return;
            const [year, month, day, hh] = hour.split("/");
            const streamName = firehoseStreamName(location.region);
            const key = centralKey({
                ...location,
                streamName,
                year,
                month,
                day,
                hour: hh,
                file: `${streamName}-1-${objects}.gz`,
            });
            const body = gzipSync(`${batch.join("\n")}\n`);
            fs.mkdirSync(path.dirname(path.join(root, key)), { recursive: true });
            fs.writeFileSync(path.join(root, key), body);
            bytes += body.length;
            objects++;
            batch = [];
        };
        const traffic = { ...location, webAclName: "shop", startMs: DAY_START, spanMs: 0 };
        const extra =
            index === 0
                ? burst.map((b) =>
                      JSON.stringify(wafRecord(traffic, { timestamp: b.ts, clientIp: b.ip, country: "CN" }, random)),
                  )
                : [];
        for (const line of [...lines, ...extra]) {
            const ts = Number(/"timestamp":(\d+)/.exec(line)![1]);
            if (hourOf(ts) !== hour || batch.length >= RECORDS_PER_OBJECT) {
                flush();
                hour = hourOf(ts);
            }
            batch.push(line);
        }
        flush();
    }
    return { bytes, objects };
}

/** The same question in plain JavaScript: stream every line, keep (ip, ts), sort, slide a 5-minute window. */
export async function javascriptBursts(
    root: string,
    threshold: number,
): Promise<{ client_ip: string; peak: number }[]> {
    const byIp = new Map<string, number[]>();
    const files: string[] = [];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (p.endsWith(".gz")) files.push(p);
        }
    };
    walk(root);
    for (const file of files) {
        const lines = createInterface({ input: fs.createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
        for await (const line of lines) {
            if (!line) continue;
            const record = JSON.parse(line);
            const list = byIp.get(record.httpRequest.clientIp) ?? [];
            list.push(record.timestamp);
            byIp.set(record.httpRequest.clientIp, list);
        }
    }
    const result: { client_ip: string; peak: number }[] = [];
    for (const [ip, times] of byIp) {
        times.sort((a, b) => a - b);
        let peak = 0;
        for (let start = 0, end = 0; start < times.length; start++) {
            while (end < times.length && times[end] < times[start] + 300_000) end++;
            peak = Math.max(peak, end - start);
        }
        if (peak > threshold) result.push({ client_ip: ip, peak });
    }
    return result.sort((a, b) => b.peak - a.peak || a.client_ip.localeCompare(b.client_ip));
}

function directoryBytes(dir: string, filter: (relative: string) => boolean = () => true): number {
    let total = 0;
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (filter(path.relative(dir, p))) total += fs.statSync(p).size;
        }
    };
    if (fs.existsSync(dir)) walk(dir);
    return total;
}

/** One measurement, run in a fresh process so its peak RSS is its own. */
export interface Measurement {
    /** `query`: a named query on DuckDB; `compact`: compaction and Parquet export; `javascript`: the plain aggregation. */
    readonly mode: "query" | "compact" | "javascript";
    readonly root: string;
    readonly compactedDir: string;
    /** For `query`: read compacted Parquet only (the day's raw JSON absent, as after it expires). */
    readonly parquet?: boolean;
    readonly query?: string;
    readonly params?: Readonly<Record<string, string | number>>;
}

export interface Measured {
    /** Wall-clock seconds, from opening the warehouse to the last row. */
    readonly seconds: number;
    /** User + system CPU seconds over the same span: less sensitive than wall time to other load on the machine. */
    readonly cpuSeconds: number;
    readonly maxRssMiB: number;
    readonly rows: any[];
}

/** Child-process mode: one measurement, printed as JSON with the process's peak RSS. */
export async function measure(spec: Measurement): Promise<void> {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    let rows: unknown[] = [];
    if (spec.mode === "query") {
        const warehouse = await LocalWarehouse.open({
            // An empty directory stands for the expired raw JSON: the view then reads Parquet alone.
            dataDir: spec.parquet ? path.join(spec.compactedDir, "..", "no-raw-json") : spec.root,
            compactedDir: spec.parquet ? spec.compactedDir : undefined,
        });
        const given = { ...WINDOW, ...spec.params };
        const own = namedQuery(spec.query!).params.map((p) => p.name);
        rows = await warehouse.run(
            spec.query!,
            Object.fromEntries(Object.entries(given).filter(([k]) => own.includes(k))),
        );
        warehouse.close();
    } else if (spec.mode === "compact") {
        const warehouse = await LocalWarehouse.open({ dataDir: spec.root });
        await warehouse.compactDay("2026-11-28T01:30:00Z");
        await warehouse.exportCompacted(spec.compactedDir);
        warehouse.close();
    } else {
        rows = await javascriptBursts(spec.root, WINDOW.threshold);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    const measured: Measured = {
        seconds,
        cpuSeconds: (used.user + used.system) / 1e6,
        maxRssMiB: process.resourceUsage().maxRSS / 1024,
        rows,
    };
    process.stdout.write(JSON.stringify(measured));
}

function child(spec: Measurement): Measured {
    const out = execFileSync(
        process.execPath,
        [...process.execArgv, path.join(__dirname, "bench.ts"), "--analytics-child", JSON.stringify(spec)],
        { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(out);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs the measurements in turn, `rounds` times (interleaved, so a burst of load elsewhere hits all alike). */
function interleaved(specs: readonly Measurement[], rounds: number): Measured[] {
    const runs = specs.map(() => [] as Measured[]);
    for (let round = 0; round < rounds; round++) specs.forEach((spec, i) => runs[i].push(child(spec)));
    return runs.map((list) => ({
        seconds: median(list.map((m) => m.seconds)),
        cpuSeconds: median(list.map((m) => m.cpuSeconds)),
        maxRssMiB: Math.max(...list.map((m) => m.maxRssMiB)),
        rows: list[0].rows,
    }));
}

const mib = (b: number) => (b < 2 ** 20 ? `${(b / 1024).toFixed(0)} KiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);
const figures = (m: Measured) =>
    `${m.seconds.toFixed(1)} s (CPU ${m.cpuSeconds.toFixed(1)} s), peak RSS ${m.maxRssMiB.toFixed(0)} MiB`;
const found = (rows: any[]) => rows.map((r) => `${r.client_ip}:${r.requests_in_5_minutes ?? r.peak}`).join(", ");

/** Rounds of each burst/top-client-ips pair; the figures are medians. */
const ROUNDS = 5;
/** Below every generated IP's total at both sizes, so the pre-filter keeps every IP: the worst case. */
const WORST_CASE_THRESHOLD = 100;

export async function analyticsSection(dir: string, sizes: readonly number[]): Promise<string[]> {
    const lines = [
        "",
        "## Analytics: burst detection (queries/burst-detection.sql) against top-client-ips on the same data",
        "",
        `Each figure is the median of ${ROUNDS} runs, each in a fresh process, burst and top-client-ips interleaved; peak RSS is the largest of the runs.`,
        "",
    ];
    for (const count of sizes) {
        const root = path.join(dir, `central-${count}`);
        const compactedDir = path.join(dir, `compacted-${count}`, "parquet");
        const generated = generateDataset(root, count);
        const compaction = child({ mode: "compact", root, compactedDir });
        lines.push(
            `- ${count.toLocaleString("en-US")} records (${mib(generated.bytes)} of gzip JSON in ${generated.objects} objects; Parquet ${mib(directoryBytes(compactedDir))}, compaction ${compaction.seconds.toFixed(1)} s):`,
        );
        const answers: string[] = [];
        for (const parquet of [false, true]) {
            const on = { mode: "query", root, compactedDir, parquet } as const;
            const [top, burst] = interleaved(
                [
                    { ...on, query: "top-client-ips" },
                    { ...on, query: "burst-detection" },
                ],
                ROUNDS,
            );
            const [worst, tuning] = interleaved(
                [
                    { ...on, query: "burst-detection", params: { threshold: WORST_CASE_THRESHOLD } },
                    { ...on, query: "threshold-tuning" },
                ],
                1,
            );
            answers.push(found(burst.rows));
            lines.push(
                `  - ${parquet ? "compacted Parquet" : "gzip JSON"}: top-client-ips ${figures(top)}; burst-detection ${figures(burst)}`,
                `    - burst / top-client-ips: ${(burst.seconds / top.seconds).toFixed(2)}x time, ${(burst.cpuSeconds / top.cpuSeconds).toFixed(2)}x CPU (target: at most 1.25x); ${(burst.maxRssMiB / top.maxRssMiB).toFixed(2)}x peak RSS`,
                `    - worst case, threshold ${WORST_CASE_THRESHOLD} (below every IP's total, so every request is windowed): ${figures(worst)}`,
                `    - threshold-tuning (every request windowed, ${tuning.rows.length} rows): ${figures(tuning)}`,
            );
        }
        const js = child({ mode: "javascript", root, compactedDir });
        answers.push(found(js.rows));
        lines.push(
            `  - plain JavaScript aggregation (stream, sort, slide): ${figures(js)}`,
            `  - same answer on JSON, on Parquet and in JavaScript: ${new Set(answers).size === 1 ? "yes" : "NO"} (${answers.join(" / ")})`,
        );
        if (count === sizes[sizes.length - 1]) {
            const hour = directoryBytes(root, (r) => r.split(path.sep).slice(3, 7).join("/") === "2026/11/27/12");
            const day = directoryBytes(root);
            lines.push(
                "",
                "## Analytics: bytes read with partition projection",
                "",
                `- one-hour question (hour BETWEEN '2026/11/27/12' AND '2026/11/27/12'): ${mib(hour)} read; ` +
                    `the whole generated day: ${mib(day)}; a 30-day month at this rate: ${mib(day * 30)} (${((day * 30) / Math.max(1, hour)).toFixed(0)}x the hour).`,
                "  Projection turns the hour predicate into the prefixes of that hour, so Athena reads only those objects (sizes measured on disk).",
            );
        }
        fs.rmSync(root, { recursive: true, force: true });
        fs.rmSync(path.dirname(compactedDir), { recursive: true, force: true });
    }
    return lines;
}
