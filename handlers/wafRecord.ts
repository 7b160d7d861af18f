/**
 * WAF log records (one JSON document per line, as Firehose delivers them) and the search
 * document each becomes. Shared by the loader and the local tools. Optional fields are absent,
 * not null, in the records AWS writes; every optional read here tolerates absence, null and
 * unexpected types, since one odd field must never cost a whole record.
 */

/** Where a record came from: the central object key's parts and its line. */
export interface RecordSource {
    readonly accountId: string;
    readonly region: string;
    readonly streamName: string;
    readonly bucket: string;
    readonly key: string;
    readonly line: number;
}

export interface WafDocument {
    timestamp: number;
    action: string;
    clientIp: string;
    country?: string;
    webAclId?: string;
    webAclName?: string;
    terminatingRuleId?: string;
    terminatingRuleType?: string;
    httpSourceName?: string;
    httpMethod?: string;
    uri?: string;
    args?: string;
    host?: string;
    httpVersion?: string;
    requestId?: string;
    userAgent?: string;
    headers: { name: string; value: string }[];
    labels: string[];
    ruleGroups: { ruleGroupId: string; terminatingRuleId?: string; action?: string }[];
    rateBasedRules: {
        name?: string;
        limitKey?: string;
        limitValue?: string;
        maxRateAllowed?: number;
        evaluationWindowSec?: number;
    }[];
    nonTerminatingRuleIds: string[];
    responseCodeSent?: number;
    ja3Fingerprint?: string;
    ja4Fingerprint?: string;
    /** The client's autonomous system number, as text; logged only when an ASN match statement is used. */
    clientAsn?: string;
    /** The CloudFront distribution tenant the request was for (CloudFront web ACLs only). */
    cfDistributionTenantId?: string;
    accountId: string;
    region: string;
    streamName: string;
}

/**
 * A line that cannot become a document; the reason is written to `_errors/`. A tagged Error, not
 * a subclass: closure serialization rewrites classes so that `extends Error` loses the message.
 */
export function invalidRecord(reason: string): Error {
    return Object.assign(new Error(reason), { invalidRecord: true });
}

export function isInvalidRecord(err: unknown): err is Error {
    return err instanceof Error && (err as { invalidRecord?: boolean }).invalidRecord === true;
}

const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    return typeof n === "number" && Number.isFinite(n) ? n : undefined;
};
/** Text, or a finite number written as text (ASNs are numbers; a string one is kept as is). */
const asText = (v: unknown): string | undefined =>
    typeof v === "string" && v !== "" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : undefined;
const list = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `arn:aws:wafv2:<region>:<account>:<scope>/webacl/<name>/<id>` → `<name>`. */
export function webAclNameOf(webAclId: string | undefined): string | undefined {
    return webAclId ? /\/webacl\/([^/]+)\//.exec(webAclId)?.[1] : undefined;
}

/**
 * Record timestamps the loader accepts: epoch milliseconds from 2000-01-01 (inclusive) to
 * 2100-01-01 (exclusive), UTC. Anything else would name a nonsensical daily index, or none at all
 * (a Date cannot represent it), so such a record is parked by itself.
 */
export const TIMESTAMP_RANGE = { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) } as const;

/** Why a record's timestamp is refused, or undefined when it is epoch milliseconds in range. */
export function timestampProblem(timestamp: number): string | undefined {
    if (timestamp < 0) return `timestamp ${timestamp} is negative`;
    if (timestamp >= TIMESTAMP_RANGE.min / 1000 && timestamp < TIMESTAMP_RANGE.max / 1000) {
        return `timestamp ${timestamp} is in seconds; WAF writes epoch milliseconds`;
    }
    if (timestamp < TIMESTAMP_RANGE.min || timestamp >= TIMESTAMP_RANGE.max) {
        return `timestamp ${timestamp} is out of range (epoch milliseconds from 2000-01-01 to 2100-01-01)`;
    }
    return undefined;
}

/** Parses one line of a WAF log object; throws an invalidRecord error with the reason. */
export function parseWafRecord(line: string): Record<string, any> {
    let record: unknown;
    try {
        record = JSON.parse(line);
    } catch (err) {
        throw invalidRecord(`not valid JSON: ${(err as Error).message}`);
    }
    if (!isObject(record)) throw invalidRecord("not a JSON object");
    const timestamp = num(record.timestamp);
    if (timestamp === undefined) throw invalidRecord("no numeric timestamp");
    const problem = timestampProblem(timestamp);
    if (problem) throw invalidRecord(problem);
    if (!isObject(record.httpRequest)) throw invalidRecord("no httpRequest object");
    return record;
}

export function toDocument(
    record: Record<string, any>,
    source: Omit<RecordSource, "bucket" | "key" | "line">,
): WafDocument {
    const request = record.httpRequest as Record<string, any>;
    const headers = list(request.headers)
        .filter(isObject)
        .map((h) => ({ name: text(h.name) ?? "", value: text(h.value) ?? "" }))
        .filter((h) => h.name !== "");
    const header = (name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value;
    return {
        timestamp: num(record.timestamp)!,
        action: text(record.action) ?? "UNKNOWN",
        clientIp: text(request.clientIp) ?? "",
        country: text(request.country),
        webAclId: text(record.webaclId),
        webAclName: webAclNameOf(text(record.webaclId)),
        terminatingRuleId: text(record.terminatingRuleId),
        terminatingRuleType: text(record.terminatingRuleType),
        httpSourceName: text(record.httpSourceName),
        httpMethod: text(request.httpMethod),
        uri: text(request.uri),
        args: text(request.args),
        host: text(request.host) ?? header("host"),
        httpVersion: text(request.httpVersion),
        requestId: text(request.requestId),
        userAgent: header("user-agent"),
        headers,
        labels: list(record.labels)
            .map((l) => (isObject(l) ? text(l.name) : undefined))
            .filter((l): l is string => l !== undefined),
        ruleGroups: list(record.ruleGroupList)
            .filter(isObject)
            .map((g) => ({
                ruleGroupId: text(g.ruleGroupId) ?? "",
                terminatingRuleId: isObject(g.terminatingRule) ? text(g.terminatingRule.ruleId) : undefined,
                action: isObject(g.terminatingRule) ? text(g.terminatingRule.action) : undefined,
            })),
        rateBasedRules: list(record.rateBasedRuleList)
            .filter(isObject)
            .map((r) => ({
                name: text(r.rateBasedRuleName),
                limitKey: text(r.limitKey),
                limitValue: text(r.limitValue),
                maxRateAllowed: num(r.maxRateAllowed),
                // Seen both as a number and as a string in real logs.
                evaluationWindowSec: num(r.evaluationWindowSec),
            })),
        nonTerminatingRuleIds: list(record.nonTerminatingMatchingRules)
            .map((r) => (isObject(r) ? text(r.ruleId) : undefined))
            .filter((r): r is string => r !== undefined),
        responseCodeSent: num(record.responseCodeSent),
        ja3Fingerprint: text(record.ja3Fingerprint),
        ja4Fingerprint: text(record.ja4Fingerprint),
        // Top level, or beside clientIp: the field reference does not say which; both are read.
        clientAsn: asText(record.clientAsn) ?? asText(request.clientAsn),
        cfDistributionTenantId: text(record.cfDistributionTenantId),
        accountId: source.accountId,
        region: source.region,
        streamName: source.streamName,
    };
}
