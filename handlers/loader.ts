/**
 * The loader: indexes every record of a central log object into OpenSearch. Streams the object
 * line by line, sends bounded `_bulk` requests, and writes every line it could not index (with
 * the reason) to `_errors/` in the central bucket. Plain functions of (event, dependencies); the
 * serialized Lambda entry point is ./loaderLambda.ts.
 */
import { createHash } from "crypto";
import { CENTRAL_SERVICE_PREFIXES, parseCentralKey } from "../layout";
import { BulkBatcher, BulkSettings, BulkTransport } from "./bulk";
import { linesOf } from "./lines";
import { S3Event, decodeEventKey } from "./s3Events";
import { isInvalidRecord, parseWafRecord, toDocument } from "./wafRecord";

export interface LoaderDependencies {
    readonly getObject: (bucket: string, key: string) => Promise<AsyncIterable<Uint8Array>>;
    readonly putObject: (bucket: string, key: string, body: string) => Promise<unknown>;
    readonly bulk: BulkTransport;
    readonly settings: LoaderSettings;
    readonly log?: (line: string) => void;
    readonly sleep?: (ms: number) => Promise<void>;
}

export interface LoaderSettings extends BulkSettings {
    /** Daily indices are `<indexPrefix>-YYYY.MM.DD`. Default `waf-logs`. */
    readonly indexPrefix: string;
}

export interface ObjectSummary {
    readonly bucket: string;
    readonly key: string;
    readonly status: "loaded" | "skipped";
    /** Lines read; every one is indexed, rejected or blank. */
    readonly lines: number;
    readonly blank: number;
    readonly indexed: number;
    readonly retried: number;
    readonly rejected: number;
    readonly requests: number;
    /** Where the rejected lines were written, if any. */
    readonly errorsKey?: string;
}

/** Raw text kept per rejected line; beyond this the line number and reason still are. */
const MAX_REJECTED_TEXT = 10_000;

/** `_errors/<key>.rejected.ndjson`: deterministic, so a re-delivery replaces rather than adds. */
export function errorsKeyFor(key: string): string {
    return `_errors/${key}.rejected.ndjson`;
}

/** Stable document ID: re-indexing the same line of the same object overwrites it. */
export function documentId(bucket: string, key: string, line: number): string {
    return createHash("sha256").update(`${bucket}/${key}#${line}`).digest("base64url").slice(0, 32);
}

export function dailyIndex(prefix: string, timestamp: number): string {
    return `${prefix}-${new Date(timestamp).toISOString().slice(0, 10).replace(/-/g, ".")}`;
}

export async function loadEvent(event: S3Event, deps: LoaderDependencies): Promise<ObjectSummary[]> {
    const summaries: ObjectSummary[] = [];
    // One object at a time: bounded memory and at most one bulk request in flight per invocation.
    for (const record of event.Records ?? []) {
        summaries.push(await loadObject(record.s3.bucket.name, decodeEventKey(record.s3.object.key), deps));
    }
    return summaries;
}

export async function loadObject(bucket: string, key: string, deps: LoaderDependencies): Promise<ObjectSummary> {
    const log = deps.log ?? console.log;
    const source = parseCentralKey(key);
    if (!source) {
        const why = CENTRAL_SERVICE_PREFIXES.some((p) => key.startsWith(p))
            ? "service prefix"
            : "not in the central layout";
        const summary = {
            bucket,
            key,
            status: "skipped" as const,
            lines: 0,
            blank: 0,
            indexed: 0,
            retried: 0,
            rejected: 0,
            requests: 0,
        };
        log(JSON.stringify({ msg: "loader skipped object", reason: why, ...summary }));
        return summary;
    }

    const batcher = new BulkBatcher(deps.bulk, deps.settings, deps.sleep);
    const invalid: { line: number; reason: string; text: string }[] = [];
    let lines = 0;
    let blank = 0;
    for await (const text of linesOf(await deps.getObject(bucket, key))) {
        lines++;
        if (text.trim() === "") {
            blank++;
            continue;
        }
        try {
            const document = toDocument(parseWafRecord(text), source);
            await batcher.add({
                index: dailyIndex(deps.settings.indexPrefix, document.timestamp),
                id: documentId(bucket, key, lines),
                document: JSON.stringify(document),
                line: lines,
            });
        } catch (err) {
            if (!isInvalidRecord(err)) throw err;
            invalid.push({ line: lines, reason: err.message, text });
        }
    }
    await batcher.flush();

    const rejected = [
        ...invalid,
        ...batcher.stats.rejected.map((r) => ({ line: r.line, reason: r.reason, text: r.document })),
    ].sort((a, b) => a.line - b.line);
    let errorsKey: string | undefined;
    if (rejected.length > 0) {
        errorsKey = errorsKeyFor(key);
        const body = rejected
            .map((r, i) =>
                JSON.stringify({
                    source: `s3://${bucket}/${key}`,
                    line: r.line,
                    reason: r.reason,
                    text: i < MAX_REJECTED_TEXT ? r.text : undefined,
                }),
            )
            .join("\n");
        await deps.putObject(bucket, errorsKey, `${body}\n`);
    }
    const summary: ObjectSummary = {
        bucket,
        key,
        status: "loaded",
        lines,
        blank,
        indexed: batcher.stats.indexed,
        retried: batcher.stats.retried,
        rejected: rejected.length,
        requests: batcher.stats.requests,
        errorsKey,
    };
    log(JSON.stringify({ msg: "loader summary", ...summary }));
    return summary;
}
