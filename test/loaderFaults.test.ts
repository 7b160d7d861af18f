/**
 * The deployed loader under each class of fault, run as Lambda runs it (a try, two retries, then
 * the on-failure queue, from which the event is replayed once the fault is gone), and every
 * generated record accounted for: indexed, parked, or dead-lettered then replayed; none twice.
 */
import * as assert from "assert";
import { constants, gunzipSync, gzipSync } from "zlib";
import { TOO_LONG_REASON, errorsKeyFor } from "../handlers/loader";
import { Handler, lambdaContext } from "../tools/local/deployedCode";
import { FaultRule } from "../tools/local/aws/faultProxy";
import { StallWatch, assertWithinBound } from "./support/stalls";
import { AsyncInvocation, captured, invokeAsync, metricsOf, summariesOf } from "./support/lambdaRuntime";
import {
    HOUR_PREFIX,
    LoaderStage,
    accounting,
    markerOf,
    numberedRecords,
    startLoaderStage,
} from "./support/loaderStage";

const S3_UNAVAILABLE =
    "<Error><Code>ServiceUnavailable</Code><Message>Please reduce your request rate.</Message></Error>";

describe("loader Lambda, as deployed, under injected faults: nothing lost, nothing twice", () => {
    let stage: LoaderStage;
    /** The loader as deployed, with small batches (several requests per object) and fast backoff. */
    let handler: Handler;

    before(async () => {
        stage = await startLoaderStage();
        handler = stage.handler({ BULK_MAX_DOCUMENTS: "50" });
    });
    after(() => stage?.close());
    beforeEach(() => {
        stage.search.documents.clear();
        stage.search.requests.length = 0;
        stage.search.inject({});
        stage.s3Proxy.inject([]);
        stage.events();
    });

    const clearFaults = () => {
        stage.search.inject({});
        stage.s3Proxy.inject([]);
    };

    /** Delivers `lines` (gzip) as one object and runs Lambda's async invocation on its event. */
    async function deliverAndInvoke(
        file: string,
        body: string | Buffer,
        options: Parameters<typeof invokeAsync>[2] & { handler?: Handler; beforeInvoke?: () => Promise<void> } = {},
    ): Promise<{ key: string; invocation: AsyncInvocation; replay?: Awaited<ReturnType<typeof captured>> }> {
        const key = `${HOUR_PREFIX}${file}`;
        await stage.put(key, typeof body === "string" ? gzipSync(body) : body);
        const event = { Records: stage.events() };
        // Faults that last a while start here, once the object is in place, so a slow machine
        // cannot spend the fault's whole duration before the loader's first request.
        await options.beforeInvoke?.();
        const invocation = await invokeAsync(options.handler ?? handler, event, options);
        if (!invocation.deadLettered) return { key, invocation };
        // An operator replays the parked event once the fault is gone.
        clearFaults();
        const replay = await captured(() => handler(event));
        assert.strictEqual(replay.error, undefined, "the replay succeeds");
        return { key, invocation, replay };
    }

    async function accountFor(key: string, generated: string[]) {
        const report = (await stage.report(errorsKeyFor(key))) ?? [];
        return accounting(generated, stage.search.documents.values(), report);
    }

    const ndjson = (lines: string[]) => `${lines.join("\n")}\n`;
    /** A line that is not JSON, carrying the marker of record `n`. */
    const broken = (n: number) => `{"requestId":"rec-${n}","cut":"${"x".repeat(200)}`;

    it("a cluster refusing connections for a moment: retried within the invocation, every record indexed", async () => {
        const generated = numberedRecords(200);
        const { key, invocation } = await deliverAndInvoke("refused.gz", ndjson(generated), {
            beforeInvoke: () => stage.search.outage(1000, "refuse"),
            handler: stage.handler({ BULK_MAX_DOCUMENTS: "50", BULK_BASE_DELAY_MS: "50", BULK_MAX_ATTEMPTS: "40" }),
        });
        assert.deepStrictEqual([invocation.tries.length, invocation.deadLettered], [1, false]);
        const [summary] = summariesOf(invocation.tries[0]);
        assert.ok(summary.retried >= 50, `the first batch was resent: ${summary.retried}`);
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 200,
            parked: 0,
        });
    });

    it("a cluster answering every request with 503 for a moment: retried within the invocation, every record indexed", async () => {
        const generated = numberedRecords(120);
        const { key, invocation } = await deliverAndInvoke("outage-503.gz", ndjson(generated), {
            beforeInvoke: () => stage.search.outage(1000, "503"),
            handler: stage.handler({ BULK_MAX_DOCUMENTS: "50", BULK_BASE_DELAY_MS: "50", BULK_MAX_ATTEMPTS: "40" }),
        });
        assert.deepStrictEqual([invocation.tries.length, invocation.deadLettered], [1, false]);
        assert.ok(summariesOf(invocation.tries[0])[0].retried >= 50);
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 120,
            parked: 0,
        });
    });

    it("a cluster answering 503 three times: resent with backoff, counted as retries, every record indexed", async () => {
        const generated = numberedRecords(200);
        stage.search.inject({ failBulkRequests: { count: 3, status: 503 } });
        const { key, invocation } = await deliverAndInvoke("unavailable.gz", ndjson(generated));
        assert.deepStrictEqual([invocation.tries.length, invocation.deadLettered], [1, false]);
        const [summary] = summariesOf(invocation.tries[0]);
        assert.deepStrictEqual([summary.retried, summary.requests], [150, 7]);
        assert.strictEqual(metricsOf(invocation.tries[0])[0].BulkRetries, 150);
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 200,
            parked: 0,
        });
    });

    it("an outage longer than the invocation can wait: fails before the deadline, is dead-lettered, and the replay loses nothing", async () => {
        const generated = numberedRecords(120);
        // Simulated time: each _bulk request takes 100 s of the 900 s the invocation has.
        const clock = { remaining: 0 };
        stage.search.inject({
            failBulkRequests: { count: Number.MAX_SAFE_INTEGER, status: 503 },
            onBulkRequest: () => (clock.remaining -= 100_000),
        });
        const { key, invocation, replay } = await deliverAndInvoke("long-outage.gz", ndjson(generated), {
            handler: stage.handler({ BULK_MAX_DOCUMENTS: "50", BULK_MAX_ATTEMPTS: "100" }),
            context: () => {
                clock.remaining = 900_000;
                return lambdaContext(() => clock.remaining);
            },
        });
        assert.strictEqual(invocation.deadLettered, true);
        for (const attempt of invocation.tries) {
            assert.strictEqual(
                attempt.error?.message,
                `Transient: _bulk still failing after 9 attempts, with too little invocation time left to retry (0 ms): HTTP 503 (injected: injected) (s3://${stage.central}/${key}: 51 lines read, 0 indexed and 0 parked before failing)`,
            );
            // 30 s (the safety margin) were still left when it gave up.
            assert.strictEqual(clock.remaining, 0);
        }
        assert.strictEqual(summariesOf(replay!)[0].status, "loaded");
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 120,
            parked: 0,
        });
    });

    it("HTTP 413: halves the request down to one document, parks only a document too large on its own", async () => {
        const generated = numberedRecords(150);
        const giant = JSON.parse(generated[70]);
        giant.httpRequest.headers.push({ name: "cookie", value: "x".repeat(30_000) });
        generated[70] = JSON.stringify(giant);
        stage.search.inject({ maxBodyBytes: 20_000 });
        const { key, invocation } = await deliverAndInvoke("too-large.gz", ndjson(generated));
        assert.strictEqual(invocation.tries.length, 1);
        const [summary] = summariesOf(invocation.tries[0]);
        assert.ok(summary.splits >= 2, `splits: ${summary.splits}`);
        const sizes = stage.search.requests.map((r) => Buffer.byteLength(r.body));
        const accepted = sizes.filter((s) => s <= 20_000);
        assert.strictEqual(
            stage.search.requests.filter((r) => Buffer.byteLength(r.body) > 20_000).length,
            summary.splits + 1,
            "every refused request was split once, and the giant refused alone",
        );
        assert.ok(accepted.length > 0);
        const report = (await stage.report(errorsKeyFor(key)))!;
        assert.deepStrictEqual(
            report.map((r) => [r.line, markerOf(r.text), r.text.length]),
            [[71, "rec-70", generated[70].length]],
        );
        assert.match(
            report[0].reason,
            /^HTTP 413: the domain refused a request of \d+ bytes holding only this document \(its HTTP payload limit\)$/,
        );
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 149,
            parked: 1,
        });
    });

    for (const [status, body, message] of [
        [
            401,
            { error: { type: "security_exception", reason: "authentication failed" } },
            "Configuration: OpenSearch refused the _bulk request with HTTP 401 (security_exception: authentication failed): the request was not authenticated: check the loader's SigV4 signing (Region, service es) and its credentials",
        ],
        [
            403,
            {
                Message:
                    "User: arn:aws:sts::111111111111:assumed-role/central-waf-logs-search-loader/x is not authorized to perform: es:ESHttpPost",
            },
            "Configuration: OpenSearch refused the _bulk request with HTTP 403 (User: arn:aws:sts::111111111111:assumed-role/central-waf-logs-search-loader/x is not authorized to perform: es:ESHttpPost): check the loader role's mapping to the waf_logs_writer role (search bootstrap) and that role's index permissions, the domain access policy (es:ESHttpPost on <domain>/_bulk), and index write blocks (cluster_block_exception: disk full)",
        ],
        [
            404,
            { error: { type: "index_not_found_exception", reason: "no such index" } },
            "Configuration: OpenSearch refused the _bulk request with HTTP 404 (index_not_found_exception: no such index): check that OPENSEARCH_ENDPOINT names the domain endpoint and that indices may be created",
        ],
    ] as const) {
        it(`HTTP ${status} for the request: a configuration failure naming the cause, nothing parked, the replay loses nothing`, async () => {
            const generated = numberedRecords(80);
            stage.search.inject({ failBulkRequests: { count: Number.MAX_SAFE_INTEGER, status, body } });
            const { key, invocation } = await deliverAndInvoke(`refused-${status}.gz`, ndjson(generated));
            assert.strictEqual(invocation.deadLettered, true);
            for (const attempt of invocation.tries) {
                assert.strictEqual(
                    attempt.error?.message,
                    `${message} (s3://${stage.central}/${key}: 51 lines read, 0 indexed and 0 parked before failing)`,
                );
                assert.deepStrictEqual(summariesOf(attempt)[0].requests, 1, "not retried within the invocation");
            }
            assert.deepStrictEqual(await accountFor(key, generated), {
                missing: [],
                duplicated: [],
                indexed: 80,
                parked: 0,
            });
        });
    }

    it("an item refused with 403 (an index write block) fails the invocation instead of parking the record", async () => {
        const generated = numberedRecords(20);
        stage.search.inject({
            failItem: (doc) =>
                doc.source.requestId === "rec-3" ? { status: 403, type: "cluster_block_exception" } : undefined,
        });
        const { key, invocation } = await deliverAndInvoke("blocked.gz", ndjson(generated));
        assert.strictEqual(invocation.deadLettered, true);
        assert.match(
            invocation.tries[0].error!.message,
            /^Configuration: OpenSearch refused 1 of 20 documents with status 403: cluster_block_exception: injected: check the loader role's mapping/,
        );
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 20,
            parked: 0,
        });
    });

    it("items answered 429 or 503 are resent, items refused with a mapping error are parked with their line", async () => {
        const generated = numberedRecords(120);
        stage.search.inject({
            failItem: (doc, attempt) => {
                const id = doc.source.requestId;
                if (id === "rec-5") return { status: 400, type: "mapper_parsing_exception" };
                if (id === "rec-7" && attempt < 3) return { status: 429, type: "es_rejected_execution_exception" };
                if (id === "rec-99" && attempt < 2) return { status: 503, type: "unavailable_shards_exception" };
                return undefined;
            },
        });
        const { key, invocation } = await deliverAndInvoke("items.gz", ndjson(generated));
        assert.strictEqual(invocation.tries.length, 1);
        assert.strictEqual(summariesOf(invocation.tries[0])[0].retried, 3);
        const report = (await stage.report(errorsKeyFor(key)))!;
        assert.deepStrictEqual(report, [
            {
                source: `s3://${stage.central}/${key}`,
                line: 6,
                reason: "status 400: mapper_parsing_exception: injected",
                text: generated[5],
            },
        ]);
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 119,
            parked: 1,
        });
    });

    it("a response cut after its headers is a failed request and resent, never an empty success", async () => {
        const generated = numberedRecords(100);
        stage.search.inject({ cutBulkResponses: { count: 2, bytes: 10 } });
        const { key, invocation } = await deliverAndInvoke("cut.gz", ndjson(generated));
        assert.strictEqual(invocation.tries.length, 1);
        assert.deepStrictEqual(summariesOf(invocation.tries[0])[0].retried, 100);
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 100,
            parked: 0,
        });
    });

    it("a response body that stalls is aborted by the request timeout and resent", async () => {
        const generated = numberedRecords(100);
        stage.search.inject({ stallBulkResponses: { count: 1, bytes: 5 } });
        // 1.5 s: long enough that a request merely slowed by a busy test machine is not timed out too.
        const { key, invocation } = await deliverAndInvoke("stalled.gz", ndjson(generated), {
            handler: stage.handler({ BULK_MAX_DOCUMENTS: "50", BULK_REQUEST_TIMEOUT_MS: "1500" }),
        });
        assert.strictEqual(invocation.tries.length, 1);
        assert.deepStrictEqual(summariesOf(invocation.tries[0])[0].retried, 50);
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 100,
            parked: 0,
        });
    });

    it("a truncated gzip object: every complete line indexed, the unreadable tail parked with its offsets, success", async () => {
        const generated = numberedRecords(200);
        const whole = gzipSync(ndjson(generated));
        const truncated = whole.subarray(0, Math.floor(whole.length * 0.6));
        const readable = gunzipSync(truncated, { finishFlush: constants.Z_SYNC_FLUSH }).toString("utf8");
        const complete = readable.slice(0, readable.lastIndexOf("\n") + 1).split("\n").length - 1;
        const { key, invocation } = await deliverAndInvoke("truncated.gz", truncated);
        assert.deepStrictEqual([invocation.tries.length, invocation.tries[0].error], [1, undefined]);
        const [summary] = summariesOf(invocation.tries[0]);
        assert.deepStrictEqual(
            [summary.status, summary.lines, summary.indexed, summary.unreadable],
            [
                "loaded",
                complete,
                complete,
                {
                    byteOffset: Buffer.byteLength(readable),
                    compressedByteOffset: truncated.length,
                    reason: "unreadable gzip data: unexpected end of file",
                },
            ],
        );
        assert.strictEqual(metricsOf(invocation.tries[0])[0].UnreadableObjects, 1);
        const report = (await stage.report(errorsKeyFor(key)))!;
        assert.deepStrictEqual(report, [
            {
                source: `s3://${stage.central}/${key}`,
                line: complete + 1,
                reason: "unreadable gzip data: unexpected end of file",
                byteOffset: Buffer.byteLength(readable),
                compressedByteOffset: truncated.length,
                text: readable.slice(readable.lastIndexOf("\n") + 1),
            },
        ]);
        const result = await accountFor(key, generated);
        // The first cut record counts as parked when the tail's text still carries its marker.
        const tail = readable.slice(readable.lastIndexOf("\n") + 1);
        const parkedInTail = tail.includes(`"${markerOf(generated[complete])}"`) ? 1 : 0;
        assert.deepStrictEqual(
            result.missing,
            generated.slice(complete + parkedInTail).map((l) => markerOf(l)),
            "only records from the unreadable tail on are missing",
        );
        assert.deepStrictEqual([result.duplicated, result.indexed], [[], complete]);
    });

    it("a corrupt gzip object: the lines before the damage indexed, the tail parked, success", async () => {
        const generated = numberedRecords(200);
        const corrupt = gzipSync(ndjson(generated));
        corrupt.fill(0xa5, Math.floor(corrupt.length / 2), Math.floor(corrupt.length / 2) + 16);
        const { key, invocation } = await deliverAndInvoke("corrupt.gz", corrupt);
        assert.deepStrictEqual([invocation.tries.length, invocation.tries[0].error], [1, undefined]);
        const [summary] = summariesOf(invocation.tries[0]);
        assert.match(summary.unreadable.reason, /^unreadable gzip data: /);
        const report = (await stage.report(errorsKeyFor(key)))!;
        const tail = report.find((r) => r.byteOffset !== undefined);
        assert.deepStrictEqual([tail.line, tail.byteOffset], [summary.lines + 1, summary.unreadable.byteOffset]);
        // Damaged data can decompress to garbage before zlib notices: such lines are parked as not JSON.
        const garbled = report.filter((r) => r !== tail);
        assert.ok(
            garbled.every((r) => r.reason.startsWith("not valid JSON")),
            JSON.stringify(garbled),
        );
        const firstDamaged = garbled[0]?.line ?? summary.lines + 1;
        const indexed = [...stage.search.documents.values()].map((d) => d.source.requestId);
        assert.ok(summary.indexed > 0 && summary.indexed < 200, `indexed ${summary.indexed}`);
        assert.deepStrictEqual(
            indexed.slice().sort(),
            generated
                .slice(0, firstDamaged - 1)
                .map((l) => markerOf(l))
                .sort(),
            "exactly the lines before the damage",
        );
        // (Garbage decompressed from damaged data repeats earlier text, markers included: not a duplicate.)
        assert.strictEqual(new Set(indexed).size, indexed.length, "no record indexed twice");
    });

    it("a UTF-8 byte order mark is stripped; impossible timestamps are parked one by one", async () => {
        const generated = numberedRecords(30);
        const bad = [3, 4, 5].map((i, n) => {
            const record = JSON.parse(generated[i]);
            record.timestamp = [-5, 1795775490, 1e20][n];
            return JSON.stringify(record);
        });
        generated.splice(3, 3, ...bad);
        const { key, invocation } = await deliverAndInvoke("bom.gz", `\uFEFF${ndjson(generated)}`);
        assert.deepStrictEqual([invocation.tries.length, invocation.tries[0].error], [1, undefined]);
        const report = (await stage.report(errorsKeyFor(key)))!;
        assert.deepStrictEqual(
            report.map((r) => [r.line, r.reason, r.text]),
            [
                [4, "timestamp -5 is negative", bad[0]],
                [5, "timestamp 1795775490 is in seconds; WAF writes epoch milliseconds", bad[1]],
                [
                    6,
                    "timestamp 100000000000000000000 is out of range (epoch milliseconds from 2000-01-01 to 2100-01-01)",
                    bad[2],
                ],
            ],
        );
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 27,
            parked: 3,
        });
    });

    it("a line longer than any WAF record is parked whole, streamed into the report", async () => {
        const generated = numberedRecords(3);
        generated[1] = `{"requestId":"rec-1","junk":"${"é".repeat(700_000)}${"z".repeat(700_000)}"}`;
        const { key, invocation } = await deliverAndInvoke("long-line.gz", ndjson(generated));
        assert.strictEqual(invocation.tries[0].error, undefined);
        const report = (await stage.report(errorsKeyFor(key)))!;
        assert.deepStrictEqual(
            report.map((r) => [r.line, r.reason, r.text === generated[1]]),
            [[2, TOO_LONG_REASON, true]],
        );
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 2,
            parked: 1,
        });
    });

    it("a report larger than its memory bound is spilled to /tmp and uploaded in one PUT with its checksum", async () => {
        const generated = numberedRecords(100).map((line, i) => (i % 2 === 0 ? line : broken(i)));
        const { key, invocation } = await deliverAndInvoke("spilled.gz", ndjson(generated), {
            handler: stage.handler({ BULK_MAX_DOCUMENTS: "50", REPORT_MEMORY_BYTES: "4096" }),
        });
        assert.strictEqual(invocation.tries[0].error, undefined);
        const put = stage.s3Proxy.requests.filter((r) => r.method === "PUT" && r.path.includes("spilled.gz.rejected"));
        assert.strictEqual(put.length, 1);
        assert.match(String(put[0].headers["x-amz-checksum-crc32"]), /^[A-Za-z0-9+/]{6}==$/);
        assert.strictEqual(put[0].headers["content-encoding"], undefined, "a plain body, not aws-chunked");
        const report = (await stage.report(errorsKeyFor(key)))!;
        assert.deepStrictEqual(
            report.map((r) => r.text),
            generated.filter((_, i) => i % 2 === 1),
        );
        assert.deepStrictEqual(await accountFor(key, generated), {
            missing: [],
            duplicated: [],
            indexed: 50,
            parked: 50,
        });
    });

    it("a later clean run of the same object replaces its report, and a clean one removes it", async () => {
        const generated = numberedRecords(10);
        const key = `${HOUR_PREFIX}redelivered.gz`;
        const runWith = async (lines: string[]) => {
            await stage.put(key, gzipSync(ndjson(lines)));
            const outcome = await captured(() => handler({ Records: stage.events() }));
            assert.strictEqual(outcome.error, undefined);
            return summariesOf(outcome)[0];
        };
        await runWith([...generated.slice(0, 8), "broken 1", "broken 2"]);
        assert.deepStrictEqual((await stage.report(errorsKeyFor(key)))!.length, 2);
        const replaced = await runWith([...generated.slice(0, 9), "broken 3"]);
        assert.deepStrictEqual(
            [replaced.errorsKey, (await stage.report(errorsKeyFor(key)))!.map((r) => r.text)],
            [errorsKeyFor(key), ["broken 3"]],
        );
        const clean = await runWith(generated);
        assert.deepStrictEqual([clean.parked, clean.errorsKey, clean.staleReportRemoved], [0, undefined, true]);
        assert.strictEqual(await stage.report(errorsKeyFor(key)), undefined);
        const again = await runWith(generated);
        assert.strictEqual(again.staleReportRemoved, undefined, "nothing to remove the second time");
    });

    describe("the invocation's deadline bounds every S3 call, not only _bulk", () => {
        /** Runs one object through tries of 2 s each (1.8 s after the safety margin), the first one slowed by `fault`. */
        async function slowedOnce(file: string, lines: string[], rule: FaultRule, clean?: string[]) {
            const key = `${HOUR_PREFIX}${file}`;
            if (clean) {
                // A first run parks a line, so the run under test has a stale report to remove.
                await stage.put(key, gzipSync(ndjson(clean)));
                assert.strictEqual((await captured(() => handler({ Records: stage.events() }))).error, undefined);
            }
            stage.s3Proxy.inject([{ ...rule, count: 1 }]);
            let firstTryMs = 0;
            // From the first try's context (its deadline's clock), not from the delivery before it.
            let firstTryStarted = 0;
            let stalls: StallWatch | undefined;
            const { invocation } = await deliverAndInvoke(file, ndjson(lines), {
                context: () => {
                    firstTryStarted ||= Date.now();
                    stalls ??= new StallWatch();
                    return lambdaContext(2000);
                },
                beforeRetry: async () => {
                    if (firstTryMs) return;
                    firstTryMs = Date.now() - firstTryStarted;
                    stalls!.stop();
                },
            });
            return { key, invocation, firstTryMs, stalls: stalls! };
        }

        /** The object's GET, or its report's PUT or DELETE, with `fault`. */
        const onObject =
            (method: string, fault: FaultRule["fault"]) =>
            (file: string): FaultRule => ({
                method,
                path: method === "GET" ? new RegExp(`/${file}(\\?|$)`) : new RegExp(`/${file}\\.rejected`),
                fault,
            });
        const late: FaultRule["fault"] = { kind: "latency", ms: 6000 };
        const cases: [string, (file: string) => FaultRule, string, boolean][] = [
            ["GetObject headers later than the deadline", onObject("GET", late), "GetObject", false],
            [
                "a GetObject body that trickles past the deadline, never idle",
                onObject("GET", { kind: "trickle", bytes: 64, everyMs: 50 }),
                "reading",
                false,
            ],
            ["the report's PutObject answered later than the deadline", onObject("PUT", late), "PutObject", false],
            [
                "the stale report's DeleteObject answered later than the deadline",
                onObject("DELETE", late),
                "DeleteObject",
                true,
            ],
        ];
        for (const [title, rule, call, staleReport] of cases) {
            it(`${title}: the try fails (Transient) before Lambda's timeout, and the retry loads every record`, async () => {
                const file = `deadline-${title
                    .split(" ")
                    .slice(1, 3)
                    .join("-")
                    .replace(/[^a-z-]/gi, "")}.gz`;
                const generated = numberedRecords(staleReport ? 40 : 400);
                const lines = title.includes("PutObject") ? [...generated, "not a record rec-400"] : generated;
                const { key, invocation, firstTryMs, stalls } = await slowedOnce(
                    file,
                    lines,
                    rule(file),
                    staleReport ? [...generated, "not a record rec-40"] : undefined,
                );
                assert.deepStrictEqual([invocation.tries.length, invocation.deadLettered], [2, false]);
                assert.match(
                    invocation.tries[0].error?.message ?? "",
                    new RegExp(`^Transient: ${call} .*: no answer from S3 before the invocation's deadline`),
                );
                assertWithinBound(firstTryMs, stalls, 2000, "the first try");
                const expected = await accountFor(key, generated);
                assert.deepStrictEqual(
                    [expected.missing, expected.duplicated, expected.indexed],
                    [[], [], generated.length],
                );
            });
        }
    });

    describe("S3 faults between the loader and the central bucket", () => {
        const unavailable = (method: string, path: RegExp, count: number): FaultRule => ({
            method,
            path,
            count,
            fault: { kind: "status", status: 503, body: S3_UNAVAILABLE, contentType: "application/xml" },
        });

        it("GetObject answered 503 past the SDK's retries: the invocation fails (Transient) and Lambda's retry loads it", async () => {
            const generated = numberedRecords(60);
            stage.s3Proxy.inject([unavailable("GET", /unavailable-get\.gz/, 3)]);
            const { key, invocation } = await deliverAndInvoke("unavailable-get.gz", ndjson(generated));
            assert.deepStrictEqual([invocation.tries.length, invocation.deadLettered], [2, false]);
            assert.strictEqual(
                invocation.tries[0].error?.message,
                `Transient: GetObject s3://${stage.central}/${key} failed: ServiceUnavailable: Please reduce your request rate. (s3://${stage.central}/${key}: 0 lines read, 0 indexed and 0 parked before failing)`,
            );
            assert.deepStrictEqual(await accountFor(key, generated), {
                missing: [],
                duplicated: [],
                indexed: 60,
                parked: 0,
            });
        });

        it("GetObject answered KMS.ThrottlingException (HTTP 400): Transient, not Configuration, and Lambda's retry loads it", async () => {
            // S3 answers 400 KMS.ThrottlingException when KMS throttles decrypting the object's data
            // key (Amazon S3 API Reference, Error responses: KMS.ThrottlingException).
            const generated = numberedRecords(60);
            stage.s3Proxy.inject([
                {
                    method: "GET",
                    path: /kms-throttled-get\.gz/,
                    count: 1,
                    fault: {
                        kind: "status",
                        status: 400,
                        body: "<Error><Code>KMS.ThrottlingException</Code><Message>Rate exceeded</Message></Error>",
                        contentType: "application/xml",
                    },
                },
            ]);
            const { key, invocation } = await deliverAndInvoke("kms-throttled-get.gz", ndjson(generated));
            assert.deepStrictEqual([invocation.tries.length, invocation.deadLettered], [2, false]);
            assert.strictEqual(
                invocation.tries[0].error?.message,
                `Transient: GetObject s3://${stage.central}/${key} failed: KMS.ThrottlingException: Rate exceeded (s3://${stage.central}/${key}: 0 lines read, 0 indexed and 0 parked before failing)`,
            );
            assert.deepStrictEqual(await accountFor(key, generated), {
                missing: [],
                duplicated: [],
                indexed: 60,
                parked: 0,
            });
        });

        it("a GetObject body cut short is a failed read retried by Lambda, never an unreadable object", async () => {
            const generated = numberedRecords(300);
            stage.s3Proxy.inject([
                { method: "GET", path: /cut-get\.gz/, count: 1, fault: { kind: "cut-after-headers", bytes: 2000 } },
            ]);
            const { key, invocation } = await deliverAndInvoke("cut-get.gz", ndjson(generated));
            assert.strictEqual(invocation.tries.length, 2);
            assert.match(
                invocation.tries[0].error!.message,
                new RegExp(`^Transient: reading s3://${stage.central}/${key} failed: `),
            );
            assert.strictEqual(summariesOf(invocation.tries[1])[0].unreadable, undefined);
            assert.deepStrictEqual(await accountFor(key, generated), {
                missing: [],
                duplicated: [],
                indexed: 300,
                parked: 0,
            });
        });

        it("a GetObject body that stalls fails the read after the idle timeout; Lambda's retry loads it", async () => {
            const generated = numberedRecords(300);
            stage.s3Proxy.inject([
                { method: "GET", path: /stalled-get\.gz/, count: 1, fault: { kind: "stall-body", bytes: 2000 } },
            ]);
            const { key, invocation } = await deliverAndInvoke("stalled-get.gz", ndjson(generated), {
                // 1.5 s: long enough that a read merely slowed by a busy test machine is not timed out too.
                handler: stage.handler({ BULK_MAX_DOCUMENTS: "50", READ_IDLE_TIMEOUT_MS: "1500" }),
            });
            assert.strictEqual(invocation.tries.length, 2);
            assert.match(
                invocation.tries[0].error!.message,
                /^Transient: reading the object stalled: no data for 1500 ms \(s3:\/\//,
            );
            assert.deepStrictEqual(await accountFor(key, generated), {
                missing: [],
                duplicated: [],
                indexed: 300,
                parked: 0,
            });
        });

        it("the report's PutObject answered 503 past the SDK's retries: Lambda's retry writes it once", async () => {
            const generated = [...numberedRecords(20), "not a record rec-20"];
            stage.s3Proxy.inject([unavailable("PUT", /unavailable-put\.gz\.rejected/, 3)]);
            const { key, invocation } = await deliverAndInvoke("unavailable-put.gz", ndjson(generated));
            assert.strictEqual(invocation.tries.length, 2);
            assert.match(
                invocation.tries[0].error!.message,
                new RegExp(
                    `^Transient: writing the report s3://${stage.central}/_errors/${key}.rejected.ndjson failed: ServiceUnavailable`,
                ),
            );
            assert.deepStrictEqual(await accountFor(key, generated), {
                missing: [],
                duplicated: [],
                indexed: 20,
                parked: 1,
            });
        });

        it("a spilled report's PutObject answered 503 twice is resent from its file within the invocation", async () => {
            const generated = numberedRecords(40).map((_, i) => broken(i));
            stage.s3Proxy.inject([unavailable("PUT", /spilled-put\.gz\.rejected/, 2)]);
            const { key, invocation } = await deliverAndInvoke("spilled-put.gz", ndjson(generated), {
                handler: stage.handler({ REPORT_MEMORY_BYTES: "1024" }),
            });
            assert.deepStrictEqual([invocation.tries.length, invocation.tries[0].error], [1, undefined]);
            assert.deepStrictEqual(await accountFor(key, generated), {
                missing: [],
                duplicated: [],
                indexed: 0,
                parked: 40,
            });
        });
    });
});
