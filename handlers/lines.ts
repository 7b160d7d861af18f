import { Readable } from "stream";
import { StringDecoder } from "string_decoder";
import { constants, createGunzip } from "zlib";
import { failure } from "./failures";

/**
 * Longest line read as one string. Firehose records are at most 1,000 KiB, so a longer line
 * cannot be a WAF record; it is handed on in pieces instead, so memory stays bounded whatever
 * the object holds.
 */
export const MAX_LINE_CHARS = 1_048_576;

/** The start, middle pieces and end of a line longer than the limit, in order. */
export type LongLinePiece =
    | { readonly kind: "long-start"; readonly text: string }
    | { readonly kind: "long-part"; readonly text: string }
    | { readonly kind: "long-end" };

/** A gzip stream that could not be read to its end; everything before it was read. */
export interface UnreadableTail {
    readonly kind: "unreadable";
    readonly reason: string;
    /**
     * Offset in the decompressed stream where the unreadable tail starts: the bytes read
     * successfully. Corruption found mid-read (a bad block, a wrong checksum at the end) also
     * loses what that read decompressed, so the tail can start up to one read before the damage.
     */
    readonly byteOffset: number;
    /** Bytes of the object fed to the decompressor when it failed (at most one read past the damage). */
    readonly compressedByteOffset: number;
    /** The incomplete last line read before the failure (may be empty). */
    readonly text: string;
}

/** A complete line (without its newline), a piece of an over-long line, or an unreadable tail. */
export type LineEvent = string | LongLinePiece | UnreadableTail;

export interface ReadOptions {
    /** The object's size (Content-Length): a body that ends short is a failed read, not a short object. */
    readonly expectedBytes?: number;
    /** Longest wait for the next chunk, ms; a body that stalls longer fails as Transient. */
    readonly idleTimeoutMs?: number;
    /** Default MAX_LINE_CHARS. */
    readonly maxLineChars?: number;
}

/**
 * The lines of an object body, gunzipped when it starts with the gzip magic bytes (however the
 * body is chunked), with a leading UTF-8 byte order mark removed. Pulls chunk by chunk, so
 * memory stays at one chunk plus one line (at most `maxLineChars`) whatever the object's size.
 *
 * A gzip stream that is truncated or corrupt ends with an `unreadable` event instead of an
 * error: a retry cannot repair it, and every line before the damage has been read. A failure of
 * the body itself (connection cut, stall, short body) is thrown: a retry can help.
 */
export async function* readLines(
    body: AsyncIterable<Uint8Array>,
    options: ReadOptions = {},
): AsyncGenerator<LineEvent> {
    const maxLineChars = options.maxLineChars ?? MAX_LINE_CHARS;
    const decoder = new StringDecoder("utf8");
    let carry = "";
    let started = false;
    let long = false;
    let decompressedBytes = 0;
    const source = await sniffed(guarded(body, options));
    const gunzip = source.gzip ? createGunzip() : undefined;
    let bodyError: unknown;
    let chunks: AsyncIterable<Buffer> = source.chunks;
    let raw: Readable | undefined;
    if (gunzip) {
        raw = Readable.from(
            (async function* () {
                try {
                    yield* source.chunks;
                } catch (err) {
                    bodyError = err;
                    throw err;
                }
            })(),
        );
        // pipe() does not forward a source error; without this a failed read would hang.
        raw.on("error", (err) => gunzip.destroy(err));
        // Flush before ending: what a truncated stream decompresses to comes out first, instead of
        // being dropped with the "unexpected end of file" error of the final call.
        raw.on("end", () => gunzip.flush(constants.Z_SYNC_FLUSH, () => gunzip.end()));
        chunks = raw.pipe(gunzip, { end: false });
    }
    try {
        try {
            for await (const chunk of chunks) {
                decompressedBytes += chunk.length;
                let text = decoder.write(chunk);
                if (!started && text !== "") {
                    started = true;
                    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
                }
                if (long) {
                    const newline = text.indexOf("\n");
                    if (newline === -1) {
                        yield { kind: "long-part", text };
                        continue;
                    }
                    yield { kind: "long-part", text: text.slice(0, newline) };
                    yield { kind: "long-end" };
                    long = false;
                    text = text.slice(newline + 1);
                }
                const parts = (carry + text).split("\n");
                carry = parts.pop() ?? "";
                yield* parts;
                if (carry.length > maxLineChars) {
                    yield { kind: "long-start", text: carry };
                    carry = "";
                    long = true;
                }
            }
        } catch (err) {
            if (!gunzip || bodyError !== undefined) throw bodyError ?? err;
            let partial = carry + decoder.end();
            if (long) {
                if (partial !== "") yield { kind: "long-part", text: partial };
                yield { kind: "long-end" };
                partial = "";
            }
            yield {
                kind: "unreadable",
                reason: `unreadable gzip data: ${(err as Error).message}`,
                byteOffset: decompressedBytes,
                compressedByteOffset: gunzip.bytesWritten,
                text: partial,
            };
            return;
        }
        carry += decoder.end();
        if (long) {
            if (carry !== "") yield { kind: "long-part", text: carry };
            yield { kind: "long-end" };
        } else if (carry !== "") yield carry;
    } finally {
        // Stopped early or failed: release the decompressor and, through the source, the connection.
        raw?.destroy();
        gunzip?.destroy();
    }
}

/**
 * Looks at the first two bytes, however many chunks they take, and hands back every chunk.
 * Gzip detection must not depend on how S3 happens to split the body.
 */
async function sniffed(chunks: AsyncGenerator<Buffer>): Promise<{ gzip: boolean; chunks: AsyncIterable<Buffer> }> {
    const head: Buffer[] = [];
    let length = 0;
    while (length < 2) {
        const next = await chunks.next();
        if (next.done) break;
        head.push(next.value);
        length += next.value.length;
    }
    const first = Buffer.concat(head, Math.min(length, 2));
    return {
        gzip: first.length === 2 && first[0] === 0x1f && first[1] === 0x8b,
        chunks: (async function* () {
            yield* head;
            yield* chunks;
        })(),
    };
}

/**
 * The body's chunks as Buffers, with two guarantees a plain read lacks: a chunk that does not
 * arrive within the idle timeout fails the read (S3 SDK timeouts stop at the headers), and a body
 * that ends before `expectedBytes` fails instead of passing for a complete object.
 */
async function* guarded(body: AsyncIterable<Uint8Array>, options: ReadOptions): AsyncGenerator<Buffer> {
    const iterator = body[Symbol.asyncIterator]();
    const idle = options.idleTimeoutMs;
    // The read in progress, if any: what the idle timer rejects. Never one long-lived promise
    // raced against every read, whose reactions would pile up and keep every chunk alive.
    let stall: ((err: Error) => void) | undefined;
    const timer =
        idle === undefined
            ? undefined
            : setTimeout(
                  () => stall?.(failure("Transient", `reading the object stalled: no data for ${idle} ms`)),
                  idle,
              );
    const next = (): Promise<IteratorResult<Uint8Array>> => {
        if (!timer) return iterator.next();
        // The idle clock starts when data is asked for, not while the caller works on the last chunk.
        timer.refresh();
        return new Promise((resolve, reject) => {
            stall = reject;
            iterator.next().then(resolve, reject);
        });
    };
    let received = 0;
    let finished = false;
    try {
        for (;;) {
            const result = await next();
            stall = undefined;
            if (result.done) break;
            const chunk = result.value;
            received += chunk.length;
            yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
        finished = true;
    } finally {
        if (timer) clearTimeout(timer);
        // Stopped early (stall, failure, consumer gone): release the connection.
        if (!finished) {
            (body as { destroy?: () => void }).destroy?.();
            void iterator.return?.()?.catch(() => undefined);
        }
    }
    if (options.expectedBytes !== undefined && received < options.expectedBytes) {
        throw failure("Transient", `the object body ended after ${received} of ${options.expectedBytes} bytes`);
    }
}
