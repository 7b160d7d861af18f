/**
 * A stage for the deployed loader: a local S3 (behind a fault proxy) holding the committed
 * logging stack's central bucket, the loopback search stand-in, and the loader's `__index.js` as
 * the program deploys it, loaded with its deployed environment pointed at them.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { SEARCH_LOADER_FUNCTION } from "../../names";
import { Handler, deployedEnvironment, deployedSource, loadHandler } from "../../tools/local/deployedCode";
import { FaultProxy, startFaultProxy } from "../../tools/local/aws/faultProxy";
import { LocalS3, startLocalS3 } from "../../tools/local/aws/localS3";
import { SearchServer, startSearchServer } from "../../tools/local/aws/searchServer";
import { backgroundTraffic } from "../../tools/traffic/traffic";
import { committedRun } from "./program";

export const HOUR_PREFIX = "222222222222/us-east-1/aws-waf-logs-central-us-east-1/2026/11/27/10/";

export interface LoaderStage {
    readonly central: string;
    readonly s3: LocalS3;
    /** Between the loader and S3. */
    readonly s3Proxy: FaultProxy;
    readonly search: SearchServer;
    /** The deployed loader with its deployed environment, the stand-ins' endpoints and `overrides`. */
    handler(overrides?: Record<string, string>): Handler;
    put(key: string, body: string | Buffer): Promise<void>;
    /** Event records of objects put since the last call (the loader's own reports excluded). */
    events(): unknown[];
    /** The parsed report of parked lines at `key`, or undefined when there is none. */
    report(key: string): Promise<any[] | undefined>;
    keys(prefix: string): Promise<string[]>;
    close(): Promise<void>;
}

export async function startLoaderStage(): Promise<LoaderStage> {
    const logging = await committedRun("logging");
    const central = logging.outputs.centralBucketName;
    const source = await deployedSource(logging, SEARCH_LOADER_FUNCTION);
    const environment = deployedEnvironment(logging, SEARCH_LOADER_FUNCTION);
    const s3 = await startLocalS3([central]);
    const s3Proxy = await startFaultProxy(s3.endpoint);
    const search = await startSearchServer();
    return {
        central,
        s3,
        s3Proxy,
        search,
        handler: (overrides = {}) =>
            loadHandler(source, {
                ...environment,
                ...s3.lambdaEnvironment("us-east-1"),
                AWS_ENDPOINT_URL_S3: s3Proxy.url,
                OPENSEARCH_ENDPOINT: search.url,
                BULK_BASE_DELAY_MS: "1",
                ...overrides,
            }),
        put: async (key, body) => {
            await s3.client.send(new PutObjectCommand({ Bucket: central, Key: key, Body: body }));
        },
        events: () => s3.takeEvents(central).filter((r) => !r.s3.object.key.startsWith("_errors/")),
        report: async (key) => {
            try {
                const got = await s3.client.send(new GetObjectCommand({ Bucket: central, Key: key }));
                const text = await got.Body!.transformToString();
                return text
                    .split("\n")
                    .filter((l) => l !== "")
                    .map((l) => JSON.parse(l));
            } catch (err) {
                if ((err as Error).name === "NoSuchKey") return undefined;
                throw err;
            }
        },
        keys: async (prefix) => {
            const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: central, Prefix: prefix }));
            return (listed.Contents ?? []).map((o) => o.Key!);
        },
        close: async () => {
            await s3Proxy.close();
            await search.close();
            await s3.close();
        },
    };
}

/**
 * `count` realistic WAF records, each with a unique request ID `rec-<n>` (from `first`), so that
 * every record can be found again among indexed documents and parked lines.
 */
export function numberedRecords(count: number, first = 0): string[] {
    const lines = [
        ...backgroundTraffic(
            {
                accountId: "222222222222",
                region: "us-east-1",
                webAclName: "shop",
                startMs: Date.UTC(2026, 10, 27, 10),
                spanMs: 3_600_000,
                seed: 11,
            },
            count,
        ),
    ];
    return lines.map((line, i) => {
        const record = JSON.parse(line);
        record.httpRequest.requestId = `rec-${first + i}`;
        return JSON.stringify(record);
    });
}

/** The `rec-<n>` marker of a line or document, or undefined. */
export function markerOf(text: string): string | undefined {
    return /rec-\d+/.exec(text)?.[0];
}

/**
 * Where each generated record ended: indexed documents (in the search stand-in) and parked lines
 * (in reports), by marker. Every marker must appear exactly once across both.
 */
export function accounting(
    generated: readonly string[],
    indexed: Iterable<{ source: any }>,
    parked: readonly { text: string }[],
): { missing: string[]; duplicated: string[]; indexed: number; parked: number } {
    const seen = new Map<string, number>();
    const count = (marker: string | undefined) => marker && seen.set(marker, (seen.get(marker) ?? 0) + 1);
    let indexedCount = 0;
    for (const doc of indexed) {
        indexedCount++;
        count(markerOf(String(doc.source.requestId)));
    }
    for (const line of parked) count(markerOf(line.text));
    const markers = generated.map((line) => markerOf(line)!);
    return {
        missing: markers.filter((m) => !seen.has(m)),
        duplicated: [...seen].filter(([, n]) => n > 1).map(([m]) => m),
        indexed: indexedCount,
        parked: parked.length,
    };
}
