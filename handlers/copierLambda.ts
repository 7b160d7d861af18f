/**
 * Entry point of the copier Lambda, serialized by `aws.lambda.CallbackFunction`. The factory
 * runs once per Lambda container: the SDK client is built there, never at program scope (where
 * its whole object graph would be serialized into the function).
 */
import { CopiedObject, DeliveryOutcome, DeliveryRequest, copierSettingsFromEnv, copyEvent } from "./copier";
import { InvocationContext, invocationBudget } from "./invocation";
import { S3Event } from "./s3Events";

/** Tries of one delivery within an invocation; Lambda's own retries come after. */
const DELIVERY_ATTEMPTS = 3;

/**
 * A fault worth another try: S3's 5xx and throttling (also KMS's, which S3 answers as HTTP 400
 * `KMS.ThrottlingException`), a timeout, a dropped connection.
 */
export function isTransient(err: any): boolean {
    const status = err?.$metadata?.httpStatusCode;
    return (
        err?.$retryable !== undefined ||
        status === 429 ||
        (typeof status === "number" && status >= 500) ||
        /Throttl|SlowDown/.test(String(err?.name ?? "")) ||
        ["TimeoutError", "RequestTimeout", "SlowDown", "SourceReadError"].includes(err?.name) ||
        ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"].includes(err?.code)
    );
}

export function copierHandlerFactory(): (event: S3Event, context?: InvocationContext) => Promise<CopiedObject[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3Client, GetObjectCommand, PutObjectCommand } = require("@aws-sdk/client-s3");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PassThrough } = require("stream");
    const s3 = new S3Client({});
    const settings = copierSettingsFromEnv(process.env);
    return async (event, context) => {
        // A delivery whose answer stalls (the SDK's timeouts stop at the headers) is aborted before
        // Lambda's deadline, so the invocation fails cleanly and is retried rather than killed.
        const controller = new AbortController();
        const budget = invocationBudget(context)?.();
        const timer = budget === undefined ? undefined : setTimeout(() => controller.abort(), Math.max(0, budget));
        const abortSignal = controller.signal;
        const deliverOnce = async (request: DeliveryRequest): Promise<DeliveryOutcome> => {
            // This try's write stops with the invocation's deadline, or as soon as its source fails.
            const write = new AbortController();
            const stopWrite = () => write.abort();
            abortSignal.addEventListener("abort", stopWrite);
            let sourceFailure: Error | undefined;
            try {
                const object = await s3.send(new GetObjectCommand(request.source), { abortSignal });
                // Streamed through a relay: the object never sits in the function's memory whole. A
                // source cut mid-body aborts the write instead of reaching the upload's own streams,
                // which would re-emit the error where nothing listens and crash the runtime.
                const relay = new PassThrough();
                object.Body?.on("error", (err: Error) => {
                    sourceFailure = err;
                    write.abort();
                });
                object.Body?.pipe(relay);
                try {
                    await s3.send(
                        new PutObjectCommand({
                            ...request.destination,
                            Body: object.Body ? relay : undefined,
                            ContentLength: object.ContentLength,
                        }),
                        { abortSignal: write.signal },
                    );
                    return "delivered";
                } finally {
                    object.Body?.destroy?.();
                    relay.destroy();
                }
            } catch (err: any) {
                if (sourceFailure) {
                    throw Object.assign(new Error(`reading the staged object failed: ${sourceFailure.message}`), {
                        name: "SourceReadError",
                        cause: sourceFailure,
                    });
                }
                // The key exists: an earlier attempt delivered it (S3 writes are all-or-nothing).
                if (err?.$metadata?.httpStatusCode === 412) return "already-delivered";
                if (!abortSignal.aborted) throw err;
                throw new Error(`no answer before the invocation's deadline (aborted after ${budget} ms)`, {
                    cause: err,
                });
            } finally {
                abortSignal.removeEventListener("abort", stopWrite);
            }
        };
        // The SDK does not retry a request whose body is a stream, so a transient fault is retried
        // here, with a fresh read of the source each time.
        const deliver = async (request: DeliveryRequest): Promise<DeliveryOutcome> => {
            for (let attempt = 1; ; attempt++) {
                try {
                    return await deliverOnce(request);
                } catch (err) {
                    if (attempt >= DELIVERY_ATTEMPTS || abortSignal.aborted || !isTransient(err)) throw err;
                    await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
                }
            }
        };
        try {
            return await copyEvent(event, deliver, settings);
        } finally {
            clearTimeout(timer);
        }
    };
}
