/**
 * The loader: indexes every record of a central log object into OpenSearch. Streams the object
 * line by line and sends bounded `_bulk` requests. Every line ends indexed, parked (with its line
 * number, reason and full text, in `_errors/<key>.rejected.ndjson` of the central bucket), or the
 * invocation fails so that Lambda retries the event (see ./failures.ts for the kinds of failure).
 * Plain functions of (event, dependencies); the serialized Lambda entry point is ./loaderLambda.ts.
 */
import * as crypto from "crypto";
import * as os from "os";
import { CENTRAL_SERVICE_PREFIXES, parseCentralKey } from "../layout";
import { BulkBatcher, BulkSettings, BulkTransport } from "./bulk";
import { FailureKind, failure, failureKindOf, messageOf, storageFailure } from "./failures";
import { MAX_LINE_CHARS, readLines } from "./lines";
import { emitMetrics } from "./metrics";
import { ParkedReport, ReportBody } from "./report";
import { S3Event, decodeEventKey } from "./s3Events";
import { isInvalidRecord, parseWafRecord, toDocument } from "./wafRecord";

/** An object as read from S3: its body and the size S3 announced. */
export interface StoredObject {
    readonly body: AsyncIterable<Uint8Array>;
    readonly contentLength?: number;
}

/** Where reports of parked lines go: the central bucket, under `_errors/`. */
export interface ReportStore {
    /** Writes the report at `key`, replacing any earlier one. */
    readonly put: (bucket: string, key: string, body: ReportBody) => Promise<void>;
    /** Whether a report exists at `key` (a stale one, from an earlier run of the same object). */
    readonly exists: (bucket: string, key: string) => Promise<boolean>;
    readonly remove: (bucket: string, key: string) => Promise<void>;
}

export interface LoaderDependencies {
    readonly getObject: (bucket: string, key: string) => Promise<StoredObject>;
    readonly reports: ReportStore;
    readonly bulk: BulkTransport;
    readonly settings: LoaderSettings;
    /** Milliseconds the loader may still work (Lambda's remaining time less a safety margin). */
    readonly remainingMs?: () => number;
    /** The one JSON summary line per object. Default console.log. */
    readonly log?: (line: string) => void;
    /** Embedded-metric-format lines. Default process.stdout. */
    readonly writeMetrics?: (line: string) => void;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
}

export interface LoaderSettings extends BulkSettings {
    /** Daily indices are `<indexPrefix>-YYYY.MM.DD`. Default `waf-logs`. */
    readonly indexPrefix: string;
    /** Longest wait for the next chunk of an S3 object body, ms. Default 30 s. */
    readonly readIdleTimeoutMs: number;
    /** Bytes of parked-lines report held in memory before spilling to a file. Default 5 MiB. */
    readonly reportMemoryBytes: number;
    /** Directory for a spilled report. Default the OS temporary directory (Lambda: /tmp). */
    readonly spillDir?: string;
}

export interface ObjectSummary {
    readonly bucket: string;
    readonly key: string;
    readonly status: "loaded" | "skipped" | "failed";
    /** Complete lines read; when loaded, each one is blank, indexed or parked. */
    readonly lines: number;
    readonly blank: number;
    readonly indexed: number;
    readonly parked: number;
    /** Document sends beyond the first (a document sent three times counts 2). */
    readonly retried: number;
    readonly requests: number;
    /** `_bulk` requests split in halves after HTTP 413. */
    readonly splits: number;
    /** Where the parked lines were written, if any. */
    readonly errorsKey?: string;
    /** A report from an earlier run of this object was deleted: nothing is parked any more. */
    readonly staleReportRemoved?: boolean;
    /** The gzip stream could not be read past this point (the tail is in the report). */
    readonly unreadable?: {
        readonly byteOffset: number;
        readonly compressedByteOffset: number;
        readonly reason: string;
    };
    /** The error the invocation failed with. */
    readonly error?: string;
}

/** Why a line longer than MAX_LINE_CHARS is parked without being parsed. */
export const TOO_LONG_REASON = `line longer than ${MAX_LINE_CHARS} characters: not a WAF record (Firehose records are at most 1,000 KiB)`;

/** `_errors/<key>.rejected.ndjson`: deterministic, so a re-delivery replaces rather than adds. */
export function errorsKeyFor(key: string): string {
    return `_errors/${key}.rejected.ndjson`;
}

/**
 * Stable document ID: re-indexing the same line of the same object overwrites it. Never change
 * what it computes: a re-delivered object would be indexed twice. The one-shot `crypto.hash`
 * (Node 20.12+, the Lambda runtime) gives the same digest as `createHash` without an object per line.
 */
export function documentId(bucket: string, key: string, line: number): string {
    const input = `${bucket}/${key}#${line}`;
    const digest =
        typeof crypto.hash === "function"
            ? crypto.hash("sha256", input, "base64url")
            : crypto.createHash("sha256").update(input).digest("base64url");
    return digest.slice(0, 32);
}

export function dailyIndex(prefix: string, timestamp: number): string {
    return `${prefix}-${new Date(timestamp).toISOString().slice(0, 10).replace(/-/g, ".")}`;
}

/**
 * Loads every object of the event, one at a time (bounded memory, one bulk request in flight),
 * and stops at the first failure: the retried event loads the earlier objects again, harmlessly.
 * An object named twice in one event is loaded once, so its records are counted once.
 */
export async function loadEvent(event: S3Event, deps: LoaderDependencies): Promise<ObjectSummary[]> {
    const summaries: ObjectSummary[] = [];
    const seen = new Set<string>();
    for (const record of event.Records ?? []) {
        const bucket = record.s3.bucket.name;
        const key = decodeEventKey(record.s3.object.key);
        const id = JSON.stringify([bucket, key]);
        if (seen.has(id)) continue;
        seen.add(id);
        summaries.push(await loadObject(bucket, key, deps));
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
        const summary: ObjectSummary = { ...emptyCounts(bucket, key), status: "skipped" };
        log(JSON.stringify({ msg: "loader skipped object", reason: why, ...summary }));
        return summary;
    }

    const target = `s3://${bucket}/${key}`;
    const now = deps.now ?? Date.now;
    const remaining = deps.remainingMs ?? (() => Number.POSITIVE_INFINITY);
    const report = new ParkedReport(target, {
        memoryBytes: deps.settings.reportMemoryBytes,
        spillDir: deps.settings.spillDir ?? os.tmpdir(),
    });
    /** Lines parked here (not JSON, not a record, too long); the batcher counts those OpenSearch refused. */
    let parkedHere = 0;
    const batcher = new BulkBatcher(deps.bulk, deps.settings, {
        park: (line, text, reason) => report.park(line, reason, text),
        remainingMs: deps.remainingMs,
        sleep: deps.sleep,
    });
    let lines = 0;
    let blank = 0;
    let newest: number | undefined;
    let unreadable: ObjectSummary["unreadable"];
    let errorsKey: string | undefined;
    let staleReportRemoved: boolean | undefined;
    const counts = () => ({
        ...emptyCounts(bucket, key),
        lines,
        blank,
        indexed: batcher.stats.indexed,
        parked: parkedHere + batcher.stats.parked,
        retried: batcher.stats.retried,
        requests: batcher.stats.requests,
        splits: batcher.stats.splits,
    });
    const finish = (summary: ObjectSummary) => {
        log(JSON.stringify({ msg: "loader summary", ...summary }));
        emitMetrics(
            {
                timestamp: now(),
                dimensions: { SourceAccount: source.accountId, SourceRegion: source.region },
                metrics: [
                    { name: "RecordsIndexed", value: summary.indexed },
                    { name: "LinesParked", value: summary.parked },
                    { name: "BulkRetries", value: summary.retried },
                    { name: "UnreadableObjects", value: summary.unreadable ? 1 : 0 },
                    ...(newest === undefined
                        ? []
                        : [{ name: "DeliveryLagSeconds", value: (now() - newest) / 1000, unit: "Seconds" as const }]),
                ],
                properties: { ObjectKey: key, Status: summary.status },
            },
            deps.writeMetrics,
        );
        return summary;
    };

    try {
        let object: StoredObject;
        try {
            object = await deps.getObject(bucket, key);
        } catch (err) {
            throw storageFailure(err, "GetObject", target);
        }
        const events = readLines(object.body, {
            expectedBytes: object.contentLength,
            idleTimeoutMs: Math.max(1, Math.min(deps.settings.readIdleTimeoutMs, remaining())),
        });
        for await (const event of events) {
            if (typeof event === "string") {
                lines++;
                // Reading alone (every line parked) must also stop before Lambda's deadline.
                if ((lines & 1023) === 0 && remaining() <= 0) {
                    throw failure("Transient", "no invocation time left to read the rest of the object");
                }
                if (event.length > MAX_LINE_CHARS) {
                    parkedHere++;
                    await report.park(lines, TOO_LONG_REASON, event);
                    continue;
                }
                if (event.trim() === "") {
                    blank++;
                    continue;
                }
                let document;
                try {
                    document = toDocument(parseWafRecord(event), source);
                } catch (err) {
                    if (!isInvalidRecord(err)) throw err;
                    parkedHere++;
                    await report.park(lines, err.message, event);
                    continue;
                }
                if (newest === undefined || document.timestamp > newest) newest = document.timestamp;
                await batcher.add({
                    index: dailyIndex(deps.settings.indexPrefix, document.timestamp),
                    id: documentId(bucket, key, lines),
                    document: JSON.stringify(document),
                    line: lines,
                    text: event,
                });
            } else if (event.kind === "long-start") {
                lines++;
                parkedHere++;
                await report.startLongLine(lines, TOO_LONG_REASON, event.text);
            } else if (event.kind === "long-part") {
                await report.continueLongLine(event.text);
            } else if (event.kind === "long-end") {
                await report.endLongLine();
            } else {
                unreadable = {
                    byteOffset: event.byteOffset,
                    compressedByteOffset: event.compressedByteOffset,
                    reason: event.reason,
                };
                await report.unreadable({ line: lines + 1, ...unreadable, text: event.text });
            }
        }
        await batcher.flush();

        const errors = errorsKeyFor(key);
        const body = await report.finish();
        try {
            if (body) {
                await deps.reports.put(bucket, errors, body);
                errorsKey = errors;
            } else if (await deps.reports.exists(bucket, errors)) {
                await deps.reports.remove(bucket, errors);
                staleReportRemoved = true;
            }
        } catch (err) {
            throw storageFailure(
                err,
                body ? "writing the report" : "removing the stale report",
                `s3://${bucket}/${errors}`,
            );
        }
        return finish({ ...counts(), status: "loaded", errorsKey, staleReportRemoved, unreadable });
    } catch (err) {
        const classified = classify(err, target);
        const kind = failureKindOf(classified) as FailureKind;
        const summary = { ...counts(), status: "failed" as const, error: classified.message };
        finish(summary);
        throw failure(
            kind,
            `${classified.message.slice(kind.length + 2)} (${target}: ${summary.lines} lines read, ${summary.indexed} indexed and ${summary.parked} parked before failing)`,
        );
    } finally {
        await report.discard();
    }
}

function emptyCounts(bucket: string, key: string) {
    return { bucket, key, lines: 0, blank: 0, indexed: 0, parked: 0, retried: 0, requests: 0, splits: 0 };
}

/** Any error as a loader failure: network and file errors by their nature, the rest as Unexpected. */
function classify(err: unknown, target: string): Error {
    if (failureKindOf(err)) return err as Error;
    const e = err as { code?: unknown; $metadata?: unknown };
    if (e && (typeof e.code === "string" || e.$metadata !== undefined)) return storageFailure(err, "reading", target);
    return failure("Unexpected", messageOf(err));
}
