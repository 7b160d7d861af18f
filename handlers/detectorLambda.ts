/**
 * Entry point of the detector Lambda, started by EventBridge Scheduler. Its query, thresholds and
 * allowlist are baked into its code at deploy time; the event is ignored (any invocation is just a
 * detection run), and the table and workgroup names come from its environment.
 */
import { athenaCalls, orderedParameters, runAthenaQuery } from "./athenaQuery";
import { dynamoBlocklistStore } from "./blocklistStore";
import { DetectionSummary, DetectorSettings, detect } from "./detector";
import { InvocationContext, invocationBudget } from "./invocation";
import { emitMetrics } from "./metrics";

export const DETECTOR_ENVIRONMENT = {
    blocklistTable: "BLOCKLIST_TABLE",
    auditTable: "BLOCKLIST_AUDIT_TABLE",
    workgroup: "ATHENA_WORKGROUP",
    database: "ATHENA_DATABASE",
} as const;

/** What a Lambda handler receives as its second argument (the parts used here). */
export interface LambdaContext extends Partial<InvocationContext> {
    readonly invokedFunctionArn?: string;
}

/** Time a detection may take without a Lambda context (local runs). */
const DEFAULT_BUDGET_MS = 240_000;

/** Emits counts (and `BytesScanned` in bytes) as one EMF line, with `dimensions`. */
export function emitCounts(
    values: Readonly<Record<string, number>>,
    dimensions: Readonly<Record<string, string>> = {},
): void {
    emitMetrics({
        timestamp: Date.now(),
        dimensions,
        metrics: Object.entries(values).map(([name, value]) => ({
            name,
            value,
            unit: name === "BytesScanned" ? "Bytes" : "Count",
        })),
    });
}

/**
 * @param query the detection query as Athena runs it: its SQL and the names of its `?`s in order
 *   (a name may repeat: Athena takes execution parameters only in WHERE clauses).
 */
export function detectorCallbackFactory(
    settings: DetectorSettings,
    query: { readonly sql: string; readonly placeholders: readonly string[] },
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
        const calls = athenaCalls(athenaSdk, new athenaSdk.AthenaClient({}), {
            workGroup: env.workgroup!,
            database: env.database!,
        });
        const store = dynamoBlocklistStore(dynamoSdk, new dynamoSdk.DynamoDBClient({}), {
            blocklist: env.blocklistTable!,
            audit: env.auditTable!,
        });
        return async (_event, context) => {
            // A slow query is stopped and fails with a message before Lambda's own timeout, not a
            // kill. Time is read from the context (or a monotonic clock), never from Date.now.
            const budget = invocationBudget(context);
            const started = performance.now();
            const remainingMs = budget ?? (() => DEFAULT_BUDGET_MS - (performance.now() - started));
            return detect(
                {
                    runQuery: (params) =>
                        runAthenaQuery(query.sql, orderedParameters(query.placeholders, params), calls, remainingMs),
                    store,
                    now: Date.now,
                    actor:
                        context?.invokedFunctionArn ?? `lambda:${process.env.AWS_LAMBDA_FUNCTION_NAME ?? "detector"}`,
                    log: (line) => console.log(line),
                    metrics: (values) => emitCounts(values),
                },
                settings,
            );
        };
    };
}
