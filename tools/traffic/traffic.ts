/**
 * Realistic WAF log records for benchmarks and local runs: several countries, ALLOW and BLOCK,
 * rate-based blocks, labels, managed rule group matches and the newer optional fields. Seeded,
 * so a run is reproducible.
 */
import { GLOBAL_LOCATION, centralKey } from "../../layout";

export interface TrafficOptions {
    readonly accountId: string;
    readonly region: string;
    readonly webAclName: string;
    /**
     * The location's web ACLs as planned (its own and the adopted ones): each client's records name
     * one of them. Default: one web ACL named `webAclName`.
     */
    readonly webAclArns?: readonly string[];
    /** Epoch ms of the first record. */
    readonly startMs: number;
    /** Spread of timestamps after startMs. */
    readonly spanMs: number;
    readonly seed?: number;
}

const COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "NL", "AU", "CA", "-"];
const PATHS = ["/", "/login", "/api/cart", "/api/search", "/static/app.js", "/checkout", "/health"];
const AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:138.0) Gecko/20100101 Firefox/138.0",
    "curl/8.5.0",
    "python-requests/2.32.3",
];

/** A client's TLS stack as WAF fingerprints it (CloudFront and ALB log both). */
export interface ClientStack {
    readonly name: string;
    readonly ja3: string;
    readonly ja4: string;
}

/**
 * The client stacks of the generated traffic, each with its share of client IPs. Which stack an
 * IP uses follows from the IP alone (a client keeps its TLS stack), so every stack is seen behind
 * many addresses: the browsers, and a residential-proxy botnet whose one JA4 rotates through
 * hundreds of home addresses while its user agents vary.
 */
export const CLIENT_STACKS: readonly (ClientStack & { readonly share: number })[] = [
    { name: "chrome", ja3: "e7d705a3286e19ea42f587b344ee6865", ja4: "t13d1516h2_8daaf6152771_02713d6af862", share: 45 },
    {
        name: "firefox",
        ja3: "579ccef312d18482fc42e2b822ca2430",
        ja4: "t13d1715h2_5b57614c22b0_3d5424432f57",
        share: 25,
    },
    { name: "safari", ja3: "773906b0efdefa24a7f2b8eb6985bf37", ja4: "t13d2014h2_a09f3c656075_14788d8d241b", share: 15 },
    {
        name: "proxy-botnet",
        ja3: "6f7889b9fb1a62a9577e685c1fcfa919",
        ja4: "t13d1717h2_5b57614c22b0_3cbfd9057e0d",
        share: 8,
    },
    { name: "curl", ja3: "456523fc94726331a4d5a2e1d40b2cd7", ja4: "t13d3112h1_e8f1e7e78f70_375b5be3cd5a", share: 4 },
    {
        name: "python-requests",
        ja3: "a48c0d5f95b1ef98f560f324fd275da1",
        ja4: "t13d1812h1_85036bcba153_b26ce05bbdd6",
        share: 3,
    },
];

/** A stable hash of a text (FNV-1a, 32 bits): the same IP always maps to the same stack and ASN. */
function hash32(text: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    return h;
}

/** The client stack an IP uses, by the shares of CLIENT_STACKS. */
export function stackOf(clientIp: string): ClientStack {
    const total = CLIENT_STACKS.reduce((n, s) => n + s.share, 0);
    let at = hash32(clientIp) % total;
    for (const stack of CLIENT_STACKS) {
        if (at < stack.share) return stack;
        at -= stack.share;
    }
    return CLIENT_STACKS[0];
}

/** The documentation ASNs (RFC 5398): the network an IP is in, stable per /16. */
export function asnOf(clientIp: string): string {
    return String(64496 + (hash32(clientIp.split(".").slice(0, 2).join(".")) % 16));
}

/** A small deterministic PRNG (mulberry32): tests and benchmarks must not depend on Math.random. */
export function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export interface RequestShape {
    readonly timestamp: number;
    readonly clientIp: string;
    readonly country: string;
    readonly action?: "ALLOW" | "BLOCK" | "CAPTCHA" | "CHALLENGE";
    /** Blocked by the rate-based rule (a flood). */
    readonly rateLimited?: boolean;
    /** The client's TLS stack. Default: the one `stackOf(clientIp)` gives. */
    readonly stack?: ClientStack;
}

export function webAclArn(o: Pick<TrafficOptions, "accountId" | "region" | "webAclName">): string {
    // CloudFront (`global`) web ACLs live in us-east-1 and say `global` in their ARNs.
    const [region, scope] = o.region === GLOBAL_LOCATION ? ["us-east-1", "global"] : [o.region, "regional"];
    return `arn:aws:wafv2:${region}:${o.accountId}:${scope}/webacl/${o.webAclName}/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`;
}

/** The web ACL a client's request went through: one of the location's, the same for every request of that client. */
function webAclOf(o: TrafficOptions, clientIp: string): string {
    if (!o.webAclArns?.length) return webAclArn(o);
    let hash = 0;
    for (const c of clientIp) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
    return o.webAclArns[hash % o.webAclArns.length];
}

/** One WAF log record, shaped as AWS writes it (optional fields absent, not null). */
export function wafRecord(o: TrafficOptions, shape: RequestShape, random: () => number): Record<string, unknown> {
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const blockedByRule = shape.action === "BLOCK" && !shape.rateLimited;
    const stack = shape.stack ?? stackOf(shape.clientIp);
    // CloudFront web ACLs (the `global` location) log the distribution, and its tenant when it has tenants.
    const cloudFront = o.region === GLOBAL_LOCATION;
    const action = shape.rateLimited ? "BLOCK" : (shape.action ?? "ALLOW");
    const record: Record<string, unknown> = {
        timestamp: shape.timestamp,
        formatVersion: 1,
        webaclId: webAclOf(o, shape.clientIp),
        terminatingRuleId: shape.rateLimited
            ? "rate-limit-per-client-ip"
            : blockedByRule
              ? "AWS-AWSManagedRulesCommonRuleSet"
              : "Default_Action",
        terminatingRuleType: shape.rateLimited ? "RATE_BASED" : blockedByRule ? "MANAGED_RULE_GROUP" : "REGULAR",
        action,
        terminatingRuleMatchDetails: [],
        httpSourceName: cloudFront ? "CF" : "ALB",
        httpSourceId: cloudFront ? "E2EXAMPLE1ABCD" : `${o.accountId}-app/storefront/0123456789abcdef`,
        ruleGroupList: blockedByRule
            ? [
                  {
                      ruleGroupId: "AWS#AWSManagedRulesCommonRuleSet",
                      terminatingRule: {
                          ruleId: "CrossSiteScripting_QUERYARGUMENTS",
                          action: "BLOCK",
                          ruleMatchDetails: null,
                      },
                      nonTerminatingMatchingRules: [],
                      excludedRules: null,
                  },
              ]
            : [],
        rateBasedRuleList: shape.rateLimited
            ? [
                  {
                      rateBasedRuleId: `arn:aws:wafv2:${o.region}:${o.accountId}:regional/ipset/rate/abc`,
                      rateBasedRuleName: "rate-limit-per-client-ip",
                      limitKey: "IP",
                      maxRateAllowed: 2000,
                      evaluationWindowSec: random() < 0.5 ? 300 : "300",
                      limitValue: shape.clientIp,
                  },
              ]
            : [],
        nonTerminatingMatchingRules: [],
        requestHeadersInserted: null,
        responseCodeSent: null,
        httpRequest: {
            clientIp: shape.clientIp,
            country: shape.country,
            headers: [
                { name: "host", value: "shop.example.com" },
                { name: "user-agent", value: pick(AGENTS) },
                { name: "accept", value: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" },
                { name: "accept-language", value: "en-US,en;q=0.5" },
            ],
            uri: pick(PATHS),
            args: random() < 0.3 ? `q=${Math.floor(random() * 1e6)}` : "",
            httpVersion: "HTTP/1.1",
            httpMethod: random() < 0.8 ? "GET" : "POST",
            requestId: `1-${Math.floor(random() * 1e9).toString(16)}-${Math.floor(random() * 1e12).toString(16)}`,
            fragment: "",
            scheme: "https",
            host: "shop.example.com",
        },
        labels: blockedByRule ? [{ name: "awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments" }] : [],
        ja3Fingerprint: stack.ja3,
        ja4Fingerprint: stack.ja4,
        // As logged when the web ACL has an ASN match statement (a number).
        clientAsn: Number(asnOf(shape.clientIp)),
        ...(cloudFront ? { cfDistributionTenantId: `dt_${(hash32(shape.clientIp) % 3) + 1}example` } : {}),
    };
    return record;
}

/** `count` ordinary requests from a population of clients, as NDJSON lines. */
export function* backgroundTraffic(o: TrafficOptions, count: number): Generator<string> {
    const random = prng(o.seed ?? 1);
    for (let i = 0; i < count; i++) {
        const client = Math.floor(random() * 5000);
        const shape: RequestShape = {
            timestamp: o.startMs + Math.floor((i / Math.max(1, count)) * o.spanMs),
            clientIp: `198.51.${(client >> 8) & 255}.${client & 255}`,
            country: COUNTRIES[client % COUNTRIES.length],
            action: random() < 0.05 ? "BLOCK" : "ALLOW",
        };
        yield JSON.stringify(wafRecord(o, shape, random));
    }
}

/** Where a record is logged: one resource account and Region, or `global` (one Firehose stream). */
export interface Location {
    readonly accountId: string;
    readonly region: string;
    /** The web ACLs logging to its stream; default one named after the traffic's `webAclName`. */
    readonly webAclArns?: readonly string[];
}

/** `count` requests from one client IP at one location, evenly spread over `spanMs` from `startMs`. */
export interface Flow {
    readonly clientIp: string;
    readonly country: string;
    readonly location: Location;
    readonly startMs: number;
    readonly spanMs: number;
    readonly count: number;
    readonly action?: RequestShape["action"];
    readonly rateLimited?: boolean;
    /** The client's TLS stack. Default: the one `stackOf(clientIp)` gives. */
    readonly stack?: ClientStack;
}

/** One object as Firehose would deliver it: a stream's records of one arrival hour. */
export interface DeliveredObject {
    readonly location: Location;
    readonly streamName: string;
    /** `yyyy/MM/dd/HH` of arrival. */
    readonly hour: string;
    /** Firehose-style name: `<stream>-1-<yyyy-MM-dd-HH-mm-ss>-<id>.gz`. */
    readonly fileName: string;
    readonly lines: string[];
}

/** Where the copier puts `object` in the central bucket. */
export function centralKeyOf(object: DeliveredObject): string {
    const [year, month, day, hour] = object.hour.split("/");
    return centralKey({
        ...object.location,
        streamName: object.streamName,
        year,
        month,
        day,
        hour,
        file: object.fileName,
    });
}

const pad = (n: number) => String(n).padStart(2, "0");
export const hourOf = (ms: number) => {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}`;
};

/**
 * Turns flows into the objects Firehose would write: records grouped by location and hour, at
 * most `maxRecordsPerObject` per object, each record's timestamp inside its object's hour.
 */
export function deliveredObjects(
    flows: readonly Flow[],
    streamNameOf: (location: Location) => string,
    options: { webAclName?: string; maxRecordsPerObject?: number; seed?: number } = {},
): DeliveredObject[] {
    const random = prng(options.seed ?? 42);
    const groups = new Map<string, { location: Location; hour: string; records: { ts: number; line: string }[] }>();
    for (const flow of flows) {
        const traffic = {
            ...flow.location,
            webAclName: options.webAclName ?? "shop",
            startMs: flow.startMs,
            spanMs: flow.spanMs,
        };
        for (let i = 0; i < flow.count; i++) {
            const timestamp = flow.startMs + Math.floor((i * flow.spanMs) / flow.count);
            const shape = {
                timestamp,
                clientIp: flow.clientIp,
                country: flow.country,
                action: flow.action,
                rateLimited: flow.rateLimited,
                stack: flow.stack,
            };
            const key = `${flow.location.accountId}/${flow.location.region}/${hourOf(timestamp)}`;
            const group = groups.get(key) ?? { location: flow.location, hour: hourOf(timestamp), records: [] };
            group.records.push({ ts: timestamp, line: JSON.stringify(wafRecord(traffic, shape, random)) });
            groups.set(key, group);
        }
    }
    const max = options.maxRecordsPerObject ?? 5000;
    const objects: DeliveredObject[] = [];
    for (const group of [...groups.values()].sort((a, b) =>
        (a.hour + a.location.region).localeCompare(b.hour + b.location.region),
    )) {
        group.records.sort((a, b) => a.ts - b.ts);
        const streamName = streamNameOf(group.location);
        for (let start = 0, part = 0; start < group.records.length; start += max, part++) {
            const chunk = group.records.slice(start, start + max);
            const first = new Date(chunk[0].ts);
            const stamp = `${first.toISOString().slice(0, 19).replace(/[T:]/g, "-")}`;
            const id = `${Math.floor(random() * 0xffffffff)
                .toString(16)
                .padStart(8, "0")}-${part}`;
            objects.push({
                location: group.location,
                streamName,
                hour: group.hour,
                fileName: `${streamName}-1-${stamp}-${id}.gz`,
                lines: chunk.map((r) => r.line),
            });
        }
    }
    return objects;
}
