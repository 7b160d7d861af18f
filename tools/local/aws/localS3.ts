/**
 * A real S3 REST API on loopback (s3rver), with the event records it emits relayed the way S3
 * delivers them to Lambda. Used by the tests and the local end-to-end run.
 */
import { S3Client } from "@aws-sdk/client-s3";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";
import { Readable } from "stream";
import * as zlib from "zlib";
import S3rver from "s3rver";
import { S3EventRecord } from "../../../handlers/s3Events";

/** s3rver's fixed credentials; requests signed with anything else are rejected. */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface LocalS3 {
    readonly endpoint: string;
    readonly client: S3Client;
    /** Event records emitted since start (or since `takeEvents`), keys encoded as S3 encodes them. */
    takeEvents(bucket?: string): S3EventRecord[];
    /** The environment a Lambda needs to reach this S3 with the unmodified AWS SDK. */
    lambdaEnvironment(region: string): Record<string, string>;
    close(): Promise<void>;
}

/**
 * S3 URL-encodes keys in event notifications, form style (space as `+`, `/` kept). s3rver sends
 * the raw key, so the relay encodes it: otherwise the handlers' decoding would go untested.
 */
export function encodeKeyAsS3Does(key: string): string {
    return encodeURIComponent(key)
        .replace(/%2F/g, "/")
        .replace(/%20/g, "+")
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Starts s3rver with `buckets`, storing under `parentDir` (default: a new temporary directory). */
export async function startLocalS3(buckets: readonly string[], parentDir = os.tmpdir()): Promise<LocalS3> {
    const directory = fs.mkdtempSync(path.join(parentDir, "central-waf-logs-s3-"));
    const server = new S3rver({
        address: "127.0.0.1",
        port: 0,
        silent: true,
        directory,
        configureBuckets: buckets.map((name) => ({ name, configs: [] })),
    });
    addMissingS3Semantics(server);
    const pending: S3EventRecord[] = [];
    // S3rver is a Koa app, hence an EventEmitter; its typings predate the "event" event.
    (server as unknown as NodeJS.EventEmitter).on("event", (event: { Records: S3EventRecord[] }) => {
        for (const record of event.Records) {
            pending.push({
                ...record,
                s3: { ...record.s3, object: { ...record.s3.object, key: encodeKeyAsS3Does(record.s3.object.key) } },
            });
        }
    });
    const { port } = (await server.run()) as { port: number };
    const endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({
        endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: LOCAL_CREDENTIALS,
    });
    return {
        endpoint,
        client,
        takeEvents(bucket) {
            const taken = pending.filter((r) => bucket === undefined || r.s3.bucket.name === bucket);
            const kept = pending.filter((r) => !taken.includes(r));
            pending.splice(0, pending.length, ...kept);
            return taken;
        },
        lambdaEnvironment(region) {
            return {
                AWS_REGION: region,
                AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
                AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
                AWS_ENDPOINT_URL_S3: endpoint,
            };
        },
        async close() {
            client.destroy();
            await server.close();
            fs.rmSync(directory, { recursive: true, force: true });
        },
    };
}

type Middleware = (ctx: any, next: () => Promise<void>) => Promise<void>;

/**
 * What S3 does today and s3rver (older) does not, added as middleware just before its router:
 * - conditional writes: a PutObject with `If-None-Match: *` on an existing key is refused with
 *   412 PreconditionFailed;
 * - aws-chunked uploads (what the SDK sends for a streamed body with a trailing checksum): the
 *   body is decoded and its CRC32 or SHA-256 trailer checked (400 BadDigest on a mismatch)
 *   instead of being stored with its framing.
 */
function addMissingS3Semantics(server: S3rver): void {
    const app = server as unknown as {
        middleware: Middleware[];
        store: {
            existsObject(bucket: string, key: string): Promise<boolean>;
            getResourcePath(bucket: string, key: string, type: string): string;
            putObject(object: { bucket: string; key: string }): Promise<{ size: number; md5: string }>;
        };
    };
    // s3rver answers a PUT once its data has passed a Transform, before the file write stream has
    // flushed: a GET right after could read a truncated object (seen with multi-megabyte bodies).
    // S3 answers only once the object is stored, so the PUT waits here until the file is whole.
    const putObject = app.store.putObject.bind(app.store);
    app.store.putObject = async (object) => {
        const stored = await putObject(object);
        const file = app.store.getResourcePath(object.bucket, object.key, "object");
        for (let waited = 0; fs.statSync(file).size < stored.size; waited += 5) {
            if (waited > 10_000) throw new Error(`local S3: ${object.key} was not written within 10 s`);
            await new Promise((resolve) => setTimeout(resolve, 5));
        }
        return stored;
    };
    const semantics: Middleware = async (ctx, next) => {
        const [, bucket, ...key] = decodeURIComponent(ctx.path).split("/");
        const put = ctx.method === "PUT" && key.length > 0 && !ctx.headers["x-amz-copy-source"];
        if (put && ctx.headers["if-none-match"] === "*" && (await app.store.existsObject(bucket, key.join("/")))) {
            return s3Error(
                ctx,
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            );
        }
        if (put && String(ctx.headers["content-encoding"] ?? "").includes("aws-chunked")) {
            const decoded = decodeAwsChunked(await readAll(ctx.req));
            const declared = Number(ctx.headers["x-amz-decoded-content-length"]);
            if (Number.isInteger(declared) && declared !== decoded.data.length) {
                return s3Error(
                    ctx,
                    400,
                    "IncompleteBody",
                    `You did not provide the number of bytes specified by the Content-Length HTTP header (${declared} declared, ${decoded.data.length} sent)`,
                );
            }
            const mismatch = checksumMismatch(decoded.data, decoded.trailers);
            if (mismatch) return s3Error(ctx, 400, "BadDigest", mismatch);
            const encodings = String(ctx.headers["content-encoding"])
                .split(",")
                .map((e) => e.trim())
                .filter((e) => e !== "aws-chunked");
            if (encodings.length > 0) ctx.req.headers["content-encoding"] = encodings.join(",");
            else delete ctx.req.headers["content-encoding"];
            ctx.req.headers["content-length"] = String(decoded.data.length);
            ctx.req = Readable.from([decoded.data]);
        }
        await next();
    };
    // The router is the last middleware.
    app.middleware.splice(app.middleware.length - 1, 0, semantics);
}

function s3Error(ctx: any, status: number, code: string, message: string): void {
    ctx.status = status;
    ctx.type = "application/xml";
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return Buffer.concat(chunks);
}

/** `<hex size>[;chunk-signature=...]\r\n<data>\r\n` ... `0\r\n<name>:<value>\r\n...\r\n`. */
export function decodeAwsChunked(body: Buffer): { data: Buffer; trailers: Record<string, string> } {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
        const lineEnd = body.indexOf("\r\n", at);
        if (lineEnd < 0) throw new Error("aws-chunked body ends inside a chunk header");
        const size = parseInt(body.subarray(at, lineEnd).toString("latin1").split(";")[0], 16);
        if (!Number.isInteger(size)) throw new Error("aws-chunked chunk header has no size");
        at = lineEnd + 2;
        if (size === 0) break;
        parts.push(body.subarray(at, at + size));
        at += size + 2;
    }
    const trailers: Record<string, string> = {};
    for (const line of body.subarray(at).toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { data: Buffer.concat(parts), trailers };
}

function checksumMismatch(data: Buffer, trailers: Record<string, string>): string | undefined {
    const crc32 = trailers["x-amz-checksum-crc32"];
    if (crc32 !== undefined) {
        const actual = Buffer.alloc(4);
        actual.writeUInt32BE(zlib.crc32(data) >>> 0);
        if (actual.toString("base64") !== crc32)
            return `The CRC32 you specified did not match the calculated checksum.`;
    }
    const sha256 = trailers["x-amz-checksum-sha256"];
    if (sha256 !== undefined && createHash("sha256").update(data).digest("base64") !== sha256) {
        return "The SHA256 you specified did not match the calculated checksum.";
    }
    return undefined;
}
