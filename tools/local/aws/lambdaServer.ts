/**
 * A loopback Lambda Invoke API (REST-JSON, `POST /2015-03-31/functions/{FunctionName}/invocations`)
 * running registered handlers, typically the deployed `__index.js` loaded by tools/local/deployedCode.ts,
 * so replay code invokes them with the unmodified SDK client. Synchronous invocations answer as
 * Lambda does (200, `X-Amz-Function-Error: Unhandled` and the runtime's error payload on a throw
 * or timeout); asynchronous ones answer 202, run in the background, are retried like Lambda's
 * event queue retries them, and end as the on-failure record in an SQS stand-in queue.
 */
import { randomUUID } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { types } from "util";
import { FunctionErrorPayload, SqsServer, onFailureRecord, signingScope } from "./sqsServer";
import { Caller, ResolveCaller, authenticate } from "./stsServer";

/** The Lambda context object a Node.js handler receives (the members our handlers may read). */
export interface LambdaContext {
    readonly functionName: string;
    readonly functionVersion: string;
    readonly invokedFunctionArn: string;
    readonly memoryLimitInMB: string;
    readonly awsRequestId: string;
    readonly logGroupName: string;
    readonly logStreamName: string;
    callbackWaitsForEmptyEventLoop: boolean;
    /** Milliseconds left before the function's timeout, counted from the attempt's start. */
    getRemainingTimeInMillis(): number;
}

export type LambdaHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/** Per-function settings, as the function's configuration would set them. */
export interface FunctionSettings {
    /**
     * The function timeout in seconds. Default 3, Lambda's default. Lambda takes whole seconds
     * from 1 to 900; fractions are allowed here so a test of a timeout stays fast.
     */
    readonly timeoutSeconds?: number;
    /** MaximumRetryAttempts of its asynchronous invocation configuration, 0-2. Default: the server's `retries`. */
    readonly maximumRetryAttempts?: number;
    /** Reported as `context.memoryLimitInMB`. Default 128. */
    readonly memorySize?: number;
    /**
     * Serve a function URL with AWS_IAM auth (`<server>/function-urls/<name>/`, as
     * GetFunctionUrlConfig reports it): signed requests become payload-2.0 events naming the
     * authenticated caller in `requestContext.authorizer.iam`. Default: no URL.
     */
    readonly functionUrl?: boolean;
}

/** What an IAM decision of the stand-in is about ("Control access to Lambda function URLs"). */
export interface LambdaRequestContext {
    /** `lambda:InvokeFunction`, `lambda:InvokeFunctionUrl` or `lambda:GetFunctionUrlConfig`. */
    readonly action: string;
    /** Condition key lambda:InvokedViaFunctionUrl: the invocation came through the function URL. */
    readonly invokedViaFunctionUrl: boolean;
    /** Condition key lambda:FunctionUrlAuthType, for function URL requests. */
    readonly functionUrlAuthType?: "AWS_IAM";
}

export interface LambdaServerOptions {
    /** The account of functions registered by name and of callers invoking by name. Default "000000000000". */
    readonly accountId?: string;
    /** The Region of functions registered by name. Default "us-east-1". */
    readonly region?: string;
    /** Retries after a failed asynchronous attempt, Lambda's default being 2. */
    readonly retries?: number;
    /**
     * Milliseconds to wait before each retry. Lambda waits about 1 minute, then 2; default 0 so a
     * test or local run does not wait minutes. The last value repeats if there are more retries.
     */
    readonly retryDelaysMs?: readonly number[];
    /** Where on-failure records go: the SQS stand-in that holds the destination queues. */
    readonly sqs?: SqsServer;
    /** The on-failure destination (a queue URL of `sqs`) of a function, or undefined for none. */
    readonly onFailure?: (functionName: string) => string | undefined;
    /**
     * What GetAccountSettings reports: the account's concurrency quota (default 1000, Lambda's usual
     * quota; new accounts have 10) and the concurrency already reserved by functions (default 0).
     */
    readonly concurrency?: { readonly limit: number; readonly reserved?: number };
    /**
     * IAM, in one function: may `caller` do `request.action` on `functionArn`? False answers
     * AccessDeniedException, as Lambda does. Needs `resolveCaller`. Default: every signer may.
     * A function URL needs both lambda:InvokeFunctionUrl and lambda:InvokeFunction (with
     * lambda:InvokedViaFunctionUrl true), as Lambda requires of URLs created since October 2025.
     */
    readonly authorize?: (caller: Caller, functionArn: string, request: LambdaRequestContext) => boolean;
    /** Maps a request's access key ID to its principal (normally the STS stand-in's); needed by `authorize`. */
    readonly resolveCaller?: ResolveCaller;
    /** The clock, in epoch milliseconds, for credential expiry. Default: `Date.now`. */
    readonly now?: () => number;
}

/** One attempt of one invocation, as Lambda's logs and metrics would show it. */
export interface InvocationAttempt {
    readonly requestId: string;
    readonly functionName: string;
    readonly invocationType: "RequestResponse" | "Event";
    /** 1 for the first attempt. */
    readonly attempt: number;
    readonly outcome: "success" | "error" | "timeout";
    readonly error?: FunctionErrorPayload;
}

/** An asynchronous invocation that exhausted its attempts, and what became of its record. */
export interface FailedEvent {
    readonly functionName: string;
    readonly requestId: string;
    readonly record: ReturnType<typeof onFailureRecord>;
    /** Delivered to this queue; undefined when the function has no on-failure destination (discarded). */
    readonly queueUrl?: string;
    /** Why delivery failed (Lambda's DestinationDeliveryFailures metric), e.g. the record is too large. */
    readonly deliveryError?: string;
}

export interface LambdaServer {
    readonly url: string;
    /** Registers a handler by function name or ARN; returns the function's (unqualified) ARN. */
    register(functionNameOrArn: string, handler: LambdaHandler, settings?: FunctionSettings): string;
    /** Every attempt so far, in the order they ended. */
    readonly attempts: InvocationAttempt[];
    /** Asynchronous invocations that failed every attempt. */
    readonly failedEvents: FailedEvent[];
    /** Resolves once every accepted asynchronous invocation (with its retries) has ended. */
    settle(): Promise<void>;
    close(): Promise<void>;
}

/** Payload limits of Invoke (bytes): 6 MB synchronous, 1 MB asynchronous. */
const SYNC_PAYLOAD_LIMIT = 6_291_456;
const ASYNC_PAYLOAD_LIMIT = 1_048_576;
const FUNCTION_NAME =
    /^(?:arn:(aws[a-zA-Z-]*):lambda:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):function:|(\d{12}):function:)?([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;

/**
 * The payload the Node.js runtime reports for a value a handler threw or rejected with: name,
 * message and stack lines of an Error; the type and text of anything else.
 */
export function errorPayload(thrown: unknown): FunctionErrorPayload {
    try {
        const e = thrown as { name?: unknown; message?: unknown; stack?: unknown };
        const errorLike =
            types.isNativeError(thrown) ||
            (typeof e?.name === "string" && typeof e.message === "string" && typeof e.stack === "string");
        if (errorLike) {
            return { errorType: String(e.name), errorMessage: String(e.message), trace: String(e.stack).split("\n") };
        }
        return {
            errorType: typeof thrown,
            errorMessage: String((thrown as { toString(): string }).toString()),
            trace: [],
        };
    } catch {
        return {
            errorType: "handled",
            errorMessage:
                "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack",
        };
    }
}

interface RegisteredFunction {
    readonly arn: string;
    readonly name: string;
    readonly region: string;
    readonly handler: LambdaHandler;
    readonly timeoutSeconds: number;
    readonly retries: number;
    readonly memorySize: number;
    readonly functionUrl: boolean;
}

type AttemptResult = { ok: true; value: unknown } | { ok: false; timedOut: boolean; error: FunctionErrorPayload };

/** A Lambda API error: status, `x-amzn-errortype`, and its body. */
class LambdaFault {
    constructor(
        readonly status: number,
        readonly type: string,
        readonly body: Record<string, string>,
    ) {}
}

export async function startLambdaServer(options: LambdaServerOptions = {}): Promise<LambdaServer> {
    const accountId = options.accountId ?? "000000000000";
    const defaultRegion = options.region ?? "us-east-1";
    const defaultRetries = options.retries ?? 2;
    const delays = options.retryDelaysMs?.length ? options.retryDelaysMs : [0];
    const functions = new Map<string, RegisteredFunction>();
    const attempts: InvocationAttempt[] = [];
    const failedEvents: FailedEvent[] = [];
    const pending = new Set<Promise<void>>();

    if (options.authorize && !options.resolveCaller) {
        throw new Error(
            "startLambdaServer: authorize needs resolveCaller to identify callers (pass the STS stand-in's).",
        );
    }
    if (options.onFailure && !options.sqs) {
        throw new Error(
            "startLambdaServer: onFailure names queues, so pass the SQS stand-in that holds them as `sqs`.",
        );
    }

    const runAttempt = async (fn: RegisteredFunction, requestId: string, payload: string): Promise<AttemptResult> => {
        const started = Date.now();
        const timeoutMs = fn.timeoutSeconds * 1000;
        const context: LambdaContext = {
            functionName: fn.name,
            functionVersion: "$LATEST",
            invokedFunctionArn: fn.arn,
            memoryLimitInMB: String(fn.memorySize),
            awsRequestId: requestId,
            logGroupName: `/aws/lambda/${fn.name}`,
            logStreamName: `local/[$LATEST]${requestId.replace(/-/g, "")}`,
            callbackWaitsForEmptyEventLoop: true,
            getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
        };
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<AttemptResult>((resolve) => {
            timer = setTimeout(
                () =>
                    resolve({
                        ok: false,
                        timedOut: true,
                        error: {
                            errorType: "Sandbox.Timedout",
                            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
                        },
                    }),
                timeoutMs,
            );
        });
        // Each attempt parses the original bytes: a handler that mutates its event cannot change
        // what a retry receives, as with Lambda's event queue.
        const run = Promise.resolve()
            .then(() => fn.handler(JSON.parse(payload), context))
            .then(
                (value): AttemptResult => ({ ok: true, value }),
                (err): AttemptResult => ({ ok: false, timedOut: false, error: errorPayload(err) }),
            );
        try {
            return await Promise.race([run, timedOut]);
        } finally {
            clearTimeout(timer);
        }
    };

    const record = (
        fn: RegisteredFunction,
        requestId: string,
        invocationType: InvocationAttempt["invocationType"],
        attempt: number,
        result: AttemptResult,
    ) => {
        attempts.push({
            requestId,
            functionName: fn.name,
            invocationType,
            attempt,
            outcome: result.ok ? "success" : result.timedOut ? "timeout" : "error",
            ...(result.ok ? {} : { error: result.error }),
        });
    };

    const runEvent = async (fn: RegisteredFunction, requestId: string, payload: string) => {
        let last: AttemptResult | undefined;
        for (let attempt = 1; attempt <= fn.retries + 1; attempt++) {
            if (attempt > 1) {
                const delay = delays[Math.min(attempt - 2, delays.length - 1)];
                await new Promise((resolve) => setTimeout(resolve, delay));
            }
            last = await runAttempt(fn, requestId, payload);
            record(fn, requestId, "Event", attempt, last);
            if (last.ok) return;
        }
        if (!last || last.ok) return;
        const failure = onFailureRecord({
            requestId,
            functionArn: fn.arn,
            approximateInvokeCount: fn.retries + 1,
            requestPayload: JSON.parse(payload),
            responsePayload: last.error,
            timestamp: new Date(),
        });
        const queueUrl = options.onFailure?.(fn.name);
        let deliveryError: string | undefined;
        if (queueUrl && options.sqs) {
            try {
                options.sqs.sendMessage(queueUrl, JSON.stringify(failure), `AROALOCAL:${fn.name}`);
            } catch (err) {
                deliveryError = (err as Error).message;
            }
        }
        failedEvents.push({ functionName: fn.name, requestId, record: failure, queueUrl, deliveryError });
    };

    /** The registered function a FunctionName (name, partial or full ARN, qualified) designates. */
    const resolve = (
        raw: string,
        qualifier: string | undefined,
        callerRegion: string,
        /** A bare name is the caller's function, as in Lambda; default: the server's account. */
        callerAccount?: string,
    ): RegisteredFunction => {
        const m = FUNCTION_NAME.exec(raw);
        if (!m) {
            throw new LambdaFault(400, "ValidationException", {
                message: `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`,
            });
        }
        const [, partition, arnRegion, arnAccount, partialAccount, name, nameQualifier] = m;
        const region = arnRegion ?? callerRegion;
        const account = arnAccount ?? partialAccount ?? callerAccount ?? accountId;
        const arn = `arn:${partition ?? "aws"}:lambda:${region}:${account}:function:${name}`;
        const version = nameQualifier ?? qualifier;
        const fn = functions.get(arn);
        if (!fn || (version !== undefined && version !== "$LATEST")) {
            throw new LambdaFault(404, "ResourceNotFoundException", {
                Type: "User",
                Message: `Function not found: ${arn}${version !== undefined ? `:${version}` : ""}`,
            });
        }
        return fn;
    };

    const invoke = async (req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): Promise<void> => {
        const url = new URL(req.url ?? "/", "http://localhost");
        if (req.method === "GET" && /^\/2016-08-19\/account-settings\/?$/.test(url.pathname)) {
            return accountSettings(req, res);
        }
        const urlConfig = /^\/2021-10-31\/functions\/([^/]+)\/url$/.exec(url.pathname);
        if (req.method === "GET" && urlConfig) return functionUrlConfig(req, decodeURIComponent(urlConfig[1]), res);
        const viaUrl = /^\/function-urls\/([a-zA-Z0-9_-]{1,64})\/?$/.exec(url.pathname);
        if (viaUrl) return invokeUrl(req, viaUrl[1], raw, res);
        const route = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
        if (req.method !== "POST" || !route) {
            throw new LambdaFault(404, "UnknownOperationException", {
                message: `The stand-in implements Invoke only, not ${req.method} ${url.pathname}.`,
            });
        }
        const scope = signingScope(req.headers.authorization);
        if (!scope)
            throw new LambdaFault(403, "MissingAuthenticationTokenException", {
                message: "Missing Authentication Token",
            });
        if (scope.service !== "lambda") {
            throw new LambdaFault(403, "InvalidSignatureException", {
                message: "Credential should be scoped to correct service: 'lambda'. ",
            });
        }
        const invocationType = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
        if (!["RequestResponse", "Event", "DryRun"].includes(invocationType)) {
            throw new LambdaFault(400, "InvalidParameterValueException", {
                Type: "User",
                message: `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
            });
        }
        const signer = options.resolveCaller
            ? authenticate(req.headers, "lambda", options.resolveCaller, (options.now ?? Date.now)())
            : undefined;
        const fn = resolve(
            decodeURIComponent(route[1]),
            url.searchParams.get("Qualifier") ?? undefined,
            scope.region,
            signer?.ok ? signer.caller.accountId : undefined,
        );
        if (options.authorize) {
            const identity = authenticate(req.headers, "lambda", options.resolveCaller!, (options.now ?? Date.now)());
            if (!identity.ok) {
                throw new LambdaFault(403, "UnrecognizedClientException", {
                    message: "The security token included in the request is invalid.",
                });
            }
            if (
                !options.authorize(identity.caller, fn.arn, {
                    action: "lambda:InvokeFunction",
                    invokedViaFunctionUrl: false,
                })
            ) {
                // Lambda's text for a missing identity-based permission.
                throw new LambdaFault(403, "AccessDeniedException", {
                    Message: `User: ${identity.caller.principalArn} is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn} because no identity-based policy allows the lambda:InvokeFunction action`,
                });
            }
        }
        const limit = invocationType === "Event" ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
        if (raw.length > limit) {
            throw new LambdaFault(413, "RequestTooLargeException", {
                Type: "User",
                message: `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
            });
        }
        // Lambda hands an empty payload to the function as {}.
        const payload = raw.length ? raw.toString("utf8") : "{}";
        try {
            JSON.parse(payload);
        } catch {
            // Lambda's own text quotes its JSON parser; the gist, without a parser's wording.
            throw new LambdaFault(400, "InvalidRequestContentException", {
                Type: "User",
                message:
                    "Could not parse request body into json: Could not parse payload into json: the payload is not valid JSON.",
            });
        }
        const requestId = randomUUID();
        if (invocationType === "DryRun") {
            res.writeHead(204, { "x-amzn-requestid": requestId });
            res.end();
            return;
        }
        if (invocationType === "Event") {
            const run = runEvent(fn, requestId, payload).finally(() => pending.delete(run));
            pending.add(run);
            res.writeHead(202, { "x-amzn-requestid": requestId });
            res.end();
            return;
        }
        const result = await runAttempt(fn, requestId, payload);
        record(fn, requestId, "RequestResponse", 1, result);
        const headers: Record<string, string> = {
            "content-type": "application/json",
            "x-amzn-requestid": requestId,
            "x-amz-executed-version": "$LATEST",
        };
        if (String(req.headers["x-amz-log-type"] ?? "") === "Tail") {
            // The runtime's own lines; the handler's console output is not captured here.
            const log = `START RequestId: ${requestId} Version: $LATEST\nEND RequestId: ${requestId}\nREPORT RequestId: ${requestId}\n`;
            headers["x-amz-log-result"] = Buffer.from(log).toString("base64");
        }
        let body: string;
        if (result.ok) {
            body = JSON.stringify(result.value) ?? "null";
            if (Buffer.byteLength(body) > SYNC_PAYLOAD_LIMIT) {
                headers["x-amz-function-error"] = "Unhandled";
                body = JSON.stringify({
                    errorMessage: `Response payload size exceeded maximum allowed payload size (${SYNC_PAYLOAD_LIMIT} bytes).`,
                    errorType: "Function.ResponseSizeTooLarge",
                });
            }
        } else {
            headers["x-amz-function-error"] = "Unhandled";
            body = JSON.stringify(result.error);
        }
        res.writeHead(200, headers);
        res.end(body);
    };

    /**
     * GetAccountSettings (`GET /2016-08-19/account-settings/`): the concurrency quota and what is
     * left unreserved. Lambda keeps 100 unreserved ("Lambda function scaling", reserved concurrency).
     */
    const accountSettings = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const scope = signingScope(req.headers.authorization);
        if (scope?.service !== "lambda") {
            throw new LambdaFault(403, "InvalidSignatureException", {
                message: "Credential should be scoped to correct service: 'lambda'. ",
            });
        }
        const limit = options.concurrency?.limit ?? 1000;
        const reserved = options.concurrency?.reserved ?? 0;
        res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": randomUUID() });
        res.end(
            JSON.stringify({
                AccountLimit: {
                    TotalCodeSize: 80_530_636_800,
                    CodeSizeUnzipped: 262_144_000,
                    CodeSizeZipped: 52_428_800,
                    ConcurrentExecutions: limit,
                    UnreservedConcurrentExecutions: limit - reserved,
                },
                AccountUsage: { TotalCodeSize: 0, FunctionCount: functions.size },
            }),
        );
    };

    /** The signer of a request, or the fault Lambda answers; `action` is authorized on `fn` when IAM is modelled. */
    const callerOf = (req: http.IncomingMessage, fn: RegisteredFunction, requests: LambdaRequestContext[]) => {
        const scope = signingScope(req.headers.authorization);
        if (!scope) {
            throw new LambdaFault(403, "MissingAuthenticationTokenException", {
                message: "Missing Authentication Token",
            });
        }
        if (scope.service !== "lambda") {
            throw new LambdaFault(403, "InvalidSignatureException", {
                message: "Credential should be scoped to correct service: 'lambda'. ",
            });
        }
        if (!options.resolveCaller) return { accountId, principalArn: `arn:aws:iam::${accountId}:user/local` };
        const identity = authenticate(req.headers, "lambda", options.resolveCaller, (options.now ?? Date.now)());
        if (!identity.ok) {
            throw new LambdaFault(403, "UnrecognizedClientException", {
                message: "The security token included in the request is invalid.",
            });
        }
        for (const request of requests) {
            if (options.authorize && !options.authorize(identity.caller, fn.arn, request)) {
                throw new LambdaFault(403, "AccessDeniedException", {
                    Message: `User: ${identity.caller.principalArn} is not authorized to perform: ${request.action} on resource: ${fn.arn} because no identity-based policy allows the ${request.action} action`,
                });
            }
        }
        return identity.caller;
    };

    const urlOf = (fn: RegisteredFunction) => `${url}/function-urls/${fn.name}/`;

    /** GetFunctionUrlConfig (`GET /2021-10-31/functions/{name}/url`). */
    const functionUrlConfig = (req: http.IncomingMessage, name: string, res: http.ServerResponse) => {
        const signer = options.resolveCaller
            ? authenticate(req.headers, "lambda", options.resolveCaller, (options.now ?? Date.now)())
            : undefined;
        const fn = resolve(
            name,
            undefined,
            signingScope(req.headers.authorization)?.region ?? defaultRegion,
            signer?.ok ? signer.caller.accountId : undefined,
        );
        callerOf(req, fn, [{ action: "lambda:GetFunctionUrlConfig", invokedViaFunctionUrl: false }]);
        if (!fn.functionUrl) {
            throw new LambdaFault(404, "ResourceNotFoundException", {
                Type: "User",
                Message: `The resource you requested does not exist. (Service: Lambda, Status Code: 404) ${fn.arn} has no function URL`,
            });
        }
        res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": randomUUID() });
        res.end(JSON.stringify({ FunctionUrl: urlOf(fn), FunctionArn: fn.arn, AuthType: "AWS_IAM" }));
    };

    /**
     * A request to a function URL with AWS_IAM auth: signed for `lambda`, allowed both actions, it
     * becomes a payload-2.0 event; the handler's `{statusCode, headers, body}` is the response.
     */
    const invokeUrl = async (req: http.IncomingMessage, name: string, raw: Buffer, res: http.ServerResponse) => {
        const fn = [...functions.values()].find((f) => f.name === name && f.functionUrl);
        if (!fn) throw new LambdaFault(404, "ResourceNotFoundException", { Message: "Not Found" });
        const via = { invokedViaFunctionUrl: true, functionUrlAuthType: "AWS_IAM" as const };
        const caller = callerOf(req, fn, [
            { action: "lambda:InvokeFunctionUrl", ...via },
            { action: "lambda:InvokeFunction", ...via },
        ]);
        const requestId = randomUUID();
        const event = {
            version: "2.0",
            rawPath: "/",
            headers: { "content-type": String(req.headers["content-type"] ?? "") },
            requestContext: {
                accountId: "anonymous",
                requestId,
                http: { method: req.method, path: "/", sourceIp: "127.0.0.1" },
                authorizer: {
                    iam: {
                        accessKey: /Credential=([^/]+)/.exec(req.headers.authorization ?? "")?.[1],
                        accountId: caller.accountId,
                        callerId: caller.principalArn.split("/").slice(1).join(":"),
                        userArn: caller.principalArn,
                    },
                },
            },
            body: raw.toString("base64"),
            isBase64Encoded: true,
        };
        const result = await runAttempt(fn, requestId, JSON.stringify(event));
        record(fn, requestId, "RequestResponse", 1, result);
        if (!result.ok) {
            // Lambda's answer to a function error behind a URL.
            res.writeHead(502, { "content-type": "application/json", "x-amzn-requestid": requestId });
            res.end(JSON.stringify({ Message: "Internal Server Error" }));
            return;
        }
        const value = (result.value ?? {}) as { statusCode?: number; headers?: Record<string, string>; body?: string };
        res.writeHead(value.statusCode ?? 200, { ...(value.headers ?? {}), "x-amzn-requestid": requestId });
        res.end(value.body ?? "");
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            invoke(req, Buffer.concat(chunks), res).catch((err) => {
                const fault =
                    err instanceof LambdaFault
                        ? err
                        : new LambdaFault(500, "ServiceException", {
                              Type: "Service",
                              message: String(err?.message ?? err),
                          });
                res.writeHead(fault.status, {
                    "content-type": "application/json",
                    "x-amzn-errortype": fault.type,
                    "x-amzn-requestid": randomUUID(),
                });
                res.end(JSON.stringify(fault.body));
            });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    return {
        url,
        attempts,
        failedEvents,
        register(functionNameOrArn, handler, settings = {}) {
            const m = FUNCTION_NAME.exec(functionNameOrArn);
            if (!m || m[4] || m[6]) {
                throw new Error(
                    `register: "${functionNameOrArn}" is not a function name or an unqualified function ARN (arn:aws:lambda:<region>:<account>:function:<name>).`,
                );
            }
            const [, partition, region, account, , name] = m;
            const arn = `arn:${partition ?? "aws"}:lambda:${region ?? defaultRegion}:${account ?? accountId}:function:${name}`;
            const retries = settings.maximumRetryAttempts ?? defaultRetries;
            if (!Number.isInteger(retries) || retries < 0 || retries > 2) {
                throw new Error(
                    `register: maximumRetryAttempts of ${name} must be 0, 1 or 2 (Lambda's range), not ${retries}.`,
                );
            }
            const timeoutSeconds = settings.timeoutSeconds ?? 3;
            if (!(timeoutSeconds > 0 && timeoutSeconds <= 900)) {
                throw new Error(
                    `register: timeoutSeconds of ${name} must be above 0 and at most 900 (Lambda's maximum), not ${timeoutSeconds}.`,
                );
            }
            functions.set(arn, {
                arn,
                name,
                region: region ?? defaultRegion,
                handler,
                timeoutSeconds,
                retries,
                memorySize: settings.memorySize ?? 128,
                functionUrl: settings.functionUrl ?? false,
            });
            return arn;
        },
        async settle() {
            while (pending.size) await Promise.allSettled([...pending]);
        },
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
