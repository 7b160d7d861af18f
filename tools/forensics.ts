/**
 * `npm run forensics -- --data <dir> --query <name> [--param name=value ...] [--compacted <dir>] [--html <file>]`
 *
 * Runs a named query (the same .sql Athena runs) on DuckDB over a local copy of the central
 * layout, prints the rows as a table, and optionally writes an HTML report for the same hours.
 */
import * as fs from "fs";
import * as path from "path";
import { renderReport } from "../analytics/report";
import { namedQueries, namedQuery } from "../analytics/sql";
import { LocalWarehouse, Row } from "../analytics/warehouse";

interface Options {
    data: string;
    query?: string;
    params: Record<string, string>;
    compacted?: string;
    html?: string;
}

const USAGE = `usage: npm run forensics -- --data <dir> --query <name> [--param name=value ...] [--compacted <dir>] [--html <file>]
queries:
${namedQueries()
    .map(
        (q) =>
            `  ${q.name}: ${q.description}\n    parameters: ${q.params.map((p) => `${p.name} (${p.help}; e.g. ${p.example})`).join(", ")}`,
    )
    .join("\n")}`;

export function parseArgs(argv: readonly string[]): Options {
    const options: Options = { data: "", params: {} };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = argv[i + 1];
        if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value.\n${USAGE}`);
        i++;
        if (flag === "--data") options.data = value;
        else if (flag === "--query") options.query = value;
        else if (flag === "--compacted") options.compacted = value;
        else if (flag === "--html") options.html = value;
        else if (flag === "--param") {
            const [name, ...rest] = value.split("=");
            if (!name || rest.length === 0) throw new Error(`--param takes name=value, got "${value}".`);
            options.params[name] = rest.join("=");
        } else throw new Error(`Unknown option ${flag}.\n${USAGE}`);
    }
    if (!options.data) throw new Error(`--data is required: the root of a local copy of the central bucket.\n${USAGE}`);
    if (!fs.existsSync(options.data)) throw new Error(`--data ${options.data} does not exist.`);
    if (!options.query && !options.html) throw new Error(`Give --query, --html, or both.\n${USAGE}`);
    if (options.query) namedQuery(options.query);
    return options;
}

export function formatTable(rows: readonly Row[]): string {
    if (rows.length === 0) return "(no rows)";
    const columns = Object.keys(rows[0]);
    const cells = rows.map((r) => columns.map((c) => String(r[c] ?? "")));
    const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
    const line = (values: string[]) =>
        values
            .map((v, i) => v.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line), `(${rows.length} rows)`].join(
        "\n",
    );
}

/** Writes the HTML report for the hours in `params` (or the queries' examples) and returns its path. */
export async function writeReport(
    warehouse: LocalWarehouse,
    file: string,
    params: Record<string, string | number>,
): Promise<string> {
    const window = {
        from_hour: String(params.from_hour ?? namedQuery("burst-detection").params[0].example),
        to_hour: String(params.to_hour ?? namedQuery("burst-detection").params[1].example),
    };
    const html = renderReport({
        title: "WAF forensics report",
        window,
        timeline: await warehouse.run("requests-per-client-ip", window),
        countries: await warehouse.run("requests-by-country", window),
        bursts: await warehouse.run("burst-detection", {
            ...window,
            ...(params.threshold ? { threshold: params.threshold } : {}),
        }),
        crossAccount: await warehouse.run("cross-account-attackers", window),
    });
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, html);
    return path.resolve(file);
}

async function main(): Promise<void> {
    const options = parseArgs(process.argv.slice(2));
    const warehouse = await LocalWarehouse.open({ dataDir: options.data, compactedDir: options.compacted });
    try {
        if (options.query) {
            const own = Object.fromEntries(
                Object.entries(options.params).filter(([k]) =>
                    namedQuery(options.query!).params.some((p) => p.name === k),
                ),
            );
            console.log(formatTable(await warehouse.run(options.query, own)));
        }
        if (options.html) console.log(`HTML report: ${await writeReport(warehouse, options.html, options.params)}`);
    } finally {
        warehouse.close();
    }
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    });
}
