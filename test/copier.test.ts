import * as assert from "assert";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { randomBytes } from "crypto";
import { gzipSync } from "zlib";
import { deliveryRequest } from "../handlers/copier";
import { decodeEventKey } from "../handlers/s3Events";
import {
    Handler,
    LambdaContext,
    deployedEnvironment,
    deployedSource,
    lambdaContext,
    loadHandler,
} from "../tools/local/deployedCode";
import { FaultProxy, FaultRule, startFaultProxy } from "../tools/local/aws/faultProxy";
import { listAllKeys } from "../tools/cli/s3Listing";
import { LocalS3, encodeKeyAsS3Does, startLocalS3 } from "../tools/local/aws/localS3";
import { ProgramRun } from "../tools/local/mockEngine";
import { AsyncInvocation, captured, invokeAsync } from "./support/lambdaRuntime";
import { committedRun } from "./support/program";

const FUNCTION = "central-waf-logs-copier-us-east-1";
const STREAM = "aws-waf-logs-central-us-east-1";
const HOUR = "logs/2026/11/27/10/";

describe("copier Lambda, as deployed, against a local S3", () => {
    let run: ProgramRun;
    let s3: LocalS3;
    let handler: Handler;
    let staging: string;
    let central: string;

    before(async () => {
        run = await committedRun("resource-us-east-1");
        staging = run.outputs.stagingBucketName;
        central = run.outputs.centralBucketName;
        s3 = await startLocalS3([staging, central]);
        handler = loadHandler(await deployedSource(run, FUNCTION), {
            ...deployedEnvironment(run, FUNCTION),
            ...s3.lambdaEnvironment("us-east-1"),
        });
    });
    after(() => s3?.close());

    async function deliver(key: string, body: Buffer = gzipSync("{}\n")): Promise<void> {
        await s3.client.send(new PutObjectCommand({ Bucket: staging, Key: key, Body: body }));
    }
    async function centralKeys(): Promise<string[]> {
        const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: central }));
        return (listed.Contents ?? []).map((o) => o.Key!).sort();
    }
    async function centralBody(key: string): Promise<Buffer> {
        const got = await s3.client.send(new GetObjectCommand({ Bucket: central, Key: key }));
        return Buffer.from(await got.Body!.transformToByteArray());
    }
    const centralKeyOf = (file: string) => `222222222222/us-east-1/${STREAM}/2026/11/27/10/${file}`;

    it("is the handler the program deploys, reading its settings from the deployed environment", () => {
        assert.deepStrictEqual(deployedEnvironment(run, FUNCTION), {
            CENTRAL_BUCKET: central,
            CENTRAL_KEY_ARN: "arn:aws:kms:us-east-1:111111111111:key/central-waf-logs-key-key-id",
            CENTRAL_ACCOUNT_ID: "111111111111",
            SOURCE_ACCOUNT_ID: "222222222222",
            SOURCE_REGION: "us-east-1",
            STREAM_NAME: STREAM,
        });
    });

    it("copies every record of a multi-record event into the central layout, byte for byte", async () => {
        const files = ["a-1.gz", "a-2.gz", "a-3.gz"];
        const bodies = files.map((f) => gzipSync(`{"file":"${f}"}\n`));
        for (const [i, file] of files.entries()) await deliver(`${HOUR}${file}`, bodies[i]);
        const records = s3.takeEvents(staging);
        assert.strictEqual(records.length, 3, "s3rver emits one record per object");

        const copied = (await handler({ Records: records })) as unknown[];
        assert.strictEqual(copied.length, 3);
        for (const [i, file] of files.entries()) {
            assert.deepStrictEqual(await centralBody(centralKeyOf(file)), bodies[i]);
        }
    });

    it("decodes keys with spaces, plus signs and non-ASCII characters as S3 encodes them", async () => {
        const files = ["with space.gz", "plus+sign.gz", "é-ü-日本.gz"];
        for (const file of files) await deliver(`${HOUR}${file}`);
        const records = s3.takeEvents(staging);
        assert.deepStrictEqual(
            records.map((r) => r.s3.object.key),
            [`${HOUR}with+space.gz`, `${HOUR}plus%2Bsign.gz`, `${HOUR}%C3%A9-%C3%BC-%E6%97%A5%E6%9C%AC.gz`],
        );
        await handler({ Records: records });
        const keys = await centralKeys();
        for (const file of files)
            assert.ok(keys.includes(centralKeyOf(file)), `${file} missing from ${keys.join(", ")}`);
    });

    it("streams a multi-megabyte object through unchanged (checksummed chunked upload)", async () => {
        const body = gzipSync(randomBytes(6 * 1024 * 1024));
        await deliver(`${HOUR}large.gz`, body);
        await handler({ Records: s3.takeEvents(staging) });
        assert.ok((await centralBody(centralKeyOf("large.gz"))).equals(body));
    });

    it("counts an event delivered again as delivered, and never rewrites the central object", async () => {
        const original = gzipSync('{"first":true}\n');
        await deliver(`${HOUR}again.gz`, original);
        const records = s3.takeEvents(staging);
        const first = (await handler({ Records: records })) as { outcome: string }[];
        assert.deepStrictEqual(
            first.map((c) => c.outcome),
            ["delivered"],
        );
        const before = await centralKeys();
        // The staged object changes (a hostile or buggy rewrite); the event is delivered again.
        await deliver(`${HOUR}again.gz`, gzipSync('{"rewritten":true}\n'));
        s3.takeEvents(staging);
        const second = (await handler({ Records: records })) as { outcome: string }[];
        assert.deepStrictEqual(
            second.map((c) => c.outcome),
            ["already-delivered"],
        );
        assert.deepStrictEqual(await centralKeys(), before);
        assert.deepStrictEqual(await centralBody(centralKeyOf("again.gz")), original);
    });

    it("refuses a second write to a central key (If-None-Match), whoever sends it", async () => {
        const key = centralKeyOf("taken.gz");
        await s3.client.send(new PutObjectCommand({ Bucket: central, Key: key, Body: "first", IfNoneMatch: "*" }));
        await assert.rejects(
            s3.client.send(new PutObjectCommand({ Bucket: central, Key: key, Body: "second", IfNoneMatch: "*" })),
            (err: any) => err.$metadata?.httpStatusCode === 412 && err.name === "PreconditionFailed",
        );
        assert.strictEqual((await centralBody(key)).toString(), "first");
    });

    it("throws when a source object is missing, naming it, and reports nothing as copied", async () => {
        await deliver(`${HOUR}present.gz`);
        const [present] = s3.takeEvents(staging);
        const missing = { ...present, s3: { ...present.s3, object: { ...present.s3.object, key: `${HOUR}gone.gz` } } };
        const logged: string[] = [];
        const originalLog = console.log;
        console.log = (line: string) => logged.push(line);
        try {
            await assert.rejects(handler({ Records: [present, missing] }), (err: Error) => {
                assert.match(
                    err.message,
                    /^Copied 1 of 2 objects; failed: logs\/2026\/11\/27\/10\/gone\.gz: NoSuchKey/,
                );
                return true;
            });
        } finally {
            console.log = originalLog;
        }
        assert.deepStrictEqual(JSON.parse(logged[0]), {
            msg: "copier summary",
            records: 2,
            copied: 1,
            alreadyDelivered: 0,
            failed: 1,
        });
        assert.ok(!(await centralKeys()).some((k) => k.endsWith("/gone.gz")));
    });

    it("throws for an object outside the Firehose layout instead of guessing its hour", async () => {
        await deliver("logs/stray.gz");
        await assert.rejects(handler({ Records: s3.takeEvents(staging) }), {
            message:
                'Copied 0 of 1 objects; failed: logs/stray.gz: Error: Object key "logs/stray.gz" is not a Firehose delivery (expected logs/yyyy/MM/dd/HH/<file>).',
        });
    });

    it("handles S3's test event (no records) without copying", async () => {
        assert.deepStrictEqual(await handler({ Event: "s3:TestEvent" }), []);
    });
});

describe("copier key handling", () => {
    const settings = {
        centralBucket: "central",
        centralKeyArn: "arn:aws:kms:us-east-1:111111111111:key/k",
        centralAccountId: "111111111111",
        accountId: "222222222222",
        region: "eu-west-1",
        streamName: "aws-waf-logs-x",
    };

    it("decodes `+` as a space and %2B as a literal plus", () => {
        assert.strictEqual(decodeEventKey("logs/a+b%2Bc%C3%A9.gz"), "logs/a b+cé.gz");
        assert.strictEqual(decodeEventKey(encodeKeyAsS3Does("logs/a b+c(é).gz")), "logs/a b+c(é).gz");
    });

    it("builds the delivery: read from the own account, write only a new key of the own prefix with the central key", () => {
        assert.deepStrictEqual(deliveryRequest("staging", "logs/2026/01/02/03/f+1 é.gz", settings), {
            source: { Bucket: "staging", Key: "logs/2026/01/02/03/f+1 é.gz", ExpectedBucketOwner: "222222222222" },
            destination: {
                Bucket: "central",
                Key: "222222222222/eu-west-1/aws-waf-logs-x/2026/01/02/03/f+1 é.gz",
                ServerSideEncryption: "aws:kms",
                SSEKMSKeyId: "arn:aws:kms:us-east-1:111111111111:key/k",
                BucketKeyEnabled: true,
                ExpectedBucketOwner: "111111111111",
                IfNoneMatch: "*",
            },
        });
    });
});

describe("copier Lambda, as deployed, under injected S3 faults: every object copied once", () => {
    let run: ProgramRun;
    let s3: LocalS3;
    let proxy: FaultProxy;
    let handler: Handler;
    let staging: string;
    let central: string;

    before(async () => {
        run = await committedRun("resource-us-east-1");
        staging = run.outputs.stagingBucketName;
        central = run.outputs.centralBucketName;
        s3 = await startLocalS3([staging, central]);
        proxy = await startFaultProxy(s3.endpoint);
        handler = loadHandler(await deployedSource(run, FUNCTION), {
            ...deployedEnvironment(run, FUNCTION),
            ...s3.lambdaEnvironment("us-east-1"),
            AWS_ENDPOINT_URL_S3: proxy.url,
        });
    });
    after(async () => {
        await proxy?.close();
        await s3?.close();
    });
    beforeEach(() => proxy.inject([]));

    /** A fault on the copier's write of `file` to the central bucket. */
    const copyRule = (file: string, count: number, fault: FaultRule["fault"]): FaultRule => ({
        method: "PUT",
        path: new RegExp(`/${central}/.*/${file.replace(".", "\\.")}`),
        count,
        fault,
    });
    const unavailable: FaultRule["fault"] = {
        kind: "status",
        status: 503,
        body: "<Error><Code>ServiceUnavailable</Code><Message>Please reduce your request rate.</Message></Error>",
        contentType: "application/xml",
    };

    /** Delivers `files`, runs Lambda's async invocation on each event, replays dead letters without faults. */
    async function deliverAll(
        files: string[],
        context?: () => LambdaContext,
    ): Promise<{ invocations: AsyncInvocation[]; bodies: Buffer[] }> {
        const bodies = files.map((f) => gzipSync(`{"file":"${f}","at":${Date.now()}}\n`));
        for (const [i, file] of files.entries()) {
            await s3.client.send(new PutObjectCommand({ Bucket: staging, Key: `${HOUR}${file}`, Body: bodies[i] }));
        }
        const invocations: AsyncInvocation[] = [];
        for (const record of s3.takeEvents(staging)) {
            const event = { Records: [record] };
            const invocation = await invokeAsync(handler, event, { context });
            invocations.push(invocation);
            if (invocation.deadLettered) {
                proxy.inject([]);
                assert.strictEqual((await captured(() => handler(event))).error, undefined, "the replay copies it");
            }
        }
        return { invocations, bodies };
    }

    /** Every delivered object is in the central layout exactly once, byte for byte. */
    async function assertCopiedOnce(files: string[], bodies: Buffer[]): Promise<void> {
        const listed = await s3.client.send(
            new ListObjectsV2Command({ Bucket: central, Prefix: `222222222222/us-east-1/${STREAM}/` }),
        );
        const keys = (listed.Contents ?? []).map((o) => o.Key!);
        for (const [i, file] of files.entries()) {
            const key = `222222222222/us-east-1/${STREAM}/2026/11/27/10/${file}`;
            assert.strictEqual(keys.filter((k) => k === key).length, 1, `${file} in ${keys.join(", ")}`);
            const got = await s3.client.send(new GetObjectCommand({ Bucket: central, Key: key }));
            assert.deepStrictEqual(Buffer.from(await got.Body!.transformToByteArray()), bodies[i]);
        }
    }

    it("a write answered 503 past the copier's own tries: the invocation fails, Lambda's retry copies it", async () => {
        const files = ["f503-a.gz", "f503-b.gz"];
        proxy.inject([copyRule("f503-a.gz", 3, unavailable)]);
        const { invocations, bodies } = await deliverAll(files);
        assert.deepStrictEqual(
            invocations.map((i) => i.tries.length),
            [2, 1],
        );
        assert.strictEqual(
            invocations[0].tries[0].error?.message,
            `Copied 0 of 1 objects; failed: ${HOUR}f503-a.gz: ServiceUnavailable: Please reduce your request rate.`,
        );
        await assertCopiedOnce(files, bodies);
    });

    it("an outage through all of Lambda's retries: dead-lettered, then replayed without a duplicate", async () => {
        const files = ["dead-a.gz"];
        proxy.inject([copyRule("dead-a.gz", 9, unavailable)]);
        const { invocations, bodies } = await deliverAll(files);
        assert.deepStrictEqual([invocations[0].tries.length, invocations[0].deadLettered], [3, true]);
        await assertCopiedOnce(files, bodies);
    });

    it("a read answered 500 and a write cut before the headers are tried again within the invocation", async () => {
        const files = ["read-500.gz", "cut.gz"];
        proxy.inject([
            {
                method: "GET",
                path: /\/read-500\.gz/,
                count: 1,
                fault: {
                    kind: "status",
                    status: 500,
                    body: "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>",
                    contentType: "application/xml",
                },
            },
            copyRule("cut.gz", 1, { kind: "cut-before-headers" }),
        ]);
        const { invocations, bodies } = await deliverAll(files);
        assert.deepStrictEqual(
            invocations.map((i) => [i.tries.length, i.tries[0].error]),
            [
                [1, undefined],
                [1, undefined],
            ],
        );
        assert.strictEqual(proxy.injected(), 2);
        await assertCopiedOnce(files, bodies);
    });

    it("S3's KMS.ThrottlingException (HTTP 400) on a write is a transient fault: tried again within the invocation", async () => {
        // S3 answers 400 KMS.ThrottlingException when KMS throttles the object's data key
        // ("Troubleshooting access denied / KMS.ThrottlingException", Amazon S3 error responses).
        const files = ["kms-throttled.gz"];
        proxy.inject([
            copyRule("kms-throttled.gz", 2, {
                kind: "status",
                status: 400,
                body: "<Error><Code>KMS.ThrottlingException</Code><Message>Rate exceeded</Message></Error>",
                contentType: "application/xml",
            }),
        ]);
        const { invocations, bodies } = await deliverAll(files);
        assert.deepStrictEqual(
            invocations.map((i) => [i.tries.length, i.tries[0].error]),
            [[1, undefined]],
        );
        assert.strictEqual(proxy.injected(), 2);
        await assertCopiedOnce(files, bodies);
    });

    it("a source body cut mid-stream is a failed read, tried again at once within the invocation, never a crash", async () => {
        const body = randomBytes(300_000);
        await s3.client.send(new PutObjectCommand({ Bucket: staging, Key: `${HOUR}cut-source.gz`, Body: body }));
        const event = { Records: s3.takeEvents(staging) };
        proxy.inject([
            { method: "GET", path: /\/cut-source\.gz/, count: 1, fault: { kind: "cut-after-headers", bytes: 70_000 } },
        ]);
        // In Lambda an uncaught exception kills the runtime instead of failing with the copier's reason.
        const uncaught: unknown[] = [];
        const mochas = process.listeners("uncaughtException");
        process.removeAllListeners("uncaughtException");
        process.on("uncaughtException", (err) => uncaught.push(err));
        let invocation: AsyncInvocation;
        try {
            invocation = await invokeAsync(handler, event, { context: () => lambdaContext(8000) });
            await new Promise((resolve) => setTimeout(resolve, 200));
        } finally {
            process.removeAllListeners("uncaughtException");
            for (const listener of mochas) process.on("uncaughtException", listener);
        }
        assert.deepStrictEqual(uncaught, []);
        assert.deepStrictEqual(
            invocation.tries.map((t) => t.error?.message),
            [undefined],
        );
        assert.strictEqual(proxy.injected(), 1);
        await assertCopiedOnce(["cut-source.gz"], [body]);
    });

    it("a source whose body stalls is aborted before Lambda's deadline; the retry copies it", async () => {
        const files = ["stalled.gz"];
        proxy.inject([{ method: "GET", path: /\/stalled\.gz/, count: 1, fault: { kind: "stall-body", bytes: 0 } }]);
        // Lambda's clock held at 1 s left: the copier keeps 10% back and aborts after 900 ms.
        const { invocations, bodies } = await deliverAll(files, () => lambdaContext(() => 1000));
        assert.strictEqual(invocations[0].tries.length, 2);
        assert.strictEqual(
            invocations[0].tries[0].error!.message,
            `Copied 0 of 1 objects; failed: ${HOUR}stalled.gz: Error: no answer before the invocation's deadline (aborted after 900 ms)`,
        );
        await assertCopiedOnce(files, bodies);
    });
});

describe("local S3 (tools/localS3.ts)", () => {
    it("lists every key of a bucket holding more than one page (1,000 keys)", async () => {
        const s3 = await startLocalS3(["many"]);
        try {
            const keys = Array.from({ length: 1003 }, (_, i) => `logs/${String(i).padStart(4, "0")}.gz`);
            for (let i = 0; i < keys.length; i += 100) {
                await Promise.all(
                    keys
                        .slice(i, i + 100)
                        .map((Key) => s3.client.send(new PutObjectCommand({ Bucket: "many", Key, Body: "x" }))),
                );
            }
            assert.deepStrictEqual(await listAllKeys(s3.client, "many"), keys);
            assert.deepStrictEqual(await listAllKeys(s3.client, "many", "logs/100"), keys.slice(1000));
        } finally {
            await s3.close();
        }
    });
});
