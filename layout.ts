/**
 * The one definition of where WAF log objects live: the regional staging keys Firehose writes,
 * and the central layout `<account_id>/<region>/<firehose_name>/<yyyy>/<MM>/<dd>/<HH>/<file>`
 * that the copier writes, the logging stack exports, and the loader and analytics read.
 *
 * This module is captured into the copier Lambda by closure serialization: keep it free of
 * Pulumi and SDK imports.
 */

/** Where Firehose writes delivered records in a regional bucket. */
export const REGIONAL_LOG_PREFIX = "logs/";
/** Firehose `prefix`: one folder per UTC hour of arrival. */
export const FIREHOSE_PREFIX = `${REGIONAL_LOG_PREFIX}!{timestamp:yyyy/MM/dd/HH}/`;
/** Firehose `errorOutputPrefix`, required when the prefix uses expressions. */
export const FIREHOSE_ERROR_PREFIX = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/";

/** The central layout, as documented and exported by the logging stack. */
export const CENTRAL_LAYOUT = "<account_id>/<region>/<firehose_name>/<yyyy>/<MM>/<dd>/<HH>/<file>";
/** Prefixes in the central bucket that are not log data (loader rejects, query results...). */
export const CENTRAL_SERVICE_PREFIXES: readonly string[] = ["_errors/", "_compacted/"];
/** Where the compacted (Iceberg, Parquet) copy of finished days lives in the central bucket. */
export const COMPACTED_PREFIX = "_compacted/";
/** Where the loader reports the lines it could not index, for `npm run replay`. */
export const LOADER_REJECTS_PREFIX = "_errors/";

/** The parts of a central object key. */
export interface CentralKey {
    readonly accountId: string;
    readonly region: string;
    readonly streamName: string;
    readonly year: string;
    readonly month: string;
    readonly day: string;
    readonly hour: string;
    readonly file: string;
}

/** The hour folder and object name Firehose gave a regional object. */
export type RegionalKey = Pick<CentralKey, "year" | "month" | "day" | "hour" | "file">;

const REGIONAL_KEY = /^logs\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/([^/]+)$/;
const CENTRAL_KEY = /^(\d{12})\/([a-z0-9-]+)\/(aws-waf-logs-[^/]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/([^/]+)$/;

/** Parses a regional staging key (`logs/yyyy/MM/dd/HH/<file>`); undefined if it is not one. */
export function parseRegionalKey(key: string): RegionalKey | undefined {
    const m = REGIONAL_KEY.exec(key);
    return m ? { year: m[1], month: m[2], day: m[3], hour: m[4], file: m[5] } : undefined;
}

/** Builds the central key for a log object. */
export function centralKey(k: CentralKey): string {
    return [k.accountId, k.region, k.streamName, k.year, k.month, k.day, k.hour, k.file].join("/");
}

/** Parses a central key; undefined for anything outside the layout (service prefixes, stray objects). */
export function parseCentralKey(key: string): CentralKey | undefined {
    const m = CENTRAL_KEY.exec(key);
    if (!m) return undefined;
    return {
        accountId: m[1],
        region: m[2],
        streamName: m[3],
        year: m[4],
        month: m[5],
        day: m[6],
        hour: m[7],
        file: m[8],
    };
}

/** The prefix one Region of one account may write under. */
export function centralRegionPrefix(accountId: string, region: string): string {
    return `${accountId}/${region}/`;
}

/** The hour partition's format, as Glue's date projection and the Firehose prefix write it. */
export const HOUR_FORMAT = "yyyy/MM/dd/HH";

/** The hour partition (`yyyy/MM/dd/HH`, UTC) an epoch-millisecond time falls in. */
export function hourPartition(ms: number): string {
    return new Date(ms).toISOString().slice(0, 13).replace(/-/g, "/").replace("T", "/");
}

/**
 * The Glue partition-projection storage template for objects under `prefix` of a bucket: the
 * central layout with its parts named as partition columns, so Athena finds every hour of every
 * account and Region without a crawler.
 */
export function projectionLocationTemplate(bucket: string, prefix = ""): string {
    return `s3://${bucket}/${prefix}\${account_id}/\${region}/\${stream_name}/\${hour}`;
}

/**
 * The Region name under which an account's CloudFront (CLOUDFRONT-scope) web ACLs log, in stack
 * names (`resource-global`), in `resourceAccounts` and in the central layout
 * (`<account_id>/global/<firehose_name>/...`). Their resources live in us-east-1, as AWS requires.
 */
export const GLOBAL_LOCATION = "global";

/** Where a location's WAF resources live: its AWS Region and the WAF scope of its web ACLs and IP sets. */
export function wafHomeOf(location: string): { readonly region: string; readonly scope: "REGIONAL" | "CLOUDFRONT" } {
    return location === GLOBAL_LOCATION
        ? { region: "us-east-1", scope: "CLOUDFRONT" }
        : { region: location, scope: "REGIONAL" };
}
