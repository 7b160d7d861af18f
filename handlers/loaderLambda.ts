/**
 * Entry point of the loader Lambda, serialized by `aws.lambda.CallbackFunction`. Clients are
 * built once per container in the factory; settings come from the environment the component sets.
 */
import { BulkResponse, DEFAULT_BULK_SETTINGS, backoff } from "./bulk";
import { failure, failureKindOf, storageFailure } from "./failures";
import { InvocationContext, invocationBudget } from "./invocation";
import { LoaderSettings, ObjectSummary, loadEvent } from "./loader";
import { ReportBody, removeStaleSpills } from "./report";
import { S3Event } from "./s3Events";

export const LOADER_ENVIRONMENT = {
    endpoint: "OPENSEARCH_ENDPOINT",
    centralKeyArn: "CENTRAL_KEY_ARN",
    indexPrefix: "INDEX_PREFIX",
    maxBytes: "BULK_MAX_BYTES",
    maxDocuments: "BULK_MAX_DOCUMENTS",
    maxAttempts: "BULK_MAX_ATTEMPTS",
    baseDelayMs: "BULK_BASE_DELAY_MS",
    requestTimeoutMs: "BULK_REQUEST_TIMEOUT_MS",
    readIdleTimeoutMs: "READ_IDLE_TIMEOUT_MS",
    reportMemoryBytes: "REPORT_MEMORY_BYTES",
} as const;

export const DEFAULT_LOADER_SETTINGS = {
    ...DEFAULT_BULK_SETTINGS,
    indexPrefix: "waf-logs",
    readIdleTimeoutMs: 30_000,
    reportMemoryBytes: 5 * 1024 * 1024,
};

export type LoaderEnvironmentSettings = LoaderSettings & { endpoint: string; centralKeyArn: string };

/** Reads loader settings from the environment; numbers fall back to the documented defaults. */
export function loaderSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): LoaderEnvironmentSettings {
    const missing = [LOADER_ENVIRONMENT.endpoint, LOADER_ENVIRONMENT.centralKeyArn].filter((name) => !env[name]);
    if (missing.length > 0) throw new Error(`Loader environment is missing ${missing.join(", ")}.`);
    const number = (name: string, fallback: number) => {
        const value = Number(env[name]);
        return Number.isInteger(value) && value > 0 ? value : fallback;
    };
    const d = DEFAULT_LOADER_SETTINGS;
    const e = LOADER_ENVIRONMENT;
    return {
        endpoint: env[e.endpoint]!,
        centralKeyArn: env[e.centralKeyArn]!,
        indexPrefix: env[e.indexPrefix] || d.indexPrefix,
        maxBytes: number(e.maxBytes, d.maxBytes),
        maxDocuments: number(e.maxDocuments, d.maxDocuments),
        maxAttempts: number(e.maxAttempts, d.maxAttempts),
        baseDelayMs: number(e.baseDelayMs, d.baseDelayMs),
        requestTimeoutMs: number(e.requestTimeoutMs, d.requestTimeoutMs),
        readIdleTimeoutMs: number(e.readIdleTimeoutMs, d.readIdleTimeoutMs),
        reportMemoryBytes: number(e.reportMemoryBytes, d.reportMemoryBytes),
    };
}

/** Attempts of a report upload from its spill file (the SDK does not resend a stream body). */
const FILE_UPLOAD_ATTEMPTS = 3;

export function loaderHandlerFactory(): (event: S3Event, context?: InvocationContext) => Promise<ObjectSummary[]> {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const fs = require("fs");
    const os = require("os");
    const {
        S3Client,
        GetObjectCommand,
        PutObjectCommand,
        ListObjectsV2Command,
        DeleteObjectCommand,
    } = require("@aws-sdk/client-s3");
    const { Client } = require("@opensearch-project/opensearch");
    const { AwsSigv4Signer } = require("@opensearch-project/opensearch/aws");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const settings = loaderSettingsFromEnv(process.env);
    const s3 = new S3Client({});
    const search = new Client({
        ...AwsSigv4Signer({ region: process.env.AWS_REGION, service: "es" }),
        node: settings.endpoint,
        // Retries are ours: per item, with backoff, counted, and bounded by the invocation's time.
        maxRetries: 0,
        // One node behind the domain endpoint: no pings (the role may only POST _bulk).
        resurrectStrategy: "none",
    });

    /**
     * One `_bulk` exchange, bounded as a whole: the client's requestTimeout stops counting once the
     * response headers arrive, so a body that stalls is aborted here. An HTTP error status is an
     * answer; anything else (connection refused or cut, also after the headers, a body that is not
     * JSON) is a failed request, never an empty success.
     */
    const bulk = async (ndjson: Buffer, timeoutMs: number): Promise<BulkResponse> => {
        const request = search.bulk({ body: ndjson }, { requestTimeout: timeoutMs, maxRetries: 0 });
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            request.abort();
        }, timeoutMs);
        try {
            const response = await request;
            return { statusCode: response.statusCode, body: response.body };
        } catch (err: any) {
            if (timedOut) throw new Error(`no complete answer within ${timeoutMs} ms`, { cause: err });
            if (err?.name === "ResponseError" && err.meta?.statusCode) {
                return { statusCode: err.meta.statusCode, body: err.meta.body };
            }
            throw err;
        } finally {
            clearTimeout(timer);
        }
    };

    const putReport = async (
        Bucket: string,
        Key: string,
        body: ReportBody,
        send: (command: unknown, what: string) => Promise<any>,
    ) => {
        const checksum = Buffer.alloc(4);
        checksum.writeUInt32BE(body.crc32);
        // The central bucket refuses a PutObject without SSE-KMS under its own key; Object Lock
        // refuses one without a checksum, and a checksum given up front keeps a stream body plain.
        const request = {
            Bucket,
            Key,
            ContentType: "application/x-ndjson",
            ServerSideEncryption: "aws:kms",
            SSEKMSKeyId: settings.centralKeyArn,
            ChecksumCRC32: checksum.toString("base64"),
        };
        if (body.kind === "memory") {
            return void (await send(new PutObjectCommand({ ...request, Body: body.data }), `PutObject ${Key}`));
        }
        for (let attempt = 1; ; attempt++) {
            try {
                await send(
                    new PutObjectCommand({
                        ...request,
                        Body: fs.createReadStream(body.path),
                        ContentLength: body.bytes,
                    }),
                    `PutObject ${Key}`,
                );
                return;
            } catch (err) {
                const kind = failureKindOf(storageFailure(err, "PutObject", Key));
                if (attempt >= FILE_UPLOAD_ATTEMPTS || kind !== "Transient") throw err;
                await new Promise((resolve) => setTimeout(resolve, backoff(attempt, settings.baseDelayMs)));
            }
        }
    };

    /**
     * The S3 side of one invocation: every call, and the reading of an object's body, stops at the
     * invocation's deadline (the SDK's own timeouts do not cover a slow body or a late answer) and
     * fails as Transient, so the event is retried rather than killed at Lambda's timeout.
     */
    const storage = (deadline: AbortSignal) => {
        const send = async (command: unknown, what: string) => {
            try {
                return await s3.send(command, { abortSignal: deadline });
            } catch (err) {
                if (deadline.aborted) throw pastDeadline(what, err);
                throw err;
            }
        };
        return {
            getObject: async (Bucket: string, Key: string) => {
                const got = await send(new GetObjectCommand({ Bucket, Key }), `GetObject ${Key}`);
                const stop = () => got.Body?.destroy(pastDeadline(`reading ${Key}`));
                if (deadline.aborted) stop();
                else deadline.addEventListener("abort", stop, { once: true });
                got.Body?.once("close", () => deadline.removeEventListener("abort", stop));
                return { body: got.Body, contentLength: got.ContentLength };
            },
            reports: {
                put: (Bucket: string, Key: string, body: ReportBody) => putReport(Bucket, Key, body, send),
                exists: async (Bucket: string, Key: string) => {
                    const listed = await send(
                        new ListObjectsV2Command({ Bucket, Prefix: Key, MaxKeys: 1 }),
                        `ListObjectsV2 ${Key}`,
                    );
                    return listed.Contents?.[0]?.Key === Key;
                },
                remove: async (Bucket: string, Key: string) =>
                    void (await send(new DeleteObjectCommand({ Bucket, Key }), `DeleteObject ${Key}`)),
            },
        };
    };

    return async (event, context) => {
        await removeStaleSpills(os.tmpdir(), 15 * 60_000);
        const remainingMs = invocationBudget(context);
        const deadline = new AbortController();
        const timer = remainingMs && setTimeout(() => deadline.abort(), Math.max(0, remainingMs()));
        try {
            return await loadEvent(event, { settings, bulk, ...storage(deadline.signal), remainingMs });
        } finally {
            clearTimeout(timer);
        }
    };
}

/** A call to S3 cut off at the invocation's deadline: a retry of the event can succeed. */
function pastDeadline(what: string, cause?: unknown): Error {
    return Object.assign(failure("Transient", `${what}: no answer from S3 before the invocation's deadline`), {
        cause,
    });
}
