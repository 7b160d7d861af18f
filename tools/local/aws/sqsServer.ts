/**
 * A loopback SQS speaking the AWS JSON 1.0 protocol the current SDK uses (`X-Amz-Target:
 * AmazonSQS.<Operation>`, errors as `__type` plus the `x-amzn-query-error` header the SDK maps to
 * its exception classes), so replay code runs unchanged against it and against AWS. Standard
 * queues only: visibility timeouts, redelivery with a new receipt handle, receive counts, delays,
 * retention, long polling (capped), and the size and character limits of a message body.
 *
 * Also the record Lambda's on-failure destination sends for an asynchronous invocation, so tests
 * and the local run can dead-letter an event exactly as Lambda would.
 */
import { createHash, randomBytes, randomUUID } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";

/** Queue attributes the stand-in understands, with SQS's defaults and valid ranges. */
const NUMERIC_ATTRIBUTES: Record<string, { default: number; min: number; max: number }> = {
    VisibilityTimeout: { default: 30, min: 0, max: 43_200 },
    MessageRetentionPeriod: { default: 345_600, min: 60, max: 1_209_600 },
    DelaySeconds: { default: 0, min: 0, max: 900 },
    MaximumMessageSize: { default: 262_144, min: 1_024, max: 1_048_576 },
    ReceiveMessageWaitTimeSeconds: { default: 0, min: 0, max: 20 },
};
/** Settable attributes stored as given (policies, keys): accepted, never interpreted here. */
const OPAQUE_ATTRIBUTES = new Set([
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
]);
const QUEUE_ATTRIBUTES = [
    ...Object.keys(NUMERIC_ATTRIBUTES),
    ...OPAQUE_ATTRIBUTES,
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
];
const MESSAGE_SYSTEM_ATTRIBUTES = [
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SenderId",
    "SentTimestamp",
];
/** The characters SQS accepts in a body (the W3C XML set); anything else is InvalidMessageContents. */
const INVALID_BODY_CHARACTER = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const RECEIPT_HANDLE = /^[A-Za-z0-9_-]+\.\d+\.[0-9a-f]{16}$/;

export interface SqsServerOptions {
    /**
     * The account every API caller acts as (CreateQueue and GetQueueUrl without an owner resolve
     * queues in it). Default "000000000000". Queues of other accounts are seeded with `createQueue`.
     */
    readonly accountId?: string;
    /** Milliseconds since the epoch, for visibility, delays and retention. Default `Date.now`. */
    readonly clock?: () => number;
    /**
     * Longest a long poll really waits, in seconds, whatever `WaitTimeSeconds` asks (up to 20 in
     * SQS), so an idle test or local run never hangs. Default 1.
     */
    readonly maxWaitSeconds?: number;
}

/** One message as the stand-in holds it, for assertions. */
export interface QueuedMessage {
    readonly messageId: string;
    readonly body: string;
    readonly receiveCount: number;
    /** Sent (and past its delay), not received or its visibility timeout has run out. */
    readonly visible: boolean;
    readonly sentTimestamp: number;
}

export interface SqsServer {
    readonly url: string;
    /** Creates (or finds, if its attributes match) a queue; the URL is `<url>/<account>/<name>`. */
    createQueue(
        accountId: string,
        region: string,
        name: string,
        attributes?: Record<string, string>,
    ): { url: string; arn: string };
    /** The URL of the queue with this ARN, as a destination configuration names queues by ARN. */
    urlOf(queueArn: string): string;
    /**
     * Sends as an AWS service would (Lambda's destination delivery), returning the message ID;
     * SQS's limits apply. `senderId` is what `SenderId` reports (default "AWS-service").
     */
    sendMessage(queueUrl: string, body: string, senderId?: string): string;
    /** Every message still in the queue, in send order. */
    messages(queueUrl: string): QueuedMessage[];
    /** Resolves once a long poll is waiting on the queue (to send into it deterministically). */
    whenPolling(queueUrl: string): Promise<void>;
    /** Operations received, in order (`CreateQueue`, `ReceiveMessage`...). */
    readonly calls: string[];
    close(): Promise<void>;
}

/** Region, access key and service of a SigV4 `Authorization` header, or undefined when absent. */
export function signingScope(
    authorization: string | undefined,
): { accessKeyId: string; region: string; service: string } | undefined {
    const m = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? "");
    return m ? { accessKeyId: m[1], region: m[2], service: m[3] } : undefined;
}

/** Lambda's answer when an invocation fails: the Node.js runtime's shape, or Lambda's own. */
export interface FunctionErrorPayload {
    readonly errorType?: string;
    readonly errorMessage: string;
    readonly trace?: string[];
}

/** The invocation record Lambda sends to an on-failure destination (an SQS message body). */
export interface AsyncInvocationRecord {
    readonly version: "1.0";
    readonly timestamp: string;
    readonly requestContext: {
        readonly requestId: string;
        readonly functionArn: string;
        readonly condition: "RetriesExhausted" | "EventAgeExceeded";
        readonly approximateInvokeCount: number;
    };
    readonly requestPayload: unknown;
    readonly responseContext: {
        readonly statusCode: number;
        readonly executedVersion: string;
        readonly functionError: "Unhandled";
    };
    readonly responsePayload: FunctionErrorPayload;
}

export interface OnFailureRecordArgs {
    /** The invocation's request ID (the same for every retry of an asynchronous invocation). */
    readonly requestId: string;
    /** The function's unqualified ARN; the record names the version invoked (`:$LATEST`). */
    readonly functionArn: string;
    /** Attempts made: 1 + the retries (3 with Lambda's default of 2 retries). */
    readonly approximateInvokeCount: number;
    /** The original event, exactly as the function received it. */
    readonly requestPayload: unknown;
    /** The last attempt's error, as the runtime reported it. */
    readonly responsePayload: FunctionErrorPayload;
    /** When Lambda gave up. */
    readonly timestamp: Date;
    /** Default "RetriesExhausted"; "EventAgeExceeded" when the event outlived its maximum age. */
    readonly condition?: "RetriesExhausted" | "EventAgeExceeded";
    /** Default "$LATEST". */
    readonly executedVersion?: string;
}

/**
 * The record Lambda's on-failure destination receives for an asynchronous invocation whose
 * attempts all failed (documented in "Capturing records of Lambda asynchronous invocations"):
 * keys in Lambda's order, the function ARN qualified with the executed version.
 */
export function onFailureRecord(args: OnFailureRecordArgs): AsyncInvocationRecord {
    const executedVersion = args.executedVersion ?? "$LATEST";
    return {
        version: "1.0",
        timestamp: args.timestamp.toISOString(),
        requestContext: {
            requestId: args.requestId,
            functionArn: `${args.functionArn}:${executedVersion}`,
            condition: args.condition ?? "RetriesExhausted",
            approximateInvokeCount: args.approximateInvokeCount,
        },
        requestPayload: args.requestPayload,
        responseContext: { statusCode: 200, executedVersion, functionError: "Unhandled" },
        responsePayload: args.responsePayload,
    };
}

interface StoredMessage {
    readonly messageId: string;
    readonly body: string;
    readonly md5: string;
    readonly sentAt: number;
    readonly senderId: string;
    readonly messageAttributes?: Record<string, unknown>;
    visibleAt: number;
    receiveCount: number;
    firstReceivedAt?: number;
    /** Only the latest receipt handle deletes or changes visibility, as in SQS. */
    receiptHandle?: string;
    inFlight: boolean;
}

interface Queue {
    readonly key: string;
    readonly url: string;
    readonly arn: string;
    readonly accountId: string;
    readonly region: string;
    readonly name: string;
    readonly attributes: Record<string, string>;
    readonly createdAt: number;
    readonly messages: StoredMessage[];
    readonly waiters: Set<() => void>;
    readonly pollWatchers: Array<() => void>;
}

/** An SQS error: the modeled shape, the query-compatible code the SDK maps, status and text. */
class SqsFault {
    constructor(
        readonly status: number,
        readonly shape: string,
        readonly queryCode: string,
        readonly message: string,
    ) {}
}

const faults = {
    noQueue: () =>
        new SqsFault(
            400,
            "QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
            "The specified queue does not exist.",
        ),
    badHandle: (handle: string) =>
        new SqsFault(
            404,
            "ReceiptHandleIsInvalid",
            "ReceiptHandleIsInvalid",
            `The input receipt handle "${handle}" is not a valid receipt handle.`,
        ),
    notInFlight: () =>
        new SqsFault(
            400,
            "MessageNotInflight",
            "AWS.SimpleQueueService.MessageNotInflight",
            "The message referred to isn't in flight.",
        ),
    invalidValue: (message: string) => new SqsFault(400, "InvalidParameterValue", "InvalidParameterValue", message),
    missing: (parameter: string) =>
        new SqsFault(
            400,
            "MissingParameter",
            "MissingParameter",
            `The request must contain the parameter ${parameter}.`,
        ),
    attributeName: (name: string) =>
        new SqsFault(400, "InvalidAttributeName", "InvalidAttributeName", `Unknown Attribute ${name}.`),
    attributeValue: (name: string) =>
        new SqsFault(400, "InvalidAttributeValue", "InvalidAttributeValue", `Invalid value for the parameter ${name}.`),
    contents: () =>
        new SqsFault(
            400,
            "InvalidMessageContents",
            "InvalidMessageContents",
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        ),
    nameExists: (attribute: string) =>
        new SqsFault(
            400,
            "QueueNameExists",
            "QueueAlreadyExists",
            `A queue already exists with the same name and a different value for attribute ${attribute}`,
        ),
};

function md5(text: string): string {
    return createHash("md5").update(text, "utf8").digest("hex");
}

/** `value` as an integer within [min, max], or the SQS error naming the parameter. */
function boundedInteger(parameter: string, value: unknown, min: number, max: number): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw faults.invalidValue(
            `Value ${String(value)} for parameter ${parameter} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
        );
    }
    return value;
}

export async function startSqsServer(options: SqsServerOptions = {}): Promise<SqsServer> {
    const callerAccount = options.accountId ?? "000000000000";
    const now = options.clock ?? Date.now;
    const maxWaitMs = (options.maxWaitSeconds ?? 1) * 1000;
    const queues = new Map<string, Queue>();
    const handles = new Map<string, { queue: Queue; message: StoredMessage }>();
    const calls: string[] = [];
    let receipts = 0;
    let closing = false;
    let baseUrl = "";

    const keyOfUrl = (queueUrl: string): string | undefined => {
        try {
            const parts = new URL(queueUrl).pathname.split("/").filter(Boolean);
            return parts.length === 2 ? `${parts[0]}/${parts[1]}` : undefined;
        } catch {
            return undefined;
        }
    };
    const queueOf = (queueUrl: unknown, region?: string): Queue => {
        if (typeof queueUrl !== "string" || queueUrl === "") throw faults.missing("QueueUrl");
        const queue = queues.get(keyOfUrl(queueUrl) ?? "");
        // A queue lives in one Region: a client configured for another Region does not see it.
        if (!queue || (region !== undefined && queue.region !== region)) throw faults.noQueue();
        return queue;
    };

    const attributeNumber = (queue: Queue, name: string) => Number(queue.attributes[name]);
    const expire = (queue: Queue) => {
        const oldest = now() - attributeNumber(queue, "MessageRetentionPeriod") * 1000;
        for (let i = queue.messages.length - 1; i >= 0; i--) {
            if (queue.messages[i].sentAt < oldest) forget(queue, i);
        }
    };
    const forget = (queue: Queue, index: number) => {
        const [message] = queue.messages.splice(index, 1);
        for (const [handle, entry] of handles) if (entry.message === message) handles.delete(handle);
    };
    const isVisible = (m: StoredMessage) => m.visibleAt <= now();
    const wake = (queue: Queue) => {
        for (const waiter of [...queue.waiters]) waiter();
    };

    const validatedAttributes = (given: Record<string, string> | undefined): Record<string, string> => {
        const attributes: Record<string, string> = {};
        for (const [name, spec] of Object.entries(NUMERIC_ATTRIBUTES)) attributes[name] = String(spec.default);
        for (const [name, value] of Object.entries(given ?? {})) {
            const spec = NUMERIC_ATTRIBUTES[name];
            if (spec) {
                const n = Number(value);
                if (!/^\d+$/.test(String(value)) || n < spec.min || n > spec.max) throw faults.attributeValue(name);
                attributes[name] = String(n);
            } else if (name === "FifoQueue" || name === "ContentBasedDeduplication") {
                throw faults.invalidValue(`${name}: this stand-in has standard queues only.`);
            } else if (OPAQUE_ATTRIBUTES.has(name)) {
                attributes[name] = String(value);
            } else {
                throw faults.attributeName(name);
            }
        }
        return attributes;
    };

    const create = (
        accountId: string,
        region: string,
        name: string,
        given: Record<string, string> | undefined,
    ): Queue => {
        if (!QUEUE_NAME.test(name)) {
            throw faults.invalidValue(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
            );
        }
        const attributes = validatedAttributes(given);
        const key = `${accountId}/${name}`;
        const existing = queues.get(key);
        if (existing) {
            if (existing.region !== region) {
                // Queue URLs here carry no Region (one port stands in for every endpoint).
                throw new Error(
                    `Queue ${name} of account ${accountId} already exists in ${existing.region}; start one SQS stand-in per Region to have it in ${region} too.`,
                );
            }
            for (const [attribute, value] of Object.entries(attributes)) {
                if (existing.attributes[attribute] !== value) throw faults.nameExists(attribute);
            }
            return existing;
        }
        const queue: Queue = {
            key,
            url: `${baseUrl}/${key}`,
            arn: `arn:aws:sqs:${region}:${accountId}:${name}`,
            accountId,
            region,
            name,
            attributes,
            createdAt: now(),
            messages: [],
            waiters: new Set(),
            pollWatchers: [],
        };
        queues.set(key, queue);
        return queue;
    };

    const send = (
        queue: Queue,
        body: unknown,
        delaySeconds: unknown,
        senderId: string,
        messageAttributes?: Record<string, unknown>,
    ): StoredMessage => {
        if (typeof body !== "string" || body === "") throw faults.missing("MessageBody");
        const limit = attributeNumber(queue, "MaximumMessageSize");
        if (Buffer.byteLength(body, "utf8") > limit) {
            throw faults.invalidValue(
                `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
            );
        }
        if (INVALID_BODY_CHARACTER.test(body)) throw faults.contents();
        const delay =
            delaySeconds === undefined
                ? attributeNumber(queue, "DelaySeconds")
                : boundedInteger("DelaySeconds", delaySeconds, 0, 900);
        const message: StoredMessage = {
            messageId: randomUUID(),
            body,
            md5: md5(body),
            sentAt: now(),
            senderId,
            messageAttributes,
            visibleAt: now() + delay * 1000,
            receiveCount: 0,
            inFlight: false,
        };
        queue.messages.push(message);
        wake(queue);
        return message;
    };

    const receiveNow = (queue: Queue, max: number, visibilitySeconds: number): StoredMessage[] => {
        expire(queue);
        const taken = queue.messages.filter(isVisible).slice(0, max);
        for (const message of taken) {
            message.receiveCount++;
            message.firstReceivedAt ??= now();
            message.visibleAt = now() + visibilitySeconds * 1000;
            message.inFlight = true;
            const handle = `${Buffer.from(message.messageId).toString("base64url")}.${++receipts}.${randomBytes(8).toString("hex")}`;
            message.receiptHandle = handle;
            handles.set(handle, { queue, message });
        }
        return taken;
    };

    /** The message a receipt handle names, or the SQS error for a malformed or foreign one. */
    const byHandle = (queue: Queue, handle: unknown) => {
        if (typeof handle !== "string" || handle === "") throw faults.missing("ReceiptHandle");
        const entry = handles.get(handle);
        if (!RECEIPT_HANDLE.test(handle) || (entry && entry.queue !== queue)) throw faults.badHandle(handle);
        return entry;
    };

    const wantedNames = (requested: unknown, known: readonly string[]): string[] => {
        const names = Array.isArray(requested) ? requested.map(String) : [];
        if (names.includes("All")) return [...known];
        for (const name of names) if (!known.includes(name)) throw faults.attributeName(name);
        return names;
    };

    const messageAttributesFor = (message: StoredMessage, requested: unknown) => {
        const names = Array.isArray(requested) ? requested.map(String) : [];
        if (!message.messageAttributes || names.length === 0) return undefined;
        const all = names.includes("All") || names.includes(".*");
        const picked = Object.entries(message.messageAttributes).filter(
            ([name]) => all || names.some((n) => n === name || (n.endsWith(".*") && name.startsWith(n.slice(0, -1)))),
        );
        return picked.length ? Object.fromEntries(picked) : undefined;
    };

    const systemAttributes = (message: StoredMessage, names: string[]): Record<string, string> | undefined => {
        if (!names.length) return undefined;
        const values: Record<string, string> = {
            ApproximateReceiveCount: String(message.receiveCount),
            ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
            SenderId: message.senderId,
            SentTimestamp: String(message.sentAt),
        };
        return Object.fromEntries(names.map((n) => [n, values[n]]));
    };

    const queueAttributes = (queue: Queue, names: string[]): Record<string, string> => {
        expire(queue);
        const visible = queue.messages.filter((m) => isVisible(m)).length;
        const inFlight = queue.messages.filter((m) => !isVisible(m) && m.inFlight).length;
        const delayed = queue.messages.filter((m) => !isVisible(m) && !m.inFlight).length;
        const computed: Record<string, string> = {
            QueueArn: queue.arn,
            ApproximateNumberOfMessages: String(visible),
            ApproximateNumberOfMessagesNotVisible: String(inFlight),
            ApproximateNumberOfMessagesDelayed: String(delayed),
            CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
            LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1000)),
        };
        // Attributes never set (a queue without a policy) are left out, as SQS leaves them out.
        const entries = names.map((n) => [n, computed[n] ?? queue.attributes[n]]);
        return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
    };

    const longPoll = (queue: Queue, waitMs: number): Promise<void> =>
        new Promise((resolve) => {
            const done = () => {
                clearTimeout(timer);
                queue.waiters.delete(done);
                resolve();
            };
            const timer = setTimeout(done, waitMs);
            queue.waiters.add(done);
            for (const notify of queue.pollWatchers.splice(0)) notify();
        });

    type Body = Record<string, any>;
    type Operation = (body: Body, region: string, sender: string) => Promise<unknown> | unknown;
    const operations: Record<string, Operation> = {
        CreateQueue(body, region) {
            if (typeof body.QueueName !== "string") throw faults.missing("QueueName");
            return { QueueUrl: create(callerAccount, region, body.QueueName, body.Attributes).url };
        },
        GetQueueUrl(body, region) {
            if (typeof body.QueueName !== "string") throw faults.missing("QueueName");
            const queue = queues.get(`${body.QueueOwnerAWSAccountId ?? callerAccount}/${body.QueueName}`);
            if (!queue || queue.region !== region) throw faults.noQueue();
            return { QueueUrl: queue.url };
        },
        GetQueueAttributes(body, region) {
            const queue = queueOf(body.QueueUrl, region);
            const attributes = queueAttributes(queue, wantedNames(body.AttributeNames, QUEUE_ATTRIBUTES));
            return Object.keys(attributes).length ? { Attributes: attributes } : {};
        },
        SendMessage(body, region, sender) {
            const queue = queueOf(body.QueueUrl, region);
            const message = send(queue, body.MessageBody, body.DelaySeconds, sender, body.MessageAttributes);
            return { MessageId: message.messageId, MD5OfMessageBody: message.md5 };
        },
        async ReceiveMessage(body, region) {
            const queue = queueOf(body.QueueUrl, region);
            const max =
                body.MaxNumberOfMessages === undefined
                    ? 1
                    : boundedInteger("MaxNumberOfMessages", body.MaxNumberOfMessages, 1, 10);
            const visibility =
                body.VisibilityTimeout === undefined
                    ? attributeNumber(queue, "VisibilityTimeout")
                    : boundedInteger("VisibilityTimeout", body.VisibilityTimeout, 0, 43_200);
            const wait =
                body.WaitTimeSeconds === undefined
                    ? attributeNumber(queue, "ReceiveMessageWaitTimeSeconds")
                    : boundedInteger("WaitTimeSeconds", body.WaitTimeSeconds, 0, 20);
            const names = wantedNames(
                [...(body.AttributeNames ?? []), ...(body.MessageSystemAttributeNames ?? [])],
                MESSAGE_SYSTEM_ATTRIBUTES,
            );
            let taken = receiveNow(queue, max, visibility);
            const deadline = Date.now() + Math.min(wait * 1000, maxWaitMs);
            while (!taken.length && !closing && Date.now() < deadline) {
                await longPoll(queue, deadline - Date.now());
                taken = receiveNow(queue, max, visibility);
            }
            if (!taken.length) return {};
            return {
                Messages: taken.map((m) => ({
                    MessageId: m.messageId,
                    ReceiptHandle: m.receiptHandle,
                    MD5OfBody: m.md5,
                    Body: m.body,
                    Attributes: systemAttributes(m, names),
                    MessageAttributes: messageAttributesFor(m, body.MessageAttributeNames),
                })),
            };
        },
        DeleteMessage(body, region) {
            const queue = queueOf(body.QueueUrl, region);
            const entry = byHandle(queue, body.ReceiptHandle);
            // A stale handle (the message was received again since) succeeds without deleting, as
            // SQS documents; a handle of a message already deleted succeeds too.
            if (entry && entry.message.receiptHandle === body.ReceiptHandle) {
                const index = queue.messages.indexOf(entry.message);
                if (index >= 0) forget(queue, index);
            }
            return {};
        },
        ChangeMessageVisibility(body, region) {
            const queue = queueOf(body.QueueUrl, region);
            const entry = byHandle(queue, body.ReceiptHandle);
            const seconds = boundedInteger("VisibilityTimeout", body.VisibilityTimeout, 0, 43_200);
            if (
                !entry ||
                entry.message.receiptHandle !== body.ReceiptHandle ||
                !queue.messages.includes(entry.message)
            ) {
                throw faults.invalidValue(
                    `Value ${body.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
                );
            }
            if (isVisible(entry.message)) throw faults.notInFlight();
            entry.message.visibleAt = now() + seconds * 1000;
            if (seconds === 0) wake(queue);
            return {};
        },
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
                res.writeHead(status, {
                    "content-type": "application/x-amz-json-1.0",
                    "x-amzn-requestid": randomUUID(),
                    ...headers,
                });
                res.end(JSON.stringify(payload));
            };
            const coralError = (status: number, type: string, message: string) =>
                reply(status, { __type: `com.amazon.coral.service#${type}`, message });
            const target = String(req.headers["x-amz-target"] ?? "");
            const operation = target.startsWith("AmazonSQS.") ? target.slice("AmazonSQS.".length) : "";
            calls.push(operation || target);
            const scope = signingScope(req.headers.authorization);
            if (!scope)
                return coralError(
                    403,
                    "MissingAuthenticationTokenException",
                    "Request is missing Authentication Token",
                );
            if (scope.service !== "sqs") {
                return coralError(
                    403,
                    "InvalidSignatureException",
                    "Credential should be scoped to correct service: 'sqs'. ",
                );
            }
            const handler = operations[operation];
            if (!handler)
                return coralError(
                    400,
                    "UnknownOperationException",
                    `The stand-in does not implement ${target || "(no X-Amz-Target)"}.`,
                );
            let body: Body;
            try {
                body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
            } catch {
                return coralError(400, "SerializationException", "The request body is not JSON.");
            }
            Promise.resolve()
                .then(() => handler(body, scope.region, scope.accessKeyId))
                .then(
                    (result) => reply(200, result),
                    (err) => {
                        if (!(err instanceof SqsFault)) {
                            return coralError(500, "InternalFailure", String(err?.message ?? err));
                        }
                        reply(
                            err.status,
                            { __type: `com.amazonaws.sqs#${err.shape}`, message: err.message },
                            { "x-amzn-query-error": `${err.queryCode};Sender` },
                        );
                    },
                );
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    /** Programmatic calls fail with a plain Error carrying SQS's error text. */
    const direct = <T>(run: () => T): T => {
        try {
            return run();
        } catch (err) {
            if (err instanceof SqsFault) throw new Error(`${err.shape}: ${err.message}`, { cause: err });
            throw err;
        }
    };

    return {
        url: baseUrl,
        calls,
        createQueue(accountId, region, name, attributes) {
            const queue = direct(() => create(accountId, region, name, attributes));
            return { url: queue.url, arn: queue.arn };
        },
        urlOf(queueArn) {
            const queue = [...queues.values()].find((q) => q.arn === queueArn);
            if (!queue) throw new Error(`No queue with ARN ${queueArn} in this SQS stand-in.`);
            return queue.url;
        },
        sendMessage(queueUrl, body, senderId = "AWS-service") {
            return direct(() => send(queueOf(queueUrl), body, undefined, senderId)).messageId;
        },
        messages(queueUrl) {
            const queue = direct(() => queueOf(queueUrl));
            expire(queue);
            return queue.messages.map((m) => ({
                messageId: m.messageId,
                body: m.body,
                receiveCount: m.receiveCount,
                visible: isVisible(m),
                sentTimestamp: m.sentAt,
            }));
        },
        whenPolling(queueUrl) {
            const queue = direct(() => queueOf(queueUrl));
            if (queue.waiters.size) return Promise.resolve();
            return new Promise((resolve) => queue.pollWatchers.push(resolve));
        },
        close: () =>
            new Promise((resolve) => {
                closing = true;
                for (const queue of queues.values()) wake(queue);
                server.close(() => resolve());
            }),
    };
}
