/**
 * `npm run bench`: measured figures, never assertions. Ratios are taken within one run on one
 * machine. Sections: the loader (throughput, memory, requests against a per-line baseline).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import { BulkResponse } from "../../handlers/bulk";
import { LoaderDependencies, ObjectSummary, loadObject } from "../../handlers/loader";
import { DEFAULT_LOADER_SETTINGS } from "../../handlers/loaderLambda";
import { analyticsSection, measure as measureAnalytics } from "./benchAnalytics";
import { runCli, temporaryDirectory, usageError } from "../cli/shell";
import { startSearchServer } from "../local/aws/searchServer";
import { backgroundTraffic } from "../traffic/traffic";

const KEY = "222222222222/us-east-1/aws-waf-logs-central-us-east-1/2026/11/27/10/bench";
const TRAFFIC = {
    accountId: "222222222222",
    region: "us-east-1",
    webAclName: "shop",
    startMs: Date.UTC(2026, 10, 27, 10),
    spanMs: 3_600_000,
};

/** Writes an NDJSON file of at least `bytes`, from realistic generated records. */
function writeNdjson(file: string, bytes: number): { records: number; bytes: number } {
    const fd = fs.openSync(file, "w");
    let written = 0;
    let records = 0;
    for (const line of backgroundTraffic({ ...TRAFFIC, seed: 7 }, Number.MAX_SAFE_INTEGER)) {
        if (written >= bytes) break;
        written += fs.writeSync(fd, `${line}\n`);
        records++;
    }
    fs.closeSync(fd);
    return { records, bytes: written };
}

/** A `_bulk` stand-in that answers success for every item without parsing documents. */
function acceptingBulk(counter: { requests: number; bytes: number }) {
    return async (ndjson: Buffer): Promise<BulkResponse> => {
        counter.requests++;
        counter.bytes += ndjson.length;
        let items = 0;
        for (let i = ndjson.indexOf(10); i !== -1; i = ndjson.indexOf(10, i + 1)) items++;
        return {
            statusCode: 200,
            body: { errors: false, items: Array.from({ length: items / 2 }, () => ({ index: { status: 201 } })) },
        };
    };
}

/** What a bench run's report store was given: the report's size and where it was held. */
const reported = { bytes: 0, kind: "" };

/** The loader's dependencies for a local file; reports are written (the spill file too) but not stored. */
function deps(file: string, bulk: LoaderDependencies["bulk"]): LoaderDependencies {
    return {
        getObject: async () => ({ body: fs.createReadStream(file, { highWaterMark: 256 * 1024 }) }),
        reports: {
            put: async (_bucket, _key, body) => {
                reported.kind = body.kind;
                reported.bytes = body.kind === "memory" ? body.data.length : body.bytes;
            },
            exists: async () => false,
            remove: async () => undefined,
        },
        bulk,
        settings: DEFAULT_LOADER_SETTINGS,
        log: () => undefined,
        writeMetrics: () => undefined,
    };
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number }> {
    const started = process.hrtime.bigint();
    const result = await run();
    return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Child mode: load one file and print the peak RSS, so each size is measured in its own process. */
async function measureRss(file: string): Promise<void> {
    const counter = { requests: 0, bytes: 0 };
    const summary: ObjectSummary = await loadObject("bench", KEY, deps(file, acceptingBulk(counter)));
    const { heapTotal, external } = process.memoryUsage();
    process.stdout.write(
        JSON.stringify({
            maxRssKiB: process.resourceUsage().maxRSS,
            heapTotalMiB: heapTotal >> 20,
            externalMiB: external >> 20,
            indexed: summary.indexed,
            parked: summary.parked,
            report: reported,
        }),
    );
}

/** Writes an NDJSON file of at least `bytes` in which no line is JSON (each record loses its first brace). */
function writeRejected(file: string, bytes: number): { lines: number; bytes: number } {
    const fd = fs.openSync(file, "w");
    let written = 0;
    let lines = 0;
    for (const line of backgroundTraffic({ ...TRAFFIC, seed: 9 }, Number.MAX_SAFE_INTEGER)) {
        if (written >= bytes) break;
        written += fs.writeSync(fd, `${line.slice(1)}\n`);
        lines++;
    }
    fs.closeSync(fd);
    return { lines, bytes: written };
}

function httpPost(
    agent: http.Agent,
    url: string,
    method: string,
    pathName: string,
    body: string | Buffer,
    type: string,
): Promise<BulkResponse> {
    return new Promise((resolve, reject) => {
        const req = http.request(`${url}${pathName}`, { method, agent, headers: { "content-type": type } }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
                resolve({ statusCode: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
            );
        });
        req.on("error", reject);
        req.end(body);
    });
}

async function loaderSection(dir: string): Promise<string[]> {
    const lines: string[] = ["## Loader (handlers/loader.ts)", ""];

    // 1. Pipeline throughput: object stream -> lines -> documents -> bounded bulk bodies.
    const plain = path.join(dir, "throughput.ndjson");
    const size = writeNdjson(plain, 64 * 1024 * 1024);
    const gz = path.join(dir, "throughput.ndjson.gz");
    fs.writeFileSync(gz, gzipSync(fs.readFileSync(plain)));
    for (const [label, file] of [
        ["plain NDJSON", plain],
        ["gzip NDJSON", gz],
    ]) {
        const counter = { requests: 0, bytes: 0 };
        await loadObject("bench", KEY, deps(file, acceptingBulk(counter))); // warm-up
        counter.requests = 0;
        const { result, seconds } = await timed(() => loadObject("bench", KEY, deps(file, acceptingBulk(counter))));
        lines.push(
            `- throughput, ${label}: ${(size.bytes / 2 ** 20 / seconds).toFixed(1)} MiB/s of raw NDJSON, ` +
                `${Math.round(result.indexed / seconds).toLocaleString("en-US")} records/s ` +
                `(${result.indexed.toLocaleString("en-US")} records, ${(size.bytes / 2 ** 20).toFixed(0)} MiB, one core, ${seconds.toFixed(2)} s); ` +
                `${((counter.requests / result.indexed) * 100_000).toFixed(1)} bulk requests per 100,000 records`,
        );
    }

    // 2. Peak RSS for a 1 MiB and a 100 MiB object, each in a fresh process.
    const rss: Record<string, number> = {};
    for (const mib of [1, 100]) {
        const file = path.join(dir, `rss-${mib}.ndjson`);
        writeNdjson(file, mib * 2 ** 20);
        const out = execFileSync(process.execPath, [...process.execArgv, __filename, "--rss", file], {
            encoding: "utf8",
        });
        rss[mib] = JSON.parse(out).maxRssKiB / 1024;
        lines.push(`- peak RSS loading a ${mib} MiB object: ${rss[mib].toFixed(0)} MiB`);
    }
    lines.push(`- peak RSS growth from 1 MiB to 100 MiB: ${(rss[100] - rss[1]).toFixed(0)} MiB (target < 64 MiB)`);

    // 3. Every line rejected: the report streams through a spill file instead of memory.
    const rejectedFile = path.join(dir, "rejected.ndjson");
    const rejected = writeRejected(rejectedFile, 200 * 2 ** 20);
    // Run again with V8's old space capped: finishing at all shows nothing grows with the object.
    const runRejected = (flags: string[]) => {
        const started = process.hrtime.bigint();
        const child = JSON.parse(
            execFileSync(process.execPath, [...flags, ...process.execArgv, __filename, "--rss", rejectedFile], {
                encoding: "utf8",
            }),
        );
        return { ...child, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    };
    const free = runRejected([]);
    const capped = runRejected(["--max-old-space-size=64"]);
    lines.push(
        `- peak RSS loading a ${(rejected.bytes / 2 ** 20).toFixed(0)} MiB object whose ${rejected.lines.toLocaleString("en-US")} lines are all rejected: ` +
            `${(free.maxRssKiB / 1024).toFixed(0)} MiB (${free.parked.toLocaleString("en-US")} lines parked; ` +
            `a ${(free.report.bytes / 2 ** 20).toFixed(0)} MiB report, held in a ${free.report.kind}; ${free.seconds.toFixed(1)} s with process start); ` +
            `with V8's old space capped at 64 MiB: ${(capped.maxRssKiB / 1024).toFixed(0)} MiB, ${capped.parked.toLocaleString("en-US")} lines parked, ${capped.seconds.toFixed(1)} s`,
    );

    // 4. Requests and time against a one-request-per-line baseline, over loopback HTTP.
    const server = await startSearchServer();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sample = path.join(dir, "baseline.ndjson");
    const { records } = writeNdjson(sample, 8 * 2 ** 20);
    const bulkHttp = { requests: 0 };
    const loader = await timed(() =>
        loadObject(
            "bench",
            KEY,
            deps(sample, (body) => {
                bulkHttp.requests++;
                return httpPost(agent, server.url, "POST", "/_bulk", body, "application/x-ndjson");
            }),
        ),
    );
    const baselineRequests = { count: 0 };
    const baseline = await timed(async () => {
        let line = 0;
        for (const text of fs.readFileSync(sample, "utf8").split("\n")) {
            if (!text) continue;
            line++;
            baselineRequests.count++;
            await httpPost(agent, server.url, "PUT", `/waf-logs/_doc/${line}`, text, "application/json");
        }
    });
    agent.destroy();
    await server.close();
    const per100k = (requests: number) => Math.round((requests / records) * 100_000);
    lines.push(
        `- HTTP requests per 100,000 records: loader ${per100k(bulkHttp.requests)}, per-line baseline ${per100k(baselineRequests.count).toLocaleString("en-US")} ` +
            `(${Math.round(baselineRequests.count / bulkHttp.requests)}x fewer; target >= 500x)`,
        `- same ${records.toLocaleString("en-US")} records over loopback HTTP: loader ${loader.seconds.toFixed(2)} s, per-line baseline ${baseline.seconds.toFixed(2)} s ` +
            `(${(baseline.seconds / loader.seconds).toFixed(1)}x faster)`,
    );
    return lines;
}

export const BENCH_USAGE = `usage: npm run bench [-- --only loader|analytics] [-- --records N,N,...]

Measures, asserts nothing (docs/search.md, "Loader benchmark", and docs/analytics.md,
"Analytics benchmark"). Takes many minutes and up to a few GiB in the temporary directory,
removed at the end and on Ctrl-C/SIGTERM.

  --only loader|analytics  one section only (default: both)
  --records N,N,...        the analytics sizes in records (default 1000000,5000000)
  --help                   this text`;

export interface BenchOptions {
    only?: "loader" | "analytics";
    sizes: number[];
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
    const options: BenchOptions = { sizes: [1_000_000, 5_000_000] };
    for (let i = 0; i < argv.length; i++) {
        const eq = argv[i].indexOf("=");
        const flag = eq === -1 ? argv[i] : argv[i].slice(0, eq);
        if (flag !== "--only" && flag !== "--records") {
            throw usageError(`Unknown option ${argv[i]}; use --only loader|analytics and --records N,N,...`);
        }
        const value = eq === -1 ? argv[++i] : argv[i].slice(eq + 1);
        if (value === undefined || value.startsWith("--")) throw usageError(`${flag} needs a value.`);
        if (flag === "--only") {
            if (value !== "loader" && value !== "analytics") {
                throw usageError(`--only takes loader or analytics, got "${value}".`);
            }
            options.only = value;
        } else {
            if (!/^[0-9]{1,9}(,[0-9]{1,9})*$/.test(value) || value.split(",").some((n) => Number(n) < 1)) {
                throw usageError(
                    `--records takes whole numbers separated by commas, e.g. 1000000,5000000; got "${value}".`,
                );
            }
            options.sizes = value.split(",").map(Number);
        }
    }
    return options;
}

async function main(argv: readonly string[]): Promise<void> {
    // Internal modes: this file started again as a child process to measure in isolation.
    if (argv[0] === "--rss") return measureRss(argv[1]);
    if (argv[0] === "--analytics-child") return measureAnalytics(JSON.parse(argv[1]));

    const { only, sizes } = parseBenchArgs(argv);
    const dir = temporaryDirectory("central-waf-logs-bench-");
    try {
        console.log(
            `# npm run bench (${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores, Node ${process.version})\n`,
        );
        if (only !== "analytics") for (const line of await loaderSection(dir.path)) console.log(line);
        if (only !== "loader") for (const line of await analyticsSection(dir.path, sizes)) console.log(line);
    } finally {
        dir.remove();
    }
}

if (require.main === module)
    runCli(main, { usage: BENCH_USAGE, help: "npm run bench -- --help", flags: { values: ["--only", "--records"] } });
