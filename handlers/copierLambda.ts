/**
 * Entry point of the copier Lambda, serialized by `aws.lambda.CallbackFunction`. The factory
 * runs once per Lambda container: the SDK client is built there, never at program scope (where
 * its whole object graph would be serialized into the function).
 */
import { CopiedObject, DeliveryOutcome, DeliveryRequest, copierSettingsFromEnv, copyEvent } from "./copier";
import { S3Event } from "./s3Events";

export function copierHandlerFactory(): (event: S3Event) => Promise<CopiedObject[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3Client, GetObjectCommand, PutObjectCommand } = require("@aws-sdk/client-s3");
    const s3 = new S3Client({});
    const settings = copierSettingsFromEnv(process.env);
    const deliver = async (request: DeliveryRequest): Promise<DeliveryOutcome> => {
        const object = await s3.send(new GetObjectCommand(request.source));
        try {
            // Streamed: the object never sits in the function's memory whole.
            await s3.send(
                new PutObjectCommand({
                    ...request.destination,
                    Body: object.Body,
                    ContentLength: object.ContentLength,
                }),
            );
            return "delivered";
        } catch (err: any) {
            // The key exists: an earlier attempt delivered it (S3 writes are all-or-nothing).
            if (err?.$metadata?.httpStatusCode === 412) return "already-delivered";
            throw err;
        } finally {
            object.Body?.destroy?.();
        }
    };
    return (event) => copyEvent(event, deliver, settings);
}
