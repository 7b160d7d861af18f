/**
 * The canary of `npm run verify` on this machine: the plan's local platform (S3, the deployed
 * copier and loader behind the Lambda stand-in, the `_bulk` stand-in), a Firehose stand-in that
 * writes to the staging buckets as Firehose does, and the local response loop (Athena on DuckDB
 * over a mirror of the central bucket, the deployed detector). Used by `npm start -- --verify` and
 * the tests, which break one hop at a time through the handles returned.
 */
import * as fs from "fs";
import * as path from "path";
import { parseCentralKey } from "../../layout";
import { BLOCKLIST_DETECTOR_FUNCTION } from "../../names";
import { FirehoseServer, startFirehoseServer } from "./aws/firehoseServer";
import { LocalPlatform, startLocalPlatform } from "./localPlatform";
import { listAllKeys } from "../cli/s3Listing";
import { LOCAL_CREDENTIALS } from "./aws/localS3";
import { LocalResponse, startLocalResponse } from "./localResponse";
import { ProgramRun } from "./mockEngine";
import { CanaryTarget, VerifyCalls, canaryTarget, sdkVerifyCalls } from "../cli/verify";
import { GetObjectCommand } from "@aws-sdk/client-s3";

export interface LocalCanary {
    readonly platform: LocalPlatform;
    readonly firehose: FirehoseServer;
    /** Undefined when the plan's response mode is off. */
    readonly response?: LocalResponse;
    /** The canary's target for a resource stack of the plan. */
    target(stack: string): CanaryTarget;
    calls(stack: string): VerifyCalls;
    close(): Promise<void>;
}

/**
 * A Firehose stand-in for every planned resource stack's stream, writing to its staging bucket as
 * Firehose does; each delivery starts the copier (and its central object the loader) through the
 * platform, and is then mirrored into `centralDir`, the local copy Athena (DuckDB) reads.
 */
export async function startCanaryFirehose(
    runs: readonly ProgramRun[],
    platform: LocalPlatform,
    centralDir: string,
): Promise<FirehoseServer> {
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const resources = runs.filter((r) => r.config["central-waf-logs:role"] === "resource");
    const centralBucket: string = logging.outputs.centralBucketName;
    const mirror = async () => {
        for (const key of await listAllKeys(platform.s3.client, centralBucket)) {
            const file = path.join(centralDir, key);
            if (!parseCentralKey(key) || fs.existsSync(file)) continue;
            const out = await platform.s3.client.send(new GetObjectCommand({ Bucket: centralBucket, Key: key }));
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, Buffer.from(await out.Body!.transformToByteArray()));
        }
    };
    return startFirehoseServer({
        s3: platform.s3.client,
        streams: resources.map((r) => ({
            name: r.outputs.firehoseStreamName,
            accountId: r.outputs.accountId,
            region: r.outputs.region,
            bucket: r.outputs.stagingBucketName,
            prefix: r.resources.find((x) => x.type === "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")!
                .inputs.extendedS3Configuration.prefix,
        })),
        // The bucket notification starts the copier, whose central object starts the loader.
        afterDelivery: async () => {
            await platform.drain();
            await mirror();
        },
    });
}

/** The deployed detector on the platform's Lambda, invoked as Lambda would (RequestResponse). */
export function registerDetector(runs: readonly ProgramRun[], platform: LocalPlatform, response: LocalResponse): void {
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const fn = logging.resources.find(
        (r) => r.type === "aws:lambda/function:Function" && r.inputs.name === BLOCKLIST_DETECTOR_FUNCTION,
    )!;
    platform.lambda.register(fn.state.arn, (_event, context) => response.detect(Date.now(), context), {
        timeoutSeconds: fn.inputs.timeout,
    });
}

export async function startLocalCanary(
    runs: readonly ProgramRun[],
    options: { readonly workDir: string; readonly faults?: boolean },
): Promise<LocalCanary> {
    const logging = runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const resources = runs.filter((r) => r.config["central-waf-logs:role"] === "resource");
    const centralDir = path.join(options.workDir, "central");
    fs.mkdirSync(centralDir, { recursive: true });
    const platform = await startLocalPlatform(runs, { workDir: options.workDir, faults: options.faults });
    const response = logging.outputs.responseMode === "off" ? undefined : await startLocalResponse(runs, centralDir);

    const firehose = await startCanaryFirehose(runs, platform, centralDir);
    if (response) registerDetector(runs, platform, response);
    const indexPrefix = JSON.parse(logging.config["central-waf-logs:search"] ?? "{}").indexPrefix ?? "waf-logs";
    const made: { destroy(): void }[] = [];
    return {
        platform,
        firehose,
        response,
        target(stack) {
            const run = resources.find((r) => r.stack === stack)!;
            return canaryTarget(run.outputs, logging.outputs, indexPrefix);
        },
        calls(stack) {
            const run = resources.find((r) => r.stack === stack)!;
            const calls = sdkVerifyCalls({
                region: run.outputs.region,
                loggingRegion: logging.config["central-waf-logs:region"],
                searchUrl: platform.searchUrl,
                endpoints: {
                    firehose: firehose.url,
                    s3: platform.s3.endpoint,
                    lambda: platform.lambda.url,
                    ...(response ? { athena: response.athena.url } : {}),
                },
                // s3rver takes only its own credentials; the other stand-ins take any.
                credentials: LOCAL_CREDENTIALS,
            });
            made.push(calls);
            return calls;
        },
        async close() {
            for (const c of made) c.destroy();
            await firehose.settle().catch(() => undefined);
            await firehose.close();
            await response?.close();
            await platform.close();
        },
    };
}
