/**
 * The loopback stand-ins replay and detection run against (SQS, Lambda Invoke, Athena results),
 * exercised with the unmodified AWS SDK v3 clients, as the deployed code and the replay command
 * will use them.
 */
import * as assert from "assert";
import * as http from "http";
import {
    AthenaClient,
    GetQueryExecutionCommand,
    GetQueryResultsCommand,
    StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
    ChangeMessageVisibilityCommand,
    CreateQueueCommand,
    DeleteMessageCommand,
    GetQueueAttributesCommand,
    GetQueueUrlCommand,
    ReceiveMessageCommand,
    SQSClient,
    SendMessageBatchCommand,
    SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { DuckDBInstance } from "@duckdb/node-api";
import { ANALYTICS_DDL_FUNCTION } from "../names";
import { startAthenaServer } from "../tools/local/aws/athenaServer";
import { LOOPBACK_CREDENTIALS, deployedHandler, loadHandler } from "../tools/local/deployedCode";
import { LambdaContext, errorPayload, startLambdaServer } from "../tools/local/aws/lambdaServer";
import { SqsServer, onFailureRecord, startSqsServer } from "../tools/local/aws/sqsServer";
import { committedRun, only } from "./support/program";

const REGION = "us-east-1";
const ACCOUNT = "111111111111";
const credentials = {
    accessKeyId: LOOPBACK_CREDENTIALS.AWS_ACCESS_KEY_ID,
    secretAccessKey: LOOPBACK_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
};

/** Refuses, before it leaves the process, any request a client would send off loopback. */
function loopbackOnly<C extends { middlewareStack: { add(m: any, o: any): void } }>(client: C): C {
    client.middlewareStack.add(
        (next: any) => async (args: any) => {
            if (args.request.hostname !== "127.0.0.1") throw new Error(`refused: request to ${args.request.hostname}`);
            return next(args);
        },
        { step: "finalizeRequest", name: "loopbackOnly" },
    );
    return client;
}

/** Runs `body` with an environment variable set, as a Lambda or the replay CLI would see it. */
async function withEnv<T>(name: string, value: string, body: () => Promise<T>): Promise<T> {
    const saved = process.env[name];
    process.env[name] = value;
    try {
        return await body();
    } finally {
        if (saved === undefined) delete process.env[name];
        else process.env[name] = saved;
    }
}

/** The error a promise rejects with (so several properties can be asserted exactly). */
async function rejection(promise: Promise<unknown>): Promise<any> {
    try {
        await promise;
    } catch (err) {
        return err;
    }
    assert.fail("expected a rejection");
}

/** A raw POST to a stand-in, to send what no SDK would (no signature, a foreign scope). */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method: "POST", headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
                resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || "null") }),
            );
        });
        req.on("error", reject);
        req.end(body);
    });
}

describe("SQS stand-in (AWS JSON 1.0 with the unmodified SDK client)", () => {
    let now = Date.UTC(2026, 10, 27, 12, 0, 0);
    let sqs: SqsServer;
    let client: SQSClient;
    before(async () => {
        sqs = await startSqsServer({ accountId: ACCOUNT, clock: () => now, maxWaitSeconds: 0.05 });
        client = loopbackOnly(new SQSClient({ region: REGION, credentials, endpoint: sqs.url }));
    });
    after(async () => {
        client.destroy();
        await sqs.close();
    });

    it("is reached through AWS_ENDPOINT_URL_SQS, and names queues <endpoint>/<account>/<name>", async () => {
        const viaEnv = await withEnv("AWS_ENDPOINT_URL_SQS", sqs.url, async () => {
            const envClient = loopbackOnly(new SQSClient({ region: REGION, credentials }));
            try {
                const created = await envClient.send(new CreateQueueCommand({ QueueName: "replay-env" }));
                const found = await envClient.send(new GetQueueUrlCommand({ QueueName: "replay-env" }));
                return [created.QueueUrl, found.QueueUrl];
            } finally {
                envClient.destroy();
            }
        });
        assert.deepStrictEqual(viaEnv, [`${sqs.url}/${ACCOUNT}/replay-env`, `${sqs.url}/${ACCOUNT}/replay-env`]);
        assert.deepStrictEqual(sqs.createQueue("222222222222", REGION, "seeded"), {
            url: `${sqs.url}/222222222222/seeded`,
            arn: `arn:aws:sqs:${REGION}:222222222222:seeded`,
        });
        assert.strictEqual(sqs.urlOf(`arn:aws:sqs:${REGION}:222222222222:seeded`), `${sqs.url}/222222222222/seeded`);
    });

    it("hides received messages for their visibility timeout, redelivers the undeleted ones with a new handle, and deletes only with the latest handle", async () => {
        const { url } = sqs.createQueue(ACCOUNT, REGION, "copier-failures");
        const sentAt = now;
        for (const body of ["one", "two", "three"]) {
            await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
        }
        const counts = async () =>
            (
                await client.send(
                    new GetQueueAttributesCommand({
                        QueueUrl: url,
                        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                    }),
                )
            ).Attributes;
        assert.deepStrictEqual(await counts(), {
            ApproximateNumberOfMessages: "3",
            ApproximateNumberOfMessagesNotVisible: "0",
        });

        const receive = (max: number) =>
            client.send(
                new ReceiveMessageCommand({
                    QueueUrl: url,
                    MaxNumberOfMessages: max,
                    VisibilityTimeout: 30,
                    MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
                }),
            );
        const first = (await receive(2)).Messages ?? [];
        assert.deepStrictEqual(
            first.map((m) => [m.Body, m.Attributes]),
            [
                ["one", { ApproximateReceiveCount: "1", SentTimestamp: String(sentAt) }],
                ["two", { ApproximateReceiveCount: "1", SentTimestamp: String(sentAt) }],
            ],
        );
        assert.deepStrictEqual(await counts(), {
            ApproximateNumberOfMessages: "1",
            ApproximateNumberOfMessagesNotVisible: "2",
        });
        now += 5_000;
        assert.deepStrictEqual(
            ((await receive(10)).Messages ?? []).map((m) => m.Body),
            ["three"],
        );
        assert.strictEqual((await receive(10)).Messages, undefined, "everything is in flight");

        now += 24_999;
        assert.strictEqual((await receive(10)).Messages, undefined, "one millisecond before the timeout ends");
        now += 1; // the first two come back; "three", received 5 s later, is still hidden
        const again = (await receive(10)).Messages ?? [];
        assert.deepStrictEqual(
            again.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount, m.MessageId]),
            first.map((m) => [m.Body, "2", m.MessageId]),
        );
        assert.notStrictEqual(again[0].ReceiptHandle, first[0].ReceiptHandle);

        // The handle of the earlier receive no longer deletes (SQS: the call succeeds, the message stays).
        await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0].ReceiptHandle }));
        assert.deepStrictEqual(
            sqs.messages(url).map((m) => m.body),
            ["one", "two", "three"],
        );
        await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again[0].ReceiptHandle }));
        await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again[0].ReceiptHandle }));
        assert.deepStrictEqual(
            sqs.messages(url).map((m) => [m.body, m.receiveCount, m.visible]),
            [
                ["two", 2, false],
                ["three", 1, false],
            ],
        );

        // Visibility 0 releases a message at once; a stale handle or a message no longer in flight is refused.
        await client.send(
            new ChangeMessageVisibilityCommand({
                QueueUrl: url,
                ReceiptHandle: again[1].ReceiptHandle,
                VisibilityTimeout: 0,
            }),
        );
        const stale = await rejection(
            client.send(
                new ChangeMessageVisibilityCommand({
                    QueueUrl: url,
                    ReceiptHandle: first[1].ReceiptHandle,
                    VisibilityTimeout: 60,
                }),
            ),
        );
        assert.deepStrictEqual(
            [stale.name, stale.message],
            [
                "InvalidParameterValue",
                `Value ${first[1].ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
            ],
        );
        const notInFlight = await rejection(
            client.send(
                new ChangeMessageVisibilityCommand({
                    QueueUrl: url,
                    ReceiptHandle: again[1].ReceiptHandle,
                    VisibilityTimeout: 60,
                }),
            ),
        );
        assert.deepStrictEqual([notInFlight.name, notInFlight.$metadata.httpStatusCode], ["MessageNotInflight", 400]);
        const third = (await receive(10)).Messages ?? [];
        assert.deepStrictEqual(
            third.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]),
            [["two", "3"]],
        );
    });

    it("delays, expires after the retention period, and answers a long poll as soon as a message arrives", async () => {
        const { url } = sqs.createQueue(ACCOUNT, REGION, "loader-failures", { MessageRetentionPeriod: "60" });
        await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "later", DelaySeconds: 10 }));
        const delayed = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }));
        assert.deepStrictEqual(
            [
                delayed.Attributes?.ApproximateNumberOfMessagesDelayed,
                delayed.Attributes?.ApproximateNumberOfMessages,
                delayed.Attributes?.QueueArn,
                delayed.Attributes?.VisibilityTimeout,
                delayed.Attributes?.MessageRetentionPeriod,
                delayed.Attributes?.Policy,
            ],
            ["1", "0", `arn:aws:sqs:${REGION}:${ACCOUNT}:loader-failures`, "30", "60", undefined],
        );
        assert.strictEqual((await client.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages, undefined);
        now += 10_000;
        const later = await client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
        assert.deepStrictEqual(
            later.Messages?.map((m) => m.Body),
            ["later"],
        );
        now += 60_001;
        assert.deepStrictEqual(sqs.messages(url), [], "older than MessageRetentionPeriod");

        // A long poll on an empty queue returns empty once the stand-in's cap passes...
        const idle = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
        assert.strictEqual(idle.Messages, undefined);
        // ...and returns a message sent while it waits (here as Lambda's destination would send it).
        const polling = client.send(
            new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20, MessageSystemAttributeNames: ["All"] }),
        );
        await sqs.whenPolling(url);
        const id = sqs.sendMessage(url, '{"late":true}', "AROALOCAL:central-waf-logs-loader");
        const answered = (await polling).Messages ?? [];
        assert.deepStrictEqual(
            answered.map((m) => [m.MessageId, m.Body, m.Attributes]),
            [
                [
                    id,
                    '{"late":true}',
                    {
                        ApproximateReceiveCount: "1",
                        ApproximateFirstReceiveTimestamp: String(now),
                        SenderId: "AROALOCAL:central-waf-logs-loader",
                        SentTimestamp: String(now),
                    },
                ],
            ],
        );
    });

    it("refuses what SQS refuses, with the SDK's exception names and SQS's texts", async () => {
        const { url } = sqs.createQueue(ACCOUNT, REGION, "limits", { MaximumMessageSize: "1024" });
        const west = loopbackOnly(new SQSClient({ region: "eu-west-1", credentials, endpoint: sqs.url }));
        const cases: Array<[string, () => Promise<unknown>, string, string]> = [
            [
                "unknown queue",
                () => client.send(new ReceiveMessageCommand({ QueueUrl: `${sqs.url}/${ACCOUNT}/nope` })),
                "QueueDoesNotExist",
                "The specified queue does not exist.",
            ],
            [
                "queue of another Region",
                () => west.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" })),
                "QueueDoesNotExist",
                "The specified queue does not exist.",
            ],
            [
                "11 messages",
                () => client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
                "InvalidParameterValue",
                "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
            ],
            [
                "visibility above 12 hours",
                () => client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 43_201 })),
                "InvalidParameterValue",
                "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.",
            ],
            [
                "wait above 20 s",
                () => client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })),
                "InvalidParameterValue",
                "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be between 0 and 20, if provided.",
            ],
            [
                "forged receipt handle",
                () => client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "forged" })),
                "ReceiptHandleIsInvalid",
                'The input receipt handle "forged" is not a valid receipt handle.',
            ],
            [
                "body over MaximumMessageSize",
                () => client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "é".repeat(513) })),
                "InvalidParameterValue",
                "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
            ],
            [
                "a NUL in the body",
                () => client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a\u0000b" })),
                "InvalidMessageContents",
                "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
            ],
            [
                "a lone surrogate in the body",
                () => client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a\uD800" })),
                "InvalidMessageContents",
                "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
            ],
            [
                "empty body",
                () => client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "" })),
                "MissingParameter",
                "The request must contain the parameter MessageBody.",
            ],
            [
                "unknown attribute",
                () => client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["Colour" as any] })),
                "InvalidAttributeName",
                "Unknown Attribute Colour.",
            ],
            [
                "bad queue name",
                () => client.send(new CreateQueueCommand({ QueueName: "no spaces" })),
                "InvalidParameterValue",
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
            ],
            [
                "same name, other attributes",
                () =>
                    client.send(
                        new CreateQueueCommand({ QueueName: "limits", Attributes: { MaximumMessageSize: "2048" } }),
                    ),
                "QueueNameExists",
                "A queue already exists with the same name and a different value for attribute MaximumMessageSize",
            ],
            [
                "attribute out of range",
                () =>
                    client.send(
                        new CreateQueueCommand({ QueueName: "ranges", Attributes: { VisibilityTimeout: "43201" } }),
                    ),
                "InvalidAttributeValue",
                "Invalid value for the parameter VisibilityTimeout.",
            ],
            [
                "an operation the stand-in lacks",
                () =>
                    client.send(
                        new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "1", MessageBody: "x" }] }),
                    ),
                "UnknownOperationException",
                "The stand-in does not implement AmazonSQS.SendMessageBatch.",
            ],
        ];
        const outcomes = [];
        for (const [, call] of cases) {
            const err = await rejection(call());
            outcomes.push([err.name, err.message]);
        }
        assert.deepStrictEqual(
            outcomes,
            cases.map(([, , name, message]) => [name, message]),
        );
        west.destroy();
        assert.deepStrictEqual(sqs.messages(url), []);
        // The exact limit is accepted: 512 two-byte characters are 1024 bytes.
        await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "é".repeat(512) }));
        assert.strictEqual(sqs.messages(url).length, 1);
    });

    it("refuses unsigned requests and requests signed for another service; the seeding API says what is wrong", async () => {
        const target = { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ListQueues" };
        assert.deepStrictEqual(await rawPost(sqs.url, target, "{}"), {
            status: 403,
            body: {
                __type: "com.amazon.coral.service#MissingAuthenticationTokenException",
                message: "Request is missing Authentication Token",
            },
        });
        const foreign = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/${REGION}/lambda/aws4_request, SignedHeaders=host, Signature=00`;
        assert.deepStrictEqual(await rawPost(sqs.url, { ...target, authorization: foreign }, "{}"), {
            status: 403,
            body: {
                __type: "com.amazon.coral.service#InvalidSignatureException",
                message: "Credential should be scoped to correct service: 'sqs'. ",
            },
        });
        sqs.createQueue(ACCOUNT, REGION, "regional");
        assert.throws(
            () => sqs.createQueue(ACCOUNT, "eu-west-1", "regional"),
            /^Error: Queue regional of account 111111111111 already exists in us-east-1; start one SQS stand-in per Region to have it in eu-west-1 too\.$/,
        );
        assert.throws(
            () => sqs.createQueue(ACCOUNT, REGION, "bad/name"),
            /^Error: InvalidParameterValue: Can only include alphanumeric characters, hyphens, or underscores\. 1 to 80 in length$/,
        );
        assert.throws(
            () => sqs.messages(`${sqs.url}/${ACCOUNT}/absent`),
            /^Error: QueueDoesNotExist: The specified queue does not exist\.$/,
        );
        assert.throws(
            () => sqs.urlOf("arn:aws:sqs:us-east-1:111111111111:absent"),
            /^Error: No queue with ARN arn:aws:sqs:us-east-1:111111111111:absent in this SQS stand-in\.$/,
        );
    });
});

describe("Lambda on-failure record", () => {
    it("has the documented shape, keys in Lambda's order, the ARN qualified with the executed version", () => {
        const record = onFailureRecord({
            requestId: "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            functionArn: "arn:aws:lambda:us-east-1:111111111111:function:central-waf-logs-loader",
            approximateInvokeCount: 3,
            requestPayload: { Records: [{ s3: { object: { key: "a+b.gz" } } }] },
            responsePayload: {
                errorType: "Error",
                errorMessage: "Transient: cluster unavailable",
                trace: ["Error: Transient: cluster unavailable"],
            },
            timestamp: new Date(Date.UTC(2026, 10, 27, 18, 16, 5, 568)),
        });
        assert.strictEqual(
            JSON.stringify(record),
            JSON.stringify({
                version: "1.0",
                timestamp: "2026-11-27T18:16:05.568Z",
                requestContext: {
                    requestId: "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                    functionArn: "arn:aws:lambda:us-east-1:111111111111:function:central-waf-logs-loader:$LATEST",
                    condition: "RetriesExhausted",
                    approximateInvokeCount: 3,
                },
                requestPayload: { Records: [{ s3: { object: { key: "a+b.gz" } } }] },
                responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
                responsePayload: {
                    errorType: "Error",
                    errorMessage: "Transient: cluster unavailable",
                    trace: ["Error: Transient: cluster unavailable"],
                },
            }),
        );
    });

    it("reports thrown values as the Node.js runtime does: Errors by name, message and stack; anything else by type", () => {
        const tagged = Object.assign(new Error("line 3 is not a WAF record"), { name: "InvalidRecord" });
        const payload = errorPayload(tagged);
        assert.deepStrictEqual(
            [payload.errorType, payload.errorMessage, payload.trace?.[0]],
            ["InvalidRecord", "line 3 is not a WAF record", "InvalidRecord: line 3 is not a WAF record"],
        );
        assert.deepStrictEqual(errorPayload("plain text"), {
            errorType: "string",
            errorMessage: "plain text",
            trace: [],
        });
        assert.deepStrictEqual(errorPayload(42), { errorType: "number", errorMessage: "42", trace: [] });
        assert.deepStrictEqual(errorPayload(undefined), {
            errorType: "handled",
            errorMessage:
                "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack",
        });
    });
});

/**
 * Lambda code as the deployment archive holds it: a module exporting `handler`. Its module state
 * lives as long as the loaded module, like a warm execution environment's, which lets an event
 * fail its first two attempts and pass the third.
 */
const DEPLOYED_SOURCE = `
let attempts = 0;
exports.handler = async (event) => {
    attempts++;
    const seenBefore = Array.isArray(event.seen) ? event.seen.length : 0;
    event.seen = [...(event.seen || []), "touched"];
    if (event.fail === "always" || (event.fail === "twice" && attempts <= 2)) {
        throw new Error("Transient: cluster unavailable");
    }
    if (event.fail === "hang") await new Promise(() => {});
    return { ok: true, seenBefore, region: process.env.AWS_REGION };
};`;

describe("Lambda stand-in (Invoke, REST-JSON with the unmodified SDK client)", () => {
    let sqs: SqsServer;
    let dlq: string;

    before(async () => {
        sqs = await startSqsServer({ accountId: ACCOUNT });
        dlq = sqs.createQueue(ACCOUNT, REGION, "central-waf-logs-loader-failures").url;
    });
    after(() => sqs.close());

    const deployed = () => loadHandler(DEPLOYED_SOURCE, { AWS_REGION: REGION });

    it("is reached through AWS_ENDPOINT_URL_LAMBDA; a synchronous invoke returns the handler's value with the context Lambda gives", async () => {
        const lambda = await startLambdaServer({ accountId: ACCOUNT, region: REGION });
        let context: LambdaContext | undefined;
        let remaining = -1;
        const arn = lambda.register(
            "central-waf-logs-replay-probe",
            async (event, ctx) => {
                context = ctx;
                remaining = ctx.getRemainingTimeInMillis();
                return { echo: event };
            },
            { timeoutSeconds: 60, memorySize: 256 },
        );
        try {
            const out = await withEnv("AWS_ENDPOINT_URL_LAMBDA", lambda.url, async () => {
                const client = loopbackOnly(new LambdaClient({ region: REGION, credentials }));
                try {
                    return await client.send(
                        new InvokeCommand({
                            FunctionName: "central-waf-logs-replay-probe",
                            Payload: JSON.stringify({ a: [1, "x"] }),
                        }),
                    );
                } finally {
                    client.destroy();
                }
            });
            assert.deepStrictEqual(
                [out.StatusCode, out.FunctionError, out.ExecutedVersion, Buffer.from(out.Payload!).toString()],
                [200, undefined, "$LATEST", '{"echo":{"a":[1,"x"]}}'],
            );
            assert.strictEqual(arn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:central-waf-logs-replay-probe`);
            assert.deepStrictEqual(
                [context?.functionName, context?.invokedFunctionArn, context?.memoryLimitInMB, context?.awsRequestId],
                ["central-waf-logs-replay-probe", arn, "256", lambda.attempts[0].requestId],
            );
            assert.ok(remaining > 0 && remaining <= 60_000, `remaining time ${remaining} within the 60 s timeout`);
            assert.deepStrictEqual(
                lambda.attempts.map((a) => [a.functionName, a.invocationType, a.attempt, a.outcome]),
                [["central-waf-logs-replay-probe", "RequestResponse", 1, "success"]],
            );
        } finally {
            await lambda.close();
        }
    });

    it("answers a throw or a timeout with X-Amz-Function-Error: Unhandled and the runtime's payload, and a log tail on request", async () => {
        const lambda = await startLambdaServer({ accountId: ACCOUNT, region: REGION });
        lambda.register("flaky", deployed());
        lambda.register("slow", deployed(), { timeoutSeconds: 0.05 });
        const client = loopbackOnly(new LambdaClient({ region: REGION, credentials, endpoint: lambda.url }));
        try {
            const failed = await client.send(
                new InvokeCommand({
                    FunctionName: "flaky",
                    Payload: JSON.stringify({ fail: "always" }),
                    LogType: "Tail",
                }),
            );
            const error = JSON.parse(Buffer.from(failed.Payload!).toString());
            assert.deepStrictEqual(
                [failed.StatusCode, failed.FunctionError, error.errorType, error.errorMessage, error.trace[0]],
                [200, "Unhandled", "Error", "Transient: cluster unavailable", "Error: Transient: cluster unavailable"],
            );
            const requestId = lambda.attempts[0].requestId;
            assert.deepStrictEqual(Buffer.from(failed.LogResult!, "base64").toString().split("\n").slice(0, 2), [
                `START RequestId: ${requestId} Version: $LATEST`,
                `END RequestId: ${requestId}`,
            ]);

            const timedOut = await client.send(
                new InvokeCommand({ FunctionName: "slow", Payload: JSON.stringify({ fail: "hang" }) }),
            );
            assert.deepStrictEqual(
                [timedOut.FunctionError, JSON.parse(Buffer.from(timedOut.Payload!).toString())],
                [
                    "Unhandled",
                    {
                        errorType: "Sandbox.Timedout",
                        errorMessage: `RequestId: ${lambda.attempts[1].requestId} Error: Task timed out after 0.05 seconds`,
                    },
                ],
            );
            assert.deepStrictEqual(
                lambda.attempts.map((a) => [a.functionName, a.outcome]),
                [
                    ["flaky", "error"],
                    ["slow", "timeout"],
                ],
            );
        } finally {
            client.destroy();
            await lambda.close();
        }
    });

    it("retries a failing asynchronous invocation twice with the original event, then sends Lambda's on-failure record to the queue", async () => {
        const lambda = await startLambdaServer({
            accountId: ACCOUNT,
            region: REGION,
            sqs,
            onFailure: (name) => (name === "central-waf-logs-loader" ? dlq : undefined),
        });
        const arn = lambda.register("central-waf-logs-loader", deployed());
        const client = loopbackOnly(new LambdaClient({ region: REGION, credentials, endpoint: lambda.url }));
        const sqsClient = loopbackOnly(new SQSClient({ region: REGION, credentials, endpoint: sqs.url }));
        try {
            const event = { Records: [{ s3: { object: { key: "111111111111/us-east-1/x.gz" } } }], fail: "always" };
            const accepted = await client.send(
                new InvokeCommand({ FunctionName: arn, InvocationType: "Event", Payload: JSON.stringify(event) }),
            );
            assert.deepStrictEqual([accepted.StatusCode, accepted.Payload?.length ?? 0], [202, 0]);
            await lambda.settle();

            const requestId = lambda.attempts[0].requestId;
            assert.deepStrictEqual(
                lambda.attempts.map((a) => [a.requestId, a.invocationType, a.attempt, a.outcome]),
                [
                    [requestId, "Event", 1, "error"],
                    [requestId, "Event", 2, "error"],
                    [requestId, "Event", 3, "error"],
                ],
            );
            const received = await sqsClient.send(
                new ReceiveMessageCommand({
                    QueueUrl: dlq,
                    MaxNumberOfMessages: 10,
                    MessageSystemAttributeNames: ["SenderId"],
                }),
            );
            assert.strictEqual(received.Messages?.length, 1);
            assert.strictEqual(received.Messages[0].Attributes?.SenderId, "AROALOCAL:central-waf-logs-loader");
            const record = JSON.parse(received.Messages[0].Body!);
            const lastError = lambda.attempts[2].error!;
            assert.deepStrictEqual(
                record,
                onFailureRecord({
                    requestId,
                    functionArn: arn,
                    approximateInvokeCount: 3,
                    requestPayload: event,
                    responsePayload: lastError,
                    timestamp: new Date(record.timestamp),
                }),
            );
            assert.deepStrictEqual(
                [lastError.errorType, lastError.errorMessage],
                ["Error", "Transient: cluster unavailable"],
            );
            assert.deepStrictEqual(
                lambda.failedEvents.map((f) => [f.functionName, f.queueUrl, f.deliveryError]),
                [["central-waf-logs-loader", dlq, undefined]],
            );
            await sqsClient.send(
                new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: received.Messages[0].ReceiptHandle }),
            );
        } finally {
            client.destroy();
            sqsClient.destroy();
            await lambda.close();
        }
    });

    it("stops retrying once an attempt succeeds; with no retries configured or no destination, the record is sent once or discarded", async () => {
        const onceFailures = sqs.createQueue(ACCOUNT, REGION, "once-failures").url;
        const lambda = await startLambdaServer({
            accountId: ACCOUNT,
            region: REGION,
            sqs,
            onFailure: (name) => (name === "once" ? onceFailures : undefined),
        });
        // Each attempt gets the original event, though the handler mutates the one it receives.
        const seenByRecovers: unknown[] = [];
        const recovers = deployed();
        lambda.register("recovers", async (event) => {
            seenByRecovers.push(structuredClone(event));
            return recovers(event);
        });
        lambda.register("once", deployed(), { maximumRetryAttempts: 0 });
        lambda.register("nowhere", deployed());
        const client = loopbackOnly(new LambdaClient({ region: REGION, credentials, endpoint: lambda.url }));
        try {
            const send = (name: string, fail: string) =>
                client.send(
                    new InvokeCommand({
                        FunctionName: name,
                        InvocationType: "Event",
                        Payload: JSON.stringify({ fail }),
                    }),
                );
            await send("recovers", "twice");
            await send("once", "always");
            await send("nowhere", "always");
            await lambda.settle();
            // Asynchronous invocations interleave; each function's attempts are in order.
            const attemptsOf = (name: string) =>
                lambda.attempts.filter((a) => a.functionName === name).map((a) => `${a.attempt}:${a.outcome}`);
            assert.deepStrictEqual(["recovers", "once", "nowhere"].map(attemptsOf), [
                ["1:error", "2:error", "3:success"],
                ["1:error"],
                ["1:error", "2:error", "3:error"],
            ]);
            assert.deepStrictEqual(seenByRecovers, [{ fail: "twice" }, { fail: "twice" }, { fail: "twice" }]);
            assert.deepStrictEqual(
                lambda.failedEvents
                    .map((f) => [f.functionName, f.record.requestContext.approximateInvokeCount, f.queueUrl])
                    .sort(),
                [
                    ["nowhere", 3, undefined],
                    ["once", 1, onceFailures],
                ],
            );
            assert.deepStrictEqual(
                sqs.messages(onceFailures).map((m) => JSON.parse(m.body).requestContext.functionArn),
                [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:once:$LATEST`],
            );
        } finally {
            client.destroy();
            await lambda.close();
        }
    });

    it("counts a record the queue refuses as a delivery failure, as Lambda's DestinationDeliveryFailures does", async () => {
        const small = sqs.createQueue(ACCOUNT, REGION, "small-destination", { MaximumMessageSize: "1024" }).url;
        const lambda = await startLambdaServer({
            accountId: ACCOUNT,
            region: REGION,
            sqs,
            onFailure: () => small,
            retries: 0,
        });
        lambda.register("big-events", deployed());
        const client = loopbackOnly(new LambdaClient({ region: REGION, credentials, endpoint: lambda.url }));
        try {
            await client.send(
                new InvokeCommand({
                    FunctionName: "big-events",
                    InvocationType: "Event",
                    Payload: JSON.stringify({ fail: "always", padding: "x".repeat(2000) }),
                }),
            );
            await lambda.settle();
            assert.deepStrictEqual(
                lambda.failedEvents.map((f) => [f.queueUrl, f.deliveryError]),
                [
                    [
                        small,
                        "InvalidParameterValue: One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
                    ],
                ],
            );
            assert.deepStrictEqual(sqs.messages(small), []);
        } finally {
            client.destroy();
            await lambda.close();
        }
    });

    it("refuses unknown functions, other versions, bad payloads and oversized events as Lambda does; DryRun runs nothing", async () => {
        const lambda = await startLambdaServer({ accountId: ACCOUNT, region: REGION });
        const arn = lambda.register("central-waf-logs-copier", deployed());
        const client = loopbackOnly(new LambdaClient({ region: REGION, credentials, endpoint: lambda.url }));
        const west = loopbackOnly(new LambdaClient({ region: "eu-west-1", credentials, endpoint: lambda.url }));
        try {
            const invoke = (input: ConstructorParameters<typeof InvokeCommand>[0], via = client) =>
                via.send(new InvokeCommand(input));
            const dry = await invoke({
                FunctionName: "central-waf-logs-copier",
                InvocationType: "DryRun",
                Payload: "{}",
            });
            assert.deepStrictEqual([dry.StatusCode, lambda.attempts.length], [204, 0]);
            for (const name of [
                arn,
                `${ACCOUNT}:function:central-waf-logs-copier`,
                "central-waf-logs-copier:$LATEST",
            ]) {
                const ok = await invoke({ FunctionName: name, Payload: "{}" });
                assert.deepStrictEqual(JSON.parse(Buffer.from(ok.Payload!).toString()), {
                    ok: true,
                    seenBefore: 0,
                    region: REGION,
                });
            }
            const empty = await invoke({ FunctionName: arn });
            assert.strictEqual(
                Buffer.from(empty.Payload!).toString(),
                `{"ok":true,"seenBefore":0,"region":"${REGION}"}`,
            );

            const cases: Array<[() => Promise<unknown>, string, number, string]> = [
                [
                    () => invoke({ FunctionName: "nope" }),
                    "ResourceNotFoundException",
                    404,
                    `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:nope`,
                ],
                [
                    () => invoke({ FunctionName: "central-waf-logs-copier", Qualifier: "7" }),
                    "ResourceNotFoundException",
                    404,
                    `Function not found: ${arn}:7`,
                ],
                [
                    () => invoke({ FunctionName: "central-waf-logs-copier" }, west),
                    "ResourceNotFoundException",
                    404,
                    `Function not found: arn:aws:lambda:eu-west-1:${ACCOUNT}:function:central-waf-logs-copier`,
                ],
                [
                    () => invoke({ FunctionName: "central-waf-logs-copier", Payload: "{not json" }),
                    "InvalidRequestContentException",
                    400,
                    "Could not parse request body into json: Could not parse payload into json: the payload is not valid JSON.",
                ],
                [
                    () =>
                        invoke({
                            FunctionName: "central-waf-logs-copier",
                            InvocationType: "Event",
                            Payload: JSON.stringify({ pad: "x".repeat(1_048_576) }),
                        }),
                    "RequestTooLargeException",
                    413,
                    "Request must be smaller than 1048576 bytes for the InvokeFunction operation",
                ],
                [
                    () => invoke({ FunctionName: "bad name!" }),
                    "ValidationException",
                    400,
                    "1 validation error detected: Value 'bad name!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
                ],
            ];
            const outcomes = [];
            for (const [call] of cases) {
                const err = await rejection(call());
                outcomes.push([err.name, err.$metadata.httpStatusCode, err.message]);
            }
            assert.deepStrictEqual(
                outcomes,
                cases.map(([, name, status, message]) => [name, status, message]),
            );
            assert.strictEqual(lambda.attempts.length, 4, "only the four valid invocations ran");
            assert.throws(
                () => lambda.register("arn:aws:lambda:us-east-1:111111111111:function:x:7", deployed()),
                /^Error: register: "arn:aws:lambda:us-east-1:111111111111:function:x:7" is not a function name or an unqualified function ARN \(arn:aws:lambda:<region>:<account>:function:<name>\)\.$/,
            );
            assert.throws(
                () => lambda.register("x", deployed(), { maximumRetryAttempts: 3 }),
                /^Error: register: maximumRetryAttempts of x must be 0, 1 or 2 \(Lambda's range\), not 3\.$/,
            );
        } finally {
            client.destroy();
            west.destroy();
            await lambda.close();
        }
    });

    it("runs the deployed analytics DDL Lambda behind Invoke against the Athena stand-in, and dead-letters its failure", async () => {
        const run = await committedRun("logging");
        const athena = await startAthenaServer();
        const ddlFailures = sqs.createQueue(ACCOUNT, REGION, "analytics-ddl-failures").url;
        const lambda = await startLambdaServer({
            accountId: ACCOUNT,
            region: REGION,
            sqs,
            onFailure: () => ddlFailures,
            retries: 1,
        });
        const arn = lambda.register(
            ANALYTICS_DDL_FUNCTION,
            await deployedHandler(run, ANALYTICS_DDL_FUNCTION, {
                AWS_REGION: REGION,
                AWS_ENDPOINT_URL_ATHENA: athena.url,
            }),
            { timeoutSeconds: 300 },
        );
        const client = loopbackOnly(new LambdaClient({ region: REGION, credentials, endpoint: lambda.url }));
        try {
            const input = only(run, "aws:lambda/invocation:Invocation", "analytics-ddl-apply").inputs.input;
            const ok = await client.send(new InvokeCommand({ FunctionName: ANALYTICS_DDL_FUNCTION, Payload: input }));
            assert.deepStrictEqual(
                JSON.parse(Buffer.from(ok.Payload!).toString()).map((r: any) => r.state),
                ["SUCCEEDED", "SUCCEEDED"],
            );
            athena.failWhen(/CREATE OR REPLACE VIEW/);
            await client.send(
                new InvokeCommand({ FunctionName: ANALYTICS_DDL_FUNCTION, InvocationType: "Event", Payload: input }),
            );
            await lambda.settle();
            const records = sqs.messages(ddlFailures).map((m) => JSON.parse(m.body));
            assert.deepStrictEqual(
                records.map((r) => [
                    r.requestContext.functionArn,
                    r.requestContext.approximateInvokeCount,
                    r.requestPayload,
                    r.responsePayload.errorMessage,
                ]),
                [
                    [
                        `${arn}:$LATEST`,
                        2,
                        JSON.parse(input), // Two attempts of two statements after the first run's two: the last attempt's view is q-6.
                        "Athena failed query q-6 (CREATE OR REPLACE VIEW waf_logs AS): line 1:8: mismatched input",
                    ],
                ],
            );
        } finally {
            client.destroy();
            await lambda.close();
            await athena.close();
        }
    });
});

describe("Athena stand-in (AWS JSON 1.1 with the unmodified SDK client)", () => {
    const rowsOf = (page: any) => page.ResultSet.Rows.map((r: any) => r.Data.map((d: any) => d.VarCharValue ?? null));

    it("is reached through AWS_ENDPOINT_URL_ATHENA; runs queries with their parameters, reports bytes scanned and answers Athena's ResultSet", async () => {
        const executed: Array<[string, string[]]> = [];
        const athena = await startAthenaServer({
            execute: async (sql, params) => {
                executed.push([sql, params]);
                return {
                    columns: ["client_ip", "requests", "ratio", "country"],
                    rows: [
                        { client_ip: "203.0.113.66", requests: 6000, ratio: 0.5, country: "NL" },
                        { client_ip: "203.0.113.77", requests: 600, ratio: 1, country: null },
                    ],
                    scannedBytes: 7_549_747,
                };
            },
        });
        try {
            await withEnv("AWS_ENDPOINT_URL_ATHENA", athena.url, async () => {
                const client = loopbackOnly(new AthenaClient({ region: REGION, credentials }));
                try {
                    const { QueryExecutionId: id } = await client.send(
                        new StartQueryExecutionCommand({
                            QueryString: "SELECT client_ip, requests FROM burst WHERE hour BETWEEN ? AND ? AND n > ?",
                            WorkGroup: "central-waf-logs",
                            QueryExecutionContext: { Database: "central_waf_logs" },
                            ExecutionParameters: ["'2026/11/27/00'", "'2026/11/27/23'", "500"],
                        }),
                    );
                    const early = await rejection(client.send(new GetQueryResultsCommand({ QueryExecutionId: id })));
                    assert.deepStrictEqual(
                        [early.name, early.message],
                        ["InvalidRequestException", "Query has not yet finished. Current state: RUNNING"],
                    );
                    const states = [];
                    let execution;
                    do {
                        execution = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })))
                            .QueryExecution!;
                        states.push(execution.Status?.State);
                    } while (execution.Status?.State === "RUNNING");
                    assert.deepStrictEqual(states, ["RUNNING", "SUCCEEDED"]);
                    assert.deepStrictEqual(
                        [
                            execution.WorkGroup,
                            execution.ExecutionParameters,
                            execution.StatementType,
                            execution.Statistics?.DataScannedInBytes,
                        ],
                        ["central-waf-logs", ["'2026/11/27/00'", "'2026/11/27/23'", "500"], "DML", 7_549_747],
                    );
                    const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
                    assert.deepStrictEqual(rowsOf(page), [
                        ["client_ip", "requests", "ratio", "country"],
                        ["203.0.113.66", "6000", "0.5", "NL"],
                        ["203.0.113.77", "600", "1", null],
                    ]);
                    assert.deepStrictEqual(page.ResultSet?.Rows?.[2].Data?.[3], {}, "NULL is an empty Datum");
                    assert.deepStrictEqual(
                        page.ResultSet?.ResultSetMetadata?.ColumnInfo?.map((c) => [c.Name, c.Label, c.Type]),
                        [
                            ["client_ip", "client_ip", "varchar"],
                            ["requests", "requests", "bigint"],
                            ["ratio", "ratio", "double"],
                            ["country", "country", "varchar"],
                        ],
                    );
                    assert.strictEqual(page.NextToken, undefined);
                } finally {
                    client.destroy();
                }
            });
            assert.deepStrictEqual(executed, [
                [
                    "SELECT client_ip, requests FROM burst WHERE hour BETWEEN ? AND ? AND n > ?",
                    ["'2026/11/27/00'", "'2026/11/27/23'", "500"],
                ],
            ]);
            assert.deepStrictEqual(
                athena.started.map((q) => [q.id, q.workGroup, q.database, q.executionParameters]),
                [["q-1", "central-waf-logs", "central_waf_logs", ["'2026/11/27/00'", "'2026/11/27/23'", "500"]]],
            );
        } finally {
            await athena.close();
        }
    });

    it("pages results at most 1000 rows at a time, the header row counting in the first page, and refuses bad paging", async () => {
        const rows = Array.from({ length: 2500 }, (_, i) => ({ n: i }));
        const athena = await startAthenaServer({ execute: async () => ({ columns: ["n"], rows }) });
        const client = loopbackOnly(new AthenaClient({ region: REGION, credentials, endpoint: athena.url }));
        try {
            const { QueryExecutionId: id } = await client.send(
                new StartQueryExecutionCommand({ QueryString: "SELECT n FROM t" }),
            );
            while (
                (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status
                    ?.State === "RUNNING"
            );
            const pages: string[][][] = [];
            let token: string | undefined;
            do {
                const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token }));
                pages.push(rowsOf(page));
                token = page.NextToken;
            } while (token);
            assert.deepStrictEqual(
                pages.map((p) => [p.length, p[0][0], p[p.length - 1][0]]),
                [
                    [1000, "n", "998"],
                    [1000, "999", "1998"],
                    [501, "1999", "2499"],
                ],
            );
            const small = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 2 }));
            assert.deepStrictEqual(rowsOf(small), [["n"], ["0"]]);
            const cases: Array<[() => Promise<unknown>, string]> = [
                [
                    () => client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1001 })),
                    "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
                ],
                [
                    () => client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 0 })),
                    "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
                ],
                [
                    () =>
                        client.send(
                            new GetQueryResultsCommand({
                                QueryExecutionId: id,
                                NextToken: Buffer.from("q-9:1000").toString("base64"),
                            }),
                        ),
                    "The NextToken is not valid for this query.",
                ],
                [
                    () => client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: "garbage" })),
                    "The NextToken is not valid for this query.",
                ],
                [
                    () => client.send(new GetQueryResultsCommand({ QueryExecutionId: "q-404" })),
                    "QueryExecution q-404 was not found",
                ],
            ];
            const outcomes = [];
            for (const [call] of cases) {
                const err = await rejection(call());
                outcomes.push([err.name, err.message]);
            }
            assert.deepStrictEqual(
                outcomes,
                cases.map(([, message]) => ["InvalidRequestException", message]),
            );
        } finally {
            client.destroy();
            await athena.close();
        }
    });

    it("fails a query whose execution throws, with the error text as Athena's reason, and keeps ClientRequestToken idempotent", async () => {
        const athena = await startAthenaServer({
            execute: async (sql) => {
                if (sql.includes("missing_table"))
                    throw new Error("Catalog Error: Table with name missing_table does not exist!");
                return { columns: ["x"], rows: [{ x: 1 }] };
            },
        });
        const client = loopbackOnly(new AthenaClient({ region: REGION, credentials, endpoint: athena.url }));
        try {
            const { QueryExecutionId: id } = await client.send(
                new StartQueryExecutionCommand({ QueryString: "SELECT * FROM missing_table" }),
            );
            let status;
            do
                status = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution
                    ?.Status;
            while (status?.State === "RUNNING");
            const reason = "Catalog Error: Table with name missing_table does not exist!";
            assert.deepStrictEqual(
                [status?.State, status?.StateChangeReason, status?.AthenaError?.ErrorMessage],
                ["FAILED", reason, reason],
            );
            const err = await rejection(client.send(new GetQueryResultsCommand({ QueryExecutionId: id })));
            assert.deepStrictEqual([err.name, err.message], ["InvalidRequestException", reason]);

            const first = await client.send(
                new StartQueryExecutionCommand({
                    QueryString: "SELECT 1",
                    ClientRequestToken: "detector-2026-11-27T12:05",
                }),
            );
            const again = await client.send(
                new StartQueryExecutionCommand({
                    QueryString: "SELECT 1",
                    ClientRequestToken: "detector-2026-11-27T12:05",
                }),
            );
            assert.strictEqual(again.QueryExecutionId, first.QueryExecutionId);
            const clash = await rejection(
                client.send(
                    new StartQueryExecutionCommand({
                        QueryString: "SELECT 2",
                        ClientRequestToken: "detector-2026-11-27T12:05",
                    }),
                ),
            );
            assert.deepStrictEqual(
                [clash.name, clash.message],
                ["InvalidRequestException", "Idempotent parameters do not match"],
            );
            assert.deepStrictEqual(
                athena.started.map((q) => q.sql),
                ["SELECT * FROM missing_table", "SELECT 1"],
            );
        } finally {
            client.destroy();
            await athena.close();
        }
    });

    it("keeps the DDL behaviour without execute: RUNNING once, then SUCCEEDED with no rows, or FAILED on failWhen", async () => {
        const athena = await startAthenaServer();
        const client = loopbackOnly(new AthenaClient({ region: REGION, credentials, endpoint: athena.url }));
        try {
            const poll = async (id?: string) => {
                const states = [];
                for (let i = 0; i < 2; i++) {
                    const status = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })))
                        .QueryExecution?.Status;
                    states.push([status?.State, status?.StateChangeReason]);
                }
                return states;
            };
            const ddl = await client.send(
                new StartQueryExecutionCommand({ QueryString: "CREATE TABLE x (a int)", WorkGroup: "wg" }),
            );
            assert.deepStrictEqual(await poll(ddl.QueryExecutionId), [
                ["RUNNING", undefined],
                ["SUCCEEDED", undefined],
            ]);
            const results = await client.send(new GetQueryResultsCommand({ QueryExecutionId: ddl.QueryExecutionId }));
            assert.deepStrictEqual(
                [results.ResultSet?.Rows, results.ResultSet?.ResultSetMetadata?.ColumnInfo],
                [[], []],
            );
            athena.failWhen(/VIEW/);
            const view = await client.send(
                new StartQueryExecutionCommand({ QueryString: "CREATE OR REPLACE VIEW v AS SELECT 1" }),
            );
            assert.deepStrictEqual(await poll(view.QueryExecutionId), [
                ["RUNNING", undefined],
                ["FAILED", "line 1:8: mismatched input"],
            ]);
            assert.deepStrictEqual(
                athena.started.map((q) => [q.id, q.workGroup]),
                [
                    ["q-1", "wg"],
                    ["q-2", undefined],
                ],
            );
            const foreign = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/${REGION}/sqs/aws4_request, SignedHeaders=host, Signature=00`;
            const refused = await rawPost(
                athena.url,
                { "x-amz-target": "AmazonAthena.GetQueryExecution", authorization: foreign },
                "{}",
            );
            assert.deepStrictEqual(refused, {
                status: 403,
                body: {
                    __type: "InvalidSignatureException",
                    message: "Credential should be scoped to correct service: 'athena'. ",
                },
            });
        } finally {
            client.destroy();
            await athena.close();
        }
    });

    it("runs on a real engine: DuckDB answering Athena's string parameters", async () => {
        const instance = await DuckDBInstance.create(":memory:");
        const connection = await instance.connect();
        const athena = await startAthenaServer({
            execute: async (sql, params) => {
                const reader = await connection.runAndReadAll(sql, params);
                const rows = reader.getRowObjectsJson() as Record<string, string | number | null>[];
                return { columns: reader.columnNames(), rows };
            },
        });
        const client = loopbackOnly(new AthenaClient({ region: REGION, credentials, endpoint: athena.url }));
        try {
            const { QueryExecutionId: id } = await client.send(
                new StartQueryExecutionCommand({
                    QueryString:
                        "SELECT ip, requests FROM (SELECT ip, count(*) AS requests FROM (VALUES ('203.0.113.66'), ('203.0.113.66'), ('198.51.100.1')) t(ip) GROUP BY ip) WHERE requests >= CAST(? AS INTEGER) ORDER BY ip",
                    ExecutionParameters: ["2"],
                }),
            );
            while (
                (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status
                    ?.State === "RUNNING"
            );
            const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
            assert.deepStrictEqual(rowsOf(page), [
                ["ip", "requests"],
                ["203.0.113.66", "2"],
            ]);
        } finally {
            client.destroy();
            await athena.close();
            connection.closeSync();
        }
    });
});
