/**
 * Entry point of the copier Lambda, serialized by `aws.lambda.CallbackFunction`. The factory
 * runs once per Lambda container: the SDK client is built there, never at program scope (where
 * its whole object graph would be serialized into the function).
 */
import { S3Event } from "./s3Events";
import { CopiedObject, CopyRequest, copierSettingsFromEnv, copyEvent } from "./copier";
import { InvocationContext, invocationBudget } from "./invocation";

export function copierHandlerFactory(): (event: S3Event, context?: InvocationContext) => Promise<CopiedObject[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3Client, CopyObjectCommand } = require("@aws-sdk/client-s3");
    const s3 = new S3Client({});
    const settings = copierSettingsFromEnv(process.env);
    return async (event, context) => {
        // A copy whose answer stalls (the SDK's timeouts stop at the headers) is aborted before
        // Lambda's deadline, so the invocation fails cleanly and is retried rather than killed.
        const controller = new AbortController();
        const budget = invocationBudget(context)?.();
        const timer = budget === undefined ? undefined : setTimeout(() => controller.abort(), Math.max(0, budget));
        try {
            const copyObject = async (request: CopyRequest) => {
                try {
                    return await s3.send(new CopyObjectCommand(request), { abortSignal: controller.signal });
                } catch (err) {
                    if (!controller.signal.aborted) throw err;
                    throw new Error(`no answer before the invocation's deadline (aborted after ${budget} ms)`, {
                        cause: err,
                    });
                }
            };
            return await copyEvent(event, copyObject, settings);
        } finally {
            clearTimeout(timer);
        }
    };
}
