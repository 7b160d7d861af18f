/**
 * Runs one parameterized Athena query to its end and reads every result row: start it, poll with
 * backoff until it succeeds (or fails, or the deadline passes), then page through the results.
 */

export interface AthenaQueryCalls {
    start(sql: string, executionParameters: string[]): Promise<string>;
    status(queryExecutionId: string): Promise<{ state: string; reason?: string; scannedBytes?: number }>;
    /** One page of results; the first page's first row is the column labels. */
    page(queryExecutionId: string, nextToken?: string): Promise<{ rows: (string | null)[][]; nextToken?: string }>;
    sleep(ms: number): Promise<void>;
}

export interface QueryResult {
    readonly queryExecutionId: string;
    readonly rows: Record<string, string | null>[];
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

export async function runAthenaQuery(
    sql: string,
    params: readonly (string | number)[],
    athena: AthenaQueryCalls,
    deadline: number,
    now: () => number = Date.now,
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
        if (now() + delay > deadline) throw new Error(`Athena query ${id} did not finish before the deadline.`);
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
    return { queryExecutionId: id, rows, scannedBytes };
}
