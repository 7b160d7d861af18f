/**
 * Entry point of the compaction Lambda, invoked (asynchronously) by its EventBridge Scheduler
 * schedule with `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`, or by an operator with
 * `{"day": "yyyy/MM/dd"}`. The MERGE template is baked into its code at deploy time; the workgroup
 * and database come from its environment. It resolves only when Athena reports SUCCEEDED.
 */
import { athenaCalls } from "./athenaQuery";
import { CompactionSummary, compact } from "./compaction";
import { invocationBudget } from "./invocation";
import { LambdaContext } from "./detectorLambda";

export const COMPACTION_ENVIRONMENT = { workgroup: "ATHENA_WORKGROUP", database: "ATHENA_DATABASE" } as const;

/** Time a compaction may take without a Lambda context (local runs). */
const DEFAULT_BUDGET_MS = 840_000;

/** A callback factory with the MERGE template captured: serialized into the function's code. */
export function compactionCallbackFactory(
    template: string,
): () => (event: unknown, context?: LambdaContext) => Promise<CompactionSummary> {
    return () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const athenaSdk = require("@aws-sdk/client-athena");
        const workGroup = process.env[COMPACTION_ENVIRONMENT.workgroup];
        const database = process.env[COMPACTION_ENVIRONMENT.database];
        if (!workGroup || !database) {
            throw new Error(
                `Compaction environment is missing ${COMPACTION_ENVIRONMENT.workgroup} or ${COMPACTION_ENVIRONMENT.database}.`,
            );
        }
        const calls = athenaCalls(athenaSdk, new athenaSdk.AthenaClient({}), { workGroup, database });
        return async (event, context) => {
            const started = performance.now();
            const remainingMs = invocationBudget(context) ?? (() => DEFAULT_BUDGET_MS - (performance.now() - started));
            const summary = await compact(event, template, calls, remainingMs);
            console.log(JSON.stringify({ msg: "compaction succeeded", ...summary }));
            return summary;
        };
    };
}
