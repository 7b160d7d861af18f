import { Readable } from "stream";
import { StringDecoder } from "string_decoder";
import { createGunzip } from "zlib";

/**
 * The lines of an object body, gunzipped when it starts with the gzip magic bytes. Pulls chunk
 * by chunk, so memory stays at one chunk plus one line whatever the object's size.
 */
export async function* linesOf(body: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<string> {
    const decoder = new StringDecoder("utf8");
    let carry = "";
    for await (const chunk of decompressed(body)) {
        const parts = (carry + decoder.write(Buffer.from(chunk))).split("\n");
        carry = parts.pop() ?? "";
        yield* parts;
    }
    carry += decoder.end();
    if (carry !== "") yield carry;
}

async function* decompressed(body: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer | Uint8Array> {
    const iterator = body[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) return;
    const all = (async function* () {
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    })();
    const gzip = first.value.length >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b;
    if (!gzip) return yield* all;
    const source = Readable.from(all);
    const gunzip = createGunzip();
    // pipe() does not forward a source error; without this a failed read would hang.
    source.on("error", (err) => gunzip.destroy(err));
    yield* source.pipe(gunzip);
}
