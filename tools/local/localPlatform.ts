/**
 * The delivery path of the plan on this machine: a local S3 with every planned bucket (behind a
 * fault proxy when faults are wanted), a loopback stand-in of OpenSearch's `_bulk` contract (or a
 * real cluster), and Lambda and SQS stand-ins running every S3-triggered function of the plan from
 * its deployed `__index.js`, invoked asynchronously as S3 invokes it: retried by Lambda, then sent
 * to its planned on-failure queue, from which `npm run replay` re-drives it.
 */
import { LambdaClient, InvokeCommand } from "@aws-sdk/client-lambda";
import { S3EventRecord } from "../../handlers/s3Events";
import { wafHomeOf } from "../../layout";
import { deployedEnvironment, functionSource, loadHandler } from "./deployedCode";
import { FaultProxy, startFaultProxy } from "./aws/faultProxy";
import { LambdaServer, startLambdaServer } from "./aws/lambdaServer";
import { LocalS3, startLocalS3 } from "./aws/localS3";
import { ProgramRun, RecordedResource } from "./mockEngine";
import { ReplayCalls, sdkReplayCalls } from "../cli/replay";
import { SearchServer, startSearchServer } from "./aws/searchServer";
import { SqsServer, startSqsServer } from "./aws/sqsServer";

/** A bucket notification of the plan: objects under `prefix` of `bucket` start `functionArn`. */
export interface Subscription {
    readonly bucket: string;
    readonly prefix: string;
    readonly functionArn: string;
    readonly functionName: string;
    readonly region: string;
}

export interface LocalPlatformOptions {
    readonly workDir: string;
    /** A real OpenSearch cluster for the loader; default: the loopback stand-in. */
    readonly openSearchUrl?: string;
    /** Put a fault proxy between the functions and S3. */
    readonly faults?: boolean;
}

export interface LocalPlatform {
    readonly s3: LocalS3;
    /** Between the functions and S3, when faults were asked for. */
    readonly s3Proxy?: FaultProxy;
    /** The stand-in, unless a real cluster was given. */
    readonly search?: SearchServer;
    readonly searchUrl: string;
    readonly sqs: SqsServer;
    readonly lambda: LambdaServer;
    readonly subscriptions: readonly Subscription[];
    /** Each S3-triggered function's on-failure queue. */
    readonly failureQueues: readonly { functionName: string; queueUrl: string }[];
    /** Sends the S3 events emitted since the last call to their functions (asynchronous invokes). */
    dispatch(): Promise<number>;
    /** Dispatches and waits, again and again, until no function has anything left to do. */
    drain(): Promise<number>;
    /** What `npm run replay` calls, pointed at these stand-ins. */
    replayCalls(): ReplayCalls & { close(): void };
    close(): Promise<void>;
}

const LAMBDA_CREDENTIALS = { accessKeyId: "AKIDLOCALLAMBDA", secretAccessKey: "local" };

/** The functions S3 notifications start, with the planned queue their failed events go to. */
function planned(runs: readonly ProgramRun[]) {
    const subscriptions: (Subscription & { fn: RecordedResource; run: ProgramRun; queue?: RecordedResource })[] = [];
    for (const run of runs) {
        // A `global` (CloudFront) stack's functions run in us-east-1.
        const region = wafHomeOf(run.config["central-waf-logs:region"]).region;
        for (const notification of run.resources.filter(
            (r) => r.type === "aws:s3/bucketNotification:BucketNotification",
        )) {
            for (const target of notification.inputs.lambdaFunctions ?? []) {
                const fn = run.resources.find(
                    (r) => r.type === "aws:lambda/function:Function" && r.state.arn === target.lambdaFunctionArn,
                )!;
                const invokeConfig = run.resources.find(
                    (r) =>
                        r.type === "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig" &&
                        r.inputs.functionName === fn.inputs.name,
                );
                const queueArn = invokeConfig?.inputs.destinationConfig?.onFailure?.destination;
                subscriptions.push({
                    bucket: notification.inputs.bucket,
                    prefix: target.filterPrefix ?? "",
                    functionArn: fn.state.arn,
                    functionName: fn.inputs.name,
                    region,
                    fn,
                    run,
                    queue: run.resources.find((r) => r.type === "aws:sqs/queue:Queue" && r.state.arn === queueArn),
                });
            }
        }
    }
    return subscriptions;
}

export async function startLocalPlatform(
    runs: readonly ProgramRun[],
    options: LocalPlatformOptions,
): Promise<LocalPlatform> {
    const buckets = runs.flatMap((r) =>
        r.resources.filter((b) => b.type === "aws:s3/bucket:Bucket").map((b) => b.state.bucket as string),
    );
    const s3 = await startLocalS3(buckets, options.workDir);
    const s3Proxy = options.faults ? await startFaultProxy(s3.endpoint) : undefined;
    const search = options.openSearchUrl ? undefined : await startSearchServer({ keep: false });
    const searchUrl = options.openSearchUrl ?? search!.url;
    const sqs = await startSqsServer();
    const subs = planned(runs);
    const queues = new Map<string, string>();
    const queueRegions: Record<string, string> = {};
    for (const sub of subs) {
        if (!sub.queue || queues.has(sub.functionName)) continue;
        const [, , , region, account, name] = sub.queue.state.arn.split(":");
        const { url } = sqs.createQueue(account, region, name);
        queues.set(sub.functionName, url);
        queueRegions[url] = region;
    }
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    // Functions named without an ARN (the replay's loader) are the logging account's.
    const lambda = await startLambdaServer({
        sqs,
        onFailure: (name) => queues.get(name),
        accountId: logging.config["central-waf-logs:accountId"],
        region: logging.config["central-waf-logs:region"],
    });
    const registered = new Set<string>();
    for (const sub of subs) {
        if (registered.has(sub.functionArn)) continue;
        registered.add(sub.functionArn);
        const environment: Record<string, string> = {
            ...deployedEnvironment(sub.run, sub.functionName),
            ...s3.lambdaEnvironment(sub.region),
            ...(s3Proxy ? { AWS_ENDPOINT_URL_S3: s3Proxy.url } : {}),
        };
        if ("OPENSEARCH_ENDPOINT" in environment) {
            environment.OPENSEARCH_ENDPOINT = searchUrl;
            // The same backoff, started from 50 ms instead of 200: a local outage of seconds is
            // ridden out in seconds rather than tens of them.
            environment.BULK_BASE_DELAY_MS = "50";
        }
        const handler = loadHandler(await functionSource(sub.fn), environment);
        lambda.register(sub.functionArn, (event, context) => handler(event, context), {
            timeoutSeconds: sub.fn.inputs.timeout,
        });
    }

    const clients = new Map<string, LambdaClient>();
    const clientFor = (region: string) => {
        if (!clients.has(region)) {
            clients.set(region, new LambdaClient({ region, endpoint: lambda.url, credentials: LAMBDA_CREDENTIALS }));
        }
        return clients.get(region)!;
    };
    const dispatch = async () => {
        let sent = 0;
        for (const record of s3.takeEvents().filter((r: S3EventRecord) => r.eventName?.startsWith("ObjectCreated:"))) {
            const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, " "));
            for (const sub of subs.filter((s) => s.bucket === record.s3.bucket.name && key.startsWith(s.prefix))) {
                // As S3 invokes a function for a notification: asynchronously, one record per event.
                await clientFor(sub.region).send(
                    new InvokeCommand({
                        FunctionName: sub.functionArn,
                        InvocationType: "Event",
                        Payload: Buffer.from(JSON.stringify({ Records: [record] })),
                    }),
                );
                sent++;
            }
        }
        return sent;
    };
    return {
        s3,
        s3Proxy,
        search,
        searchUrl,
        sqs,
        lambda,
        subscriptions: subs.map(({ bucket, prefix, functionArn, functionName, region }) => ({
            bucket,
            prefix,
            functionArn,
            functionName,
            region,
        })),
        failureQueues: [...queues.entries()].map(([functionName, queueUrl]) => ({ functionName, queueUrl })),
        dispatch,
        async drain() {
            let total = 0;
            for (let sent = await dispatch(); sent > 0; sent = await dispatch()) {
                total += sent;
                await lambda.settle();
            }
            await lambda.settle();
            return total;
        },
        replayCalls() {
            return sdkReplayCalls("us-east-1", {
                endpoints: { sqs: sqs.url, lambda: lambda.url, s3: s3.endpoint },
                // s3rver accepts only its own credentials; the other stand-ins take any.
                credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
                queueRegions,
            });
        },
        async close() {
            for (const c of clients.values()) c.destroy();
            await lambda.close();
            await sqs.close();
            await search?.close();
            await s3Proxy?.close();
            await s3.close();
        },
    };
}
