/**
 * A loopback Athena speaking the JSON operations our Lambdas use (StartQueryExecution,
 * GetQueryExecution, GetQueryResults, StopQueryExecution), so their serialized code runs with the
 * real AWS SDK. Each query reports RUNNING on its first poll, then SUCCEEDED, or FAILED when it
 * matches `failWhen`; one matching `holdWhen` stays RUNNING until it is stopped (then CANCELLED).
 * Given an `execute` callback, queries really run (e.g. on DuckDB over a local copy of the central
 * layout): a query stays RUNNING until `execute` settles, fails with its error text, and
 * GetQueryResults pages its rows in Athena's ResultSet shape. `answerWith` replaces `execute`'s
 * answer with a given one (hand-made rows a real query could not return).
 *
 * It refuses what Athena refuses, so a local run meets the same failures a deployment would:
 * - SQL that breaks Athena's rules, judged on Trino's or Hive's grammar (tools/athenaSql.ts): a `?`
 *   outside WHERE, parameters on MERGE, a view or DDL, a function Athena lacks (Athena User Guide,
 *   "Use parameterized queries", "Functions in Amazon Athena"); and a parameter count that does
 *   not match the `?`s. The query ends FAILED with the reason.
 * - A write into more than 100 partitions ("Use CTAS and INSERT INTO to work around the 100
 *   partition limit"): FAILED with Athena's HIVE_TOO_MANY_OPEN_PARTITIONS message.
 * - A query that scans more than its workgroup's BytesScannedCutoffPerQuery ("Set up workgroup
 *   data usage controls": the query is cancelled): CANCELLED.
 * Messages Athena documents are quoted; the others are modelled on Athena's error-code style.
 */
import * as http from "http";
import { AddressInfo } from "net";
import { AthenaGrammar, loadAthenaGrammar } from "./athenaSql";
import { signingScope } from "./sqsServer";

export interface StartedQuery {
    readonly id: string;
    readonly sql: string;
    readonly workGroup?: string;
    readonly database?: string;
    readonly catalog?: string;
    /** The `?` parameters as sent (Athena's ExecutionParameters are strings). */
    readonly executionParameters?: string[];
    readonly clientRequestToken?: string;
}

/** What a query answered: rows keyed by column, the columns in order, and the bytes it read. */
export interface QueryOutcome {
    readonly rows: Record<string, string | number | null>[];
    readonly columns: string[];
    readonly scannedBytes?: number;
    /** Partitions of the target table a write (INSERT, CTAS, MERGE) put rows in. */
    readonly partitionsWritten?: number;
}

/** Athena's partition limit per CTAS/INSERT INTO query (Iceberg writes meet it too, by field reports). */
export const MAX_PARTITIONS_WRITTEN = 100;

/** Athena's reason for a write past the partition limit (quoted from the User Guide). */
export const TOO_MANY_PARTITIONS =
    "HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions/buckets";

/** The reason of a query cancelled by its workgroup's per-query scan cutoff (modelled). */
export const SCAN_CUTOFF_EXCEEDED = "Query cancelled! : Bytes scanned limit was exceeded";

/** Runs a query for real; throwing fails the query with the error's message as Athena's reason. */
export type ExecuteQuery = (sql: string, executionParameters: string[]) => Promise<QueryOutcome>;

export interface AthenaServerOptions {
    /** Runs each started query; without it queries succeed with no rows (enough for DDL). */
    readonly execute?: ExecuteQuery;
    /** Workgroups that exist, by name, with their engine (GetWorkGroup). Default: none. */
    readonly workGroups?: Readonly<Record<string, WorkGroupEngine>>;
    /** Workgroups' per-query scan cutoffs (BytesScannedCutoffPerQuery, bytes), by workgroup name. */
    readonly scanCutoffs?: Readonly<Record<string, number>>;
}

/** A workgroup's engine as GetWorkGroup reports it, e.g. `Athena engine version 3`. */
export interface WorkGroupEngine {
    readonly selected: string;
    /** What Athena runs when `selected` is AUTO. Default: `selected`. */
    readonly effective?: string;
}

/**
 * GetWorkGroup, for `npm run preflight`: the workgroup's engine, or Athena's answer for a name
 * that does not exist (InvalidRequestException). Kept apart from the query operations.
 */
function getWorkGroup(workGroups: Readonly<Record<string, WorkGroupEngine>>) {
    return (body: any) => {
        const name = String(body.WorkGroup ?? "");
        const engine = Object.prototype.hasOwnProperty.call(workGroups, name) ? workGroups[name] : undefined;
        if (!engine) throw invalid(`WorkGroup ${name} is not found.`);
        return {
            WorkGroup: {
                Name: name,
                State: "ENABLED",
                Configuration: {
                    EngineVersion: {
                        SelectedEngineVersion: engine.selected,
                        EffectiveEngineVersion: engine.effective ?? engine.selected,
                    },
                },
            },
        };
    };
}

export interface AthenaServer {
    readonly url: string;
    readonly started: StartedQuery[];
    /** Operations received, in order. */
    readonly calls: string[];
    failWhen(pattern: RegExp | undefined): void;
    /** Queries started while set, whose SQL matches, stay RUNNING until StopQueryExecution. */
    holdWhen(pattern: RegExp | undefined): void;
    /** Queries started while set answer with `outcome` instead of running. */
    answerWith(outcome: QueryOutcome | undefined): void;
    close(): Promise<void>;
}

/** Athena's page size limit for GetQueryResults. */
const MAX_RESULTS = 1000;

interface QueryRun {
    readonly query: StartedQuery;
    readonly submittedAt: number;
    polls: number;
    settled: boolean;
    held: boolean;
    cancelled?: boolean;
    /** Why Athena itself cancelled it (a scan cutoff), rather than a StopQueryExecution. */
    cancelReason?: string;
    completedAt?: number;
    outcome?: QueryOutcome;
    error?: string;
}

/** An Athena error: its `__type`, message, and Athena's error code where it sends one. */
class AthenaFault {
    constructor(
        readonly type: string,
        readonly message: string,
        readonly athenaErrorCode?: string,
    ) {}
}

const invalid = (message: string, code?: string) => new AthenaFault("InvalidRequestException", message, code);

/** Athena prints a header row (the column labels) first in the results of a query that selects. */
function selects(sql: string): boolean {
    return /^\s*(select|with|values|table)\b/i.test(sql.replace(/^(\s*--[^\n]*\n)+/, ""));
}

function statementType(sql: string): string {
    return /^\s*(select|with|values|table|insert|merge|update|delete)\b/i.test(sql) ? "DML" : "DDL";
}

/** Athena's type name for a column, from its values: bigint, double or varchar. */
function columnType(values: (string | number | null)[]): string {
    const present = values.filter((v) => v !== null);
    if (present.length && present.every((v) => typeof v === "number")) {
        return present.every((v) => Number.isInteger(v)) ? "bigint" : "double";
    }
    return "varchar";
}

const PRECISION: Record<string, number> = { bigint: 19, double: 17, varchar: 2147483647 };

/** One cell as Athena returns it: text in VarCharValue, or an empty Datum for NULL. */
function datum(value: string | number | null | undefined): { VarCharValue?: string } {
    return value === null || value === undefined ? {} : { VarCharValue: String(value) };
}

/**
 * Why Athena would fail `sql` sent with `parameters` before running it: its rules, then the
 * parameter count (Athena's own message), or undefined.
 */
function refusal(grammar: AthenaGrammar, sql: string, parameters: readonly string[]): string | undefined {
    const problems = grammar.problems(sql, parameters.length);
    if (problems.length > 0) {
        const code = problems.some((p) => p.includes("execution parameters"))
            ? "INVALID_PARAMETER_USAGE"
            : problems.some((p) => p.startsWith("function "))
              ? "FUNCTION_NOT_FOUND"
              : "SYNTAX_ERROR";
        return `${code}: ${problems.join("; ")}`;
    }
    const expected = grammar.parameters(sql);
    if (expected !== parameters.length) {
        return `SYNTAX_ERROR: line 1:1: Incorrect number of parameters: expected ${expected} but found ${parameters.length}`;
    }
    return undefined;
}

export async function startAthenaServer(options: AthenaServerOptions = {}): Promise<AthenaServer> {
    const grammar = await loadAthenaGrammar();
    const started: StartedQuery[] = [];
    const calls: string[] = [];
    const runs = new Map<string, QueryRun>();
    const byToken = new Map<string, QueryRun>();
    let failing: RegExp | undefined;
    let holding: RegExp | undefined;
    let answer: QueryOutcome | undefined;

    const runOf = (id: unknown): QueryRun => {
        const run = runs.get(String(id));
        if (!run) throw invalid(`QueryExecution ${String(id)} was not found`, "INVALID_INPUT");
        return run;
    };

    /** The state a query is in, given how often it has been polled. */
    const stateOf = (run: QueryRun): { state: string; reason?: string } => {
        if (run.cancelled) return { state: "CANCELLED", reason: "Query cancelled by user" };
        if (run.cancelReason !== undefined && run.polls > 1) return { state: "CANCELLED", reason: run.cancelReason };
        if (run.polls <= 1 || run.held) return { state: "RUNNING" };
        if (failing?.test(run.query.sql)) return { state: "FAILED", reason: "line 1:8: mismatched input" };
        if (!run.settled) return { state: "RUNNING" };
        if (run.error !== undefined) return { state: "FAILED", reason: run.error };
        return { state: "SUCCEEDED" };
    };

    const startQuery = (body: any) => {
        if (typeof body.QueryString !== "string" || body.QueryString === "") {
            throw invalid(
                "1 validation error detected: Value null at 'queryString' failed to satisfy constraint: Member must not be null",
                "INVALID_INPUT",
            );
        }
        const parameters = body.ExecutionParameters;
        if (
            parameters !== undefined &&
            (!Array.isArray(parameters) || parameters.some((p: unknown) => typeof p !== "string"))
        ) {
            throw invalid("ExecutionParameters must be a list of strings.", "INVALID_INPUT");
        }
        const token: string | undefined = body.ClientRequestToken;
        const previous = token === undefined ? undefined : byToken.get(token);
        if (previous) {
            // Idempotency: the same token with the same request is the same execution.
            const same =
                previous.query.sql === body.QueryString &&
                previous.query.workGroup === body.WorkGroup &&
                JSON.stringify(previous.query.executionParameters) === JSON.stringify(parameters);
            if (!same) throw invalid("Idempotent parameters do not match", "INVALID_INPUT");
            return { QueryExecutionId: previous.query.id };
        }
        const query: StartedQuery = {
            id: `q-${started.length + 1}`,
            sql: body.QueryString,
            workGroup: body.WorkGroup,
            database: body.QueryExecutionContext?.Database,
            catalog: body.QueryExecutionContext?.Catalog,
            executionParameters: parameters,
            clientRequestToken: token,
        };
        started.push(query);
        const refused = refusal(grammar, query.sql, parameters ?? []);
        const execute = options.execute && !answer && refused === undefined;
        const run: QueryRun = {
            query,
            submittedAt: Date.now(),
            polls: 0,
            settled: !execute,
            held: holding?.test(query.sql) ?? false,
            outcome: execute ? undefined : answer,
            error: refused,
        };
        if (!execute) run.completedAt = run.submittedAt;
        const cutoff = options.scanCutoffs?.[query.workGroup ?? "primary"];
        runs.set(query.id, run);
        if (token !== undefined) byToken.set(token, run);
        if (execute) {
            Promise.resolve()
                .then(() => options.execute!(query.sql, parameters ?? []))
                .then(
                    (outcome) => {
                        if ((outcome.partitionsWritten ?? 0) > MAX_PARTITIONS_WRITTEN) {
                            run.error = TOO_MANY_PARTITIONS;
                            run.outcome = { rows: [], columns: [], scannedBytes: outcome.scannedBytes };
                        } else if (cutoff !== undefined && (outcome.scannedBytes ?? 0) > cutoff) {
                            run.cancelReason = SCAN_CUTOFF_EXCEEDED;
                            run.outcome = { rows: [], columns: [], scannedBytes: cutoff };
                        } else {
                            run.outcome = outcome;
                        }
                    },
                    (err) => {
                        run.error = String(err?.message ?? err);
                    },
                )
                .finally(() => {
                    run.settled = true;
                    run.completedAt = Date.now();
                });
        }
        return { QueryExecutionId: query.id };
    };

    const getQueryExecution = (body: any) => {
        const run = runOf(body.QueryExecutionId);
        run.polls++;
        const { state, reason } = stateOf(run);
        const done = state !== "RUNNING";
        const q = run.query;
        return {
            QueryExecution: {
                QueryExecutionId: q.id,
                Query: q.sql,
                StatementType: statementType(q.sql),
                WorkGroup: q.workGroup ?? "primary",
                QueryExecutionContext: { Database: q.database, Catalog: q.catalog },
                ExecutionParameters: q.executionParameters,
                Status: {
                    State: state,
                    StateChangeReason: reason,
                    SubmissionDateTime: run.submittedAt / 1000,
                    CompletionDateTime: done && run.completedAt !== undefined ? run.completedAt / 1000 : undefined,
                    AthenaError:
                        state === "FAILED" ? { ErrorCategory: 2, Retryable: false, ErrorMessage: reason } : undefined,
                },
                Statistics: done
                    ? {
                          DataScannedInBytes: run.outcome?.scannedBytes ?? 0,
                          EngineExecutionTimeInMillis: (run.completedAt ?? run.submittedAt) - run.submittedAt,
                          TotalExecutionTimeInMillis: (run.completedAt ?? run.submittedAt) - run.submittedAt,
                      }
                    : undefined,
            },
        };
    };

    const getQueryResults = (body: any) => {
        const run = runOf(body.QueryExecutionId);
        const maxResults = body.MaxResults ?? MAX_RESULTS;
        if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
            const bound = maxResults < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_RESULTS}`;
            throw invalid(
                `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value ${bound}`,
                "INVALID_INPUT",
            );
        }
        const { state, reason } = stateOf(run);
        if (state === "RUNNING") throw invalid(`Query has not yet finished. Current state: ${state}`);
        if (state === "FAILED") throw invalid(reason ?? "Query failed");
        if (state === "CANCELLED") throw invalid(`Query was cancelled. Current state: ${state}`);
        const outcome = run.outcome ?? { rows: [], columns: [] };
        const columns = outcome.columns;
        const header = selects(run.query.sql) && columns.length ? [{ Data: columns.map((c) => datum(c)) }] : [];
        // The header row is a row of the first page, as in Athena's result file.
        const all = [...header, ...outcome.rows.map((row) => ({ Data: columns.map((c) => datum(row[c])) }))];
        let offset = 0;
        if (body.NextToken !== undefined) {
            const token = /^([^:]+):(\d+)$/.exec(Buffer.from(String(body.NextToken), "base64").toString("utf8"));
            if (!token || token[1] !== run.query.id || Number(token[2]) >= all.length) {
                throw invalid("The NextToken is not valid for this query.", "INVALID_INPUT");
            }
            offset = Number(token[2]);
        }
        const end = offset + maxResults;
        return {
            UpdateCount: 0,
            ResultSet: {
                Rows: all.slice(offset, end),
                ResultSetMetadata: {
                    ColumnInfo: columns.map((name) => {
                        const type = columnType(outcome.rows.map((row) => row[name] ?? null));
                        return {
                            CatalogName: "hive",
                            SchemaName: "",
                            TableName: "",
                            Name: name,
                            Label: name,
                            Type: type,
                            Precision: PRECISION[type],
                            Scale: 0,
                            Nullable: "UNKNOWN",
                            CaseSensitive: type === "varchar",
                        };
                    }),
                },
            },
            NextToken: end < all.length ? Buffer.from(`${run.query.id}:${end}`).toString("base64") : undefined,
        };
    };

    /** Athena's StopQueryExecution: a query not yet finished ends CANCELLED; a finished one is left as it is. */
    const stopQuery = (body: any) => {
        const run = runOf(body.QueryExecutionId);
        if (stateOf(run).state === "RUNNING") {
            run.cancelled = true;
            run.completedAt = Date.now();
        }
        return {};
    };

    const operations: Record<string, (body: any) => unknown> = {
        StartQueryExecution: startQuery,
        GetQueryExecution: getQueryExecution,
        GetQueryResults: getQueryResults,
        StopQueryExecution: stopQuery,
        GetWorkGroup: getWorkGroup(options.workGroups ?? {}),
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const reply = (status: number, payload: unknown) => {
                res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify(payload));
            };
            const operation = String(req.headers["x-amz-target"] ?? "")
                .split(".")
                .pop();
            calls.push(String(operation));
            if (signingScope(req.headers.authorization)?.service !== "athena") {
                return reply(403, {
                    __type: "InvalidSignatureException",
                    message: "Credential should be scoped to correct service: 'athena'. ",
                });
            }
            const handler = operations[String(operation)];
            if (!handler) return reply(400, { __type: "UnknownOperationException", Message: String(operation) });
            try {
                const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
                reply(200, handler(body));
            } catch (err) {
                if (!(err instanceof AthenaFault)) {
                    return reply(500, {
                        __type: "InternalServerException",
                        Message: String((err as Error)?.message ?? err),
                    });
                }
                reply(400, { __type: err.type, Message: err.message, AthenaErrorCode: err.athenaErrorCode });
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        started,
        calls,
        failWhen(pattern) {
            failing = pattern;
        },
        holdWhen(pattern) {
            holding = pattern;
        },
        answerWith(outcome) {
            answer = outcome;
        },
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
