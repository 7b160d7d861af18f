/**
 * `npm run verify -- --stack <resource stack>`: a canary after a deploy. It writes one synthetic,
 * clearly labelled WAF record through the stack's real Firehose stream and follows it hop by hop:
 * staging bucket, central bucket (layout.ts), OpenSearch (or the loader's report of parked lines),
 * the Athena view, and a detector run that must succeed and leave the canary alone. It prints each
 * hop's latency, and exits 1 naming the first hop that failed or timed out. See docs/deploy.md,
 * "Verify with a canary".
 *
 * The canary cannot reach an IP set: its client IP (handlers/canary.ts) is one documentation
 * address the detector never blocks, it is one request (every threshold is 10 or more), and it
 * never passes through WAF, so no rate-based rule counts it.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand } from "@aws-sdk/client-athena";
import { StartQueryExecutionCommand, StopQueryExecutionCommand } from "@aws-sdk/client-athena";
import { FirehoseClient, PutRecordCommand } from "@aws-sdk/client-firehose";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { execFileSync } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as zlib from "zlib";
import { parseStackConfig } from "../../config";
import { runAthenaQuery } from "../../handlers/athenaQuery";
import { CANARY_CLIENT_IP, CANARY_LABEL, CANARY_RANGE, CANARY_REQUEST_ID_PREFIX } from "../../handlers/canary";
import { dailyIndex, documentId, errorsKeyFor } from "../../handlers/loader";
import { centralKey, hourPartition, parseRegionalKey, REGIONAL_LOG_PREFIX } from "../../layout";
import { ATHENA_DATABASE, BLOCKLIST_DETECTOR_FUNCTION } from "../../names";
import { awsEnvironmentError } from "./awsErrors";
import { fromUserDirectory, runCli, usageError, userError } from "./shell";
import { listAllKeys } from "./s3Listing";

export const HOPS = ["firehose", "staging", "central", "loaded", "athena", "detector"] as const;
export type Hop = (typeof HOPS)[number];

/** Default time each hop may take, seconds: Firehose buffers up to its interval (default 60 s). */
export const DEFAULT_HOP_TIMEOUT_SECONDS = 300;

export const VERIFY_USAGE = `usage: npm run verify -- --stack <resource stack> [options]

Writes one synthetic WAF record (request ID ${CANARY_REQUEST_ID_PREFIX}<uuid>, label
${CANARY_LABEL}, client IP ${CANARY_CLIENT_IP}) through the stack's Firehose stream and follows it:
  firehose  PutRecord on the stack's aws-waf-logs-* stream
  staging   the GZIP object Firehose wrote to the staging bucket holds it
  central   the copier put that object in the central bucket's layout
  loaded    its document is in OpenSearch (with --search-url), and the loader did not park it
  athena    the waf_logs view answers a query for its request ID
  detector  a detector run succeeds and does not block the canary (skipped when response.mode is off)
Prints each hop's latency; exits 1 naming the first hop that failed or timed out.
  --stack <name>            a resource stack (Pulumi.<name>.yaml), deployed.
  --timeout <seconds>       time each hop may take (default ${DEFAULT_HOP_TIMEOUT_SECONDS}).
  --search-url <url>        the OpenSearch endpoint as this machine reaches it (the domain answers
                            only inside its VPC: a VPN, a bastion, or an SSM port forward). Without
                            it the document itself is not looked up.
  --logging-profile <name>  the AWS profile for the logging account (central bucket, Athena, the
                            detector, OpenSearch). Default: the same credentials as the stack's.
  --endpoint <url>          one endpoint for Firehose, S3, Athena and Lambda: the local sandbox
                            (npm start -- --keep prints the whole command) instead of AWS.
  --outputs <file>          the stacks' outputs from a JSON file, by stack name (the sandbox
                            writes one), instead of the Pulumi CLI.
  --help                    this text.

Stack outputs come from \`pulumi stack output --json\` for the stack and its logging stack. The
stack's credentials need firehose:PutRecord and s3:GetObject/ListBucket on the staging bucket; the
logging account's need s3:GetObject/ListBucket on the central bucket, the Athena workgroup's query
permissions, lambda:InvokeFunction on the detector, and es:ESHttpGet on the domain.`;

/** Where the canary goes: from the resource stack's outputs and the logging stack's. */
export interface CanaryTarget {
    readonly accountId: string;
    readonly region: string;
    readonly streamName: string;
    readonly stagingBucket: string;
    readonly centralBucket: string;
    readonly webAclArn?: string;
    /** The logging stack's `search.indexPrefix`. */
    readonly indexPrefix: string;
    readonly athenaWorkgroup: string;
    /** The detector to run; undefined when the response loop is off. */
    readonly detectorFunction?: string;
}

/** What the canary calls, so the same hops run against AWS and the stand-ins. */
export interface VerifyCalls {
    putRecord(streamName: string, data: Buffer): Promise<void>;
    /** Keys under a prefix of a resource-account (staging) or logging-account (central) bucket. */
    listKeys(account: "resource" | "logging", bucket: string, prefix: string): Promise<string[]>;
    /** An object's bytes, or undefined when it does not exist. */
    getObject(account: "resource" | "logging", bucket: string, key: string): Promise<Buffer | undefined>;
    /** Whether the document exists; undefined when no search endpoint was given. */
    documentExists?(index: string, id: string): Promise<boolean>;
    /** Runs an Athena query with `?` parameters (quoted as Athena literals), returns its rows. */
    query(
        workGroup: string,
        sql: string,
        params: readonly string[],
        timeoutMs: number,
    ): Promise<Record<string, string | null>[]>;
    /** Invokes a function synchronously: its result, or the error it reported. */
    invoke(functionName: string, event: unknown): Promise<{ error?: string; result?: any }>;
}

export interface HopResult {
    readonly hop: Hop;
    readonly status: "pass" | "fail" | "skip" | "not reached";
    /** Milliseconds the hop took, and since the canary was put. */
    readonly ms?: number;
    readonly sincePutMs?: number;
    readonly detail: string;
}

export interface VerifyOptions {
    /** Per hop; default `DEFAULT_HOP_TIMEOUT_SECONDS` seconds. */
    readonly timeoutMs?: number;
    /** Between two looks; default 5 s. */
    readonly pollMs?: number;
    readonly log?: (line: string) => void;
}

/** The query the athena hop runs: `?` only in WHERE, values passed as parameters. */
export const CANARY_QUERY = `SELECT httprequest.requestid AS request_id, account_id, region, hour
FROM waf_logs
WHERE hour BETWEEN ? AND ? AND account_id = ? AND region = ? AND httprequest.requestid = ?`;

/** The canary's WAF record, as WAF writes one (a single JSON line), clearly labelled. */
export function canaryRecord(target: CanaryTarget, requestId: string, timestamp: number): string {
    const webAclId =
        target.webAclArn ??
        `arn:aws:wafv2:${target.region}:${target.accountId}:regional/webacl/central-waf-logs-canary/00000000-0000-0000-0000-000000000000`;
    return JSON.stringify({
        timestamp,
        formatVersion: 1,
        webaclId: webAclId,
        terminatingRuleId: "Default_Action",
        terminatingRuleType: "REGULAR",
        action: "ALLOW",
        terminatingRuleMatchDetails: [],
        httpSourceName: "ALB",
        httpSourceId: `${target.accountId}-app/central-waf-logs-canary/0`,
        ruleGroupList: [],
        rateBasedRuleList: [],
        nonTerminatingMatchingRules: [],
        httpRequest: {
            clientIp: CANARY_CLIENT_IP,
            country: "-",
            headers: [{ name: "user-agent", value: "central-waf-logs-canary (npm run verify)" }],
            uri: "/central-waf-logs-canary",
            args: "",
            httpVersion: "HTTP/1.1",
            httpMethod: "GET",
            requestId,
        },
        labels: [{ name: CANARY_LABEL }],
    });
}

class HopFailure extends Error {}

/** Sends the canary and follows it; never throws for what a hop finds. */
export async function verifyCanary(
    target: CanaryTarget,
    calls: VerifyCalls,
    options: VerifyOptions = {},
): Promise<{ requestId: string; hops: HopResult[] }> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_HOP_TIMEOUT_SECONDS * 1000;
    const pollMs = options.pollMs ?? 5000;
    const log = options.log ?? (() => undefined);
    const requestId = `${CANARY_REQUEST_ID_PREFIX}${randomUUID()}`;
    const putAt = Date.now();
    const hops: HopResult[] = [];
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    /** Looks again and again until `look` returns a value, or the hop's time is up. */
    const until = async <T>(look: () => Promise<T | undefined>, waiting: () => string): Promise<T> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const found = await look();
            if (found !== undefined) return found;
            if (Date.now() + pollMs > deadline) {
                throw new HopFailure(`timed out after ${(timeoutMs / 1000).toFixed(1)} s: ${waiting()}`);
            }
            await sleep(pollMs);
        }
    };
    const describe = (err: unknown) => {
        if (err instanceof HopFailure) return err.message;
        const known = awsEnvironmentError(err, { what: "AWS", permissions: "the permissions --help lists" });
        const e = err as { name?: string; message?: string };
        return known?.message ?? `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
    };
    const run = async (hop: Hop, body: () => Promise<string | { skip: string }>): Promise<boolean> => {
        if (hops.some((h) => h.status === "fail")) {
            hops.push({ hop, status: "not reached", detail: "an earlier hop failed" });
            return false;
        }
        const started = Date.now();
        try {
            const outcome = await body();
            const done = Date.now();
            const result: HopResult =
                typeof outcome === "string"
                    ? { hop, status: "pass", ms: done - started, sincePutMs: done - putAt, detail: outcome }
                    : { hop, status: "skip", detail: outcome.skip };
            hops.push(result);
            log(renderHop(result));
            return true;
        } catch (err) {
            const result: HopResult = { hop, status: "fail", ms: Date.now() - started, detail: describe(err) };
            hops.push(result);
            log(renderHop(result));
            return false;
        }
    };

    const line = canaryRecord(target, requestId, putAt);
    let staged: { key: string; line: number } | undefined;
    await run("firehose", async () => {
        // WAF ends every record with a newline; Firehose concatenates records as sent.
        await calls.putRecord(target.streamName, Buffer.from(`${line}\n`));
        return `PutRecord on ${target.streamName}: ${requestId}`;
    });

    const seen = new Set<string>();
    await run("staging", async () => {
        // Firehose files the object under the UTC hour it arrived in: this one or the next.
        const hours = [...new Set([hourPartition(putAt), hourPartition(putAt + timeoutMs)])];
        staged = await until(
            async () => {
                for (const hour of hours) {
                    for (const key of await calls.listKeys(
                        "resource",
                        target.stagingBucket,
                        `${REGIONAL_LOG_PREFIX}${hour}/`,
                    )) {
                        if (seen.has(key)) continue;
                        const body = await calls.getObject("resource", target.stagingBucket, key);
                        if (body === undefined) continue;
                        seen.add(key);
                        const at = linesOf(body).findIndex((l) => l.includes(requestId));
                        if (at >= 0) return { key, line: at + 1 };
                    }
                }
                return undefined;
            },
            () => `no object under ${target.stagingBucket}/${REGIONAL_LOG_PREFIX}${hours.join(" or ")} holds it yet`,
        );
        return `s3://${target.stagingBucket}/${staged.key} (line ${staged.line})`;
    });

    let central: string | undefined;
    await run("central", async () => {
        const regional = parseRegionalKey(staged!.key);
        if (!regional) throw new HopFailure(`${staged!.key} is not a staging key of the layout`);
        central = centralKey({
            accountId: target.accountId,
            region: target.region,
            streamName: target.streamName,
            ...regional,
        });
        await until(
            async () => {
                const body = await calls.getObject("logging", target.centralBucket, central!);
                return body && linesOf(body).some((l) => l.includes(requestId)) ? true : undefined;
            },
            () => `the copier has not written s3://${target.centralBucket}/${central}`,
        );
        return `s3://${target.centralBucket}/${central}`;
    });

    await run("loaded", async () => {
        const report = errorsKeyFor(central!);
        const index = dailyIndex(target.indexPrefix, putAt);
        const id = documentId(target.centralBucket, central!, staged!.line);
        const parked = async () => {
            const body = await calls.getObject("logging", target.centralBucket, report);
            const entry =
                body &&
                linesOf(body)
                    .map(parseJson)
                    .find((e) => e?.line === staged!.line);
            if (entry) {
                throw new HopFailure(
                    `the loader parked the canary (line ${staged!.line}) in s3://${target.centralBucket}/${report}: ${entry.reason}`,
                );
            }
        };
        if (!calls.documentExists) {
            await parked();
            return { skip: `not parked; document ${index}/${id} not looked up (give --search-url to look it up)` };
        }
        await until(
            async () => {
                await parked();
                return (await calls.documentExists!(index, id)) ? true : undefined;
            },
            () => `no document ${index}/${id}, and no report of it parked`,
        );
        return `document ${index}/${id}`;
    });

    await run("athena", async () => {
        const params = [
            hourPartition(putAt),
            hourPartition(putAt + timeoutMs),
            target.accountId,
            target.region,
            requestId,
        ];
        const deadline = Date.now() + timeoutMs;
        await until(
            async () => {
                const rows = await calls.query(
                    target.athenaWorkgroup,
                    CANARY_QUERY,
                    params,
                    Math.max(1000, deadline - Date.now()),
                );
                return rows.some((r) => r.request_id === requestId) ? true : undefined;
            },
            () => `the ${target.athenaWorkgroup} workgroup's waf_logs view does not answer ${requestId}`,
        );
        return `waf_logs answers it (workgroup ${target.athenaWorkgroup})`;
    });

    await run("detector", async () => {
        if (!target.detectorFunction) return { skip: "response.mode is off: no detector" };
        const { error, result } = await calls.invoke(target.detectorFunction, { source: "central-waf-logs verify" });
        if (error !== undefined) throw new HopFailure(`${target.detectorFunction} failed: ${error}`);
        const blocked = [...(result?.added ?? []), ...(result?.extended ?? [])].filter(
            (c: string) => c === CANARY_RANGE,
        );
        if (blocked.length > 0) throw new HopFailure(`${target.detectorFunction} blocked the canary's ${CANARY_RANGE}`);
        return `${target.detectorFunction} ran (${result?.candidates ?? 0} bursts over the threshold) and left ${CANARY_CLIENT_IP} alone`;
    });
    return { requestId, hops };
}

function linesOf(body: Buffer): string[] {
    const text = body[0] === 0x1f && body[1] === 0x8b ? zlib.gunzipSync(body).toString("utf8") : body.toString("utf8");
    return text.split("\n").filter((l) => l !== "");
}

function parseJson(text: string): any {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

const seconds = (ms: number | undefined) => (ms === undefined ? "" : `${(ms / 1000).toFixed(1)} s`);

export function renderHop(h: HopResult): string {
    const timing =
        h.status === "pass"
            ? ` ${seconds(h.ms)} (${seconds(h.sincePutMs)} after the put)`
            : h.ms !== undefined
              ? ` after ${seconds(h.ms)}`
              : "";
    return `  ${h.status.toUpperCase().padEnd(11)} ${h.hop.padEnd(8)}${timing}: ${h.detail}`;
}

/** The verdict line: the hop that failed, or that all passed. */
export function verdict(hops: readonly HopResult[]): string {
    const failed = hops.find((h) => h.status === "fail");
    if (failed) return `The canary stopped at hop ${failed.hop}: ${failed.detail}`;
    const skipped = hops.filter((h) => h.status === "skip").map((h) => h.hop);
    return `The canary went through every hop${skipped.length ? ` (not checked: ${skipped.join(", ")})` : ""}.`;
}

/** The SDK calls; endpoints and credentials are overridable (stand-ins). */
export function sdkVerifyCalls(options: {
    readonly region: string;
    readonly loggingRegion: string;
    readonly loggingProfile?: string;
    readonly searchUrl?: string;
    readonly endpoints?: Partial<Record<"firehose" | "s3" | "athena" | "lambda", string>>;
    readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}): VerifyCalls & { destroy(): void } {
    const base = (service: keyof NonNullable<typeof options.endpoints>, account: "resource" | "logging") => ({
        region: account === "resource" ? options.region : options.loggingRegion,
        ...(options.endpoints?.[service] ? { endpoint: options.endpoints[service] } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        ...(account === "logging" && options.loggingProfile ? { profile: options.loggingProfile } : {}),
    });
    const firehose = new FirehoseClient(base("firehose", "resource"));
    const s3 = {
        resource: new S3Client({ ...base("s3", "resource"), forcePathStyle: Boolean(options.endpoints?.s3) }),
        logging: new S3Client({ ...base("s3", "logging"), forcePathStyle: Boolean(options.endpoints?.s3) }),
    };
    const athena = new AthenaClient(base("athena", "logging"));
    const lambda = new LambdaClient(base("lambda", "logging"));
    let search: any;
    const searchClient = () => {
        if (!search) {
            /* eslint-disable @typescript-eslint/no-require-imports */
            const { Client } = require("@opensearch-project/opensearch");
            const { AwsSigv4Signer } = require("@opensearch-project/opensearch/aws");
            /* eslint-enable @typescript-eslint/no-require-imports */
            search = new Client({
                ...AwsSigv4Signer({
                    region: options.loggingRegion,
                    service: "es",
                    getCredentials: () => s3.logging.config.credentials(),
                }),
                node: options.searchUrl,
            });
        }
        return search;
    };
    return {
        async putRecord(streamName, data) {
            await firehose.send(new PutRecordCommand({ DeliveryStreamName: streamName, Record: { Data: data } }));
        },
        listKeys: (account, bucket, prefix) => listAllKeys(s3[account], bucket, prefix),
        async getObject(account, bucket, key) {
            try {
                const out = await s3[account].send(new GetObjectCommand({ Bucket: bucket, Key: key }));
                return Buffer.from(await out.Body!.transformToByteArray());
            } catch (err) {
                if ((err as { name?: string }).name === "NoSuchKey") return undefined;
                throw err;
            }
        },
        ...(options.searchUrl
            ? {
                  async documentExists(index: string, id: string) {
                      try {
                          await searchClient().get({ index, id });
                          return true;
                      } catch (err) {
                          if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return false;
                          throw err;
                      }
                  },
              }
            : {}),
        async query(workGroup, sql, params, timeoutMs) {
            const started = Date.now();
            const result = await runAthenaQuery(
                sql,
                params,
                {
                    start: async (QueryString, ExecutionParameters) =>
                        (
                            await athena.send(
                                new StartQueryExecutionCommand({
                                    QueryString,
                                    ExecutionParameters,
                                    WorkGroup: workGroup,
                                    QueryExecutionContext: { Database: ATHENA_DATABASE },
                                }),
                            )
                        ).QueryExecutionId!,
                    status: async (QueryExecutionId) => {
                        const { QueryExecution } = await athena.send(
                            new GetQueryExecutionCommand({ QueryExecutionId }),
                        );
                        return {
                            state: QueryExecution?.Status?.State ?? "UNKNOWN",
                            reason: QueryExecution?.Status?.StateChangeReason,
                            scannedBytes: QueryExecution?.Statistics?.DataScannedInBytes,
                        };
                    },
                    page: async (QueryExecutionId, NextToken) => {
                        const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId, NextToken }));
                        return {
                            rows: (page.ResultSet?.Rows ?? []).map((row) =>
                                (row.Data ?? []).map((d) => d.VarCharValue ?? null),
                            ),
                            nextToken: page.NextToken,
                        };
                    },
                    stop: async (QueryExecutionId) => {
                        await athena.send(new StopQueryExecutionCommand({ QueryExecutionId }));
                    },
                    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
                },
                () => timeoutMs - (Date.now() - started),
            );
            return result.rows;
        },
        async invoke(functionName, event) {
            const out = await lambda.send(
                new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }),
            );
            const payload = out.Payload ? parseJson(Buffer.from(out.Payload).toString("utf8")) : undefined;
            return out.FunctionError
                ? { error: `${payload?.errorType ?? out.FunctionError}: ${payload?.errorMessage ?? "no message"}` }
                : { result: payload };
        },
        destroy() {
            for (const c of [firehose, s3.resource, s3.logging, athena, lambda]) c.destroy();
            void search?.close();
        },
    };
}

/** What the canary needs from the resource stack's and the logging stack's outputs and config. */
export function canaryTarget(
    resourceOutputs: Record<string, any>,
    loggingOutputs: Record<string, any>,
    indexPrefix: string,
): CanaryTarget {
    const need = (outputs: Record<string, any>, name: string, stack: string) => {
        const value = outputs[name];
        if (typeof value !== "string" || value === "") {
            throw userError(
                `The ${stack} stack has no output ${name}. Fix: deploy it (pulumi up) with this version first.`,
            );
        }
        return value;
    };
    return {
        accountId: need(resourceOutputs, "accountId", "resource"),
        region: need(resourceOutputs, "region", "resource"),
        streamName: need(resourceOutputs, "firehoseStreamName", "resource"),
        stagingBucket: need(resourceOutputs, "stagingBucketName", "resource"),
        centralBucket: need(resourceOutputs, "centralBucketName", "resource"),
        webAclArn: resourceOutputs.webAclArn,
        indexPrefix,
        athenaWorkgroup: need(loggingOutputs, "athenaWorkgroup", "logging"),
        detectorFunction: loggingOutputs.responseMode === "off" ? undefined : BLOCKLIST_DETECTOR_FUNCTION,
    };
}

export interface VerifyArgs {
    readonly stack: string;
    readonly timeoutMs: number;
    readonly searchUrl?: string;
    readonly loggingProfile?: string;
    /** One endpoint for every service the canary calls (the local sandbox's). */
    readonly endpoint?: string;
    /** A JSON file of stack outputs by stack name, read instead of asking the Pulumi CLI. */
    readonly outputs?: string;
}

export function parseVerifyArgs(argv: readonly string[]): VerifyArgs {
    let stack: string | undefined;
    let timeoutMs = DEFAULT_HOP_TIMEOUT_SECONDS * 1000;
    let searchUrl: string | undefined;
    let loggingProfile: string | undefined;
    let endpoint: string | undefined;
    let outputs: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined || v.startsWith("--")) throw usageError(`${flag} needs a value.`);
            return v;
        };
        if (flag === "--stack") stack = value();
        else if (flag === "--timeout") {
            const text = value();
            if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 3600) {
                throw usageError(`--timeout takes whole seconds from 1 to 3600, got "${text}".`);
            }
            timeoutMs = Number(text) * 1000;
        } else if (flag === "--search-url") {
            searchUrl = value();
            if (!/^https?:\/\/[^\s/]+/.test(searchUrl)) {
                throw usageError(
                    `--search-url takes the domain's https:// endpoint as this machine reaches it, got "${searchUrl}".`,
                );
            }
        } else if (flag === "--logging-profile") loggingProfile = value();
        else if (flag === "--endpoint") {
            endpoint = value();
            if (!/^https?:\/\/[^\s/]+/.test(endpoint)) {
                throw usageError(
                    `--endpoint takes the URL of a local stand-in, such as http://127.0.0.1:4566, got "${endpoint}".`,
                );
            }
        } else if (flag === "--outputs") outputs = fromUserDirectory(value());
        else throw usageError(`Unknown ${flag.startsWith("-") ? "option" : "argument"} ${flag}.`);
    }
    if (stack === undefined)
        throw usageError("Give --stack <resource stack>: the stack whose Firehose stream the canary goes through.");
    return { stack, timeoutMs, searchUrl, loggingProfile, endpoint, outputs };
}

/**
 * One stack's outputs from a JSON file that maps stack names to their outputs (as
 * `pulumi stack output --json` prints each); the local sandbox writes one.
 */
export function stackOutputsFromFile(file: string, stack: string): Record<string, any> {
    const fix = "Fix: give the file the sandbox printed, or leave out --outputs to ask the Pulumi CLI.";
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw userError(`--outputs ${file} cannot be read (${(err as { code?: string }).code ?? String(err)}). ${fix}`);
    }
    let all: unknown;
    try {
        all = JSON.parse(text);
    } catch (err) {
        throw userError(`--outputs ${file} is not JSON: ${(err as Error).message}. ${fix}`);
    }
    const outputs = (all as Record<string, unknown> | null)?.[stack];
    if (typeof outputs !== "object" || outputs === null) {
        const has = typeof all === "object" && all !== null ? Object.keys(all).join(", ") : "nothing";
        throw userError(`${file} holds no outputs of stack ${stack} (it has ${has}). ${fix}`);
    }
    return outputs as Record<string, any>;
}

/** A deployed stack's outputs, as the Pulumi CLI prints them. */
function pulumiOutputs(stack: string): Record<string, any> {
    try {
        return JSON.parse(
            execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], {
                encoding: "utf8",
                stdio: ["ignore", "pipe", "pipe"],
            }),
        );
    } catch (err) {
        const e = err as { code?: string; stderr?: string };
        if (e.code === "ENOENT")
            throw userError("The pulumi CLI is not installed. Fix: install it and log in to the stacks' backend.");
        throw userError(
            `pulumi stack output --stack ${stack} failed: ${(e.stderr ?? String(err)).trim()} Fix: select the backend the stack lives in (pulumi login).`,
        );
    }
}

/** `npm run verify`: sends the canary and prints each hop; exit code 1 when a hop failed. */
export async function verifyMain(argv: readonly string[]): Promise<void> {
    const args = parseVerifyArgs(argv);
    const { committedConfig, readStackConfig } = await import("./stackFiles");
    const config = await committedConfig(args.stack);
    if (config.role !== "resource") {
        throw userError(
            `${args.stack} is a ${config.role} stack. Fix: pass a resource stack: the canary goes through its Firehose stream.`,
        );
    }
    const loggingName = config.loggingStack.split("/")[2];
    const logging = parseStackConfig(loggingName, readStackConfig(loggingName));
    if (logging.role !== "logging") throw userError(`${config.loggingStack} is not the logging stack.`);
    const outputsOf = (stack: string, fullName: string) =>
        args.outputs !== undefined ? stackOutputsFromFile(args.outputs, stack) : pulumiOutputs(fullName);
    const target = canaryTarget(
        outputsOf(args.stack, args.stack),
        outputsOf(loggingName, config.loggingStack),
        logging.search.indexPrefix,
    );
    const endpoint = args.endpoint;
    const calls = sdkVerifyCalls({
        region: config.region,
        loggingRegion: logging.region,
        loggingProfile: args.loggingProfile,
        searchUrl: args.searchUrl,
        ...(endpoint ? { endpoints: { firehose: endpoint, s3: endpoint, athena: endpoint, lambda: endpoint } } : {}),
    });
    try {
        console.log(
            `Canary through ${target.streamName} (${target.accountId}/${target.region}), each hop up to ${args.timeoutMs / 1000} s:`,
        );
        const { hops } = await verifyCanary(target, calls, { timeoutMs: args.timeoutMs, log: console.log });
        for (const h of hops.filter((x) => x.status === "not reached")) console.log(renderHop(h));
        console.log(verdict(hops));
        if (hops.some((h) => h.status === "fail")) process.exitCode = 1;
    } finally {
        calls.destroy();
    }
}

if (require.main === module) runCli(verifyMain, { usage: VERIFY_USAGE, help: "npm run verify -- --help" });
