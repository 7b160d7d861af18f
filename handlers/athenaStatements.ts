/**
 * Runs Athena statements one after another and waits for each, failing with Athena's own reason.
 * Used at deploy time (aws.lambda.Invocation) to apply the DDL that Glue's API cannot express:
 * the Iceberg compacted table and the `waf_logs` view.
 */

export interface AthenaCalls {
    start(sql: string): Promise<string>;
    status(queryExecutionId: string): Promise<{ state: string; reason?: string }>;
    sleep(ms: number): Promise<void>;
}

export interface StatementResult {
    readonly queryExecutionId: string;
    readonly state: string;
}

export async function runStatements(
    statements: readonly string[],
    athena: AthenaCalls,
    timeoutMs = 240_000,
): Promise<StatementResult[]> {
    const results: StatementResult[] = [];
    for (const sql of statements) {
        const id = await athena.start(sql);
        const deadline = Date.now() + timeoutMs;
        for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
            const { state, reason } = await athena.status(id);
            if (state === "SUCCEEDED") break;
            if (state === "FAILED" || state === "CANCELLED") {
                throw new Error(
                    `Athena ${state.toLowerCase()} query ${id} (${sql.split("\n")[0].slice(0, 80)}): ${reason ?? "no reason given"}`,
                );
            }
            if (Date.now() > deadline)
                throw new Error(`Athena query ${id} did not finish within ${timeoutMs / 1000} s.`);
            await athena.sleep(delay);
        }
        results.push({ queryExecutionId: id, state: "SUCCEEDED" });
    }
    return results;
}
