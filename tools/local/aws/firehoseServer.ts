/**
 * A loopback Amazon Data Firehose speaking the JSON 1.1 protocol for PutRecord, the one operation
 * the canary of `npm run verify` calls, delivering as a Direct PUT stream with an S3 destination
 * does: the records' bytes concatenated as sent (WAF ends each record with a newline), GZIP
 * compressed, in an object under the stream's prefix for the UTC hour of arrival
 * (`logs/!{timestamp:yyyy/MM/dd/HH}/`), named `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz`.
 * Each record is delivered at once (a buffer that is always full); once PutRecord has answered,
 * `afterDelivery` runs, so a local platform can dispatch the bucket's notifications.
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { randomUUID } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import * as zlib from "zlib";
import { signingScope } from "./sqsServer";

/** A delivery stream: its account and Region, and the bucket it writes to. */
export interface FirehoseStream {
    readonly name: string;
    readonly accountId: string;
    readonly region: string;
    readonly bucket: string;
    /**
     * The stream's S3 prefix as configured (`extendedS3Configuration.prefix`), expressions
     * included; `!{timestamp:...}` is evaluated at the UTC time of arrival.
     */
    readonly prefix: string;
}

/**
 * A Firehose prefix with its `!{timestamp:<format>}` expressions evaluated at `now` (UTC), for the
 * formats WAF streams use (yyyy, MM, dd, HH with any separators). ("Custom Prefixes for Amazon S3
 * Objects", Amazon Data Firehose Developer Guide.)
 */
export function evaluatePrefix(prefix: string, now: Date): string {
    const parts: Record<string, string> = {
        yyyy: String(now.getUTCFullYear()),
        MM: String(now.getUTCMonth() + 1).padStart(2, "0"),
        dd: String(now.getUTCDate()).padStart(2, "0"),
        HH: String(now.getUTCHours()).padStart(2, "0"),
    };
    return prefix.replace(/!\{timestamp:([^}]*)\}/g, (_, format: string) =>
        format.replace(/yyyy|MM|dd|HH/g, (token) => parts[token]),
    );
}

export interface FirehoseServerOptions {
    readonly streams: readonly FirehoseStream[];
    /** Where the streams' buckets are (the local S3's client). */
    readonly s3: S3Client;
    /** Runs after each object is written, once PutRecord has answered. */
    readonly afterDelivery?: (bucket: string, key: string) => Promise<void>;
}

export interface FirehoseServer {
    readonly url: string;
    /** Every object written, in order. */
    readonly delivered: { readonly stream: string; readonly bucket: string; readonly key: string }[];
    /** While set, PutRecord on this stream answers ServiceUnavailableException (a broken hop). */
    failStream(name: string | undefined): void;
    /** Waits for every `afterDelivery` started; rejects with the first error one of them threw. */
    settle(): Promise<void>;
    close(): Promise<void>;
}

/** PutRecord's limit on one record's data, before base64 encoding: 1,000 KiB (Firehose quotas). */
const MAX_RECORD_BYTES = 1_024_000;

export async function startFirehoseServer(options: FirehoseServerOptions): Promise<FirehoseServer> {
    const delivered: FirehoseServer["delivered"] = [];
    const pending = new Set<Promise<unknown>>();
    const afterDeliveryErrors: unknown[] = [];
    let failing: string | undefined;

    const putRecord = async (body: any, region: string): Promise<{ status: number; payload: unknown }> => {
        const name = String(body.DeliveryStreamName ?? "");
        const stream = options.streams.find((s) => s.name === name && s.region === region);
        if (!stream) {
            return {
                status: 400,
                payload: {
                    __type: "ResourceNotFoundException",
                    message: `Firehose ${name} under account ${options.streams.find((s) => s.region === region)?.accountId ?? "000000000000"} not found.`,
                },
            };
        }
        if (failing === name) {
            return {
                status: 503,
                payload: { __type: "ServiceUnavailableException", message: "Slow down." },
            };
        }
        const data = typeof body.Record?.Data === "string" ? Buffer.from(body.Record.Data, "base64") : undefined;
        if (data === undefined || data.length === 0 || data.length > MAX_RECORD_BYTES) {
            return {
                status: 400,
                payload: {
                    __type: "InvalidArgumentException",
                    message: `Record.Data must be 1 to ${MAX_RECORD_BYTES} bytes, got ${data?.length ?? "none"}.`,
                },
            };
        }
        const now = new Date();
        const stamp = now.toISOString().slice(0, 19).replace(/[T:]/g, "-");
        const key = `${evaluatePrefix(stream.prefix, now)}${name}-1-${stamp}-${randomUUID()}.gz`;
        await options.s3.send(new PutObjectCommand({ Bucket: stream.bucket, Key: key, Body: zlib.gzipSync(data) }));
        delivered.push({ stream: name, bucket: stream.bucket, key });
        // After the answer, as S3's notification follows the write: the copier's time is not PutRecord's.
        const after = Promise.resolve()
            .then(() => options.afterDelivery?.(stream.bucket, key))
            .catch((err) => afterDeliveryErrors.push(err))
            .finally(() => pending.delete(after));
        pending.add(after);
        return { status: 200, payload: { RecordId: randomUUID().replace(/-/g, ""), Encrypted: false } };
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const reply = (status: number, payload: unknown) => {
                res.writeHead(status, {
                    "content-type": "application/x-amz-json-1.1",
                    "x-amzn-requestid": randomUUID(),
                });
                res.end(JSON.stringify(payload));
            };
            const scope = signingScope(req.headers.authorization);
            if (scope?.service !== "firehose") {
                return reply(403, {
                    __type: "InvalidSignatureException",
                    message: "Credential should be scoped to correct service: 'firehose'. ",
                });
            }
            const target = String(req.headers["x-amz-target"] ?? "");
            if (target !== "Firehose_20150804.PutRecord") {
                return reply(400, { __type: "UnknownOperationException", message: target });
            }
            let body: unknown;
            try {
                body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
                return reply(400, { __type: "SerializationException", message: "Body is not JSON." });
            }
            putRecord(body, scope.region).then(
                ({ status, payload }) => reply(status, payload),
                (err) => reply(500, { __type: "InternalFailure", message: String(err?.message ?? err) }),
            );
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        delivered,
        failStream(name) {
            failing = name;
        },
        async settle() {
            while (pending.size) await Promise.allSettled([...pending]);
            if (afterDeliveryErrors.length) throw afterDeliveryErrors[0];
        },
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
