/**
 * Sends documents to OpenSearch's `_bulk` API in batches bounded by bytes and count, and gives
 * every failure one of two answers:
 *
 * - transient (HTTP 429 or 5xx for the request or an item, no complete answer in time, an answer
 *   that is not a bulk response): resend what failed, with exponential backoff and full jitter,
 *   while attempts and invocation time remain; then fail the invocation (`Transient:`), so Lambda
 *   retries the event. Documents already indexed are safe to resend: their IDs are deterministic.
 * - permanent (an item refused with a mapping or parse error): park the source line with the
 *   reason, never retry.
 *
 * A request refused as too large (413) is split in halves down to one document; only a single
 * document still too large is parked. HTTP 401/403/404 (for the request or an item) are
 * configuration faults: the invocation fails (`Configuration:`) and nothing is parked.
 */
import { failure } from "./failures";

/** One document to index, with what the caller needs to report it. */
export interface BulkItem {
    readonly index: string;
    readonly id: string;
    /** The document, already serialized as one line of JSON. */
    readonly document: string;
    /** Line of the source object, for the report of parked lines. */
    readonly line: number;
    /** The source line itself: what is parked if the document is refused for good. */
    readonly text: string;
}

export interface BulkResponse {
    readonly statusCode: number;
    readonly body: any;
}

/**
 * Posts an NDJSON body to `_bulk` and resolves with the complete answer, whatever its status.
 * Rejects when no complete answer arrived within `timeoutMs`: connection refused or cut (also
 * after the headers), or a body that stalls.
 */
export type BulkTransport = (ndjson: Buffer, timeoutMs: number) => Promise<BulkResponse>;

export interface BulkSettings {
    /** Upper bound of one request body in bytes. Default 5 MiB (AWS suggests 3-5 MiB). */
    readonly maxBytes: number;
    /** Upper bound of documents in one request. Default 5000. */
    readonly maxDocuments: number;
    /** Requests per batch, the first included, before the invocation fails. Default 10. */
    readonly maxAttempts: number;
    /** First backoff ceiling in ms; doubles per attempt, capped at 20 s. Default 200. */
    readonly baseDelayMs: number;
    /** Longest wait for one complete answer, ms (also bounded by the invocation's time). Default 60 s. */
    readonly requestTimeoutMs: number;
}

export const DEFAULT_BULK_SETTINGS: BulkSettings = {
    maxBytes: 5 * 1024 * 1024,
    maxDocuments: 5000,
    maxAttempts: 10,
    baseDelayMs: 200,
    requestTimeoutMs: 60_000,
};

/** What the batcher needs from the loader around it. */
export interface BulkContext {
    /** Records a line refused for good; awaited before the batcher goes on. */
    readonly park: (line: number, text: string, reason: string) => Promise<void>;
    /** Milliseconds left before the loader must stop (its safety margin already taken off). */
    readonly remainingMs?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
}

export interface BulkStats {
    requests: number;
    indexed: number;
    /** Item sends beyond the first (an item retried twice counts 2). */
    retried: number;
    parked: number;
    /** Requests split in halves after a 413. */
    splits: number;
}

/**
 * An item as held until sent: where its action and document lines are, and where its source
 * line is. Offsets rather than views: a batch is usually sent once and never looked at per item,
 * and thousands of Buffer views per request are measurable garbage.
 */
interface Encoded {
    readonly line: number;
    /** The document's `_id`, to check each answer belongs to the document at its position. */
    readonly id: string;
    readonly ndjson: Buffer;
    readonly start: number;
    readonly end: number;
    readonly text: Buffer | string;
    readonly textStart: number;
    readonly textEnd: number;
}

const ndjsonOf = (item: Encoded) => item.ndjson.subarray(item.start, item.end);
const textOf = (item: Encoded) =>
    typeof item.text === "string" ? item.text : item.text.toString("utf8", item.textStart, item.textEnd);

type Outcome = { readonly retry: Encoded[]; readonly reason: string } | { readonly tooLarge: true };

const transient = (status: number) => status === 429 || status >= 500;
const misconfigured = (status: number) => status === 401 || status === 403 || status === 404;

/** What to check for a request-level or item-level 401/403/404. */
const CONFIGURATION_HINTS: Record<number, string> = {
    401: "the request was not authenticated: check the loader's SigV4 signing (Region, service es) and its credentials",
    403: "check the loader role's mapping to the waf_logs_writer role (search bootstrap) and that role's index permissions, the domain access policy (es:ESHttpPost on <domain>/_bulk), and index write blocks (cluster_block_exception: disk full)",
    404: "check that OPENSEARCH_ENDPOINT names the domain endpoint and that indices may be created",
};

/**
 * Accumulates items and flushes a request whenever the next item would cross a bound.
 *
 * Items are encoded into reused arenas (documents of `maxBytes`, source lines of twice that)
 * rather than kept as strings or fresh Buffers: a batch survives many minor GCs, so its items
 * would be promoted and linger until a major GC, and peak memory would grow with the size of the
 * object being loaded.
 */
export class BulkBatcher {
    readonly stats: BulkStats = { requests: 0, indexed: 0, retried: 0, parked: 0, splits: 0 };
    private readonly arena: Buffer;
    private readonly lines: Buffer;
    private used = 0;
    private linesUsed = 0;
    private batch: Encoded[] = [];
    /** Largest body to send: `maxBytes`, lowered after a 413. */
    private flushAt: number;

    constructor(
        private readonly transport: BulkTransport,
        private readonly settings: BulkSettings,
        private readonly context: BulkContext,
    ) {
        this.arena = Buffer.allocUnsafe(settings.maxBytes);
        this.lines = Buffer.allocUnsafe(2 * settings.maxBytes);
        this.flushAt = settings.maxBytes;
    }

    async add(item: BulkItem): Promise<void> {
        const action = JSON.stringify({ index: { _index: item.index, _id: item.id } });
        const text = `${action}\n${item.document}\n`;
        // Three bytes per UTF-16 unit is UTF-8's worst case: where there is room for that, the
        // item is written without counting its bytes first (one pass over it instead of two).
        const textRoom = 3 * item.text.length;
        const roomy = this.used + 3 * text.length <= this.flushAt;
        const bytes = roomy ? 0 : Buffer.byteLength(text);
        if (
            this.batch.length > 0 &&
            (this.batch.length >= this.settings.maxDocuments ||
                (!roomy && this.used + bytes > this.flushAt) ||
                this.linesUsed + textRoom > this.lines.length)
        ) {
            await this.flush();
        }
        if ((!roomy && bytes > this.flushAt) || textRoom > this.lines.length) {
            // Larger than a whole request: send it alone and let the cluster accept or refuse it.
            const ndjson = Buffer.from(text);
            const alone = {
                line: item.line,
                id: item.id,
                ndjson,
                start: 0,
                end: ndjson.length,
                text: item.text,
                textStart: 0,
                textEnd: 0,
            };
            return this.send([alone], ndjson);
        }
        const written = this.arena.write(text, this.used);
        const textBytes = this.lines.write(item.text, this.linesUsed);
        this.batch.push({
            line: item.line,
            id: item.id,
            ndjson: this.arena,
            start: this.used,
            end: this.used + written,
            text: this.lines,
            textStart: this.linesUsed,
            textEnd: this.linesUsed + textBytes,
        });
        this.used += written;
        this.linesUsed += textBytes;
    }

    async flush(): Promise<void> {
        if (this.batch.length === 0) return;
        const body = this.arena.subarray(0, this.used);
        // The arenas are reused only after every item of this batch is indexed or parked.
        await this.send(this.batch, body);
        this.batch = [];
        this.used = 0;
        this.linesUsed = 0;
    }

    private remaining(): number {
        return this.context.remainingMs?.() ?? Number.POSITIVE_INFINITY;
    }

    private async park(item: Encoded, reason: string): Promise<void> {
        await this.context.park(item.line, textOf(item), reason);
        this.stats.parked++;
    }

    private async send(items: Encoded[], body?: Buffer): Promise<void> {
        let pending = items;
        for (let attempt = 1; ; attempt++) {
            const sent = body ?? Buffer.concat(pending.map(ndjsonOf));
            body = undefined;
            const outcome = await this.attempt(pending, sent);
            if ("tooLarge" in outcome) return this.split(pending, sent.length);
            if (outcome.retry.length === 0) return;
            pending = outcome.retry;
            if (attempt >= this.settings.maxAttempts) {
                throw failure("Transient", `_bulk still failing after ${attempt} attempts: ${outcome.reason}`);
            }
            const delay = backoff(attempt, this.settings.baseDelayMs);
            const left = this.remaining();
            if (left - delay < Math.min(this.settings.requestTimeoutMs, 1000)) {
                throw failure(
                    "Transient",
                    `_bulk still failing after ${attempt} attempts, with too little invocation time left to retry (${Math.max(0, Math.round(left))} ms): ${outcome.reason}`,
                );
            }
            this.stats.retried += pending.length;
            await (this.context.sleep ?? sleep)(delay);
        }
    }

    /** 413: halve and send each half (down to one document, which alone is parked). */
    private async split(items: Encoded[], bytes: number): Promise<void> {
        if (items.length === 1) {
            return this.park(
                items[0],
                `HTTP 413: the domain refused a request of ${bytes} bytes holding only this document (its HTTP payload limit)`,
            );
        }
        this.stats.splits++;
        this.stats.retried += items.length;
        // Later batches start below the size just refused, instead of being refused in turn.
        this.flushAt = Math.min(this.flushAt, Math.max(1, Math.floor(bytes / 2)));
        const half = Math.ceil(items.length / 2);
        await this.send(items.slice(0, half));
        await this.send(items.slice(half));
    }

    /** One request; returns the items worth sending again and why, or that the body was too large. */
    private async attempt(items: Encoded[], body: Buffer): Promise<Outcome> {
        const left = this.remaining();
        if (left <= 0) throw failure("Transient", "no invocation time left to send a _bulk request");
        this.stats.requests++;
        let response: BulkResponse;
        try {
            response = await this.transport(body, Math.min(this.settings.requestTimeoutMs, left));
        } catch (err) {
            return { retry: items, reason: `request failed: ${(err as Error).message}` };
        }
        const status = response.statusCode;
        if (status === 413) return { tooLarge: true };
        if (transient(status)) return { retry: items, reason: `HTTP ${status}${detailOf(response.body)}` };
        if (misconfigured(status)) {
            throw failure(
                "Configuration",
                `OpenSearch refused the _bulk request with HTTP ${status}${detailOf(response.body)}: ${CONFIGURATION_HINTS[status]}`,
            );
        }
        if (status < 200 || status >= 300) {
            throw failure(
                "Unexpected",
                `OpenSearch answered the _bulk request with HTTP ${status}${detailOf(response.body)}`,
            );
        }
        const results = response.body?.items;
        if (!Array.isArray(results) || results.length !== items.length) {
            const what = Array.isArray(results)
                ? `${results.length} results for ${items.length} documents`
                : `no items in ${describeBody(response.body)}`;
            return { retry: items, reason: `malformed _bulk response (HTTP ${status}, ${what})` };
        }
        // Answers come in the order sent; one that names another document means none can be trusted.
        const answers = results.map((r: any) => r?.index ?? r?.create ?? {});
        const stray = answers.findIndex((a: any, i: number) => a._id !== undefined && a._id !== items[i].id);
        if (stray !== -1) {
            return {
                retry: items,
                reason: `malformed _bulk response (answer ${stray + 1} is for _id ${JSON.stringify(answers[stray]._id)}, not ${items[stray].id})`,
            };
        }
        const retry: Encoded[] = [];
        const refused: { status: number; error: any }[] = [];
        let reason = "";
        for (let i = 0; i < items.length; i++) {
            const result = answers[i];
            const itemStatus = Number(result.status);
            if (itemStatus >= 200 && itemStatus < 300 && Number.isInteger(itemStatus)) this.stats.indexed++;
            else if (misconfigured(itemStatus)) refused.push({ status: itemStatus, error: result.error });
            else if (Number.isInteger(itemStatus) && itemStatus >= 400 && itemStatus < 500 && itemStatus !== 429) {
                // Only a refusal of the document itself is for good.
                await this.park(items[i], describeFailure(itemStatus, result.error));
            } else {
                // 429, 5xx, and any status that is no answer at all (missing, 1xx, 3xx): send again.
                reason = describeFailure(itemStatus, result.error);
                retry.push(items[i]);
            }
        }
        if (refused.length > 0) {
            const [first] = refused;
            throw failure(
                "Configuration",
                `OpenSearch refused ${refused.length} of ${items.length} documents with ${describeFailure(first.status, first.error)}: ${CONFIGURATION_HINTS[first.status]}`,
            );
        }
        return { retry, reason };
    }
}

/** Full-jitter exponential backoff: uniform in [0, base * 2^(attempt-1)], capped at 20 s. */
export function backoff(attempt: number, baseDelayMs: number): number {
    return Math.random() * Math.min(20_000, baseDelayMs * 2 ** (attempt - 1));
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeFailure(status: number, error: any): string {
    if (!error) return `status ${status}`;
    return `status ${status}: ${error.type ?? "error"}: ${error.reason ?? JSON.stringify(error)}`;
}

/** ` (type: reason)` of an OpenSearch or AWS error body, or empty. */
function detailOf(body: unknown): string {
    const b = body as { error?: { type?: string; reason?: string } | string; Message?: string; message?: string };
    if (b && typeof b === "object") {
        if (typeof b.error === "object" && b.error) return ` (${b.error.type ?? "error"}: ${b.error.reason ?? ""})`;
        const message = typeof b.error === "string" ? b.error : (b.Message ?? b.message);
        if (message) return ` (${message})`;
    }
    if (typeof body === "string" && body.trim() !== "") return ` (${body.trim().slice(0, 300)})`;
    return "";
}

function describeBody(body: unknown): string {
    if (body === undefined || body === null || body === "") return "an empty body";
    return `a ${typeof body} body: ${JSON.stringify(body).slice(0, 200)}`;
}
