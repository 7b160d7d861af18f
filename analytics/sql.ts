/**
 * The SQL of the analytics path, each text kept once: the named queries in queries/*.sql (run by
 * Athena and, unchanged, by DuckDB locally), and the view, compaction and table DDL in
 * analytics/sql/. Column lists are expanded from the one schema in ./schema.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { orderedParameters } from "../handlers/athenaQuery";
import { DAY_PLACEHOLDER } from "../handlers/compaction";
import { PARTITION_COLUMNS, WAF_COLUMNS, hiveType } from "./schema";

export const QUERIES_DIR = path.resolve(__dirname, "..", "queries");
const SQL_DIR = path.join(__dirname, "sql");

export interface QueryParameter {
    readonly name: string;
    /** Example value, used by the CLI when the parameter is not given. */
    readonly example: string;
    readonly help: string;
    /**
     * How the value reaches Athena: as an execution parameter (`:name` in the file, sent as `?`,
     * which Athena accepts only in a WHERE clause), or rendered into the text as a checked literal
     * (`{{name}}` in the file: whole numbers only, e.g. a list of thresholds).
     */
    readonly passedAs: "parameter" | "literal";
}

export interface NamedQuery {
    readonly name: string;
    readonly description: string;
    /** Every parameter, once each, in the order the file declares them. */
    readonly params: readonly QueryParameter[];
    /** The SQL: each `:name` replaced by `?`; literal parameters still `{{name}}` (see bindQuery). */
    readonly sql: string;
    /** The execution parameters' names in the order of the `?`s; a name may stand more than once. */
    readonly placeholders: readonly string[];
}

/**
 * Replaces `:name` by `?` (recording the order) outside string literals and quoted identifiers,
 * and checks `{{name}}` literals; a bare `?` is refused so that every placeholder is named.
 */
function nameParameters(
    sql: string,
    declared: readonly string[],
    file: string,
): { sql: string; placeholders: string[]; literals: Set<string> } {
    const placeholders: string[] = [];
    const literals = new Set<string>();
    const known = (name: string) => {
        if (!declared.includes(name)) throw new Error(`${file}: ${name} is not a declared parameter ("-- param:").`);
        return name;
    };
    const text = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|:([A-Za-z_]\w*)|\{\{(\w+)\}\}|\?/g, (m, param, literal) => {
        if (param) {
            placeholders.push(known(param));
            return "?";
        }
        if (literal) literals.add(known(literal));
        if (m === "?") throw new Error(`${file}: write each execution parameter as :name, not ?.`);
        return m;
    });
    return { sql: text, placeholders, literals };
}

/**
 * Parses a query file: `-- name:`, `-- description:` and `-- param: name = example (help)` headers,
 * then SQL in which each parameter stands as `:name` (an execution parameter) or `{{name}}` (a
 * literal the code renders, whole numbers only).
 */
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
    const declared = header("param").map((p) => {
        const m = /^(\w+)\s*=\s*(\S+)\s*\((.*)\)$/.exec(p);
        if (!m) throw new Error(`${file}: cannot read parameter "${p}"; write "-- param: name = example (help)".`);
        return { name: m[1], example: m[2], help: m[3] };
    });
    const body = text
        .split("\n")
        .filter((line) => !line.startsWith("--"))
        .join("\n")
        .trim();
    const { sql, placeholders, literals } = nameParameters(
        body,
        declared.map((p) => p.name),
        file,
    );
    const params = declared.map((p): QueryParameter => {
        const asParameter = placeholders.includes(p.name);
        if (asParameter === literals.has(p.name)) {
            throw new Error(`${file}: parameter ${p.name} must stand as :${p.name} or as {{${p.name}}} (not both).`);
        }
        if (!asParameter && !WHOLE_NUMBERS.test(p.example)) {
            throw new Error(`${file}: literal parameter ${p.name} must be whole numbers; its example is ${p.example}.`);
        }
        return { ...p, passedAs: asParameter ? "parameter" : "literal" };
    });
    return { name, description, params, sql, placeholders };
}

/** One whole number or several separated by commas (spaces allowed around them). */
const WHOLE_NUMBERS = /^\s*\d{1,15}(\s*,\s*\d{1,15})*\s*$/;

/** A literal parameter's value as SQL: whole numbers, comma-separated; anything else is refused. */
export function wholeNumbersLiteral(name: string, value: string | number): string {
    const text = String(value);
    if (!WHOLE_NUMBERS.test(text)) {
        throw new Error(`Parameter ${name} must be whole numbers separated by commas, got ${JSON.stringify(text)}.`);
    }
    return text
        .split(",")
        .map((n) => String(Number(n.trim())))
        .join(", ");
}

/**
 * A named query ready to run: its literal parameters rendered (checked), and its execution
 * parameters in the order of the `?`s. Missing values take the query's example; a value is a
 * number where the example is a whole number (a threshold), text otherwise (an hour).
 */
export function bindQuery(
    query: NamedQuery,
    given: Readonly<Record<string, string | number>>,
): { sql: string; parameters: (string | number)[] } {
    const unknown = Object.keys(given).filter((k) => !query.params.some((p) => p.name === k));
    if (unknown.length > 0) {
        throw new Error(
            `Query ${query.name} has no parameter ${unknown.join(", ")}; its parameters are ${query.params.map((p) => p.name).join(", ")}.`,
        );
    }
    const values: Record<string, string | number> = {};
    let sql = query.sql;
    for (const p of query.params) {
        const value = given[p.name] ?? p.example;
        if (p.passedAs === "literal") {
            sql = sql.split(`{{${p.name}}}`).join(wholeNumbersLiteral(p.name, value));
        } else if (!/^\d+$/.test(p.example)) {
            values[p.name] = String(value);
        } else {
            values[p.name] = typeof value === "number" || !/^\d+$/.test(value) ? value : Number(value);
        }
    }
    return { sql, parameters: orderedParameters(query.placeholders, values) };
}

/**
 * A named query's description as stored in Athena (at most 1,024 characters): what it does, the
 * execution parameters in the order of its `?`s, and the literals written into its text.
 */
export function namedQueryDescription(query: NamedQuery): string {
    const literals = query.params.filter((p) => p.passedAs === "literal").map((p) => p.name);
    return [
        query.description,
        `Execution parameters, in order: ${query.placeholders.join(", ")}.`,
        ...(literals.length > 0 ? [`Written into the text (edit there): ${literals.join(", ")}.`] : []),
    ]
        .join(" ")
        .slice(0, 1024);
}

/**
 * The text stored as an Athena named query: literal parameters take their example (edit them in
 * the console), execution parameters stay `?`.
 */
export function namedQueryText(query: NamedQuery): string {
    return query.params
        .filter((p) => p.passedAs === "literal")
        .reduce((sql, p) => sql.split(`{{${p.name}}}`).join(wholeNumbersLiteral(p.name, p.example)), query.sql);
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
 * A named query with its execution parameters replaced by SQL expressions (by parameter name): for
 * consumers that cannot bind parameters (a QuickSight dataset), without keeping a second copy of
 * the query.
 */
export function boundQuery(name: string, expressions: Readonly<Record<string, string>>): string {
    const query = namedQuery(name);
    const takes = query.params.map((p) => p.name);
    if (query.params.some((p) => p.passedAs === "literal") || takes.join() !== Object.keys(expressions).join()) {
        throw new Error(
            `Query ${name} takes the parameters ${takes.join(", ")}, got ${Object.keys(expressions).join(", ")}.`,
        );
    }
    let i = 0;
    return query.sql.replace(/\?/g, () => expressions[query.placeholders[i++]]);
}

/** The daily MERGE with the day still `{{day}}`: handlers/compaction.ts writes a checked day in. */
export function compactionTemplate(): string {
    return analyticsSql("compact_day.sql", { day: DAY_PLACEHOLDER });
}

/**
 * The compacted table's Iceberg partition fields, read from its DDL's `PARTITIONED BY (...)`:
 * column names, or `truncate(width, column)` transforms.
 */
export function compactedPartitionFields(): string[] {
    const ddl = analyticsSql("create_compacted_table.sql", { compacted_location: "" });
    const list = /PARTITIONED\s+BY\s*\(((?:[^()]|\([^()]*\))*)\)/i.exec(ddl)?.[1];
    if (!list) return [];
    return list
        .split(/,(?![^(]*\))/)
        .map((field) => field.trim())
        .filter(Boolean);
}
