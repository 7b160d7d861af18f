import * as assert from "assert";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { gzipSync } from "zlib";
import { documentId } from "../handlers/loader";
import { parseWafRecord, toDocument } from "../handlers/wafRecord";
import { SEARCH_LOADER_FUNCTION } from "../names";
import { Handler, deployedEnvironment, deployedSource, loadHandler } from "../tools/deployedCode";
import { LocalS3, startLocalS3 } from "../tools/localS3";
import { SearchServer, startSearchServer } from "../tools/searchServer";
import { committedRun } from "./support/program";
import { sampleLines } from "./support/samples";

const PREFIX = "222222222222/us-east-1/aws-waf-logs-central-us-east-1/2026/11/27/10/";

describe("WAF record parsing", () => {
    const source = { accountId: "222222222222", region: "us-east-1", streamName: "aws-waf-logs-x" };

    it("accepts every shared sample record", () => {
        const lines = sampleLines();
        assert.ok(lines.length >= 8, `expected the shared samples, found ${lines.length} lines`);
        for (const line of lines) {
            const doc = toDocument(parseWafRecord(line), source);
            assert.strictEqual(typeof doc.timestamp, "number");
            assert.ok(doc.clientIp.length > 0);
        }
    });

    it("maps the fields the dashboards and forensics use", () => {
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
        assert.throws(() => parseWafRecord('{"timestamp":1}'), { message: "no httpRequest object" });
    });
});

describe("loader Lambda, as deployed, against a local S3 and a loopback _bulk endpoint", () => {
    let s3: LocalS3;
    let search: SearchServer;
    let central: string;
    let handler: Handler;
    const logs: string[] = [];

    before(async () => {
        const logging = await committedRun("logging");
        central = logging.outputs.centralBucketName;
        s3 = await startLocalS3([central]);
        search = await startSearchServer();
        const source = await deployedSource(logging, SEARCH_LOADER_FUNCTION);
        handler = loadHandler(source, {
            ...deployedEnvironment(logging, SEARCH_LOADER_FUNCTION),
            ...s3.lambdaEnvironment("us-east-1"),
            OPENSEARCH_ENDPOINT: search.url,
            BULK_MAX_DOCUMENTS: "3",
            BULK_BASE_DELAY_MS: "1",
        });
    });
    after(async () => {
        await s3?.close();
        await search?.close();
    });
    beforeEach(() => {
        search.documents.clear();
        search.requests.length = 0;
        search.inject({});
        logs.length = 0;
        // Events of objects earlier tests wrote (their _errors/ reports) are not this test's.
        s3.takeEvents();
    });

    async function put(key: string, body: string | Buffer): Promise<void> {
        await s3.client.send(new PutObjectCommand({ Bucket: central, Key: key, Body: body }));
    }
    /** Invokes the handler with `records`, capturing the summaries it logs. */
    async function invoke(records: unknown[]): Promise<any[]> {
        const originalLog = console.log;
        console.log = (line: string) => logs.push(line);
        try {
            return (await handler({ Records: records })) as any[];
        } finally {
            console.log = originalLog;
        }
    }
    const run = () => invoke(s3.takeEvents(central));
    async function text(key: string): Promise<string> {
        const got = await s3.client.send(new GetObjectCommand({ Bucket: central, Key: key }));
        return got.Body!.transformToString();
    }

    it("indexes every shared sample from a gzip object, in signed, framed bulk requests of at most 3", async () => {
        const samples = sampleLines();
        await put(`${PREFIX}samples.gz`, gzipSync(`${samples.join("\n")}\n`));
        const [summary] = await run();
        assert.deepStrictEqual(
            [summary.status, summary.lines, summary.indexed, summary.rejected, summary.retried],
            ["loaded", samples.length, samples.length, 0, 0],
        );
        assert.strictEqual(search.documents.size, samples.length);
        assert.strictEqual(search.requests.length, Math.ceil(samples.length / 3));
        for (const request of search.requests) {
            assert.strictEqual(request.headers["content-type"], "application/x-ndjson");
            assert.match(
                String(request.headers.authorization),
                /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/es\/aws4_request/,
            );
        }
        const doc = search.documents.get(`waf-logs-2019.12.13/${documentId(central, `${PREFIX}samples.gz`, 1)}`);
        assert.ok(doc, `no document for line 1 in ${[...search.documents.keys()].join(", ")}`);
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
        assert.deepStrictEqual(JSON.parse(logs[0]), JSON.parse(JSON.stringify({ msg: "loader summary", ...summary })));
    });

    it("indexes a plain object and parks malformed lines, with the reason, under _errors/", async () => {
        const [first, second] = sampleLines();
        await put(`${PREFIX}plain.json`, `${first}\n{"truncated":\n\n${second}\n`);
        const [summary] = await run();
        assert.deepStrictEqual([summary.lines, summary.blank, summary.indexed, summary.rejected], [4, 1, 2, 1]);
        assert.strictEqual(summary.errorsKey, `_errors/${PREFIX}plain.json.rejected.ndjson`);
        const report = await text(summary.errorsKey);
        const [rejected] = report
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        assert.strictEqual(rejected.line, 2);
        assert.strictEqual(rejected.text, '{"truncated":');
        assert.match(rejected.reason, /^not valid JSON/);
    });

    it("never creates a duplicate when an object is delivered again", async () => {
        await put(`${PREFIX}again.gz`, gzipSync(sampleLines().join("\n")));
        const events = s3.takeEvents(central);
        await invoke(events);
        const afterFirst = new Set(search.documents.keys());
        await invoke(events);
        assert.deepStrictEqual(new Set(search.documents.keys()), afterFirst);
    });

    it("retries whole-request 429s and failed items only, and parks items rejected for good", async () => {
        const samples = sampleLines();
        search.inject({
            throttleFirstBulkRequests: 2,
            failItem: (doc, attempt) => {
                if (doc.source.clientIp === "3.3.3.3") return { status: 400, type: "mapper_parsing_exception" };
                if (doc.source.clientIp === "1.1.1.1" && attempt < 3)
                    return { status: 429, type: "es_rejected_execution_exception" };
                return undefined;
            },
        });
        await put(`${PREFIX}flaky.gz`, gzipSync(samples.join("\n")));
        const [summary] = await run();
        const permanent = samples.filter((l) => JSON.parse(l).httpRequest.clientIp === "3.3.3.3").length;
        assert.strictEqual(summary.indexed + summary.rejected, samples.length, "every record is indexed or parked");
        assert.deepStrictEqual([summary.indexed, summary.rejected], [samples.length - permanent, permanent]);
        // Batch 1 (3 items) is throttled twice as a whole; each 1.1.1.1 item is then resent alone, twice.
        const throttled = samples.filter((l) => JSON.parse(l).httpRequest.clientIp === "1.1.1.1").length;
        assert.strictEqual(summary.retried, 2 * 3 + 2 * throttled);
        const sent = search.requests.map((r) => r.body.trim().split("\n").length / 2);
        assert.deepStrictEqual(sent.slice(0, 5), [3, 3, 3, 1, 1]);
        assert.strictEqual(
            sent.reduce((a, b) => a + b, 0),
            samples.length + 2 * 3 + 2 * throttled,
            "items that succeeded are never sent again",
        );
        const parked = (await text(summary.errorsKey))
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        assert.strictEqual(parked.length, permanent);
        assert.match(parked[0].reason, /^status 400: mapper_parsing_exception/);
    });

    it("gives up on an item after the attempt limit and parks it, instead of retrying forever", async () => {
        search.inject({ failItem: () => ({ status: 503, type: "unavailable_shards_exception" }) });
        await put(`${PREFIX}down.gz`, gzipSync(sampleLines()[0]));
        const [summary] = await run();
        assert.deepStrictEqual([summary.indexed, summary.rejected, summary.retried, summary.requests], [0, 1, 4, 5]);
        const [parked] = (await text(summary.errorsKey))
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        assert.strictEqual(
            parked.reason,
            "gave up after 5 attempts: status 503: unavailable_shards_exception: injected",
        );
    });

    it("skips its own _errors/ objects and objects outside the layout", async () => {
        await put("_errors/x.rejected.ndjson", "{}\n");
        await put("stray.txt", "{}\n");
        const summaries = await run();
        assert.deepStrictEqual(
            summaries.map((s) => [s.key, s.status]),
            [
                ["_errors/x.rejected.ndjson", "skipped"],
                ["stray.txt", "skipped"],
            ],
        );
        assert.strictEqual(search.requests.length, 0);
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

    it("indexes every shared sample, and re-delivery leaves the count unchanged", async () => {
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
