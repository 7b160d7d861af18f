import * as assert from "assert";
import { createHash } from "crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { crc32, gzipSync } from "zlib";
import { documentId } from "../handlers/loader";
import { parseWafRecord, toDocument } from "../handlers/wafRecord";
import { SEARCH_LOADER_FUNCTION } from "../names";
import { Handler, deployedEnvironment, deployedSource, loadHandler } from "../tools/local/deployedCode";
import { startLocalS3 } from "../tools/local/aws/localS3";
import { captured, metricsOf, summariesOf } from "./support/lambdaRuntime";
import { LoaderStage, startLoaderStage } from "./support/loaderStage";
import { committedRun } from "./support/program";
import { sampleLines, skipWithoutSamples } from "./support/samples";

const PREFIX = "222222222222/us-east-1/aws-waf-logs-central-us-east-1/2026/11/27/10/";

describe("WAF record parsing", () => {
    const source = { accountId: "222222222222", region: "us-east-1", streamName: "aws-waf-logs-x" };

    it("accepts every shared sample record", function () {
        skipWithoutSamples(this);
        const lines = sampleLines();
        assert.ok(lines.length >= 8, `expected the shared samples, found ${lines.length} lines`);
        for (const line of lines) {
            const doc = toDocument(parseWafRecord(line), source);
            assert.strictEqual(typeof doc.timestamp, "number");
            assert.ok(doc.clientIp.length > 0);
        }
    });

    it("maps the fields the dashboards and forensics use", function () {
        skipWithoutSamples(this);
        const doc = toDocument(parseWafRecord(sampleLines()[0]), source);
        assert.deepStrictEqual(
            {
                timestamp: doc.timestamp,
                action: doc.action,
                clientIp: doc.clientIp,
                country: doc.country,
                webAclName: doc.webAclName,
                terminatingRuleId: doc.terminatingRuleId,
                host: doc.host,
                labels: doc.labels,
                accountId: doc.accountId,
            },
            {
                timestamp: 1576280412771,
                action: "BLOCK",
                clientIp: "1.1.1.1",
                country: "AU",
                webAclName: "STMTest",
                terminatingRuleId: "STMTest_SQLi_XSS",
                host: "localhost:1989",
                labels: ["value"],
                accountId: "222222222222",
            },
        );
    });

    it("reads evaluationWindowSec given as a string and tolerates null and odd optional fields", () => {
        const record = {
            timestamp: 1700000000000,
            action: "BLOCK",
            httpRequest: { clientIp: "X.X.X.X", headers: [{ name: "Host", myValue: "odd" }, null] },
            rateBasedRuleList: [{ rateBasedRuleName: "rate", evaluationWindowSec: "300", maxRateAllowed: 100 }],
            ruleGroupList: [{ ruleGroupId: "rg", terminatingRule: null }],
            labels: null,
            ja4Fingerprint: "t13d1516h2_8daaf6152771_02713d6af862",
        };
        const doc = toDocument(parseWafRecord(JSON.stringify(record)), source);
        assert.deepStrictEqual(doc.rateBasedRules, [
            { name: "rate", limitKey: undefined, limitValue: undefined, maxRateAllowed: 100, evaluationWindowSec: 300 },
        ]);
        assert.deepStrictEqual(doc.headers, [{ name: "Host", value: "" }]);
        assert.deepStrictEqual(doc.labels, []);
        assert.strictEqual(doc.ja4Fingerprint, "t13d1516h2_8daaf6152771_02713d6af862");
    });

    it("rejects lines that are not records, with the reason", () => {
        assert.throws(() => parseWafRecord("{not json"), { message: /^not valid JSON: / });
        assert.throws(() => parseWafRecord('{"action":"ALLOW","httpRequest":{}}'), { message: "no numeric timestamp" });
        assert.throws(() => parseWafRecord('{"timestamp":1576280412771}'), { message: "no httpRequest object" });
        assert.throws(() => parseWafRecord("[1]"), { message: "not a JSON object" });
    });

    it("refuses timestamps that are negative, in seconds or out of range, and accepts the range's bounds", () => {
        const record = (timestamp: unknown) => JSON.stringify({ timestamp, httpRequest: { clientIp: "1.1.1.1" } });
        const refused: [unknown, string][] = [
            [-1, "timestamp -1 is negative"],
            [1576280412, "timestamp 1576280412 is in seconds; WAF writes epoch milliseconds"],
            ["1576280412", "timestamp 1576280412 is in seconds; WAF writes epoch milliseconds"],
            [
                1e20,
                "timestamp 100000000000000000000 is out of range (epoch milliseconds from 2000-01-01 to 2100-01-01)",
            ],
            [
                8.64e15 + 1,
                "timestamp 8640000000000001 is out of range (epoch milliseconds from 2000-01-01 to 2100-01-01)",
            ],
            [
                Date.UTC(2100, 0, 1),
                "timestamp 4102444800000 is out of range (epoch milliseconds from 2000-01-01 to 2100-01-01)",
            ],
            [12345, "timestamp 12345 is out of range (epoch milliseconds from 2000-01-01 to 2100-01-01)"],
        ];
        for (const [timestamp, message] of refused) {
            assert.throws(() => parseWafRecord(record(timestamp)), { message }, String(timestamp));
        }
        for (const timestamp of [Date.UTC(2000, 0, 1), Date.UTC(2100, 0, 1) - 1, "1576280412771"]) {
            assert.strictEqual(toDocument(parseWafRecord(record(timestamp)), source).timestamp, Number(timestamp));
        }
    });
});

describe("document IDs", () => {
    it("are the first 32 characters of SHA-256 of bucket/key#line, base64url: never to change", () => {
        assert.strictEqual(documentId("b", "k/x.gz", 7), "sETEJoit3xzojNWhrVPgrWzTF-dH6KbL");
        assert.strictEqual(
            documentId("central", `${PREFIX}f.gz`, 12_345),
            createHash("sha256").update(`central/${PREFIX}f.gz#12345`).digest("base64url").slice(0, 32),
        );
    });
});

describe("loader Lambda, as deployed, against a local S3 and a loopback _bulk endpoint", () => {
    let stage: LoaderStage;
    let handler: Handler;

    before(async () => {
        stage = await startLoaderStage();
        handler = stage.handler({ BULK_MAX_DOCUMENTS: "3" });
    });
    after(() => stage?.close());
    beforeEach(() => {
        stage.search.documents.clear();
        stage.search.requests.length = 0;
        stage.search.inject({});
        stage.s3Proxy.inject([]);
        stage.events();
    });

    /** Invokes the handler with the events of objects put since the last call. */
    const run = () => captured(() => handler({ Records: stage.events() }));

    it("indexes every shared sample from a gzip object, in signed, framed bulk requests of at most 3", async function () {
        skipWithoutSamples(this);
        const samples = sampleLines();
        await stage.put(`${PREFIX}samples.gz`, gzipSync(`${samples.join("\n")}\n`));
        const outcome = await run();
        const [summary] = outcome.result as any[];
        assert.deepStrictEqual(
            [summary.status, summary.lines, summary.indexed, summary.parked, summary.retried],
            ["loaded", samples.length, samples.length, 0, 0],
        );
        assert.strictEqual(stage.search.documents.size, samples.length);
        assert.strictEqual(stage.search.requests.length, Math.ceil(samples.length / 3));
        for (const request of stage.search.requests) {
            assert.strictEqual(request.headers["content-type"], "application/x-ndjson");
            assert.match(
                String(request.headers.authorization),
                /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/es\/aws4_request/,
            );
        }
        const doc = stage.search.documents.get(
            `waf-logs-2019.12.13/${documentId(stage.central, `${PREFIX}samples.gz`, 1)}`,
        );
        assert.ok(doc, `no document for line 1 in ${[...stage.search.documents.keys()].join(", ")}`);
        assert.deepStrictEqual(
            [
                doc.source.clientIp,
                doc.source.accountId,
                doc.source.region,
                doc.source.streamName,
                doc.source.webAclName,
            ],
            ["1.1.1.1", "222222222222", "us-east-1", "aws-waf-logs-central-us-east-1", "STMTest"],
        );
        assert.deepStrictEqual(summariesOf(outcome), [
            JSON.parse(JSON.stringify({ msg: "loader summary", ...summary })),
        ]);
    });

    it("emits one EMF line per object: namespace, the source account and Region as dimensions, the five metrics", async function () {
        skipWithoutSamples(this);
        const samples = sampleLines();
        await stage.put(`${PREFIX}metrics.json`, `${samples[0]}\n{"broken"\n`);
        const before = Date.now();
        const outcome = await run();
        const [emf] = metricsOf(outcome);
        assert.strictEqual(metricsOf(outcome).length, 1);
        const { Timestamp, CloudWatchMetrics } = emf._aws;
        assert.ok(Timestamp >= before && Timestamp <= Date.now(), `timestamp ${Timestamp}`);
        assert.deepStrictEqual(CloudWatchMetrics, [
            {
                Namespace: "CentralWafLogs",
                Dimensions: [["SourceAccount", "SourceRegion"]],
                Metrics: [
                    { Name: "RecordsIndexed", Unit: "Count" },
                    { Name: "LinesParked", Unit: "Count" },
                    { Name: "BulkRetries", Unit: "Count" },
                    { Name: "UnreadableObjects", Unit: "Count" },
                    { Name: "DeliveryLagSeconds", Unit: "Seconds" },
                ],
            },
        ]);
        const newest = JSON.parse(samples[0]).timestamp;
        assert.deepStrictEqual(
            { ...emf, _aws: undefined, DeliveryLagSeconds: undefined },
            {
                _aws: undefined,
                ObjectKey: `${PREFIX}metrics.json`,
                Status: "loaded",
                SourceAccount: "222222222222",
                SourceRegion: "us-east-1",
                RecordsIndexed: 1,
                LinesParked: 1,
                BulkRetries: 0,
                UnreadableObjects: 0,
                DeliveryLagSeconds: undefined,
            },
        );
        assert.ok(
            emf.DeliveryLagSeconds >= (before - newest) / 1000 &&
                emf.DeliveryLagSeconds <= (Date.now() - newest) / 1000,
            `lag ${emf.DeliveryLagSeconds}`,
        );
    });

    it("indexes a plain object and parks malformed lines under _errors/, each with its number, reason and full text", async function () {
        skipWithoutSamples(this);
        const [first, second] = sampleLines();
        await stage.put(`${PREFIX}plain.json`, `${first}\n{"truncated":\n\n${second}\n`);
        const [summary] = (await run()).result as any[];
        assert.deepStrictEqual([summary.lines, summary.blank, summary.indexed, summary.parked], [4, 1, 2, 1]);
        assert.strictEqual(summary.errorsKey, `_errors/${PREFIX}plain.json.rejected.ndjson`);
        const report = await stage.report(summary.errorsKey);
        assert.strictEqual(report?.length, 1);
        assert.deepStrictEqual(Object.keys(report[0]), ["source", "line", "reason", "text"]);
        assert.deepStrictEqual(
            { ...report[0], reason: undefined },
            { source: `s3://${stage.central}/${PREFIX}plain.json`, line: 2, reason: undefined, text: '{"truncated":' },
        );
        assert.match(report[0].reason, /^not valid JSON: /);
    });

    it("writes the report with the central key (the bucket policy) and its CRC32 (Object Lock)", async () => {
        await stage.put(`${PREFIX}sse.json`, "not json\n");
        await run();
        const put = stage.s3Proxy.requests.find((r) => r.method === "PUT" && r.path.includes("sse.json.rejected"));
        assert.ok(put, "the report was not written through S3");
        const { headers } = put;
        const report = Buffer.from(
            `${JSON.stringify({ source: `s3://${stage.central}/${PREFIX}sse.json`, line: 1, reason: (await stage.report(`_errors/${PREFIX}sse.json.rejected.ndjson`))![0].reason, text: "not json" })}\n`,
        );
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(report));
        assert.deepStrictEqual(
            [
                headers["x-amz-server-side-encryption"],
                headers["x-amz-server-side-encryption-aws-kms-key-id"],
                headers["x-amz-checksum-crc32"],
            ],
            ["aws:kms", "arn:aws:kms:us-east-1:111111111111:key/central-waf-logs-key-key-id", crc.toString("base64")],
        );
    });

    it("never creates a duplicate when an object is delivered again", async function () {
        skipWithoutSamples(this);
        await stage.put(`${PREFIX}again.gz`, gzipSync(sampleLines().join("\n")));
        const events = stage.events();
        await captured(() => handler({ Records: events }));
        const afterFirst = new Set(stage.search.documents.keys());
        await captured(() => handler({ Records: events }));
        assert.deepStrictEqual(new Set(stage.search.documents.keys()), afterFirst);
    });

    it("loads and counts an object once when one event names it twice", async function () {
        skipWithoutSamples(this);
        await stage.put(`${PREFIX}twice.json`, `${sampleLines().slice(0, 3).join("\n")}\n{"broken"\n`);
        const [record] = stage.events();
        const outcome = await captured(() => handler({ Records: [record, record] }));
        assert.deepStrictEqual(
            metricsOf(outcome).map((m) => [m.RecordsIndexed, m.LinesParked]),
            [[3, 1]],
        );
        assert.strictEqual(summariesOf(outcome).length, 1);
    });

    it("retries whole-request 429s and failed items only, and parks items refused for good with their source line", async function () {
        skipWithoutSamples(this);
        const samples = sampleLines();
        stage.search.inject({
            throttleFirstBulkRequests: 2,
            failItem: (doc, attempt) => {
                if (doc.source.clientIp === "3.3.3.3") return { status: 400, type: "mapper_parsing_exception" };
                if (doc.source.clientIp === "1.1.1.1" && attempt < 3)
                    return { status: 429, type: "es_rejected_execution_exception" };
                return undefined;
            },
        });
        await stage.put(`${PREFIX}flaky.gz`, gzipSync(samples.join("\n")));
        const [summary] = (await run()).result as any[];
        const permanent = samples.filter((l) => JSON.parse(l).httpRequest.clientIp === "3.3.3.3");
        assert.strictEqual(summary.indexed + summary.parked, samples.length, "every record is indexed or parked");
        assert.deepStrictEqual(
            [summary.indexed, summary.parked],
            [samples.length - permanent.length, permanent.length],
        );
        // Batch 1 (3 items) is throttled twice as a whole; each 1.1.1.1 item is then resent alone, twice.
        const throttled = samples.filter((l) => JSON.parse(l).httpRequest.clientIp === "1.1.1.1").length;
        assert.strictEqual(summary.retried, 2 * 3 + 2 * throttled);
        const sent = stage.search.requests.map((r) => r.body.trim().split("\n").length / 2);
        assert.deepStrictEqual(sent.slice(0, 5), [3, 3, 3, 1, 1]);
        assert.strictEqual(
            sent.reduce((a, b) => a + b, 0),
            samples.length + 2 * 3 + 2 * throttled,
            "items that succeeded are never sent again",
        );
        const parked = (await stage.report(summary.errorsKey))!;
        assert.deepStrictEqual(
            parked.map((p) => p.text),
            permanent,
            "the report keeps the source line, not the document",
        );
        assert.strictEqual(parked[0].reason, "status 400: mapper_parsing_exception: injected");
    });

    it("fails the invocation (Transient) when items keep failing, instead of parking them", async function () {
        skipWithoutSamples(this);
        stage.search.inject({ failItem: () => ({ status: 503, type: "unavailable_shards_exception" }) });
        await stage.put(`${PREFIX}down.gz`, gzipSync(sampleLines()[0]));
        const outcome = await captured(() => stage.handler({ BULK_MAX_ATTEMPTS: "4" })({ Records: stage.events() }));
        assert.strictEqual(
            outcome.error?.message,
            `Transient: _bulk still failing after 4 attempts: status 503: unavailable_shards_exception: injected (s3://${stage.central}/${PREFIX}down.gz: 1 lines read, 0 indexed and 0 parked before failing)`,
        );
        const [summary] = summariesOf(outcome);
        assert.deepStrictEqual(
            [summary.status, summary.indexed, summary.parked, summary.retried, summary.requests, summary.errorsKey],
            ["failed", 0, 0, 3, 4, undefined],
        );
        assert.deepStrictEqual(await stage.keys(`_errors/${PREFIX}down.gz`), [], "nothing parked");
    });

    it("skips its own _errors/ objects and objects outside the layout", async () => {
        await stage.put("_errors/x.rejected.ndjson", "{}\n");
        await stage.put("stray.txt", "{}\n");
        const records = stage.s3.takeEvents(stage.central);
        const outcome = await captured(() => handler({ Records: records }));
        assert.deepStrictEqual(
            (outcome.result as any[]).map((s) => [s.key, s.status]),
            [
                ["_errors/x.rejected.ndjson", "skipped"],
                ["stray.txt", "skipped"],
            ],
        );
        assert.strictEqual(stage.search.requests.length, 0);
        assert.deepStrictEqual(metricsOf(outcome), [], "no metrics for objects not loaded");
    });
});

/**
 * The same loader against a real cluster, when one is reachable: `OPENSEARCH_URL=http://localhost:9200
 * npm run test:unit`. Skipped otherwise (no cluster can be installed on the CI machine).
 */
describe("loader Lambda against a real OpenSearch cluster (OPENSEARCH_URL)", function () {
    const url = process.env.OPENSEARCH_URL;
    before(function () {
        if (!url) this.skip();
    });

    it("indexes every shared sample, and re-delivery leaves the count unchanged", async function () {
        skipWithoutSamples(this);
        const logging = await committedRun("logging");
        const central = logging.outputs.centralBucketName;
        const s3 = await startLocalS3([central]);
        const indexPrefix = `waf-logs-test-${Date.now()}`;
        try {
            const handler = loadHandler(await deployedSource(logging, SEARCH_LOADER_FUNCTION), {
                ...deployedEnvironment(logging, SEARCH_LOADER_FUNCTION),
                ...s3.lambdaEnvironment("us-east-1"),
                OPENSEARCH_ENDPOINT: url!,
                INDEX_PREFIX: indexPrefix,
            });
            const samples = sampleLines();
            await s3.client.send(
                new PutObjectCommand({ Bucket: central, Key: `${PREFIX}real.gz`, Body: gzipSync(samples.join("\n")) }),
            );
            const events = s3.takeEvents(central);
            await handler({ Records: events });
            await handler({ Records: events });
            await fetch(`${url}/${indexPrefix}-*/_refresh`, { method: "POST" });
            const count = (await (await fetch(`${url}/${indexPrefix}-*/_count`)).json()) as { count: number };
            assert.strictEqual(count.count, samples.length);
            await fetch(`${url}/${indexPrefix}-*`, { method: "DELETE" });
        } finally {
            await s3.close();
        }
    });
});
