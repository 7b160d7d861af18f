/**
 * `npm run forensics -- --data <dir> [--query <name>] [--param name=value ...] [--compacted <dir>] [--html <file>]`
 *
 * Runs a named query (the same .sql Athena runs) on DuckDB over a local copy of the central
 * layout, prints the rows as a table, and optionally writes an HTML report for the same hours.
 * Without hours, it searches every hour present in --data (and says so on stderr).
 */
import * as fs from "fs";
import * as path from "path";
import { ReportData, flaggedAttackers, renderReport } from "../../analytics/report";
import { NamedQuery, namedQueries, namedQuery } from "../../analytics/sql";
import { LocalWarehouse, Row, hoursPresent } from "../../analytics/warehouse";
import { parseStackConfig } from "../../config";
import { CENTRAL_LAYOUT } from "../../layout";
import { fromUserDirectory, runCli, usageError, userError } from "./shell";
import { readStackConfig } from "./stackFiles";

export interface Options {
    data: string;
    query?: string;
    params: Record<string, string>;
    compacted?: string;
    html?: string;
    /** How rows print: an aligned table (default), CSV or JSON (one array). */
    format: "table" | "csv" | "json";
    /** Most rows printed (table only; CSV and JSON print every row). */
    limit: number;
}

/** Rows a table shows by default: a screen's worth; the rest are counted, not printed. */
export const DEFAULT_LIMIT = 20;

export { fromUserDirectory };

/** Parameters the HTML report reads (its hours, the burst threshold, the candidate limits). */
const REPORT_PARAMS = ["from_hour", "to_hour", "threshold", "thresholds"];
const HOUR = /^\d{4}\/\d{2}\/\d{2}\/\d{2}$/;

export function usage(): string {
    return `usage: npm run forensics -- --data <dir> [--query <name>] [--param name=value ...] [--compacted <dir>] [--html <file>]

Runs a named query (queries/<name>.sql, the SQL Athena runs) on DuckDB over a local copy of the
central bucket, and prints the rows; or writes an HTML report; or both, for the same hours.

  --data <dir>        root of a local copy of the central bucket (required), e.g. from
                      aws s3 sync s3://<centralBucketName>/ ./central --exclude '_*'
  --query <name>      the named query to run (below)
  --param name=value  a query parameter; repeat for each. Without from_hour and to_hour, every
                      hour present in --data (and --compacted) is searched; other parameters
                      default to the example shown below
  --compacted <dir>   compacted Parquet (as the daily compaction writes), read alongside --data
  --html <file>       write the HTML report: requests per account/Region, busiest IPs over
                      time, countries, bursts, cross-account attackers, the flagged addresses'
                      top URIs and user agents, threshold tuning (takes from_hour, to_hour,
                      threshold and thresholds); its directory must exist
  --format <f>        table (default), csv or json
  --limit <n>         rows a table shows, default ${DEFAULT_LIMIT} (a last line counts the rest);
                      csv and json print every row
Paths are relative to the directory you run the command in.
  --help              this text

Every option takes its value as "--option value" or "--option=value".

queries:
${namedQueries()
    .map(
        (q) =>
            `  ${q.name}: ${q.description}\n${q.params.map((p) => `    ${p.name}: ${p.help}; e.g. ${p.example}`).join("\n")}`,
    )
    .join("\n")}`;
}

const FLAGS = ["--data", "--query", "--compacted", "--html", "--param", "--format", "--limit"];

/** Splits `--flag=value` and `--flag value`; returns the flag, its value and how many arguments it used. */
function flagAt(argv: readonly string[], i: number): { flag: string; value: string; used: number } {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (!FLAGS.includes(flag)) throw usageError(`Unknown option ${flag}.`);
    if (eq !== -1) return { flag, value: arg.slice(eq + 1), used: 1 };
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) throw usageError(`${arg} needs a value.`);
    return { flag: arg, value, used: 2 };
}

/** Checks a parameter's value against the shape of its example (an hour, a number, a list of numbers). */
function checkValue(name: string, value: string, example: string): void {
    const shapes: [RegExp, RegExp, string][] = [
        [HOUR, HOUR, "an hour as yyyy/MM/dd/HH"],
        [/^\d+$/, /^\d+$/, "a whole number"],
        [/^\d+(,\d+)+$/, /^\s*\d+(\s*,\s*\d+)*\s*$/, "whole numbers separated by commas"],
    ];
    for (const [exampleShape, valueShape, what] of shapes) {
        if (exampleShape.test(example) && (!valueShape.test(value) || (exampleShape === HOUR && !isRealHour(value)))) {
            throw usageError(`--param ${name}=${value} is not ${what}; e.g. --param ${name}=${example}.`);
        }
    }
}

/** `2026/11/28/05` names an hour that exists (no month 13, no 31 November, no hour 24). */
function isRealHour(hour: string): boolean {
    const [y, m, d, h] = hour.split("/").map(Number);
    const date = new Date(Date.UTC(y, m - 1, d, h));
    return (
        date.getUTCFullYear() === y &&
        date.getUTCMonth() === m - 1 &&
        date.getUTCDate() === d &&
        date.getUTCHours() === h
    );
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Options {
    const options: Options = { data: "", params: {}, format: "table", limit: DEFAULT_LIMIT };
    for (let i = 0; i < argv.length;) {
        if (!argv[i].startsWith("--")) throw usageError(`Unexpected argument "${argv[i]}".`);
        const { flag, value, used } = flagAt(argv, i);
        i += used;
        if (flag === "--data") options.data = fromUserDirectory(value, env);
        else if (flag === "--query") options.query = value;
        else if (flag === "--compacted") options.compacted = fromUserDirectory(value, env);
        else if (flag === "--html") options.html = fromUserDirectory(value, env);
        else if (flag === "--format") {
            if (value !== "table" && value !== "csv" && value !== "json") {
                throw usageError(`--format takes table, csv or json, got "${value}".`);
            }
            options.format = value;
        } else if (flag === "--limit") {
            if (!/^[0-9]{1,7}$/.test(value) || Number(value) < 1) {
                throw usageError(`--limit takes a whole number of rows, 1 or more, got "${value}".`);
            }
            options.limit = Number(value);
        } else if (flag === "--param") {
            const eq = value.indexOf("=");
            if (eq <= 0) throw usageError(`--param takes name=value, got "${value}".`);
            const name = value.slice(0, eq);
            if (name in options.params) {
                throw usageError(
                    `--param ${name} is given twice (${options.params[name]} and ${value.slice(eq + 1)}); give it once.`,
                );
            }
            options.params[name] = value.slice(eq + 1);
        }
    }
    if (!options.data) throw usageError("--data is required: the root of a local copy of the central bucket.");
    for (const [flag, dir] of [
        ["--data", options.data],
        ["--compacted", options.compacted],
    ] as const) {
        if (dir !== undefined && !(fs.existsSync(dir) && fs.statSync(dir).isDirectory())) {
            throw userError(`${flag} ${dir} is not a directory; give the root of a local copy of the central bucket.`);
        }
    }
    if (!options.query && !options.html) throw usageError("Give --query, --html, or both.");
    if (options.html !== undefined) {
        const dir = path.dirname(options.html);
        if (!(fs.existsSync(dir) && fs.statSync(dir).isDirectory())) {
            throw userError(
                `--html ${options.html}: the directory ${dir} does not exist. Fix: create it (mkdir -p ${dir}) or write the report elsewhere.`,
            );
        }
    }
    const query = options.query ? knownQuery(options.query) : undefined;
    checkParams(options, query);
    return options;
}

function knownQuery(name: string): NamedQuery {
    if (!namedQueries().some((q) => q.name === name)) {
        throw usageError(
            `No named query "${name}"; choose one of ${namedQueries()
                .map((q) => q.name)
                .join(", ")}.`,
        );
    }
    return namedQuery(name);
}

/** Every --param must belong to the query (or to the report, with --html); values must fit their example. */
function checkParams(options: Options, query: NamedQuery | undefined): void {
    const examples = new Map<string, string>();
    for (const p of query?.params ?? []) examples.set(p.name, p.example);
    if (options.html) {
        const reportQueries = ["burst-detection", "threshold-tuning"].map(namedQuery).flatMap((q) => q.params);
        for (const name of REPORT_PARAMS) {
            examples.set(name, examples.get(name) ?? reportQueries.find((p) => p.name === name)!.example);
        }
    }
    for (const [name, value] of Object.entries(options.params)) {
        const example = examples.get(name);
        if (example === undefined) {
            const takes = [
                query ? `query ${query.name} takes ${query.params.map((p) => p.name).join(", ")}` : "",
                options.html ? `the report takes ${REPORT_PARAMS.join(", ")}` : "",
            ].filter(Boolean);
            throw usageError(`Unknown parameter ${name}: ${takes.join("; ")}.`);
        }
        checkValue(name, value, example);
    }
}

/** The hours to search: the ones given, and for any not given, the first or last hour present in the data. */
export function resolveHours(
    options: Options,
    present: readonly string[],
): { from_hour: string; to_hour: string; note?: string } {
    const given = { from: options.params.from_hour, to: options.params.to_hour };
    if (given.from !== undefined && given.to !== undefined) {
        if (given.from > given.to) {
            throw userError(`--param from_hour=${given.from} is after to_hour=${given.to}; swap them.`);
        }
        return { from_hour: given.from, to_hour: given.to };
    }
    if (present.length === 0) {
        throw userError(
            `--data ${options.data} holds no WAF log objects in the central layout (${CENTRAL_LAYOUT})${options.compacted ? ", nor --compacted any Parquet" : ""}; ` +
                "give the root of a local copy of the central bucket, or give --param from_hour=yyyy/MM/dd/HH and --param to_hour=yyyy/MM/dd/HH.",
        );
    }
    const from = given.from ?? present[0];
    const to = given.to ?? present[present.length - 1];
    const where = `--data${options.compacted ? " and --compacted" : ""}`;
    const why =
        given.from === undefined && given.to === undefined
            ? `every hour present in ${where} (${present.length} hours with data)`
            : given.from === undefined
              ? `from_hour is the first hour present in ${where}`
              : `to_hour is the last hour present in ${where}`;
    return {
        from_hour: from,
        to_hour: to,
        note: `Searching hours ${from} to ${to}: ${why}. Narrow with --param from_hour=yyyy/MM/dd/HH --param to_hour=yyyy/MM/dd/HH.`,
    };
}

/** Rows as the user asked: a table of at most `limit` rows, or every row as CSV or JSON. */
export function formatRows(rows: readonly Row[], format: Options["format"], limit = DEFAULT_LIMIT): string {
    if (format === "json") return JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? Number(v) : v), 2);
    if (format === "csv") return formatCsv(rows);
    return formatTable(rows, limit);
}

/** RFC 4180 CSV: a header, then one line per row; fields with commas, quotes or newlines quoted. */
export function formatCsv(rows: readonly Row[]): string {
    if (rows.length === 0) return "";
    const columns = Object.keys(rows[0]);
    const field = (v: unknown) => {
        const text = v === null || v === undefined ? "" : String(v);
        return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    return [columns.map(field).join(","), ...rows.map((r) => columns.map((c) => field(r[c])).join(","))].join("\n");
}

export function formatTable(rows: readonly Row[], limit = Number.MAX_SAFE_INTEGER): string {
    if (rows.length === 0) return "(no rows)";
    const columns = Object.keys(rows[0]);
    const shown = rows.slice(0, limit);
    const cells = shown.map((r) => columns.map((c) => String(r[c] ?? "")));
    const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
    const line = (values: string[]) =>
        values
            .map((v, i) => v.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    const count =
        shown.length < rows.length
            ? `(${rows.length} rows; the first ${shown.length} shown: --limit N for more, --format csv or json for all)`
            : `(${rows.length} rows)`;
    return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line), count].join("\n");
}

/** `(no rows)` with what was searched, e.g. `(no rows for hours 2026/11/28/00 to 2026/11/28/23, threshold 500)`. */
export function noRows(query: NamedQuery, params: Readonly<Record<string, string | number>>): string {
    const others = query.params
        .filter((p) => p.name !== "from_hour" && p.name !== "to_hour")
        .map((p) => `${p.name} ${params[p.name] ?? p.example}`);
    return `(no rows for hours ${params.from_hour} to ${params.to_hour}${others.map((o) => `, ${o}`).join("")})`;
}

/**
 * The detector's threshold and allowlist from the committed logging stack's configuration
 * (Pulumi.logging.yaml), for the report to state beside its own; none if it cannot be read.
 */
export function detectorContext(): Pick<ReportData, "detectorThreshold" | "allowlist"> {
    try {
        const stackConfig = parseStackConfig("logging", readStackConfig("logging"));
        if (stackConfig.role !== "logging") return {};
        return { detectorThreshold: stackConfig.response.threshold, allowlist: stackConfig.response.allowlist };
    } catch {
        return {};
    }
}

/** Writes the HTML report for the hours in `params` (or the queries' examples) and returns its path. */
export async function writeReport(
    warehouse: LocalWarehouse,
    file: string,
    params: Readonly<Record<string, string | number>>,
    context: Pick<ReportData, "detectorThreshold" | "allowlist" | "response"> = detectorContext(),
): Promise<string> {
    const burst = namedQuery("burst-detection");
    const window = {
        from_hour: String(params.from_hour ?? burst.params[0].example),
        to_hour: String(params.to_hour ?? burst.params[1].example),
    };
    const threshold = Number(params.threshold ?? burst.params.find((p) => p.name === "threshold")!.example);
    const bursts = await warehouse.run("burst-detection", { ...window, threshold });
    const crossAccount = await warehouse.run("cross-account-attackers", window);
    const ips = flaggedAttackers(bursts, crossAccount, context.allowlist);
    // With no one flagged there is nothing to ask (an empty list would match no IP anyway).
    const sent = async (query: string) =>
        ips.length === 0 ? [] : warehouse.run(query, { ...window, client_ips: ips.join(",") });
    const html = renderReport({
        title: "WAF forensics report",
        window,
        threshold,
        timeline: await warehouse.run("requests-per-client-ip", window),
        countries: await warehouse.run("requests-by-country", window),
        locations: await warehouse.run("requests-by-location", window),
        bursts,
        crossAccount,
        attackers: { ips, uris: await sent("top-uris"), userAgents: await sent("top-user-agents") },
        fingerprints: await warehouse.run("top-fingerprints", window),
        tuning: await warehouse.run("threshold-tuning", {
            ...window,
            ...(params.thresholds !== undefined ? { thresholds: params.thresholds } : {}),
        }),
        ...context,
    });
    fs.writeFileSync(file, html);
    return path.resolve(file);
}

export async function main(
    argv: readonly string[],
    print: (text: string) => void = console.log,
    note: (text: string) => void = console.error,
): Promise<void> {
    const options = parseArgs(argv);
    const hours = resolveHours(options, hoursPresent(options.data, options.compacted));
    if (hours.note) note(hours.note);
    const params = { ...options.params, from_hour: hours.from_hour, to_hour: hours.to_hour };
    const warehouse = await LocalWarehouse.open({ dataDir: options.data, compactedDir: options.compacted });
    try {
        if (options.query) {
            const query = namedQuery(options.query);
            const own = Object.fromEntries(
                Object.entries(params).filter(([k]) => query.params.some((p) => p.name === k)),
            );
            const rows = await warehouse.run(query.name, own);
            print(
                rows.length === 0 && options.format === "table"
                    ? noRows(query, own)
                    : formatRows(rows, options.format, options.limit),
            );
        }
        if (options.html) print(`HTML report: ${await writeReport(warehouse, options.html, params)}`);
    } finally {
        warehouse.close();
    }
}

if (require.main === module) {
    runCli((argv) => main(argv), {
        usage,
        help: "npm run forensics -- --help",
        flags: { values: ["--data", "--query", "--compacted", "--html", "--param", "--format", "--limit"] },
    });
}
