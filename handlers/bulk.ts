/**
 * Sends documents to OpenSearch's `_bulk` API in batches bounded by bytes and count, resending
 * only the items that failed for a retryable reason (429, 5xx), with exponential backoff and
 * full jitter. Items that fail for good are returned with their reason, never dropped.
 */

/** One document to index, with what the caller needs to report it. */
export interface BulkItem {
    readonly index: string;
    readonly id: string;
    /** The document, already serialized as one line of JSON. */
    readonly document: string;
    /** Line of the source object, for error reports. */
    readonly line: number;
}

export interface BulkRejection {
    readonly line: number;
    readonly document: string;
    readonly reason: string;
}

export interface BulkResponse {
    readonly statusCode: number;
    readonly body: any;
}

/** Posts an NDJSON body to `_bulk`; resolves with any HTTP status, rejects only on network failure. */
export type BulkTransport = (ndjson: Buffer) => Promise<BulkResponse>;

export interface BulkSettings {
    /** Upper bound of one request body in bytes. Default 5 MiB (AWS suggests 3-5 MiB). */
    readonly maxBytes: number;
    /** Upper bound of documents in one request. Default 5000. */
    readonly maxDocuments: number;
    /** Attempts per item, the first included. Default 5. */
    readonly maxAttempts: number;
    /** First backoff ceiling in ms; doubles per attempt. Default 200. */
    readonly baseDelayMs: number;
}

export const DEFAULT_BULK_SETTINGS: BulkSettings = {
    maxBytes: 5 * 1024 * 1024,
    maxDocuments: 5000,
    maxAttempts: 5,
    baseDelayMs: 200,
};

export interface BulkStats {
    requests: number;
    indexed: number;
    /** Item sends beyond the first (an item retried twice counts 2). */
    retried: number;
    rejected: BulkRejection[];
}

/** An item as held until sent: its action and document lines, as a view into the batch arena. */
interface Encoded {
    readonly line: number;
    readonly ndjson: Buffer;
}

const retryable = (status: number) => status === 429 || status >= 500;

/**
 * Accumulates items and flushes a request whenever the next item would cross a bound.
 *
 * Items are encoded into one reused arena of `maxBytes` rather than kept as strings or fresh
 * Buffers: a batch survives many minor GCs, so its items would be promoted and linger until a
 * major GC, and peak memory would grow with the size of the object being loaded.
 */
export class BulkBatcher {
    readonly stats: BulkStats = { requests: 0, indexed: 0, retried: 0, rejected: [] };
    private readonly arena: Buffer;
    private used = 0;
    private batch: { line: number; start: number; end: number }[] = [];

    constructor(
        private readonly transport: BulkTransport,
        private readonly settings: BulkSettings = DEFAULT_BULK_SETTINGS,
        private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    ) {
        this.arena = Buffer.allocUnsafe(settings.maxBytes);
    }

    async add(item: BulkItem): Promise<void> {
        const action = JSON.stringify({ index: { _index: item.index, _id: item.id } });
        const text = `${action}\n${item.document}\n`;
        const bytes = Buffer.byteLength(text);
        if (
            this.batch.length > 0 &&
            (this.used + bytes > this.arena.length || this.batch.length >= this.settings.maxDocuments)
        ) {
            await this.flush();
        }
        if (bytes > this.arena.length) {
            // Larger than a whole request: send it alone and let the cluster accept or refuse it.
            const ndjson = Buffer.from(text);
            return this.send([{ line: item.line, ndjson }], ndjson);
        }
        this.arena.write(text, this.used);
        this.batch.push({ line: item.line, start: this.used, end: this.used + bytes });
        this.used += bytes;
    }

    async flush(): Promise<void> {
        if (this.batch.length === 0) return;
        const items = this.batch.map((b) => ({ line: b.line, ndjson: this.arena.subarray(b.start, b.end) }));
        const body = this.arena.subarray(0, this.used);
        // The arena is reused only after every item of this batch is indexed or rejected.
        await this.send(items, body);
        this.batch = [];
        this.used = 0;
    }

    private reject(item: Encoded, reason: string): void {
        const document = item.ndjson.toString("utf8").split("\n")[1];
        this.stats.rejected.push({ line: item.line, document, reason });
    }

    private async send(items: Encoded[], body: Buffer): Promise<void> {
        let pending = items;
        for (let attempt = 1; ; attempt++) {
            const outcome = await this.attempt(
                pending,
                attempt === 1 ? body : Buffer.concat(pending.map((i) => i.ndjson)),
            );
            pending = outcome.retry;
            if (pending.length === 0) return;
            if (attempt >= this.settings.maxAttempts) {
                for (const item of pending) this.reject(item, `gave up after ${attempt} attempts: ${outcome.reason}`);
                return;
            }
            this.stats.retried += pending.length;
            await this.sleep(backoff(attempt, this.settings.baseDelayMs));
        }
    }

    /** One request; returns the items worth sending again and why they failed. */
    private async attempt(items: Encoded[], body: Buffer): Promise<{ retry: Encoded[]; reason: string }> {
        this.stats.requests++;
        let response: BulkResponse;
        try {
            response = await this.transport(body);
        } catch (err) {
            return { retry: items, reason: `request failed: ${(err as Error).message}` };
        }
        if (retryable(response.statusCode)) return { retry: items, reason: `HTTP ${response.statusCode}` };
        if (response.statusCode >= 300 || !Array.isArray(response.body?.items)) {
            const detail = JSON.stringify(response.body?.error ?? response.body ?? "").slice(0, 500);
            for (const item of items) this.reject(item, `HTTP ${response.statusCode}: ${detail}`);
            return { retry: [], reason: "" };
        }
        const retry: Encoded[] = [];
        let reason = "";
        items.forEach((item, i) => {
            const entry = response.body.items[i];
            if (!entry) {
                reason = "item missing from the bulk response";
                retry.push(item);
                return;
            }
            const result = entry.index ?? entry.create ?? {};
            const status = Number(result.status);
            if (status >= 200 && status < 300) this.stats.indexed++;
            else if (retryable(status)) {
                reason = describeFailure(status, result.error);
                retry.push(item);
            } else this.reject(item, describeFailure(status, result.error));
        });
        return { retry, reason };
    }
}

/** Full-jitter exponential backoff: uniform in [0, base * 2^(attempt-1)], capped at 20 s. */
export function backoff(attempt: number, baseDelayMs: number): number {
    return Math.random() * Math.min(20_000, baseDelayMs * 2 ** (attempt - 1));
}

function describeFailure(status: number, error: any): string {
    if (!error) return `status ${status}`;
    return `status ${status}: ${error.type ?? "error"}: ${error.reason ?? JSON.stringify(error)}`;
}
