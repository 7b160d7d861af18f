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
    const id = await athena.start(sql, params.map(athenaLiteral));
    let scannedBytes: number;
    for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
        const status = await athena.status(id);
        scannedBytes = status.scannedBytes ?? 0;
        if (status.state === "SUCCEEDED") break;
        if (status.state === "FAILED" || status.state === "CANCELLED") {
            throw new Error(`Athena ${status.state.toLowerCase()} query ${id}: ${status.reason ?? "no reason given"}`);
        }
        const left = remainingMs();
        if (left < delay) throw await stopped(athena, id, status.state, left);
        await athena.sleep(delay);
    }
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
async function stopped(athena: AthenaQueryCalls, id: string, state: string, leftMs: number): Promise<Error> {
    const left = `${(Math.max(0, leftMs) / 1000).toFixed(1)} s`;
    let stop = "it was stopped (StopQueryExecution) so that it scans no further";
    try {
        await athena.stop(id);
    } catch (err) {
        stop = `stopping it failed (${(err as Error)?.name ?? "Error"}: ${messageOf(err)}), so it may still be running`;
    }
    return failure(
        "Transient",
        `Athena query ${id} was still ${state} with ${left} of the invocation's time left; ${stop}. Nothing was written; the next scheduled run searches the window again.`,
    );
}
