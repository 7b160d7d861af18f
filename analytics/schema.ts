/**
 * The WAF log record schema, defined once and rendered for each engine that reads it: Hive types
 * for the Glue table and Athena DDL, DuckDB types for local forensics. Field names keep the JSON's camelCase; Hive lowercases them, DuckDB and Trino match
 * identifiers case-insensitively, so `httprequest.clientip` reads the same everywhere.
 */

export type FieldType =
    | "string"
    | "bigint"
    | { readonly struct: readonly (readonly [string, FieldType])[] }
    | { readonly array: FieldType };

const struct = (...fields: (readonly [string, FieldType])[]): FieldType => ({ struct: fields });
const array = (of: FieldType): FieldType => ({ array: of });

const matchDetails = array(
    struct(
        ["conditionType", "string"],
        ["sensitivityLevel", "string"],
        ["location", "string"],
        ["matchedData", array("string")],
    ),
);
const captcha = struct(["responseCode", "bigint"], ["solveTimestamp", "bigint"], ["failureReason", "string"]);
const nameValue = array(struct(["name", "string"], ["value", "string"]));
const nonTerminating = array(
    struct(
        ["ruleId", "string"],
        ["action", "string"],
        ["ruleMatchDetails", matchDetails],
        ["captchaResponse", captcha],
    ),
);

/** Every field seen in ../shared/waf-samples and the newer optional ones AWS documents. */
export const WAF_COLUMNS: readonly (readonly [string, FieldType])[] = [
    ["timestamp", "bigint"],
    ["formatVersion", "bigint"],
    ["webaclId", "string"],
    ["terminatingRuleId", "string"],
    ["terminatingRuleType", "string"],
    ["action", "string"],
    ["terminatingRuleMatchDetails", matchDetails],
    ["httpSourceName", "string"],
    ["httpSourceId", "string"],
    [
        "ruleGroupList",
        array(
            struct(
                ["ruleGroupId", "string"],
                [
                    "terminatingRule",
                    struct(["ruleId", "string"], ["action", "string"], ["ruleMatchDetails", matchDetails]),
                ],
                ["nonTerminatingMatchingRules", nonTerminating],
                ["excludedRules", array(struct(["exclusionType", "string"], ["ruleId", "string"]))],
            ),
        ),
    ],
    [
        "rateBasedRuleList",
        array(
            struct(
                ["rateBasedRuleId", "string"],
                ["rateBasedRuleName", "string"],
                ["limitKey", "string"],
                ["maxRateAllowed", "bigint"],
                // Seen both as a number and as a string: read as text everywhere.
                ["evaluationWindowSec", "string"],
                ["limitValue", "string"],
                ["customValues", array(struct(["key", "string"], ["name", "string"], ["value", "string"]))],
            ),
        ),
    ],
    ["nonTerminatingMatchingRules", nonTerminating],
    ["requestHeadersInserted", nameValue],
    ["responseCodeSent", "bigint"],
    [
        "httpRequest",
        struct(
            ["clientIp", "string"],
            ["country", "string"],
            ["headers", nameValue],
            ["uri", "string"],
            ["args", "string"],
            ["httpVersion", "string"],
            ["httpMethod", "string"],
            ["requestId", "string"],
            ["fragment", "string"],
            ["scheme", "string"],
            ["host", "string"],
            // Where the ASN is read too: the field reference lists it beside clientIp (see clientAsn below).
            ["clientAsn", "string"],
        ),
    ],
    ["labels", array(struct(["name", "string"]))],
    ["captchaResponse", captcha],
    ["challengeResponse", captcha],
    ["ja3Fingerprint", "string"],
    ["ja4Fingerprint", "string"],
    // Logged only when an ASN match statement is used; a number, read as text (as evaluationWindowSec).
    ["clientAsn", "string"],
    // Logged only for web ACLs associated with a CloudFront distribution tenant.
    ["cfDistributionTenantId", "string"],
    ["oversizeFields", array("string")],
    ["requestBodySize", "bigint"],
    ["requestBodySizeInspectedByWAF", "bigint"],
];

/** Partition columns, in layout order: `<account_id>/<region>/<stream_name>/<hour=yyyy/MM/dd/HH>`. */
export const PARTITION_COLUMNS = ["account_id", "region", "stream_name", "hour"] as const;

/** Glue / Hive type syntax, e.g. `struct<clientip:string,headers:array<struct<name:string,value:string>>>`. */
export function hiveType(type: FieldType): string {
    if (typeof type === "string") return type;
    if ("array" in type) return `array<${hiveType(type.array)}>`;
    return `struct<${type.struct.map(([name, t]) => `${name.toLowerCase()}:${hiveType(t)}`).join(",")}>`;
}

/** DuckDB type syntax with the JSON's own key names, e.g. `STRUCT("clientIp" VARCHAR, ...)`. */
export function duckdbType(type: FieldType): string {
    if (type === "string") return "VARCHAR";
    if (type === "bigint") return "BIGINT";
    if ("array" in type) return `${duckdbType(type.array)}[]`;
    return `STRUCT(${type.struct.map(([name, t]) => `"${name}" ${duckdbType(t)}`).join(", ")})`;
}

/** Every dotted field path the schema covers, lowercased (for coverage checks against samples). */
export function fieldPaths(columns = WAF_COLUMNS, prefix = ""): string[] {
    return columns.flatMap(([name, type]) => {
        const path = `${prefix}${name.toLowerCase()}`;
        const inner = typeof type === "object" && "array" in type ? type.array : type;
        return typeof inner === "object" && "struct" in inner
            ? [path, ...fieldPaths(inner.struct, `${path}.`)]
            : [path];
    });
}
