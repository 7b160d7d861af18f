/**
 * The copier: moves each object Firehose delivers into a regional bucket to its place in the
 * central layout, streaming it from the staging bucket into a conditional write (If-None-Match),
 * so that an object, once delivered, can never be replaced. A server-side CopyObject cannot be
 * conditional: S3 refuses CopyObject where a bucket policy enforces conditional writes.
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

/**
 * One delivery: read the staged object, write it to the central bucket only if the key is new.
 * Fields are those of the SDK's GetObject and PutObject inputs.
 */
export interface DeliveryRequest {
    readonly source: { Bucket: string; Key: string; ExpectedBucketOwner: string };
    readonly destination: {
        Bucket: string;
        Key: string;
        ServerSideEncryption: "aws:kms";
        SSEKMSKeyId: string;
        BucketKeyEnabled: true;
        ExpectedBucketOwner: string;
        /** A conditional write: S3 refuses it (412) when the key exists, so nothing is overwritten. */
        IfNoneMatch: "*";
    };
}

/** `delivered`, or `already-delivered` when the central key existed (S3 answered 412). */
export type DeliveryOutcome = "delivered" | "already-delivered";

export type Deliver = (request: DeliveryRequest) => Promise<DeliveryOutcome>;

export interface CopiedObject {
    readonly source: string;
    readonly destination: string;
    readonly outcome: DeliveryOutcome;
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

export function deliveryRequest(bucket: string, sourceKey: string, settings: CopierSettings): DeliveryRequest {
    return {
        source: { Bucket: bucket, Key: sourceKey, ExpectedBucketOwner: settings.accountId },
        destination: {
            Bucket: settings.centralBucket,
            Key: destinationKey(sourceKey, settings),
            ServerSideEncryption: "aws:kms",
            SSEKMSKeyId: settings.centralKeyArn,
            BucketKeyEnabled: true,
            ExpectedBucketOwner: settings.centralAccountId,
            IfNoneMatch: "*",
        },
    };
}

/**
 * Delivers every object of the event. Resolves only when every object is in the central bucket;
 * otherwise rejects after all deliveries settled, naming each failure, so Lambda retries the event
 * and finally parks it in the on-failure queue. The central key depends only on the source key and
 * is written only if new, so a retried or re-delivered event is counted as delivered and changes
 * nothing, and no one (an application account included) can rewrite a delivered object.
 */
export async function copyEvent(
    event: S3Event,
    deliver: Deliver,
    settings: CopierSettings,
    log: (line: string) => void = console.log,
): Promise<CopiedObject[]> {
    const records = event.Records ?? [];
    const results = await Promise.allSettled(
        records.map(async (record) => {
            const source = decodeEventKey(record.s3.object.key);
            const request = deliveryRequest(record.s3.bucket.name, source, settings);
            const outcome = await deliver(request);
            return {
                source: `${request.source.Bucket}/${source}`,
                destination: `${request.destination.Bucket}/${request.destination.Key}`,
                outcome,
            };
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
            copied: copied.filter((c) => c.outcome === "delivered").length,
            alreadyDelivered: copied.filter((c) => c.outcome === "already-delivered").length,
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
