/** Entry point of the analytics DDL Lambda; its event is `{ statements: string[] }`. */
import { StatementResult, runStatements } from "./athenaStatements";

export function athenaStatementsHandlerFactory(): (event: { statements: string[] }) => Promise<StatementResult[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AthenaClient, StartQueryExecutionCommand, GetQueryExecutionCommand } = require("@aws-sdk/client-athena");
    const workGroup = process.env.ATHENA_WORKGROUP;
    const database = process.env.ATHENA_DATABASE;
    if (!workGroup || !database)
        throw new Error("Analytics DDL environment is missing ATHENA_WORKGROUP or ATHENA_DATABASE.");
    const athena = new AthenaClient({});
    return (event) =>
        runStatements(event.statements, {
            start: async (sql) =>
                (
                    await athena.send(
                        new StartQueryExecutionCommand({
                            QueryString: sql,
                            WorkGroup: workGroup,
                            QueryExecutionContext: { Database: database },
                        }),
                    )
                ).QueryExecutionId,
            status: async (id) => {
                const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
                return {
                    state: QueryExecution?.Status?.State ?? "UNKNOWN",
                    reason: QueryExecution?.Status?.StateChangeReason,
                };
            },
            sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        });
}
