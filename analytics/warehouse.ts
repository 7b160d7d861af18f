/**
 * The analytics path on an embedded engine: DuckDB over a local copy of the central layout, with
 * the same tables and view as Athena (`waf_logs_raw`, `waf_logs_compacted`, `waf_logs`) and a
 * small compatibility layer for the Trino functions the SQL uses, so every query and the
 * compaction run here as written for Athena.
 */
import * as fs from "fs";
import * as path from "path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { analyticsSql, bindQuery, compactedPartitionFields, compactionTemplate, namedQuery } from "./sql";
import { compactionStatement, dayBefore } from "../handlers/compaction";
import { parseCentralKey } from "../layout";
import { PARTITION_COLUMNS, WAF_COLUMNS, duckdbType } from "./schema";

/**
 * The Trino functions the SQL uses that DuckDB lacks or spells differently, emulated as DuckDB
 * macros: the one list of them (test/athenaFidelity.test.ts holds each to the Trino semantics it
 * stands for, and to Athena engine 3's function list). Formats use MySQL-style %i for minutes.
 */
export const TRINO_MACROS: readonly { readonly name: string; readonly macro: string }[] = [
    { name: "from_unixtime", macro: "CREATE MACRO from_unixtime(seconds) AS to_timestamp(seconds)" },
    { name: "from_iso8601_timestamp", macro: "CREATE MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)" },
    { name: "date_format", macro: "CREATE MACRO date_format(ts, fmt) AS strftime(ts, replace(fmt, '%i', '%M'))" },
    { name: "array_join", macro: "CREATE MACRO array_join(list, separator) AS array_to_string(list, separator)" },
    // Trino's approx_percentile answered exactly (nearest rank), so local answers are deterministic:
    // DuckDB's own approx_quantile can vary with how threads split the rows.
    {
        name: "approx_percentile",
        macro: "CREATE MACRO approx_percentile(x, percentile) AS quantile_disc(x, percentile)",
    },
];

/** Session settings and macros that make DuckDB answer as Athena does (UTC, as Athena's sessions are). */
const TRINO_COMPATIBILITY = ["SET TimeZone = 'UTC'", ...TRINO_MACROS.map((m) => m.macro)];

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
    /**
     * The compacted table's partition fields as its Iceberg DDL writes them (`hour`,
     * `truncate(10, hour)`), used to count the partitions a write touches. Default: those of
     * analytics/sql/create_compacted_table.sql.
     */
    readonly compactedPartitionFields?: readonly string[];
}

/** What a statement did: its rows, and for a write into the compacted table, the partitions it wrote. */
export interface Execution {
    readonly rows: Row[];
    readonly partitionsWritten?: number;
}

/** A partition field as a DuckDB expression: a column, or Iceberg's truncate of a string. */
function partitionExpression(field: string): string {
    if (/^\w+$/.test(field)) return field;
    const truncate = /^truncate\s*\(\s*(\d+)\s*,\s*(\w+)\s*\)$/i.exec(field);
    if (truncate) return `substr(${truncate[2]}, 1, ${truncate[1]})`;
    throw new Error(`The local warehouse cannot count partitions of the transform ${field}.`);
}

export class LocalWarehouse {
    private constructor(
        private readonly connection: DuckDBConnection,
        private readonly partitionFields: readonly string[],
    ) {}

    static async open(options: WarehouseOptions): Promise<LocalWarehouse> {
        const instance = await DuckDBInstance.create(":memory:");
        const fields = options.compactedPartitionFields ?? compactedPartitionFields();
        fields.forEach(partitionExpression);
        const warehouse = new LocalWarehouse(await instance.connect(), fields);
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
        const { sql, parameters } = bindQuery(namedQuery(name), params);
        return this.query(sql, parameters);
    }

    /**
     * Runs any statement, as the Athena stand-in does; a MERGE or INSERT into the compacted table
     * also reports how many partitions (of the table's partition fields) its new rows fall in, and
     * is rolled back past `maxPartitionsWritten`, as Athena commits nothing of a query it fails.
     */
    async execute(
        sql: string,
        params: readonly (string | number)[] = [],
        maxPartitionsWritten = Number.POSITIVE_INFINITY,
    ): Promise<Execution> {
        if (!/^\s*(MERGE|INSERT)\s+INTO\s+waf_logs_compacted\b/i.test(sql)) {
            return { rows: await this.query(sql, params) };
        }
        const last = async () =>
            Number((await this.query("SELECT coalesce(max(rowid), -1) AS n FROM waf_logs_compacted"))[0].n);
        await this.connection.run("BEGIN TRANSACTION");
        try {
            const before = await last();
            await this.connection.run(sql, [...params]);
            const keys = this.partitionFields.map(partitionExpression).join(", ") || "1";
            const [written] = await this.query(
                `SELECT count(*) AS n FROM (SELECT DISTINCT ${keys} FROM waf_logs_compacted WHERE rowid > ${before})`,
            );
            const partitionsWritten = Number(written.n);
            await this.connection.run(partitionsWritten > maxPartitionsWritten ? "ROLLBACK" : "COMMIT");
            return { rows: [], partitionsWritten };
        } catch (err) {
            await this.connection.run("ROLLBACK").catch(() => undefined);
            throw err;
        }
    }

    /** Compacts the day before `scheduledTime` (ISO 8601) with the same statement the compaction Lambda runs. */
    async compactDay(scheduledTime: string): Promise<Execution> {
        const day = dayBefore(scheduledTime);
        if (!day) throw new Error(`${scheduledTime} is not an ISO 8601 UTC time such as 2026-11-27T01:30:00Z.`);
        return this.execute(compactionStatement(compactionTemplate(), day));
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
