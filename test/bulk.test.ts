import * as assert from "assert";
import { BulkBatcher, BulkResponse, BulkSettings, DEFAULT_BULK_SETTINGS } from "../handlers/bulk";

/** A `_bulk` stand-in in process: answers every request with `answer(items)` and records bodies. */
function transport(
    answer: (documents: any[], body: Buffer, timeoutMs: number) => BulkResponse | Promise<BulkResponse>,
) {
    const bodies: Buffer[] = [];
    const timeouts: number[] = [];
    const send = async (body: Buffer, timeoutMs: number) => {
        bodies.push(Buffer.from(body));
        timeouts.push(timeoutMs);
        const lines = body.toString("utf8").trimEnd().split("\n");
        const documents = lines.filter((_, i) => i % 2 === 1).map((l) => JSON.parse(l));
        return answer(documents, body, timeoutMs);
    };
    return { send, bodies, timeouts };
}

const indexedAll = (documents: any[]): BulkResponse => ({
    statusCode: 200,
    body: { errors: false, items: documents.map(() => ({ index: { status: 201 } })) },
});

function batcher(
    send: ReturnType<typeof transport>["send"],
    settings: Partial<BulkSettings> = {},
    remainingMs?: () => number,
) {
    const parked: [number, string, string][] = [];
    const b = new BulkBatcher(
        send,
        { ...DEFAULT_BULK_SETTINGS, baseDelayMs: 1, ...settings },
        { park: async (line, text, reason) => void parked.push([line, text, reason]), remainingMs },
    );
    return { b, parked };
}

const item = (n: number, size = 10) => ({
    index: "waf-logs-2026.11.27",
    id: `id-${n}`,
    document: JSON.stringify({ n, pad: "p".repeat(size) }),
    line: n,
    text: `source line ${n}`,
});

describe("bulk batching and failure handling (handlers/bulk.ts)", () => {
    it("flushes at the document count and at the byte bound, never above either", async () => {
        const t = transport(indexedAll);
        const { b } = batcher(t.send, { maxDocuments: 3, maxBytes: 400 });
        for (let n = 1; n <= 7; n++) await b.add(item(n));
        await b.flush();
        assert.deepStrictEqual(
            t.bodies.map((body) => body.toString().trimEnd().split("\n").length / 2),
            [3, 3, 1],
        );
        const { b: small } = batcher(t.send, { maxBytes: 200 });
        t.bodies.length = 0;
        for (let n = 1; n <= 5; n++) await small.add(item(n));
        await small.flush();
        assert.ok(
            t.bodies.every((body) => body.length <= 200),
            t.bodies.map((x) => x.length).join(","),
        );
        assert.strictEqual(small.stats.indexed, 5);
    });

    it("413: halves down to single documents, parks only the one too large alone, and lowers later batches", async () => {
        const limit = 600;
        const t = transport((documents, body) =>
            body.length > limit ? { statusCode: 413, body: { Message: "too large" } } : indexedAll(documents),
        );
        const { b, parked } = batcher(t.send, { maxDocuments: 8, maxBytes: 4000 });
        for (let n = 1; n <= 8; n++) await b.add(item(n, n === 6 ? 700 : 40));
        await b.flush();
        const counts = t.bodies.map((body) => [body.toString().trimEnd().split("\n").length / 2, body.length > limit]);
        // 8 refused; the first half passes, the second (with the big one) is halved twice.
        assert.deepStrictEqual(counts, [
            [8, true],
            [4, false],
            [4, true],
            [2, true],
            [1, false],
            [1, true],
            [2, false],
        ]);
        assert.deepStrictEqual(parked, [
            [
                6,
                "source line 6",
                `HTTP 413: the domain refused a request of ${t.bodies[5].length} bytes holding only this document (its HTTP payload limit)`,
            ],
        ]);
        // Every split sends its documents again: 8, then 4, then 2.
        assert.deepStrictEqual([b.stats.indexed, b.stats.parked, b.stats.splits, b.stats.retried], [7, 1, 3, 14]);
        // Later batches are cut at half the smallest refused request of several documents: no more 413s.
        const cut = Math.floor(t.bodies[3].length / 2);
        t.bodies.length = 0;
        for (let n = 9; n <= 16; n++) await b.add(item(n, 40));
        await b.flush();
        assert.ok(t.bodies.length > 1 && t.bodies.every((body) => body.length <= cut), `cut at ${cut}`);
        assert.deepStrictEqual([b.stats.indexed, b.stats.splits], [15, 3]);
    });

    it("treats a 2xx answer that is not a bulk response as a failed request, and resends", async () => {
        const answers: BulkResponse[] = [
            { statusCode: 200, body: "" },
            { statusCode: 200, body: { items: [] } },
            { statusCode: 200, body: "<html>proxy</html>" },
        ];
        const t = transport((documents) => answers.shift() ?? indexedAll(documents));
        const { b } = batcher(t.send);
        await b.add(item(1));
        await b.flush();
        assert.deepStrictEqual([t.bodies.length, b.stats.indexed, b.stats.retried], [4, 1, 3]);
        const failing = transport(() => ({ statusCode: 200, body: { items: [] } }));
        const { b: gaveUp } = batcher(failing.send, { maxAttempts: 2 });
        await gaveUp.add(item(1));
        await assert.rejects(gaveUp.flush(), {
            message:
                "Transient: _bulk still failing after 2 attempts: malformed _bulk response (HTTP 200, 0 results for 1 documents)",
        });
    });

    it("parks only documents refused with a 4xx; resends those whose answer is no verdict, or names another document", async () => {
        const verdicts: any[] = [
            { status: 400, error: { type: "mapper_parsing_exception", reason: "x" } },
            {},
            { status: 302 },
            { status: 0 },
            { status: 201.5 },
        ];
        const t = transport((documents) =>
            t.bodies.length === 1
                ? { statusCode: 200, body: { errors: true, items: documents.map((_, i) => ({ index: verdicts[i] })) } }
                : indexedAll(documents),
        );
        const { b, parked } = batcher(t.send);
        for (let n = 1; n <= 5; n++) await b.add(item(n));
        await b.flush();
        assert.deepStrictEqual(parked, [[1, "source line 1", "status 400: mapper_parsing_exception: x"]]);
        assert.deepStrictEqual([t.bodies.length, b.stats.indexed, b.stats.retried], [2, 4, 4]);

        // Answers in another order than sent: none is trusted, the whole batch goes again.
        const reversed = transport((_documents, body) => {
            const ids = body
                .toString()
                .trimEnd()
                .split("\n")
                .filter((_, i) => i % 2 === 0)
                .map((l) => JSON.parse(l).index._id);
            const items = ids.map((id, i) => ({ index: { _id: id, status: i === 0 ? 400 : 201 } }));
            return {
                statusCode: 200,
                body: { errors: true, items: reversed.bodies.length === 1 ? items.reverse() : items },
            };
        });
        const { b: again, parked: parkedAgain } = batcher(reversed.send);
        for (let n = 1; n <= 3; n++) await again.add(item(n));
        await again.flush();
        assert.deepStrictEqual(
            parkedAgain.map(([line]) => line),
            [1],
            "the refused document is the one parked",
        );
        assert.deepStrictEqual([reversed.bodies.length, again.stats.indexed, again.stats.retried], [2, 2, 3]);
    });

    it("answers a request refused as a whole with 400 as Unexpected, a failed connection as a retry", async () => {
        const t = transport(() => ({ statusCode: 400, body: { error: { type: "parse_exception", reason: "bad" } } }));
        const { b, parked } = batcher(t.send);
        await b.add(item(1));
        await assert.rejects(b.flush(), {
            message: "Unexpected: OpenSearch answered the _bulk request with HTTP 400 (parse_exception: bad)",
        });
        assert.deepStrictEqual(parked, [], "nothing parked");
        let calls = 0;
        const flaky = transport((documents) => {
            if (++calls === 1) throw new Error("connect ECONNREFUSED 127.0.0.1:9200");
            return indexedAll(documents);
        });
        const { b: retried } = batcher(flaky.send);
        await retried.add(item(1));
        await retried.flush();
        assert.deepStrictEqual([retried.stats.requests, retried.stats.indexed], [2, 1]);
    });

    it("bounds each request by the invocation's time left, and stops when none is left", async () => {
        let left = 45_000;
        const t = transport(() => {
            left -= 30_000;
            return { statusCode: 503, body: "" };
        });
        const { b } = batcher(t.send, { requestTimeoutMs: 60_000 }, () => left);
        await b.add(item(1));
        await assert.rejects(b.flush(), {
            message:
                "Transient: _bulk still failing after 2 attempts, with too little invocation time left to retry (0 ms): HTTP 503",
        });
        assert.deepStrictEqual(t.timeouts, [45_000, 15_000]);
        const { b: late } = batcher(transport(indexedAll).send, {}, () => 0);
        await late.add(item(1));
        await assert.rejects(late.flush(), { message: "Transient: no invocation time left to send a _bulk request" });
    });
});
