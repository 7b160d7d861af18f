/**
 * Entry point of the copier Lambda, serialized by `aws.lambda.CallbackFunction`. The factory
 * runs once per Lambda container: the SDK client is built there, never at program scope (where
 * its whole object graph would be serialized into the function).
 */
import { S3Event } from "./s3Events";
import { CopiedObject, copierSettingsFromEnv, copyEvent } from "./copier";

export function copierHandlerFactory(): (event: S3Event) => Promise<CopiedObject[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3Client, CopyObjectCommand } = require("@aws-sdk/client-s3");
    const s3 = new S3Client({});
    const settings = copierSettingsFromEnv(process.env);
    return (event) => copyEvent(event, (request) => s3.send(new CopyObjectCommand(request)), settings);
}
