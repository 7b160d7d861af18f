/**
 * Athena's SQL rules, judged on a parse tree of the grammar Athena speaks rather than by running
 * the SQL on DuckDB (which accepts things Athena refuses). dt-sql-parser 4.5.1 (MIT; ANTLR4
 * grammars through antlr4ng, BSD-3, and antlr4-c3, MIT) carries Trino's grammar, which Athena
 * engine 3's queries follow, and Hive's, which Athena's DDL follows.
 *
 * The rules (Athena User Guide, "Use parameterized queries"; "Functions in Amazon Athena";
 * "Create Iceberg tables"):
 * - an execution parameter `?` stands only in a WHERE clause;
 * - only SELECT, INSERT INTO and CTAS (and UNLOAD, which Trino's grammar lacks and we do not use)
 *   take parameters: never MERGE, a view or DDL;
 * - every function called exists in Athena engine 3 (analytics/athena-engine3-functions.json);
 * - an Iceberg table's partition transforms are Athena's.
 *
 * Used by the fidelity test over every SQL text the program sends, and by the Athena stand-in,
 * which refuses what Athena refuses.
 */
import * as fs from "fs";
import * as path from "path";
import { register } from "module";

const FUNCTIONS_FILE = path.resolve(__dirname, "..", "..", "..", "analytics", "athena-engine3-functions.json");

interface FunctionList {
    readonly functions: readonly string[];
    readonly icebergPartitionTransforms: readonly string[];
}

/** The function list, kept as data: names Athena engine 3 knows, and Iceberg's partition transforms. */
export function athenaFunctions(): FunctionList {
    return JSON.parse(fs.readFileSync(FUNCTIONS_FILE, "utf8")) as FunctionList;
}

/** A node of an ANTLR parse tree, as antlr4ng builds it (only what is read here). */
interface TreeNode {
    readonly children?: TreeNode[] | null;
    readonly parent?: TreeNode | null;
    readonly start?: { line: number; column: number };
    readonly symbol?: { line: number; column: number };
    getText(): string;
}

interface ParseError {
    readonly startLine: number;
    readonly startColumn: number;
    readonly message: string;
}

interface Grammar {
    validate(sql: string): ParseError[];
    parse(sql: string, errorListener?: (error: ParseError) => void): TreeNode;
}

export interface AthenaGrammar {
    /**
     * What Athena would refuse in `sql`, one line each (empty when it would run it): syntax,
     * parameter placement, statement kind, unknown functions, Iceberg partition transforms.
     * `executionParameters`: how many parameters are sent with it (default: as many as `?`).
     */
    problems(sql: string, executionParameters?: number): string[];
    /** The dialect Athena reads `sql` in: Hive for DDL, Trino for queries, views, MERGE and CTAS. */
    dialect(sql: string): "hive" | "trino";
    /** The statement's kind, e.g. `SELECT`, `MERGE`, `CREATE VIEW`, `CREATE TABLE` (DDL). */
    kind(sql: string): string;
    /** Every function `sql` calls (lower case, sorted, once each). */
    functionsCalled(sql: string): string[];
    /** How many execution parameters (`?`) `sql` holds (none in Hive DDL). */
    parameters(sql: string): number;
}

/**
 * Node 20 cannot `require` dt-sql-parser's dist/ (ES modules with directory and extensionless
 * imports). This resolve hook retries such an import as `<path>.js`, then `<path>/index.js`.
 */
const RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
    try {
        return await next(specifier, context);
    } catch (err) {
        if (!specifier.startsWith(".") || !context.parentURL) throw err;
        for (const suffix of [".js", "/index.js"]) {
            try {
                return await next(specifier + suffix, context);
            } catch {}
        }
        throw err;
    }
}`;

// A dynamic import that TypeScript's CommonJS output leaves alone (it would turn `import()` into `require`).
const importModule = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

let loading: Promise<AthenaGrammar> | undefined;

/** Loads the grammars once per process (about 2 s) and returns the rules. */
export function loadAthenaGrammar(): Promise<AthenaGrammar> {
    loading ??= (async () => {
        register(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`);
        const dist = path.dirname(require.resolve("dt-sql-parser"));
        const url = (dialect: string) => `file://${path.join(dist, "parser", dialect, "index.js")}`;
        const [{ TrinoSQL }, { HiveSQL }] = await Promise.all([importModule(url("trino")), importModule(url("hive"))]);
        return athenaGrammar(new TrinoSQL() as Grammar, new HiveSQL() as Grammar, athenaFunctions());
    })();
    return loading;
}

/** Statement contexts of Trino's grammar that Athena runs with execution parameters. */
const PARAMETERIZABLE: Record<string, string> = {
    StatementDefaultContext: "SELECT",
    InsertIntoContext: "INSERT INTO",
    CreateTableAsSelectContext: "CREATE TABLE AS SELECT",
};

/** Names for the other statement contexts we meet (the rest are named from their context class). */
const KINDS: Record<string, string> = {
    ...PARAMETERIZABLE,
    MergeContext: "MERGE",
    CreateViewContext: "CREATE VIEW",
    CreateTableContext: "CREATE TABLE",
    DeleteContext: "DELETE",
    UpdateContext: "UPDATE",
};

/** Where a `?` outside WHERE stands, by the child of the query specification it is under. */
const CLAUSES: Record<string, string> = {
    SelectListContext: "the SELECT list",
    HavingClauseContext: "HAVING",
    GroupByContext: "GROUP BY",
};

const className = (node: TreeNode) => node.constructor.name;
const position = (node: TreeNode) => {
    const at = node.start ?? node.symbol;
    return at ? `line ${at.line}:${at.column + 1}` : "line ?";
};

function walk(node: TreeNode, visit: (n: TreeNode) => void): void {
    visit(node);
    for (const child of node.children ?? []) walk(child, visit);
}

/** The statement context of a parsed program (program > statements > singleStatement > statement). */
function statementsOf(tree: TreeNode): TreeNode[] {
    const found: TreeNode[] = [];
    walk(tree, (n) => {
        if (className(n) === "SingleStatementContext" && n.children?.[0]) found.push(n.children[0]);
    });
    return found;
}

/** Why a `?` is not in a WHERE clause, or undefined when it is. */
function misplaced(parameter: TreeNode): string | undefined {
    let child = parameter;
    for (let node = parameter.parent; node; child = node, node = node.parent) {
        const name = className(node);
        if (name === "WhereClauseContext") return undefined;
        if (name === "QuerySpecificationContext") {
            return CLAUSES[className(child)] ?? (className(child).includes("Relation") ? "FROM" : "a clause");
        }
        if (name in KINDS || name === "SingleStatementContext") return "the statement";
    }
    return "the statement";
}

/** Athena's Iceberg `PARTITIONED BY (col | transform(...), ...)` as Hive 4 writes it (`PARTITIONED BY SPEC`). */
function icebergSpec(sql: string): { hive: string; transforms: string[] } {
    const m = /PARTITIONED\s+BY\s*\(((?:[^()]|\([^()]*\))*)\)/i.exec(sql);
    const transforms = [...(m?.[1] ?? "").matchAll(/(\w+)\s*\(/g)].map((t) => t[1].toLowerCase());
    if (!m || transforms.length === 0) return { hive: sql, transforms };
    return { hive: sql.replace(/PARTITIONED\s+BY\s*\(/i, "PARTITIONED BY SPEC ("), transforms };
}

function athenaGrammar(trino: Grammar, hive: Grammar, list: FunctionList): AthenaGrammar {
    const known = new Set(list.functions);
    // One parse per text (a MERGE over every column takes a few hundred ms): its tree and errors.
    const parsed = new Map<string, { tree: TreeNode; errors: ParseError[] }>();
    const parse = (sql: string) => {
        let entry = parsed.get(sql);
        if (!entry) {
            const errors: ParseError[] = [];
            entry = { tree: trino.parse(sql, (e) => errors.push(e)), errors };
            if (parsed.size >= 64) parsed.delete(parsed.keys().next().value!);
            parsed.set(sql, entry);
        }
        return entry;
    };
    const dialect = (sql: string): "hive" | "trino" => {
        const text = sql.replace(/^(\s*--[^\n]*\n)+/, "");
        const ddl =
            /^\s*(CREATE\s+(EXTERNAL\s+)?TABLE\b|ALTER\s+TABLE|DROP\s+TABLE|MSCK|SHOW|DESCRIBE)/i.test(text) &&
            !/^\s*CREATE\s+TABLE\b[^(]*?\bAS\s*(\(|SELECT|WITH)/i.test(text);
        return ddl ? "hive" : "trino";
    };
    // Athena's own Iceberg maintenance statements, in neither grammar (Athena User Guide: "OPTIMIZE",
    // "VACUUM"): `OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE predicate]` and `VACUUM t`.
    const maintenance = (sql: string): { kind: string; problems: string[] } | undefined => {
        const text = sql.replace(/^(\s*--[^\n]*\n)+/, "");
        const word = /^\s*(OPTIMIZE|VACUUM)\b/i.exec(text)?.[1].toUpperCase();
        if (!word) return undefined;
        const table = String.raw`(?:\w+\.)?\w+`;
        if (word === "VACUUM") {
            const ok = new RegExp(String.raw`^\s*VACUUM\s+${table}\s*;?\s*$`, "i").test(text);
            return { kind: word, problems: ok ? [] : ["VACUUM takes a table name and nothing else"] };
        }
        const m = new RegExp(
            String.raw`^\s*OPTIMIZE\s+${table}\s+REWRITE\s+DATA\s+USING\s+BIN_PACK(?:\s+WHERE\s+([\s\S]+?))?\s*;?\s*$`,
            "i",
        ).exec(text);
        if (!m)
            return { kind: word, problems: ["OPTIMIZE is OPTIMIZE <table> REWRITE DATA USING BIN_PACK [WHERE ...]"] };
        // The predicate is a Trino boolean expression: parsed as one, its functions checked.
        return { kind: word, problems: m[1] ? problems(`SELECT 1 FROM t WHERE ${m[1]}`) : [] };
    };
    const kind = (sql: string): string => {
        const own = maintenance(sql);
        if (own) return own.kind;
        if (dialect(sql) === "hive") return /^\s*(\w+(\s+EXTERNAL)?\s+\w+)/i.exec(sql)?.[1].toUpperCase() ?? "DDL";
        const [statement] = statementsOf(parse(sql).tree);
        if (!statement) return "none";
        const name = className(statement);
        return KINDS[name] ?? name.replace(/Context$/, "");
    };
    const functionsCalled = (sql: string): string[] => {
        const names = new Set<string>();
        walk(parse(sql).tree, (n) => {
            if (className(n) === "FunctionNameContext") names.add(n.getText().toLowerCase());
        });
        return [...names].sort();
    };
    const problems = (sql: string, executionParameters?: number): string[] => {
        const own = maintenance(sql);
        if (own) {
            return [
                ...own.problems,
                ...(executionParameters || /\?/.test(sql)
                    ? [
                          `${own.kind} takes no execution parameters: Athena parameterizes only SELECT, INSERT INTO and CTAS`,
                      ]
                    : []),
            ];
        }
        if (dialect(sql) === "hive") {
            const { hive: hiveText, transforms } = icebergSpec(sql);
            return [
                ...hive.validate(hiveText).map((e) => `line ${e.startLine}:${e.startColumn}: ${e.message}`),
                ...transforms
                    .filter((t) => !list.icebergPartitionTransforms.includes(t))
                    .map((t) => `${t} is not an Iceberg partition transform Athena knows`),
                ...(executionParameters
                    ? [`${kind(sql)} is DDL: Athena takes execution parameters only on SELECT, INSERT INTO and CTAS`]
                    : []),
            ];
        }
        const { tree, errors } = parse(sql);
        if (errors.length > 0) return errors.map((e) => `line ${e.startLine}:${e.startColumn}: ${e.message}`);
        const statements = statementsOf(tree);
        const found: string[] = [];
        if (statements.length !== 1) found.push(`${statements.length} statements: Athena runs one per query`);
        const parameters: TreeNode[] = [];
        walk(tree, (n) => {
            if (className(n) === "ParameterContext") parameters.push(n);
        });
        for (const p of parameters) {
            const where = misplaced(p);
            if (where) found.push(`${position(p)}: a ? in ${where}; Athena takes execution parameters only in WHERE`);
        }
        const given = executionParameters ?? parameters.length;
        const statementKind = statements[0] ? className(statements[0]) : "";
        if (given > 0 && !(statementKind in PARAMETERIZABLE)) {
            found.push(
                `${KINDS[statementKind] ?? statementKind} takes no execution parameters: Athena parameterizes only SELECT, INSERT INTO and CTAS`,
            );
        }
        for (const name of functionsCalled(sql)) {
            if (!known.has(name)) found.push(`function ${name} is not in Athena engine 3's function list`);
        }
        return found;
    };
    const parameterCount = (sql: string): number => {
        if (dialect(sql) === "hive") return 0;
        let n = 0;
        walk(parse(sql).tree, (node) => {
            if (className(node) === "ParameterContext") n++;
        });
        return n;
    };
    return { problems, dialect, kind, functionsCalled, parameters: parameterCount };
}
