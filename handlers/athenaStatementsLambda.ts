/**
 * Entry point of the analytics DDL Lambda. It may create tables, so it runs only the statements
 * baked into its code at deploy time; the one deploy-time value they need, the compacted table's
 * location, comes from its environment. Its event may carry at most their digest.
 */
import { StatementResult, runStatements } from "./athenaStatements";
import { checkInvocation, definitionsDigest } from "./bakedDefinitions";

/** The placeholder the statement templates carry for the compacted table's S3 location. */
export const COMPACTED_LOCATION_PLACEHOLDER = "{{compacted_location}}";

/** The statements as run, with the location filled in; their digest names them. */
export function renderStatements(templates: readonly string[], compactedLocation: string): string[] {
    return templates.map((sql) => sql.split(COMPACTED_LOCATION_PLACEHOLDER).join(compactedLocation));
}

export type AthenaStatementsHandler = (event: unknown) => Promise<StatementResult[]>;

/** A callback factory with the statement templates captured: serialized into the function's code. */
export function athenaStatementsCallbackFactory(templates: readonly string[]): () => AthenaStatementsHandler {
    return () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const athenaSdk = require("@aws-sdk/client-athena");
        const { AthenaClient, StartQueryExecutionCommand, GetQueryExecutionCommand } = athenaSdk;
        const workGroup = process.env.ATHENA_WORKGROUP;
        const database = process.env.ATHENA_DATABASE;
        const location = process.env.COMPACTED_LOCATION;
        if (!workGroup || !database || !location)
            throw new Error(
                "Analytics DDL environment is missing ATHENA_WORKGROUP, ATHENA_DATABASE or COMPACTED_LOCATION.",
            );
        const statements = renderStatements(templates, location);
        const digest = definitionsDigest(statements);
        const athena = new AthenaClient({});
        return async (event) => {
            checkInvocation(event, digest, "analytics statements");
            return runStatements(statements, {
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
                    const { QueryExecution } = await athena.send(
                        new GetQueryExecutionCommand({ QueryExecutionId: id }),
                    );
                    return {
                        state: QueryExecution?.Status?.State ?? "UNKNOWN",
                        reason: QueryExecution?.Status?.StateChangeReason,
                    };
                },
                sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
            });
        };
    };
}
