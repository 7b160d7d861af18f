/**
 * Entry point of the detector Lambda, started by EventBridge Scheduler. Its query, thresholds and
 * allowlist are baked into its code at deploy time; the event is ignored (any invocation is just a
 * detection run), and the table and workgroup names come from its environment.
 */
import { runAthenaQuery } from "./athenaQuery";
import { dynamoBlocklistStore } from "./blocklistStore";
import { DetectionSummary, DetectorSettings, detect } from "./detector";
import { emfDocument, writeMetrics } from "./metrics";

export const DETECTOR_ENVIRONMENT = {
    blocklistTable: "BLOCKLIST_TABLE",
    auditTable: "BLOCKLIST_AUDIT_TABLE",
    workgroup: "ATHENA_WORKGROUP",
    database: "ATHENA_DATABASE",
} as const;

/** What a Lambda handler receives as its second argument (the parts used here). */
export interface LambdaContext {
    readonly invokedFunctionArn?: string;
    getRemainingTimeInMillis?(): number;
}

/** Room kept before Lambda's own timeout, so a slow query fails with a message, not a kill. */
const SAFETY_MARGIN_MS = 20_000;

export function detectorCallbackFactory(
    settings: DetectorSettings,
    sql: string,
): () => (event: unknown, context?: LambdaContext) => Promise<DetectionSummary> {
    return () => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const athenaSdk = require("@aws-sdk/client-athena");
        const dynamoSdk = require("@aws-sdk/client-dynamodb");
        /* eslint-enable @typescript-eslint/no-require-imports */
        const env = Object.fromEntries(
            Object.entries(DETECTOR_ENVIRONMENT).map(([field, name]) => [field, process.env[name]]),
        ) as Record<keyof typeof DETECTOR_ENVIRONMENT, string | undefined>;
        const missing = Object.entries(env).filter(([, v]) => !v);
        if (missing.length > 0) {
            throw new Error(
                `Detector environment is missing ${missing.map(([k]) => DETECTOR_ENVIRONMENT[k as keyof typeof DETECTOR_ENVIRONMENT]).join(", ")}.`,
            );
        }
        const athena = new athenaSdk.AthenaClient({});
        const store = dynamoBlocklistStore(dynamoSdk, new dynamoSdk.DynamoDBClient({}), {
            blocklist: env.blocklistTable!,
            audit: env.auditTable!,
        });
        return async (_event, context) => {
            const deadline = Date.now() + (context?.getRemainingTimeInMillis?.() ?? 300_000) - SAFETY_MARGIN_MS;
            return detect(
                {
                    runQuery: (params) =>
                        runAthenaQuery(
                            sql,
                            params,
                            {
                                start: async (QueryString, ExecutionParameters) =>
                                    (
                                        await athena.send(
                                            new athenaSdk.StartQueryExecutionCommand({
                                                QueryString,
                                                ExecutionParameters,
                                                WorkGroup: env.workgroup,
                                                QueryExecutionContext: { Database: env.database },
                                            }),
                                        )
                                    ).QueryExecutionId,
                                status: async (QueryExecutionId) => {
                                    const { QueryExecution } = await athena.send(
                                        new athenaSdk.GetQueryExecutionCommand({ QueryExecutionId }),
                                    );
                                    return {
                                        state: QueryExecution?.Status?.State ?? "UNKNOWN",
                                        reason: QueryExecution?.Status?.StateChangeReason,
                                        scannedBytes: QueryExecution?.Statistics?.DataScannedInBytes,
                                    };
                                },
                                page: async (QueryExecutionId, NextToken) => {
                                    const page = await athena.send(
                                        new athenaSdk.GetQueryResultsCommand({
                                            QueryExecutionId,
                                            NextToken,
                                            MaxResults: 1000,
                                        }),
                                    );
                                    return {
                                        rows: (page.ResultSet?.Rows ?? []).map((row: any) =>
                                            (row.Data ?? []).map((d: any) => d.VarCharValue ?? null),
                                        ),
                                        nextToken: page.NextToken,
                                    };
                                },
                                sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
                            },
                            deadline,
                        ),
                    store,
                    now: Date.now,
                    actor:
                        context?.invokedFunctionArn ?? `lambda:${process.env.AWS_LAMBDA_FUNCTION_NAME ?? "detector"}`,
                    log: (line) => console.log(line),
                    metrics: (values) => writeMetrics(emfDocument(values, {}, { BytesScanned: "Bytes" })),
                },
                settings,
            );
        };
    };
}
