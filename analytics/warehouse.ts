/**
 * The analytics path on an embedded engine: DuckDB over a local copy of the central layout, with
 * the same tables and view as Athena (`waf_logs_raw`, `waf_logs_compacted`, `waf_logs`) and a
 * small compatibility layer for the Trino functions the SQL uses, so every query and the
 * compaction run here as written for Athena.
 */
import * as fs from "fs";
import * as path from "path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { NamedQuery, analyticsSql, namedQuery } from "./sql";
import { parseCentralKey } from "../layout";
import { PARTITION_COLUMNS, WAF_COLUMNS, duckdbType } from "./schema";

/** Trino functions the queries use, defined in DuckDB terms (formats use MySQL-style %i for minutes). */
const TRINO_COMPATIBILITY = [
    "SET TimeZone = 'UTC'",
    "CREATE MACRO from_unixtime(seconds) AS to_timestamp(seconds)",
    "CREATE MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)",
    "CREATE MACRO date_format(ts, fmt) AS strftime(ts, replace(fmt, '%i', '%M'))",
    "CREATE MACRO array_join(list, separator) AS array_to_string(list, separator)",
    // Trino's approx_percentile answered exactly (nearest rank), so local answers are deterministic:
    // DuckDB's own approx_quantile can vary with how threads split the rows.
    "CREATE MACRO approx_percentile(x, percentile) AS quantile_disc(x, percentile)",
];

/** `<root>/<account_id>/<region>/<stream>/<yyyy>/<MM>/<dd>/<HH>/<file>`, as layout.ts defines it. */
const LAYOUT_GLOB = "[0-9]*/*/aws-waf-logs-*/*/*/*/*/*";
const PARTITIONS_FROM_PATH = String.raw`/(\d{12})/([a-z0-9-]+)/(aws-waf-logs-[^/]+)/(\d{4}/\d{2}/\d{2}/\d{2})/[^/]+$`;

export type Row = Record<string, string | number | null>;

/**
 * The hours (`yyyy/MM/dd/HH`, sorted) that hold data in a local copy of the central layout and,
 * if given, in a compacted Parquet directory (`hour_key=yyyy-MM-dd-HH` folders). Read from the
 * directory names alone, so it costs a directory walk, not a scan.
 */
export function hoursPresent(dataDir: string, compactedDir?: string): string[] {
    const hours = new Set<string>();
    const walk = (dir: string, relative: string[], visit: (parts: string[]) => void) => {
        if (!fs.existsSync(dir)) return;
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const parts = [...relative, entry.name];
            if (entry.isDirectory()) walk(path.join(dir, entry.name), parts, visit);
            else if (entry.isFile()) visit(parts);
        }
    };
    walk(dataDir, [], (parts) => {
        const key = parseCentralKey(parts.join("/"));
        if (key) hours.add(`${key.year}/${key.month}/${key.day}/${key.hour}`);
    });
    if (compactedDir) {
        walk(compactedDir, [], (parts) => {
            const m = parts.map((p) => /^hour_key=(\d{4})-(\d{2})-(\d{2})-(\d{2})$/.exec(p)).find(Boolean);
            if (m && parts[parts.length - 1].endsWith(".parquet")) hours.add(`${m[1]}/${m[2]}/${m[3]}/${m[4]}`);
        });
    }
    return [...hours].sort();
}

export interface WarehouseOptions {
    /** Root of a local copy of the central bucket (the central layout). */
    readonly dataDir: string;
    /**
     * Directory of compacted Parquet written by an earlier `exportCompacted`, read in place
     * (read-only). Default: an empty in-memory compacted table that `compactDay` fills.
     */
    readonly compactedDir?: string;
    /** DuckDB memory limit, e.g. "4GB". Default: DuckDB's own. */
    readonly memoryLimit?: string;
}

export class LocalWarehouse {
    private constructor(private readonly connection: DuckDBConnection) {}

    static async open(options: WarehouseOptions): Promise<LocalWarehouse> {
        const instance = await DuckDBInstance.create(":memory:");
        const warehouse = new LocalWarehouse(await instance.connect());
        await warehouse.define(options);
        return warehouse;
    }

    private async define(options: WarehouseOptions): Promise<void> {
        const run = (sql: string) => this.connection.run(sql);
        for (const statement of TRINO_COMPATIBILITY) await run(statement);
        if (options.memoryLimit) await run(`SET memory_limit = '${options.memoryLimit}'`);

        const jsonColumns = `{${WAF_COLUMNS.map(([name, type]) => `'${name}': '${duckdbType(type).replace(/'/g, "''")}'`).join(", ")}}`;
        const files = path.join(options.dataDir, LAYOUT_GLOB);
        const hasFiles =
            fs.existsSync(options.dataDir) && (await this.count(`SELECT count(*) AS n FROM glob('${files}')`)) > 0;
        const partitions = PARTITION_COLUMNS.map(
            (c, i) => `regexp_extract(filename, '${PARTITIONS_FROM_PATH}', ${i + 1}) AS ${c}`,
        ).join(", ");
        await run(
            hasFiles
                ? `CREATE VIEW waf_logs_raw AS SELECT * EXCLUDE (filename), ${partitions}
                   FROM read_json('${files}', format = 'newline_delimited', columns = ${jsonColumns}, filename = true, ignore_errors = true)`
                : `CREATE VIEW waf_logs_raw AS SELECT ${this.emptyColumns()} LIMIT 0`,
        );

        if (options.compactedDir && fs.existsSync(options.compactedDir)) {
            // Read in place, as Athena reads the compacted table: nothing is copied into memory.
            const parquet = path.join(options.compactedDir, "**/*.parquet");
            await run(
                `CREATE VIEW waf_logs_compacted AS
                 SELECT * EXCLUDE (hour_key) FROM read_parquet('${parquet}', hive_partitioning = true, union_by_name = true)`,
            );
        } else {
            const columns = [
                ...WAF_COLUMNS.map(([n, t]) => `"${n}" ${duckdbType(t)}`),
                ...PARTITION_COLUMNS.map((c) => `${c} VARCHAR`),
            ];
            await run(`CREATE TABLE waf_logs_compacted (${columns.join(", ")})`);
        }
        await run(analyticsSql("waf_logs_view.sql"));
    }

    private emptyColumns(): string {
        return [
            ...WAF_COLUMNS.map(([name, type]) => `CAST(NULL AS ${duckdbType(type)}) AS "${name}"`),
            ...PARTITION_COLUMNS.map((c) => `CAST(NULL AS VARCHAR) AS ${c}`),
        ].join(", ");
    }

    private async count(sql: string): Promise<number> {
        const reader = await this.connection.runAndReadAll(sql);
        return Number(reader.getRowObjectsJson()[0]?.n ?? 0);
    }

    /** Runs SQL with positional `?` parameters; values come back as JSON-friendly scalars. */
    async query(sql: string, params: readonly (string | number)[] = []): Promise<Row[]> {
        const reader = await this.connection.runAndReadAll(sql, [...params]);
        return reader
            .getRowObjects()
            .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, scalar(v)])));
    }

    /** Runs a named query with its parameters, by name (missing ones take the query's example). */
    async run(name: string, params: Readonly<Record<string, string | number>> = {}): Promise<Row[]> {
        const query = namedQuery(name);
        return this.query(query.sql, bindParameters(query, params));
    }

    /** Compacts the day before `scheduledTime` (ISO 8601), exactly as the scheduled Athena query does. */
    async compactDay(scheduledTime: string): Promise<void> {
        await this.connection.run(analyticsSql("compact_day.sql"), [scheduledTime, scheduledTime]);
    }

    /** Writes the compacted table as Parquet, partitioned like the central layout. */
    async exportCompacted(dir: string): Promise<void> {
        fs.mkdirSync(dir, { recursive: true });
        await this.connection.run(
            `COPY (SELECT * EXCLUDE (hour), replace(hour, '/', '-') AS hour_key, hour FROM waf_logs_compacted)
             TO '${dir}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (account_id, region, stream_name, hour_key), OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'part-{i}')`,
        );
    }

    close(): void {
        this.connection.closeSync();
    }
}

function scalar(value: unknown): string | number | null {
    if (value === null || value === undefined) return null;
    if (typeof value === "bigint") return Number(value);
    if (typeof value === "number" || typeof value === "string") return value;
    return String(value);
}

/**
 * Orders named parameters as the query's placeholders. A value becomes a number where the
 * parameter's example is a whole number (a threshold), and stays text otherwise (hours, lists).
 */
export function bindParameters(
    query: NamedQuery,
    given: Readonly<Record<string, string | number>>,
): (string | number)[] {
    const unknown = Object.keys(given).filter((k) => !query.params.some((p) => p.name === k));
    if (unknown.length > 0) {
        throw new Error(
            `Query ${query.name} has no parameter ${unknown.join(", ")}; its parameters are ${query.params.map((p) => p.name).join(", ")}.`,
        );
    }
    return query.params.map((p) => {
        const value = given[p.name] ?? p.example;
        if (!/^\d+$/.test(p.example)) return String(value);
        return typeof value === "number" || !/^\d+$/.test(value) ? value : Number(value);
    });
}
