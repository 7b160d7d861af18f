/**
 * `npm run verify`: the canary through the plan's deployed copier, loader and detector on the
 * local stand-ins (one platform for the whole file), succeeding end to end, then failing at the
 * right hop when one hop is broken; and the detector leaving the canary's address alone.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { DetectorSettings, readDetections } from "../handlers/detector";
import { CANARY_CLIENT_IP, CANARY_LABEL, CANARY_RANGE } from "../handlers/canary";
import { LocalCanary, startLocalCanary } from "../tools/local/localCanary";
import { LocalResponse, startLocalResponse } from "../tools/local/localResponse";
import { HopResult, parseVerifyArgs, stackOutputsFromFile, verdict, verifyCanary } from "../tools/cli/verify";
import { committedRuns, runWith } from "./support/program";

const STACK = "resource-eu-west-1";
/** Short hop timeouts: everything here is local, and a broken hop must fail fast. */
const FAST = { timeoutMs: 3000, pollMs: 50 };

const statuses = (hops: readonly HopResult[]) => hops.map((h) => [h.hop, h.status]);

describe("npm run verify: the canary on local stand-ins", function () {
    let canary: LocalCanary;
    let workDir: string;

    before(async function () {
        this.timeout(300_000); // the committed plans, when no other test file computed them yet
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
        canary = await startLocalCanary(await committedRuns(), { workDir, faults: true });
    });
    after(async function () {
        await canary?.close();
        if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    });
    afterEach(async function () {
        // What a broken hop left running (a copier's retries) ends before the faults are cleared.
        await canary.firehose.settle().catch(() => undefined);
        canary.platform.s3Proxy?.inject([]);
        canary.platform.search?.inject({});
        canary.firehose.failStream(undefined);
        canary.response?.athena.failWhen(undefined);
    });

    it("follows the canary through every hop, with each hop's latency", async function () {
        const lines: string[] = [];
        const { requestId, hops } = await verifyCanary(canary.target(STACK), canary.calls(STACK), {
            ...FAST,
            log: (l) => lines.push(l),
        });
        assert.deepStrictEqual(statuses(hops), [
            ["firehose", "pass"],
            ["staging", "pass"],
            ["central", "pass"],
            ["loaded", "pass"],
            ["athena", "pass"],
            ["detector", "pass"],
        ]);
        assert.match(requestId, /^central-waf-logs-canary-[0-9a-f-]{36}$/);
        assert.match(
            hops[2].detail,
            /^s3:\/\/.+\/333333333333\/eu-west-1\/aws-waf-logs-central-eu-west-1\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/aws-waf-logs-central-eu-west-1-1-.+\.gz$/,
        );
        assert.match(hops[5].detail, new RegExp(`left ${CANARY_CLIENT_IP.replace(/\./g, "\\.")} alone$`));
        assert.match(lines[1], /^ {2}PASS {8}staging {2}\d+\.\d s \(\d+\.\d s after the put\): s3:\/\//);
        assert.strictEqual(verdict(hops), "The canary went through every hop.");

        // What went through Firehose is one labelled record from a documentation address.
        const [delivered] = canary.firehose.delivered.slice(-1);
        assert.match(delivered.key, /^logs\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/aws-waf-logs-central-eu-west-1-1-/);
        // The Athena hop's value is a parameter in WHERE, never spliced into the SQL.
        const query = canary.response!.athena.started.find((q) => q.executionParameters?.includes(`'${requestId}'`));
        assert.ok(query, "the athena hop passes the request ID as an execution parameter");
        assert.ok(!query.sql.includes(requestId));
        const indexed = [...canary.platform.search!.documents.keys()];
        assert.strictEqual(indexed.length, 1, "exactly one document: the canary");
        const staged = await canary.calls(STACK).getObject("resource", delivered.bucket, delivered.key);
        const record = JSON.parse(zlib.gunzipSync(staged!).toString("utf8"));
        assert.strictEqual(record.httpRequest.requestId, requestId);
        assert.strictEqual(record.httpRequest.clientIp, CANARY_CLIENT_IP);
        assert.deepStrictEqual(record.labels, [{ name: CANARY_LABEL }]);
    });

    // Amazon Data Firehose quotas: a record's data is at most 1,000 KiB before base64 encoding.
    it("the Firehose stand-in refuses an unknown stream and a record over 1,000 KiB", async function () {
        const calls = canary.calls(STACK);
        await assert.rejects(calls.putRecord("aws-waf-logs-nope", Buffer.from("{}\n")), {
            name: "ResourceNotFoundException",
            message: "Firehose aws-waf-logs-nope under account 333333333333 not found.",
        });
        await assert.rejects(calls.putRecord("aws-waf-logs-central-eu-west-1", Buffer.alloc(1_024_001, 0x61)), {
            name: "InvalidArgumentException",
        });
        await calls.putRecord("aws-waf-logs-central-eu-west-1", Buffer.alloc(1_024_000, 0x61));
    });

    it("names firehose when PutRecord fails", async function () {
        canary.firehose.failStream("aws-waf-logs-central-eu-west-1");
        const { hops } = await verifyCanary(canary.target(STACK), canary.calls(STACK), FAST);
        assert.deepStrictEqual(statuses(hops), [
            ["firehose", "fail"],
            ["staging", "not reached"],
            ["central", "not reached"],
            ["loaded", "not reached"],
            ["athena", "not reached"],
            ["detector", "not reached"],
        ]);
        assert.strictEqual(hops[0].detail, "ServiceUnavailableException: Slow down.");
        assert.strictEqual(
            verdict(hops),
            "The canary stopped at hop firehose: ServiceUnavailableException: Slow down.",
        );
    });

    it("names central when the copier cannot write the central object", async function () {
        const target = canary.target(STACK);
        // Every try of the copier's PUT into the central bucket answers 503: it ends dead-lettered.
        canary.platform.s3Proxy!.inject([
            {
                method: "PUT",
                path: new RegExp(`^/${target.centralBucket}/333333333333/`),
                count: 1000,
                fault: {
                    kind: "status",
                    status: 503,
                    body: "<Error><Code>ServiceUnavailable</Code><Message>Please reduce your request rate.</Message></Error>",
                    contentType: "application/xml",
                },
            },
        ]);
        const { hops } = await verifyCanary(target, canary.calls(STACK), FAST);
        assert.deepStrictEqual(statuses(hops).slice(0, 4), [
            ["firehose", "pass"],
            ["staging", "pass"],
            ["central", "fail"],
            ["loaded", "not reached"],
        ]);
        assert.match(hops[2].detail, /^timed out after 3\.0 s: the copier has not written s3:\/\//);
        assert.ok(
            canary.platform.lambda.failedEvents.some((e) => e.functionName.startsWith("central-waf-logs-copier")),
        );
    });

    it("names loaded when the cluster refuses the document, with the loader's reason", async function () {
        canary.platform.search!.inject({
            failItem: () => ({ status: 400, type: "mapper_parsing_exception" }),
        });
        const { hops } = await verifyCanary(canary.target(STACK), canary.calls(STACK), FAST);
        assert.deepStrictEqual(statuses(hops).slice(2, 5), [
            ["central", "pass"],
            ["loaded", "fail"],
            ["athena", "not reached"],
        ]);
        assert.match(
            hops[3].detail,
            /^the loader parked the canary \(line 1\) in s3:\/\/.+\/_errors\/.+\.rejected\.ndjson: /,
        );
    });

    it("names loaded when the document never arrives", async function () {
        const target = canary.target(STACK);
        const calls = canary.calls(STACK);
        // A cluster that lost the document: the look-up finds nothing, and nothing was parked.
        const { hops } = await verifyCanary(target, { ...calls, documentExists: async () => false }, FAST);
        assert.strictEqual(hops[3].status, "fail");
        assert.match(
            hops[3].detail,
            /^timed out after 3\.0 s: no document waf-logs-\d{4}\.\d{2}\.\d{2}\/\S+, and no report of it parked$/,
        );
    });

    it("names athena when the query fails, and detector when its run fails", async function () {
        canary.response!.athena.failWhen(/httprequest\.requestid = \?/);
        const athena = await verifyCanary(canary.target(STACK), canary.calls(STACK), FAST);
        assert.deepStrictEqual(statuses(athena.hops).slice(3), [
            ["loaded", "pass"],
            ["athena", "fail"],
            ["detector", "not reached"],
        ]);
        assert.match(athena.hops[4].detail, /Athena failed query q-\d+: line 1:8: mismatched input/);

        canary.response!.athena.failWhen(/requests_in_5_minutes/);
        const detector = await verifyCanary(canary.target(STACK), canary.calls(STACK), FAST);
        assert.deepStrictEqual(statuses(detector.hops).slice(4), [
            ["athena", "pass"],
            ["detector", "fail"],
        ]);
        assert.match(
            detector.hops[5].detail,
            /^central-waf-logs-blocklist-detector failed: Error: Athena failed query/,
        );
    });
});

describe("the canary's address in the detector, as deployed", function () {
    let response: LocalResponse;
    let dataDir: string;

    before(async function () {
        // Two program runs when the committed ones are not cached yet (this file alone, a busy machine).
        this.timeout(300_000);
        // A logging plan whose allowlist does not cover the canary (the committed one lists 192.0.2.0/24).
        const logging = await runWith("logging", {
            configOverrides: {
                "central-waf-logs:response": JSON.stringify({ mode: "block", threshold: 1000, allowlist: [] }),
            },
        });
        const resources = (await committedRuns()).filter((r) => r.stack !== "logging");
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-detector-"));
        response = await startLocalResponse([logging, ...resources], dataDir);
    });
    after(async function () {
        await response?.close();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("never blocks the canary's address, even over the threshold and without an allowlist entry", async function () {
        const now = Date.now();
        const over = (clientIp: string) => ({
            client_ip: clientIp,
            requests_in_5_minutes: "5000",
            first_seen_ms: String(now - 600_000),
            last_seen_ms: String(now - 300_000),
            seen_in: "333333333333/eu-west-1",
            evidence: "333333333333:5000",
        });
        response.athena.answerWith({
            columns: ["client_ip", "requests_in_5_minutes", "first_seen_ms", "last_seen_ms", "seen_in", "evidence"],
            rows: [over(CANARY_CLIENT_IP), over("192.0.2.251")],
        });
        const summary = await response.detect(now);
        assert.deepStrictEqual(summary.added, ["192.0.2.251/32"]);
        assert.deepStrictEqual(summary.allowlisted, [CANARY_RANGE]);
    });
});

describe("the canary's address in the detector", function () {
    const settings: DetectorSettings = {
        blockMinutes: 240,
        maxBlockMinutes: 10_080,
        repeatWindowDays: 30,
        allowlist: [],
        threshold: 1000,
        lookbackMinutes: 15,
        maxNewEntriesPerRun: 50,
        queryName: "burst-detection",
        timestampSlackMinutes: 15,
        globalMinAccounts: 2,
        trustedEvidenceAccounts: [],
    };
    const row = (clientIp: string) => ({
        client_ip: clientIp,
        requests_in_5_minutes: "1500",
        first_seen_ms: "1764244800000",
        last_seen_ms: "1764245000000",
        seen_in: "333333333333/eu-west-1",
        evidence: "333333333333:1500",
    });

    it("is skipped like an allowlisted range, and its neighbours are not", function () {
        const { found, allowlisted } = readDetections(
            [row(CANARY_CLIENT_IP), row("192.0.2.249")],
            settings,
            "w",
            1764245000000,
        );
        assert.deepStrictEqual(allowlisted, [CANARY_RANGE]);
        assert.deepStrictEqual(
            found.map((f) => f.cidr),
            ["192.0.2.249/32"],
        );
    });
});

describe("npm run verify's command line", function () {
    it("takes a stack, a per-hop timeout, a search URL and a logging profile", function () {
        assert.deepStrictEqual(
            parseVerifyArgs(["--stack", STACK, "--timeout", "60", "--search-url", "https://localhost:9200"]),
            {
                stack: STACK,
                timeoutMs: 60_000,
                searchUrl: "https://localhost:9200",
                loggingProfile: undefined,
                endpoint: undefined,
                outputs: undefined,
            },
        );
        assert.throws(() => parseVerifyArgs([]), /^Error: Give --stack <resource stack>/);
        assert.throws(
            () => parseVerifyArgs(["--stack", STACK, "--timeout", "0"]),
            /--timeout takes whole seconds from 1 to 3600, got "0"/,
        );
        assert.throws(() => parseVerifyArgs(["--stack", STACK, "--search-url", "localhost"]), /--search-url takes/);
    });

    it("takes --endpoint (a local stand-in, as the sandbox prints) and --outputs (stack outputs from a file, not the Pulumi CLI)", function () {
        const args = parseVerifyArgs([
            "--stack",
            STACK,
            "--endpoint=http://127.0.0.1:4566",
            "--outputs",
            "/tmp/stack-outputs.json",
        ]);
        assert.deepStrictEqual([args.endpoint, args.outputs], ["http://127.0.0.1:4566", "/tmp/stack-outputs.json"]);
        assert.throws(
            () => parseVerifyArgs(["--stack", STACK, "--endpoint", "127.0.0.1:4566"]),
            /^Error: --endpoint takes the URL of a local stand-in, such as http:\/\/127\.0\.0\.1:4566, got "127\.0\.0\.1:4566"\./,
        );
        assert.throws(
            () => parseVerifyArgs(["--stack", STACK, "--endpont", "x"]),
            /^Error: Unknown option --endpont\./,
        );
        assert.throws(() => parseVerifyArgs(["--stack", STACK, "--outputs"]), /^Error: --outputs needs a value\./);
    });

    it("reads stack outputs from an --outputs file, and names the file and the fix when it cannot", function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-outputs-"));
        try {
            const file = path.join(dir, "outputs.json");
            fs.writeFileSync(file, JSON.stringify({ [STACK]: { accountId: "333333333333" } }));
            assert.deepStrictEqual(stackOutputsFromFile(file, STACK), { accountId: "333333333333" });
            assert.throws(
                () => stackOutputsFromFile(file, "logging"),
                (err: Error) =>
                    err.message ===
                    `${file} holds no outputs of stack logging (it has ${STACK}). Fix: give the file the sandbox printed, or leave out --outputs to ask the Pulumi CLI.`,
            );
            fs.writeFileSync(file, "{not json");
            assert.throws(
                () => stackOutputsFromFile(file, STACK),
                /is not JSON: .* Fix: give the file the sandbox printed/,
            );
            assert.throws(
                () => stackOutputsFromFile(path.join(dir, "nope.json"), STACK),
                /nope\.json cannot be read \(ENOENT\)\. Fix: give the file the sandbox printed/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
