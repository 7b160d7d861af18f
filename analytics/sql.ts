/**
 * The SQL of the analytics path, each text kept once: the named queries in queries/*.sql (run by
 * Athena and, unchanged, by DuckDB locally), and the view, compaction and table DDL in
 * analytics/sql/. Column lists are expanded from the one schema in ./schema.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { PARTITION_COLUMNS, WAF_COLUMNS, hiveType } from "./schema";

export const QUERIES_DIR = path.resolve(__dirname, "..", "queries");
const SQL_DIR = path.join(__dirname, "sql");

export interface QueryParameter {
    readonly name: string;
    /** Example value, used by the CLI when the parameter is not given. */
    readonly example: string;
    readonly help: string;
}

export interface NamedQuery {
    readonly name: string;
    readonly description: string;
    /** In the order of the `?` placeholders. */
    readonly params: readonly QueryParameter[];
    readonly sql: string;
}

/** Parses a query file: `-- name:`, `-- description:` and `-- param: name = example (help)` headers, then SQL. */
export function parseNamedQuery(text: string, file: string): NamedQuery {
    const header = (key: string) =>
        text
            .split("\n")
            .filter((line) => line.startsWith(`-- ${key}:`))
            .map((line) => line.slice(`-- ${key}:`.length).trim());
    const [name] = header("name");
    const [description] = header("description");
    if (!name || !description)
        throw new Error(`${file}: a named query needs "-- name:" and "-- description:" headers.`);
    const params = header("param").map((p) => {
        const m = /^(\w+)\s*=\s*(\S+)\s*\((.*)\)$/.exec(p);
        if (!m) throw new Error(`${file}: cannot read parameter "${p}"; write "-- param: name = example (help)".`);
        return { name: m[1], example: m[2], help: m[3] };
    });
    const sql = text
        .split("\n")
        .filter((line) => !line.startsWith("--"))
        .join("\n")
        .trim();
    const placeholders = (sql.match(/\?/g) ?? []).length;
    if (placeholders !== params.length) {
        throw new Error(`${file}: ${placeholders} placeholders but ${params.length} declared parameters.`);
    }
    return { name, description, params, sql };
}

let cached: NamedQuery[] | undefined;

/** Every named query, by file name order. */
export function namedQueries(): NamedQuery[] {
    cached ??= fs
        .readdirSync(QUERIES_DIR)
        .filter((f) => f.endsWith(".sql"))
        .sort()
        .map((f) => parseNamedQuery(fs.readFileSync(path.join(QUERIES_DIR, f), "utf8"), f));
    return cached;
}

export function namedQuery(name: string): NamedQuery {
    const query = namedQueries().find((q) => q.name === name);
    if (!query) {
        throw new Error(
            `No named query "${name}"; choose one of ${namedQueries()
                .map((q) => q.name)
                .join(", ")}.`,
        );
    }
    return query;
}

const quoted = (name: string) => `"${name.toLowerCase()}"`;

/** Expands `{{...}}` placeholders of an analytics/sql file. */
export function analyticsSql(file: string, vars: Record<string, string> = {}): string {
    const values: Record<string, string> = {
        columns: WAF_COLUMNS.map(([name]) => quoted(name)).join(", "),
        source_columns: WAF_COLUMNS.map(([name]) => `s.${quoted(name)}`).join(", "),
        hive_columns: WAF_COLUMNS.map(([name, type]) => `\`${name.toLowerCase()}\` ${hiveType(type)}`).join(",\n    "),
        partition_columns: PARTITION_COLUMNS.join(", "),
        ...vars,
    };
    const text = fs.readFileSync(path.join(SQL_DIR, file), "utf8");
    const rendered = text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
        if (!(key in values)) throw new Error(`${file}: no value for {{${key}}}.`);
        return values[key];
    });
    return rendered
        .split("\n")
        .filter((line) => !line.startsWith("--"))
        .join("\n")
        .trim();
}

/**
 * A named query with its placeholders replaced by SQL expressions, in order: for consumers that
 * cannot bind parameters (a QuickSight dataset), without keeping a second copy of the query.
 */
export function boundQuery(name: string, expressions: readonly string[]): string {
    const query = namedQuery(name);
    if (expressions.length !== query.params.length) {
        throw new Error(
            `Query ${name} takes ${query.params.length} parameters, got ${expressions.length} expressions.`,
        );
    }
    let i = 0;
    return query.sql.replace(/\?/g, () => expressions[i++]);
}
