/**
 * Entry point of the loader Lambda, serialized by `aws.lambda.CallbackFunction`. Clients are
 * built once per container in the factory; settings come from the environment the component sets.
 */
import { BulkResponse, DEFAULT_BULK_SETTINGS } from "./bulk";
import { LoaderSettings, ObjectSummary, loadEvent } from "./loader";
import { S3Event } from "./s3Events";

export const LOADER_ENVIRONMENT = {
    endpoint: "OPENSEARCH_ENDPOINT",
    indexPrefix: "INDEX_PREFIX",
    maxBytes: "BULK_MAX_BYTES",
    maxDocuments: "BULK_MAX_DOCUMENTS",
    maxAttempts: "BULK_MAX_ATTEMPTS",
    baseDelayMs: "BULK_BASE_DELAY_MS",
} as const;

/** Reads loader settings from the environment; numbers fall back to the documented defaults. */
export function loaderSettingsFromEnv(
    env: Readonly<Record<string, string | undefined>>,
): LoaderSettings & { endpoint: string } {
    const endpoint = env[LOADER_ENVIRONMENT.endpoint];
    if (!endpoint) throw new Error(`Loader environment is missing ${LOADER_ENVIRONMENT.endpoint}.`);
    const number = (name: string, fallback: number) => {
        const value = Number(env[name]);
        return Number.isInteger(value) && value > 0 ? value : fallback;
    };
    return {
        endpoint,
        indexPrefix: env[LOADER_ENVIRONMENT.indexPrefix] || "waf-logs",
        maxBytes: number(LOADER_ENVIRONMENT.maxBytes, DEFAULT_BULK_SETTINGS.maxBytes),
        maxDocuments: number(LOADER_ENVIRONMENT.maxDocuments, DEFAULT_BULK_SETTINGS.maxDocuments),
        maxAttempts: number(LOADER_ENVIRONMENT.maxAttempts, DEFAULT_BULK_SETTINGS.maxAttempts),
        baseDelayMs: number(LOADER_ENVIRONMENT.baseDelayMs, DEFAULT_BULK_SETTINGS.baseDelayMs),
    };
}

export function loaderHandlerFactory(): (event: S3Event) => Promise<ObjectSummary[]> {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { S3Client, GetObjectCommand, PutObjectCommand } = require("@aws-sdk/client-s3");
    const { Client } = require("@opensearch-project/opensearch");
    const { AwsSigv4Signer } = require("@opensearch-project/opensearch/aws");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const settings = loaderSettingsFromEnv(process.env);
    const s3 = new S3Client({});
    const search = new Client({
        ...AwsSigv4Signer({ region: process.env.AWS_REGION, service: "es" }),
        node: settings.endpoint,
        // Retries are ours: per item, with backoff, and counted.
        maxRetries: 0,
        requestTimeout: 60_000,
    });
    const bulk = async (ndjson: Buffer): Promise<BulkResponse> => {
        try {
            const response = await search.bulk({ body: ndjson });
            return { statusCode: response.statusCode, body: response.body };
        } catch (err: any) {
            if (err?.meta?.statusCode) return { statusCode: err.meta.statusCode, body: err.meta.body };
            throw err;
        }
    };
    return (event) =>
        loadEvent(event, {
            settings,
            bulk,
            getObject: async (Bucket, Key) => (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body,
            putObject: (Bucket, Key, Body) =>
                s3.send(new PutObjectCommand({ Bucket, Key, Body, ContentType: "application/x-ndjson" })),
        });
}
