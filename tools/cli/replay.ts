/**
 * `npm run replay -- --queue <url> [--queue <url>...] [--errors <bucket>] [--loader <function>]`
 *
 * Re-drives what the pipeline dead-lettered or parked, once its cause is fixed:
 * - a failure queue (the copier's or the loader's on-failure destination): each message is the
 *   record Lambda wrote for an event that failed every try; the function it names is invoked again
 *   with the original event, and the message is deleted only once that invocation succeeded;
 * - `_errors/` reports in the central bucket: the loader is invoked again for each report's source
 *   object, so lines parked for a cause since fixed (a mapping, a permission) are indexed, and a
 *   successful run replaces or removes the stale report.
 * Idempotent: copies are conditional writes and document IDs are deterministic, so replaying twice
 * adds nothing. Works against AWS with the caller's credentials, or against local stand-ins through
 * the SDK's AWS_ENDPOINT_URL_<SERVICE> variables.
 */
import { awsEnvironmentError } from "./awsErrors";
import { runCli, usageError } from "./shell";

/** The most messages or reports --max takes per source. */
export const MAX_PER_SOURCE = 100_000;

export const REPLAY_USAGE = `usage: npm run replay -- --queue <url> [--queue <url>...] [--errors <bucket>] [options]

Re-drives what was dead-lettered or parked, once its cause is fixed, and prints what it did.
  --queue <url>      a failure queue to drain: each message's event is sent again to the function
                     that failed it; the message is deleted only once that succeeds. The stacks
                     export them: copierFailureQueueUrl (each resource stack) and
                     loaderFailureQueueUrl (the logging stack).
  --errors <bucket>  re-index the objects whose lines were parked under _errors/ in this central
                     bucket (the logging stack's centralBucketName), by invoking the loader again.
  --loader <name>    the loader function (default central-waf-logs-search-loader).
  --region <region>  where the queues and functions are (default: AWS_REGION).
  --max <n>          at most this many messages or reports per source, 1 to ${MAX_PER_SOURCE.toLocaleString("en-US")} (default 1000).
  --endpoint <url>   send every SQS, Lambda and S3 call to this one endpoint instead of AWS, such as
                     the local sandbox's (npm run sandbox prints it, with the credentials to export).
  --help             this text.

Credentials are the usual AWS ones; the caller needs sqs:ReceiveMessage and sqs:DeleteMessage on
the queues, lambda:InvokeFunction on the functions, and s3:ListBucket on the _errors/ prefix.`;

/** `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;
/** S3's bucket-name rules: 3 to 63 lower-case letters, digits, dots and hyphens. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** A function's name, or its ARN (optionally with a version or alias). */
const FUNCTION =
    /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;

/** A queue URL: https for SQS itself, or http(s) for a local stand-in. */
function queueUrl(text: string): string {
    let url: URL | undefined;
    try {
        url = new URL(text);
    } catch {
        url = undefined;
    }
    if (!url || !["http:", "https:"].includes(url.protocol) || url.pathname.split("/").filter(Boolean).length < 2) {
        throw usageError(
            `--queue takes a queue URL such as https://sqs.eu-west-1.amazonaws.com/111111111111/<queue> (the stacks' outputs copierFailureQueueUrl and loaderFailureQueueUrl), got "${text}".`,
        );
    }
    return text;
}

export interface ReplayArgs {
    readonly queues: readonly string[];
    readonly errorsBucket?: string;
    readonly loader: string;
    readonly region?: string;
    readonly max: number;
    /** One endpoint for SQS, Lambda and S3 (a local sandbox), instead of AWS. */
    readonly endpoint?: string;
}

export function parseReplayArgs(argv: readonly string[]): ReplayArgs {
    const queues: string[] = [];
    let errorsBucket: string | undefined;
    let loader = "central-waf-logs-search-loader";
    let region: string | undefined;
    let max = 1000;
    let endpoint: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined || v.startsWith("--")) throw usageError(`${flag} needs a value.`);
            return v;
        };
        if (flag === "--queue") queues.push(queueUrl(value()));
        else if (flag === "--errors") {
            const text = value();
            errorsBucket = text.replace(/^s3:\/\//, "").replace(/\/$/, "");
            if (!BUCKET.test(errorsBucket)) {
                throw usageError(
                    `--errors takes the central bucket's name (the logging stack's output centralBucketName), got "${text}".`,
                );
            }
        } else if (flag === "--loader") {
            loader = value();
            if (!FUNCTION.test(loader)) {
                throw usageError(`--loader takes a Lambda function's name or ARN, got "${loader}".`);
            }
        } else if (flag === "--region") {
            region = value();
            if (!REGION.test(region))
                throw usageError(`--region takes an AWS Region such as eu-west-1, got "${region}".`);
        } else if (flag === "--max") {
            const text = value();
            max = Number(text);
            if (!/^[0-9]{1,6}$/.test(text) || max < 1 || max > MAX_PER_SOURCE) {
                throw usageError(`--max takes a whole number from 1 to ${MAX_PER_SOURCE}, got "${text}".`);
            }
        } else if (flag === "--endpoint") {
            endpoint = value();
            if (!/^https?:\/\/[^/]+\/?$/.test(endpoint)) {
                throw usageError(
                    `--endpoint takes the URL of a local endpoint such as http://127.0.0.1:4566 (npm run sandbox prints it), got "${endpoint}".`,
                );
            }
        } else throw usageError(`Unknown ${flag.startsWith("-") ? "option" : "argument"} ${flag}.`);
    }
    if (queues.length === 0 && errorsBucket === undefined) {
        throw usageError("Give at least one --queue <url> or --errors <bucket>: nothing to replay.");
    }
    return { queues, errorsBucket, loader, region, max, ...(endpoint ? { endpoint } : {}) };
}

/** The AWS calls replay makes, so the same code runs against AWS and the stand-ins. */
export interface ReplayCalls {
    receive(queueUrl: string): Promise<{ body: string; receiptHandle: string }[]>;
    remove(queueUrl: string, receiptHandle: string): Promise<void>;
    /** Invokes synchronously; resolves with the function's error message, or undefined on success. */
    invoke(functionName: string, event: unknown): Promise<string | undefined>;
    /** Keys under `_errors/` of the bucket. */
    reports(bucket: string): Promise<string[]>;
}

export interface ReplayOutcome {
    readonly source: string;
    readonly target: string;
    readonly status: "replayed" | "failed" | "skipped";
    readonly detail: string;
}

const REPORT = /^_errors\/(.+)\.rejected\.ndjson$/;

/** What Lambda's on-failure destination records: the function that failed and the original event. */
function failedInvocation(body: string): { functionName: string; event: unknown } | undefined {
    try {
        const record = JSON.parse(body);
        // `arn:...:function:<name>:$LATEST`: the function's unqualified ARN (its Region and account
        // included), so the replay invokes the function that failed, whatever version it was.
        const arn = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:[^:]+/.exec(
            String(record?.requestContext?.functionArn),
        )?.[0];
        return arn && record.requestPayload !== undefined
            ? { functionName: arn, event: record.requestPayload }
            : undefined;
    } catch {
        return undefined;
    }
}

/** S3's form-encoding of keys in event notifications, as the handlers expect it. */
function eventKey(key: string): string {
    return encodeURIComponent(key)
        .replace(/%2F/g, "/")
        .replace(/%20/g, "+")
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export async function replay(
    args: ReplayArgs,
    calls: ReplayCalls,
    log: (line: string) => void,
): Promise<ReplayOutcome[]> {
    const outcomes: ReplayOutcome[] = [];
    // A function that cannot be invoked (not found, denied) is this item's failure, not the run's.
    const invoke = async (functionName: string, event: unknown) => {
        try {
            return await calls.invoke(functionName, event);
        } catch (err) {
            return `${(err as Error).name}: ${(err as Error).message}`;
        }
    };
    const record = (o: ReplayOutcome) => {
        outcomes.push(o);
        log(`  ${o.status.padEnd(8)} ${o.source} -> ${o.target}: ${o.detail}`);
    };
    for (const queueUrl of args.queues) {
        let seen = 0;
        for (
            let batch = await calls.receive(queueUrl);
            batch.length > 0 && seen < args.max;
            batch = await calls.receive(queueUrl)
        ) {
            for (const message of batch) {
                seen++;
                const failed = failedInvocation(message.body);
                if (!failed) {
                    record({
                        source: queueUrl,
                        target: "-",
                        status: "skipped",
                        detail: "not a Lambda on-failure record; left in the queue",
                    });
                    continue;
                }
                const error = await invoke(failed.functionName, failed.event);
                if (error === undefined) {
                    await calls.remove(queueUrl, message.receiptHandle);
                    record({
                        source: queueUrl,
                        target: failed.functionName,
                        status: "replayed",
                        detail: "succeeded; message deleted",
                    });
                } else {
                    record({
                        source: queueUrl,
                        target: failed.functionName,
                        status: "failed",
                        detail: `${error} (message kept)`,
                    });
                }
            }
        }
    }
    if (args.errorsBucket !== undefined) {
        const bucket = args.errorsBucket;
        for (const report of (await calls.reports(bucket)).slice(0, args.max)) {
            const key = REPORT.exec(report)?.[1];
            if (!key) continue;
            const error = await invoke(args.loader, {
                Records: [
                    {
                        eventName: "ObjectCreated:Put",
                        s3: { bucket: { name: bucket }, object: { key: eventKey(key) } },
                    },
                ],
            });
            record({
                source: `s3://${bucket}/${report}`,
                target: args.loader,
                status: error === undefined ? "replayed" : "failed",
                detail: error === undefined ? `re-indexed s3://${bucket}/${key}` : error,
            });
        }
    }
    return outcomes;
}

/** The Region an SQS queue URL or a Lambda function ARN names, if it names one. */
export function regionOf(urlOrArn: string): string | undefined {
    return (
        /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\//.exec(urlOrArn)?.[1] ??
        /^arn:[^:]+:lambda:([a-z0-9-]+):/.exec(urlOrArn)?.[1]
    );
}

/**
 * ReplayCalls through the AWS SDK (endpoints from the environment, as the SDK reads them). Queues
 * and functions are called in the Region their URL or ARN names, else in `region`.
 */
export function sdkReplayCalls(
    region: string | undefined,
    local?: {
        readonly endpoints: { readonly sqs: string; readonly lambda: string; readonly s3: string };
        /** Credentials for the stand-ins; the SDK's own chain (the environment) when absent. */
        readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
        /** Regions of local queue URLs, which do not name one. */
        readonly queueRegions: Readonly<Record<string, string>>;
    },
): ReplayCalls & { close(): void } {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const sqsSdk = require("@aws-sdk/client-sqs");
    const lambdaSdk = require("@aws-sdk/client-lambda");
    const s3Sdk = require("@aws-sdk/client-s3");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const clients = new Map<string, any>();
    const client = (kind: "sqs" | "lambda", target: string) => {
        const where = regionOf(target) ?? local?.queueRegions[target] ?? region;
        // A queue's URL is its endpoint (SQS's own, or a stand-in's): say so rather than have the
        // SDK warn that it differs from the Region's endpoint.
        const endpoint = local ? local.endpoints[kind] : kind === "sqs" ? new URL(target).origin : undefined;
        const key = `${kind}/${where ?? ""}/${endpoint ?? ""}`;
        if (!clients.has(key)) {
            const config = {
                ...(where ? { region: where } : {}),
                ...(endpoint ? { endpoint } : {}),
                ...(local?.credentials ? { credentials: local.credentials } : {}),
            };
            clients.set(key, kind === "sqs" ? new sqsSdk.SQSClient(config) : new lambdaSdk.LambdaClient(config));
        }
        return clients.get(key);
    };
    const s3 = new s3Sdk.S3Client({
        ...(region ? { region } : {}),
        ...(local ? { endpoint: local.endpoints.s3 } : {}),
        ...(local?.credentials ? { credentials: local.credentials } : {}),
        forcePathStyle: Boolean(local ?? process.env.AWS_ENDPOINT_URL_S3),
    });
    return {
        async receive(QueueUrl) {
            const { Messages } = await client("sqs", QueueUrl).send(
                new sqsSdk.ReceiveMessageCommand({
                    QueueUrl,
                    MaxNumberOfMessages: 10,
                    // Long enough for the re-invocation; a failed one comes back after it.
                    VisibilityTimeout: 900,
                    WaitTimeSeconds: 0,
                }),
            );
            return (Messages ?? []).map((m: any) => ({ body: m.Body ?? "", receiptHandle: m.ReceiptHandle }));
        },
        async remove(QueueUrl, ReceiptHandle) {
            await client("sqs", QueueUrl).send(new sqsSdk.DeleteMessageCommand({ QueueUrl, ReceiptHandle }));
        },
        async invoke(FunctionName, event) {
            const answer = await client("lambda", FunctionName).send(
                new lambdaSdk.InvokeCommand({
                    FunctionName,
                    InvocationType: "RequestResponse",
                    Payload: Buffer.from(JSON.stringify(event)),
                }),
            );
            if (!answer.FunctionError) return undefined;
            const payload = JSON.parse(Buffer.from(answer.Payload ?? []).toString("utf8") || "{}");
            return `${payload.errorType ?? answer.FunctionError}: ${payload.errorMessage ?? "no message"}`;
        },
        async reports(Bucket) {
            const keys: string[] = [];
            let ContinuationToken: string | undefined;
            do {
                const page = await s3.send(
                    new s3Sdk.ListObjectsV2Command({ Bucket, Prefix: "_errors/", ContinuationToken }),
                );
                keys.push(...(page.Contents ?? []).map((o: any) => o.Key));
                ContinuationToken = page.NextContinuationToken;
            } while (ContinuationToken);
            return keys;
        },
        close() {
            for (const c of clients.values()) c.destroy();
            s3.destroy();
        },
    };
}

export async function replayMain(argv: readonly string[]): Promise<void> {
    const args = parseReplayArgs(argv);
    const endpoint = args.endpoint?.replace(/\/$/, "");
    const calls = sdkReplayCalls(
        args.region,
        endpoint ? { endpoints: { sqs: endpoint, lambda: endpoint, s3: endpoint }, queueRegions: {} } : undefined,
    );
    try {
        const outcomes = await replay(args, calls, (line) => console.log(line));
        const count = (status: string) => outcomes.filter((o) => o.status === status).length;
        console.log(`Replayed ${count("replayed")}, failed ${count("failed")}, skipped ${count("skipped")}.`);
        if (count("failed") > 0) process.exitCode = 1;
    } catch (err) {
        throw (
            awsEnvironmentError(err, {
                what: [...args.queues, ...(args.errorsBucket ? [`s3://${args.errorsBucket}`] : [])].join(", "),
                permissions:
                    "sqs:ReceiveMessage and sqs:DeleteMessage on the queues, lambda:InvokeFunction on the functions and s3:ListBucket on the bucket",
            }) ?? err
        );
    } finally {
        calls.close();
    }
}

if (require.main === module) runCli(replayMain, { usage: REPLAY_USAGE, help: "npm run replay -- --help" });
