/**
 * Fidelity to Athena, judged on the parse tree of the grammar Athena speaks (tools/local/aws/athenaSql.ts),
 * not by DuckDB, which runs SQL Athena refuses. Every SQL text the program sends to Athena is
 * collected from the committed logging stack's plan and the code that renders it, and held to
 * Athena's rules (Athena User Guide: "Use parameterized queries", "Functions in Amazon Athena",
 * "Create Iceberg tables").
 */
import * as assert from "assert";
import { quickSightDatasetSql } from "../analytics/quicksight";
import { analyticsSql, bindQuery, compactionTemplate, namedQueries, namedQuery } from "../analytics/sql";
import { LocalWarehouse, TRINO_MACROS } from "../analytics/warehouse";
import { compactionStatement } from "../handlers/compaction";
import { ANALYTICS_COMPACTION_FUNCTION } from "../names";
import { AthenaGrammar, athenaFunctions, loadAthenaGrammar } from "../tools/local/aws/athenaSql";
import { deployedSource } from "../tools/local/deployedCode";
import { ProgramRun } from "../tools/local/mockEngine";
import { committedRun, ofType } from "./support/program";

interface SentSql {
    readonly origin: string;
    readonly sql: string;
    /** Execution parameters sent with it. */
    readonly parameters: number;
}

/** Every SQL text the logging stack sends to Athena, with where it comes from. */
async function sentSql(run: ProgramRun): Promise<SentSql[]> {
    const count = (sql: string) => (sql.match(/\?/g) ?? []).length;
    const sent: SentSql[] = [];
    for (const q of ofType(run, "aws:athena/namedQuery:NamedQuery")) {
        sent.push({ origin: `named query ${q.inputs.name}`, sql: q.inputs.query, parameters: count(q.inputs.query) });
    }
    for (const s of ofType(run, "aws:scheduler/schedule:Schedule")) {
        if (!String(s.inputs.target.arn).endsWith(":athena:startQueryExecution")) continue;
        const input = JSON.parse(s.inputs.target.input);
        sent.push({
            origin: `schedule ${s.name}`,
            sql: input.QueryString,
            parameters: (input.ExecutionParameters ?? []).length,
        });
    }
    sent.push(
        ...[
            analyticsSql("create_compacted_table.sql", { compacted_location: "s3://bucket/_compacted/" }),
            analyticsSql("waf_logs_view.sql"),
        ].map((sql, i) => ({ origin: `deploy-time DDL ${i + 1}`, sql, parameters: 0 })),
    );
    sent.push({ origin: "QuickSight dataset", sql: quickSightDatasetSql(), parameters: 0 });
    // The compaction Lambda's MERGE, as it renders it for a day (its template is baked into its code).
    const template = compactionTemplate();
    assert.ok((await deployedSource(run, ANALYTICS_COMPACTION_FUNCTION)).includes(JSON.stringify(template)));
    sent.push({ origin: "compaction Lambda", sql: compactionStatement(template, "2026/11/27"), parameters: 0 });
    // Each named query as the detector, forensics and the Athena stand-in send it: literals rendered.
    for (const q of namedQueries()) {
        const { sql, parameters } = bindQuery(q, {});
        sent.push({ origin: `queries/${q.name}.sql`, sql, parameters: parameters.length });
    }
    return sent;
}

describe("Athena fidelity: every SQL text the program sends, on Athena's grammar", function () {
    this.timeout(180_000);
    let grammar: AthenaGrammar;
    let sent: SentSql[];
    before(async () => {
        grammar = await loadAthenaGrammar();
        sent = await sentSql(await committedRun("logging"));
    });

    it("finds the named queries, the DDL, the view and the QuickSight dataset", () => {
        const origins = sent.map((s) => s.origin);
        for (const q of namedQueries()) assert.ok(origins.includes(`named query ${q.name}`), q.name);
        assert.ok(origins.includes("deploy-time DDL 2") && origins.includes("compaction Lambda"));
        // The Scheduler no longer starts the compaction itself (it cannot be told a query's outcome);
        // it starts only the compacted table's weekly maintenance (DELETE, OPTIMIZE, VACUUM).
        assert.deepStrictEqual(
            origins.filter((o) => o.startsWith("schedule ")),
            ["retention", "optimize", "vacuum"].map((s) => `schedule analytics-maintenance-${s}`),
        );
    });

    it("breaks none of Athena's rules: parameters only in WHERE, only on SELECT/INSERT/CTAS, known functions", () => {
        const problems = sent.flatMap((s) =>
            grammar.problems(s.sql, s.parameters).map((p) => `${s.origin} (${grammar.kind(s.sql)}): ${p}`),
        );
        assert.deepStrictEqual(problems, []);
    });
});

describe("Athena fidelity: the rules themselves refuse what Athena refuses", function () {
    this.timeout(60_000);
    let grammar: AthenaGrammar;
    before(async () => {
        grammar = await loadAthenaGrammar();
    });

    it("refuses a ? in the SELECT list, in FROM, in HAVING and in a join condition, and accepts one in any WHERE", () => {
        const cases: [string, string[]][] = [
            [
                "SELECT CAST(? AS bigint) AS n FROM t WHERE h = ?",
                ["line 1:13: a ? in the SELECT list; Athena takes execution parameters only in WHERE"],
            ],
            [
                "SELECT x FROM UNNEST(split(?, ',')) AS t (x)",
                ["line 1:28: a ? in FROM; Athena takes execution parameters only in WHERE"],
            ],
            [
                "SELECT a FROM t GROUP BY a HAVING count(*) > ?",
                ["line 1:46: a ? in HAVING; Athena takes execution parameters only in WHERE"],
            ],
            [
                "SELECT a FROM t JOIN u ON t.a = u.a AND u.b > ?",
                ["line 1:47: a ? in FROM; Athena takes execution parameters only in WHERE"],
            ],
            ["WITH c AS (SELECT a FROM t WHERE h BETWEEN ? AND ?) SELECT a FROM (SELECT a FROM c) WHERE a > ?", []],
            ["SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE c = ?)", []],
        ];
        for (const [sql, problems] of cases) assert.deepStrictEqual(grammar.problems(sql), problems, sql);
    });

    it("refuses parameters on MERGE, a view and DDL, even inside a WHERE", () => {
        assert.deepStrictEqual(
            grammar.problems(
                "MERGE INTO t USING (SELECT a FROM s WHERE h = ?) s ON t.a = s.a WHEN NOT MATCHED THEN INSERT (a) VALUES (s.a)",
            ),
            ["MERGE takes no execution parameters: Athena parameterizes only SELECT, INSERT INTO and CTAS"],
        );
        assert.deepStrictEqual(grammar.problems("CREATE OR REPLACE VIEW v AS SELECT a FROM t WHERE h = ?"), [
            "CREATE VIEW takes no execution parameters: Athena parameterizes only SELECT, INSERT INTO and CTAS",
        ]);
        assert.deepStrictEqual(grammar.problems("CREATE TABLE t (a string) LOCATION 's3://b/'", 1), [
            "CREATE TABLE is DDL: Athena takes execution parameters only on SELECT, INSERT INTO and CTAS",
        ]);
        assert.deepStrictEqual(grammar.problems("INSERT INTO t SELECT a FROM s WHERE h = ?"), []);
    });

    it("refuses a function Athena engine 3 does not have (a DuckDB spelling), and an unknown Iceberg transform", () => {
        assert.deepStrictEqual(grammar.problems("SELECT strftime(ts, '%Y'), list_sort(a) FROM t"), [
            "function list_sort is not in Athena engine 3's function list",
            "function strftime is not in Athena engine 3's function list",
        ]);
        const table = (spec: string) =>
            `CREATE TABLE IF NOT EXISTS w (a string, hour string) PARTITIONED BY (${spec}) LOCATION 's3://b/' TBLPROPERTIES ('table_type' = 'ICEBERG')`;
        assert.deepStrictEqual(grammar.problems(table("truncate(10, hour)")), []);
        assert.deepStrictEqual(grammar.problems(table("days(hour)")), [
            "days is not an Iceberg partition transform Athena knows",
        ]);
        assert.notDeepStrictEqual(grammar.problems("SELEC a FROM t"), []);
    });

    it("reads Athena's own OPTIMIZE and VACUUM as documented, and refuses other forms", () => {
        assert.deepStrictEqual(grammar.problems("VACUUM db.t"), []);
        assert.strictEqual(grammar.kind("VACUUM t"), "VACUUM");
        assert.deepStrictEqual(grammar.problems("OPTIMIZE t REWRITE DATA USING BIN_PACK"), []);
        assert.deepStrictEqual(
            grammar.problems("OPTIMIZE t REWRITE DATA USING BIN_PACK WHERE hour >= date_format(current_date, '%Y')"),
            [],
        );
        assert.deepStrictEqual(grammar.problems("OPTIMIZE t REWRITE DATA USING SORT"), [
            "OPTIMIZE is OPTIMIZE <table> REWRITE DATA USING BIN_PACK [WHERE ...]",
        ]);
        assert.deepStrictEqual(grammar.problems("VACUUM t RETAIN 7 DAYS"), [
            "VACUUM takes a table name and nothing else",
        ]);
        assert.deepStrictEqual(grammar.problems("OPTIMIZE t REWRITE DATA USING BIN_PACK WHERE strftime(h) > 'a'"), [
            "function strftime is not in Athena engine 3's function list",
        ]);
        assert.deepStrictEqual(grammar.problems("OPTIMIZE t REWRITE DATA USING BIN_PACK WHERE h > ?", 1), [
            "OPTIMIZE takes no execution parameters: Athena parameterizes only SELECT, INSERT INTO and CTAS",
        ]);
    });
});

describe("DuckDB's emulation of Trino functions (analytics/warehouse.ts TRINO_MACROS)", () => {
    let warehouse: LocalWarehouse;
    before(async () => {
        warehouse = await LocalWarehouse.open({ dataDir: "/nonexistent" });
    });
    after(() => warehouse?.close());

    it("emulates only functions Athena engine 3 has", () => {
        const known = new Set(athenaFunctions().functions);
        assert.deepStrictEqual(
            TRINO_MACROS.map((m) => m.name).filter((name) => !known.has(name)),
            [],
        );
    });

    // The expected values are Trino's documented semantics (Trino "Date and time functions",
    // "Array functions", "Aggregate functions"), checked one macro at a time.
    const semantics: Record<string, [string, Record<string, string | number | null>][]> = {
        // from_unixtime(unixtime): the timestamp of epoch seconds, fractions kept, in the session's UTC.
        from_unixtime: [
            ["SELECT CAST(from_unixtime(1795775400) AS VARCHAR) AS v", { v: "2026-11-27 10:30:00+00" }],
            ["SELECT CAST(from_unixtime(1795775400123 / 1000) AS VARCHAR) AS v", { v: "2026-11-27 10:30:00.123+00" }],
        ],
        // from_iso8601_timestamp: an ISO 8601 time with its zone; an interval subtracts calendar days.
        from_iso8601_timestamp: [
            [
                "SELECT date_format(from_iso8601_timestamp('2026-03-01T01:30:00Z') - INTERVAL '1' DAY, '%Y/%m/%d') AS v",
                { v: "2026/02/28" },
            ],
        ],
        // date_format: MySQL format; %i minutes, %H 24-hour, %Y/%m/%d zero-padded.
        date_format: [
            [
                "SELECT date_format(from_unixtime(1795775400 + 5 * 60 + 7), '%Y-%m-%d %H:%i') AS v",
                { v: "2026-11-27 10:35" },
            ],
            ["SELECT date_format(from_unixtime(0), '%Y-%m-%d %H:00') AS v", { v: "1970-01-01 00:00" }],
        ],
        // array_join(array, delimiter): the elements joined; NULL elements are skipped.
        array_join: [["SELECT array_join(ARRAY['b', NULL, 'a'], ',') AS v", { v: "b,a" }]],
        // approx_percentile: the value at the percentile (nearest rank, which Trino's estimate approximates).
        approx_percentile: [
            [
                "SELECT approx_percentile(x, 0.5) AS p50, approx_percentile(x, 0.95) AS p95 FROM UNNEST(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) AS t (x)",
                { p50: 5, p95: 10 },
            ],
        ],
    };

    it("has a Trino semantics check for every macro", () => {
        assert.deepStrictEqual(Object.keys(semantics).sort(), TRINO_MACROS.map((m) => m.name).sort());
    });

    for (const [name, checks] of Object.entries(semantics)) {
        it(`${name} answers as Trino's does`, async () => {
            for (const [sql, expected] of checks)
                assert.deepStrictEqual((await warehouse.query(sql))[0], expected, sql);
        });
    }
});

/** The detector's query as it sends it: the threshold at both of its WHERE clauses. */
describe("Athena fidelity: the detector's parameters", () => {
    it("sends blocklist-candidates' parameters by name, in the order of its ?s", () => {
        const query = namedQuery("blocklist-candidates");
        assert.deepStrictEqual(query.placeholders, [
            "from_hour",
            "to_hour",
            "slack_ms",
            "slack_ms",
            "threshold",
            "since_ms",
            "threshold",
        ]);
        assert.deepStrictEqual(
            bindQuery(query, {
                from_hour: "2026/11/27/10",
                to_hour: "2026/11/27/11",
                slack_ms: 900000,
                since_ms: 5,
                threshold: 9,
            }).parameters,
            ["2026/11/27/10", "2026/11/27/11", 900000, 900000, 9, 5, 9],
        );
    });
});
