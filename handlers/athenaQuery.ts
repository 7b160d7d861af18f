/**
 * Runs one parameterized Athena query to its end and reads every result row: start it, poll with
 * backoff until it succeeds (or fails, or the invocation's time runs out: then the query is
 * stopped, so it does not go on scanning, and the run fails as Transient), then page through the
 * results.
 */
import { failure, messageOf } from "./failures";

export interface AthenaQueryCalls {
    start(sql: string, executionParameters: string[]): Promise<string>;
    status(queryExecutionId: string): Promise<{ state: string; reason?: string; scannedBytes?: number }>;
    /** One page of results; the first page's first row is the column labels. */
    page(queryExecutionId: string, nextToken?: string): Promise<{ rows: (string | null)[][]; nextToken?: string }>;
    /** Cancels a running query (athena:StopQueryExecution). */
    stop(queryExecutionId: string): Promise<void>;
    sleep(ms: number): Promise<void>;
}

/**
 * The calls on an Athena SDK client (`athenaSdk` is `@aws-sdk/client-athena`, required by the
 * Lambda that runs it), in `workGroup` and `database`. No ExecutionParameters when there are none:
 * Athena refuses an empty list.
 */
export function athenaCalls(
    athenaSdk: any,
    client: { send(command: unknown): Promise<any> },
    where: { readonly workGroup: string; readonly database: string },
): AthenaQueryCalls {
    return {
        start: async (QueryString, parameters) =>
            (
                await client.send(
                    new athenaSdk.StartQueryExecutionCommand({
                        QueryString,
                        ...(parameters.length > 0 ? { ExecutionParameters: parameters } : {}),
                        WorkGroup: where.workGroup,
                        QueryExecutionContext: { Database: where.database },
                    }),
                )
            ).QueryExecutionId,
        status: async (QueryExecutionId) => {
            const { QueryExecution } = await client.send(new athenaSdk.GetQueryExecutionCommand({ QueryExecutionId }));
            return {
                state: QueryExecution?.Status?.State ?? "UNKNOWN",
                reason: QueryExecution?.Status?.StateChangeReason,
                scannedBytes: QueryExecution?.Statistics?.DataScannedInBytes,
            };
        },
        page: async (QueryExecutionId, NextToken) => {
            const page = await client.send(
                new athenaSdk.GetQueryResultsCommand({ QueryExecutionId, NextToken, MaxResults: 1000 }),
            );
            return {
                rows: (page.ResultSet?.Rows ?? []).map((row: any) =>
                    (row.Data ?? []).map((d: any) => d.VarCharValue ?? null),
                ),
                nextToken: page.NextToken,
            };
        },
        stop: async (QueryExecutionId) => {
            await client.send(new athenaSdk.StopQueryExecutionCommand({ QueryExecutionId }));
        },
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
}

export interface QueryResult {
    readonly queryExecutionId: string;
    readonly rows: Record<string, string | null>[];
    /** The result's column labels, in order (none when the result is empty). */
    readonly columns: string[];
    readonly scannedBytes: number;
}

/**
 * Athena's execution parameters are SQL literals: strings quoted (quotes doubled), numbers as
 * written.
 */
export function athenaLiteral(value: string | number): string {
    if (typeof value === "number") {
        if (!Number.isFinite(value)) throw new Error(`Cannot pass ${value} to Athena as a number.`);
        return String(value);
    }
    return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Execution parameters in the order of a query's `?`s, from values by name (a name may stand at
 * more than one `?`, as Athena takes parameters only in WHERE clauses). A missing value is an error.
 */
export function orderedParameters(
    placeholders: readonly string[],
    values: Readonly<Record<string, string | number>>,
): (string | number)[] {
    return placeholders.map((name) => {
        const value = values[name];
        if (value === undefined) throw new Error(`No value for the execution parameter ${name}.`);
        return value;
    });
}

/**
 * Starts `sql` and waits for it to succeed. A query that ends FAILED or CANCELLED throws with
 * Athena's reason; one still running when the invocation's time runs out is stopped and fails as
 * Transient. Returns the execution's id and the bytes it scanned.
 */
export async function runToEnd(
    sql: string,
    params: readonly (string | number)[],
    athena: Omit<AthenaQueryCalls, "page">,
    remainingMs: () => number,
    /** What a stopped query means for the caller, ending the Transient failure's message. */
    afterStop = "Nothing was written; the next scheduled run searches the window again.",
): Promise<{ queryExecutionId: string; scannedBytes: number }> {
    const id = await athena.start(sql, params.map(athenaLiteral));
    for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
        const status = await athena.status(id);
        if (status.state === "SUCCEEDED") return { queryExecutionId: id, scannedBytes: status.scannedBytes ?? 0 };
        if (status.state === "FAILED" || status.state === "CANCELLED") {
            throw new Error(`Athena ${status.state.toLowerCase()} query ${id}: ${status.reason ?? "no reason given"}`);
        }
        const left = remainingMs();
        if (left < delay) throw await stopped(athena, id, status.state, left, afterStop);
        await athena.sleep(delay);
    }
}

/**
 * Runs `sql` and returns every row. `remainingMs` is the time the invocation may still spend (see
 * invocation.ts: Lambda's remaining time less a safety margin); the query is polled only while the
 * next wait fits in it.
 */
export async function runAthenaQuery(
    sql: string,
    params: readonly (string | number)[],
    athena: AthenaQueryCalls,
    remainingMs: () => number,
): Promise<QueryResult> {
    const { queryExecutionId: id, scannedBytes } = await runToEnd(sql, params, athena, remainingMs);
    const rows: Record<string, string | null>[] = [];
    let columns: (string | null)[] | undefined;
    let token: string | undefined;
    do {
        const page = await athena.page(id, token);
        const data = columns ? page.rows : page.rows.slice(1);
        columns ??= page.rows[0] ?? [];
        for (const row of data) rows.push(Object.fromEntries(columns.map((c, i) => [String(c), row[i] ?? null])));
        token = page.nextToken;
    } while (token);
    return { queryExecutionId: id, rows, columns: (columns ?? []).map(String), scannedBytes };
}

/** Stops a query the invocation cannot wait for, and the error that says so. */
async function stopped(
    athena: Pick<AthenaQueryCalls, "stop">,
    id: string,
    state: string,
    leftMs: number,
    afterStop: string,
): Promise<Error> {
    const left = `${(Math.max(0, leftMs) / 1000).toFixed(1)} s`;
    let stop = "it was stopped (StopQueryExecution) so that it scans no further";
    try {
        await athena.stop(id);
    } catch (err) {
        stop = `stopping it failed (${(err as Error)?.name ?? "Error"}: ${messageOf(err)}), so it may still be running`;
    }
    return failure(
        "Transient",
        `Athena query ${id} was still ${state} with ${left} of the invocation's time left; ${stop}. ${afterStop}`,
    );
}
