/**
 * A real S3 REST API on loopback (s3rver), with the event records it emits relayed the way S3
 * delivers them to Lambda. Used by the tests and the local end-to-end run.
 */
import { S3Client } from "@aws-sdk/client-s3";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import S3rver from "s3rver";
import { S3EventRecord } from "../handlers/s3Events";

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
