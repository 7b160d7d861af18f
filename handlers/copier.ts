/**
 * The copier: moves each object Firehose delivers into a regional bucket to its place in the
 * central layout, with a server-side copy (the data never passes through the Lambda).
 *
 * Plain functions of (event, dependencies) so they run the same in Lambda and in tests; the
 * serialized Lambda entry point is `copierHandlerFactory` in ./copierLambda.ts.
 */
import { centralKey, parseRegionalKey } from "../layout";
import { S3Event, decodeEventKey } from "./s3Events";

export interface CopierSettings {
    /** Central bucket name. */
    readonly centralBucket: string;
    /** The central KMS key every object must be encrypted with. */
    readonly centralKeyArn: string;
    /** Owner of the central bucket; the copy fails rather than write to anyone else's bucket. */
    readonly centralAccountId: string;
    /** This account; the source bucket must belong to it. */
    readonly accountId: string;
    readonly region: string;
    /** The Firehose stream whose objects this copier moves. */
    readonly streamName: string;
}

/** The CopyObject request fields the copier sends (a subset of the SDK's CopyObjectCommandInput). */
export interface CopyRequest {
    Bucket: string;
    Key: string;
    CopySource: string;
    ServerSideEncryption: "aws:kms";
    SSEKMSKeyId: string;
    BucketKeyEnabled: true;
    ExpectedBucketOwner: string;
    ExpectedSourceBucketOwner: string;
}

export type CopyObject = (request: CopyRequest) => Promise<unknown>;

export interface CopiedObject {
    readonly source: string;
    readonly destination: string;
}

const ENVIRONMENT: Record<keyof CopierSettings, string> = {
    centralBucket: "CENTRAL_BUCKET",
    centralKeyArn: "CENTRAL_KEY_ARN",
    centralAccountId: "CENTRAL_ACCOUNT_ID",
    accountId: "SOURCE_ACCOUNT_ID",
    region: "SOURCE_REGION",
    streamName: "STREAM_NAME",
};

/** The Lambda environment the component sets for these settings. */
export function copierEnvironment(settings: CopierSettings): Record<string, string> {
    const entries = Object.entries(ENVIRONMENT) as [keyof CopierSettings, string][];
    return Object.fromEntries(entries.map(([field, variable]) => [variable, settings[field]]));
}

/** Reads the settings back inside the Lambda; a missing variable is a deployment bug, so fail loudly. */
export function copierSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): CopierSettings {
    const entries = Object.entries(ENVIRONMENT) as [keyof CopierSettings, string][];
    const missing = entries.filter(([, variable]) => !env[variable]).map(([, variable]) => variable);
    if (missing.length > 0) throw new Error(`Copier environment is missing ${missing.join(", ")}.`);
    return Object.fromEntries(entries.map(([field, variable]) => [field, env[variable]])) as unknown as CopierSettings;
}

/** Where a regional object goes in the central bucket. Throws for a key outside `logs/yyyy/MM/dd/HH/`. */
export function destinationKey(sourceKey: string, settings: CopierSettings): string {
    const parts = parseRegionalKey(sourceKey);
    if (!parts) {
        throw new Error(`Object key "${sourceKey}" is not a Firehose delivery (expected logs/yyyy/MM/dd/HH/<file>).`);
    }
    return centralKey({
        accountId: settings.accountId,
        region: settings.region,
        streamName: settings.streamName,
        ...parts,
    });
}

export function copyRequest(bucket: string, sourceKey: string, settings: CopierSettings): CopyRequest {
    return {
        Bucket: settings.centralBucket,
        Key: destinationKey(sourceKey, settings),
        // CopySource is `bucket/key`, URL-encoded except for the path's slashes.
        CopySource: `${bucket}/${encodeURIComponent(sourceKey).replace(/%2F/g, "/")}`,
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: settings.centralKeyArn,
        BucketKeyEnabled: true,
        ExpectedBucketOwner: settings.centralAccountId,
        ExpectedSourceBucketOwner: settings.accountId,
    };
}

/**
 * Copies every object of the event. Resolves only when every copy succeeded; otherwise rejects
 * after all copies settled, naming each failure, so Lambda retries the event and finally parks it
 * in the on-failure queue. The destination key depends only on the source key, so a retried or
 * re-delivered event overwrites the same object instead of adding one.
 */
export async function copyEvent(
    event: S3Event,
    copyObject: CopyObject,
    settings: CopierSettings,
    log: (line: string) => void = console.log,
): Promise<CopiedObject[]> {
    const records = event.Records ?? [];
    const results = await Promise.allSettled(
        records.map(async (record) => {
            const source = decodeEventKey(record.s3.object.key);
            const request = copyRequest(record.s3.bucket.name, source, settings);
            await copyObject(request);
            return { source: `${record.s3.bucket.name}/${source}`, destination: `${request.Bucket}/${request.Key}` };
        }),
    );
    const copied = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failures = results.flatMap((r, i) =>
        r.status === "rejected" ? [`${records[i].s3.object.key}: ${errorMessage(r.reason)}`] : [],
    );
    log(
        JSON.stringify({
            msg: "copier summary",
            records: records.length,
            copied: copied.length,
            failed: failures.length,
        }),
    );
    if (failures.length > 0) {
        throw new Error(`Copied ${copied.length} of ${records.length} objects; failed: ${failures.join("; ")}`);
    }
    return copied;
}

function errorMessage(reason: unknown): string {
    return reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
}
