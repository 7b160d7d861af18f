import * as assert from "assert";
import { gzipSync } from "zlib";
import { LineEvent, readLines } from "../handlers/lines";

async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function read(body: AsyncIterable<Uint8Array>, options: Parameters<typeof readLines>[1] = {}) {
    const events: LineEvent[] = [];
    for await (const event of readLines(body, options)) events.push(event);
    return events;
}

describe("object lines (handlers/lines.ts)", () => {
    const text = '{"a":1}\n{"b":"é日本"}\n\nlast';

    it("reads the same lines from plain and gzip bodies however they are chunked, down to 1 byte", async () => {
        for (const data of [Buffer.from(text), gzipSync(text)]) {
            for (const size of [1, 2, 3, 7, data.length]) {
                assert.deepStrictEqual(
                    await read(chunked(data, size)),
                    ['{"a":1}', '{"b":"é日本"}', "", "last"],
                    `${data[0] === 0x1f ? "gzip" : "plain"} in chunks of ${size}`,
                );
            }
        }
    });

    it("reads a one-byte body, and nothing from an empty one", async () => {
        assert.deepStrictEqual(await read(chunked(Buffer.from("x"), 1)), ["x"]);
        assert.deepStrictEqual(await read(chunked(Buffer.alloc(0), 1)), []);
        assert.deepStrictEqual(await read(chunked(Buffer.from([0x1f]), 1)), ["\u001f"]);
    });

    it("strips a UTF-8 byte order mark at the start only, even split across chunks", async () => {
        const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n\uFEFFkept\n')]);
        for (const body of [data, gzipSync(data)]) {
            assert.deepStrictEqual(await read(chunked(body, 1)), ['{"a":1}', "\uFEFFkept"]);
        }
    });

    it("hands on a line longer than the limit in pieces, and goes on after it", async () => {
        const long = `${"x".repeat(30)}"é${"y".repeat(30)}`;
        const data = Buffer.from(`short\n${long}\nafter\n${long}`);
        for (const size of [1, 8, 16]) {
            const events = await read(chunked(data, size), { maxLineChars: 10 });
            const pieces: string[] = [];
            const shape: string[] = [];
            for (const event of events) {
                if (typeof event === "string") shape.push(event);
                else if (event.kind === "long-start" || event.kind === "long-part") {
                    if (event.kind === "long-start") shape.push("<long>");
                    pieces.push(event.text);
                } else if (event.kind === "long-end") pieces.push("|");
                else assert.fail(`unexpected ${event.kind}`);
            }
            assert.deepStrictEqual(shape, ["short", "<long>", "after", "<long>"], `chunks of ${size}`);
            assert.strictEqual(pieces.join(""), `${long}|${long}|`, `chunks of ${size}`);
        }
    });

    it("hands on a long line that arrives within one chunk whole (bounded by the chunk), for the loader to park", async () => {
        const long = "x".repeat(50);
        assert.deepStrictEqual(await read(chunked(Buffer.from(`a\n${long}\nb`), 1000), { maxLineChars: 10 }), [
            "a",
            long,
            "b",
        ]);
    });

    it("ends a truncated gzip stream with an unreadable tail, a long line in it closed first", async () => {
        const data = gzipSync(`one\n${"z".repeat(5000)}`);
        const events = await read(chunked(data.subarray(0, data.length - 12), 64), { maxLineChars: 100 });
        assert.deepStrictEqual(events[0], "one");
        assert.deepStrictEqual(
            events.slice(-2).map((e) => (typeof e === "string" ? e : e.kind)),
            ["long-end", "unreadable"],
        );
        assert.deepStrictEqual(
            { ...(events.at(-1) as object), byteOffset: undefined },
            {
                kind: "unreadable",
                reason: "unreadable gzip data: unexpected end of file",
                byteOffset: undefined,
                compressedByteOffset: data.length - 12,
                text: "",
            },
        );
    });

    it("throws a failure of the body itself, plain or gzip, instead of calling the object unreadable", async () => {
        for (const data of [Buffer.from("a\nb\n"), gzipSync("a\nb\n")]) {
            const failing = (async function* () {
                yield data.subarray(0, 3);
                throw Object.assign(new Error("aborted"), { code: "ECONNRESET" });
            })();
            await assert.rejects(read(failing), { message: "aborted", code: "ECONNRESET" });
        }
    });

    it("fails a body that ends before its announced size, and one that stalls, as Transient", async () => {
        await assert.rejects(read(chunked(Buffer.from("abcde"), 2), { expectedBytes: 10 }), {
            message: "Transient: the object body ended after 5 of 10 bytes",
        });
        let destroyed = false;
        const stalled = Object.assign(
            (async function* () {
                yield Buffer.from("a\n");
                await new Promise(() => undefined);
            })(),
            { destroy: () => (destroyed = true) },
        );
        await assert.rejects(read(stalled, { idleTimeoutMs: 30 }), {
            message: "Transient: reading the object stalled: no data for 30 ms",
        });
        assert.strictEqual(destroyed, true, "the stalled body is released");
    });
});
