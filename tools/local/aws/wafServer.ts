/**
 * A loopback AWS WAFV2 for the IP set operations of the response loop (ListIPSets, GetIPSet,
 * UpdateIPSet, CreateIPSet), speaking the awsJson1_1 protocol (`X-Amz-Target:
 * AWSWAF_20190729.<Operation>`), so deployed Lambda code reaches it through
 * `AWS_ENDPOINT_URL_WAFV2` with the unmodified `@aws-sdk/client-wafv2`.
 *
 * IP sets live per account, Region and scope. The Region comes from the SigV4 credential scope,
 * the account and principal from the access key ID (`resolveCaller`, normally the STS
 * stand-in's), so a publisher that assumed the wrong account's role writes that account's sets.
 *
 * Enforced as AWS WAF does (API reference and quotas page, and error texts seen in AWS answers):
 * UpdateIPSet replaces the whole list and issues a new LockToken; a stale or absent token is
 * WAFOptimisticLockException; more than 10,000 addresses is WAFLimitsExceededException; an
 * address that is not CIDR, is /0, has host bits set or is of the other IP version is
 * WAFInvalidParameterException (field IP_ADDRESS); an unknown Id, or a Name that is not the Id's,
 * is WAFNonexistentItemException; Create and Update calls above the configured rate per account,
 * Region and action are ThrottlingException ("Rate exceeded"), which the SDK retries by itself.
 */
import { randomUUID } from "crypto";
import * as http from "http";
import ipaddr from "ipaddr.js";
import { AddressInfo } from "net";
import { authenticate, AuthenticationFailure, Caller, ResolveCaller } from "./stsServer";

export type IpSetScope = "REGIONAL" | "CLOUDFRONT";
export type IpAddressVersion = "IPV4" | "IPV6";
export type WafOperation = "ListIPSets" | "GetIPSet" | "UpdateIPSet" | "CreateIPSet" | WebAclOperation;
/** The read-only web ACL operations of the coverage scan (see webAclOperations below). */
export type WebAclOperation = "ListWebACLs" | "GetWebACL" | "GetLoggingConfiguration";
const WEB_ACL_OPERATIONS: readonly WebAclOperation[] = ["ListWebACLs", "GetWebACL", "GetLoggingConfiguration"];

/** AWS WAF's quota of addresses (CIDR ranges) in one IP set. */
export const MAX_ADDRESSES_PER_IP_SET = 10_000;
/** AWS WAF's default quota of IP sets per account, Region and scope. */
export const MAX_IP_SETS = 100;

/** An error the stand-in answers with: HTTP status, the `__type` and the message. */
export interface WafFailure {
    readonly status: number;
    readonly errorName: string;
    readonly message: string;
}

/** One call as the stand-in saw it. */
export interface WafCall {
    /** The operation named by `X-Amz-Target` (as sent, when the stand-in does not know it). */
    readonly operation: string;
    readonly accountId?: string;
    readonly region?: string;
    readonly principalArn?: string;
    /** The IP set's name, for the operations that name one. */
    readonly ipSetName?: string;
    /** `ok`, or the error name returned. */
    readonly outcome: string;
}

/** The stored state of one IP set. */
export interface IpSetState {
    readonly id: string;
    readonly arn: string;
    readonly name: string;
    readonly scope: IpSetScope;
    readonly ipAddressVersion: IpAddressVersion;
    readonly description?: string;
    readonly addresses: readonly string[];
    readonly lockToken: string;
    /** Successful UpdateIPSet calls through the API (seeding and injected races do not count). */
    readonly updates: number;
}

export interface SeedIpSet {
    readonly accountId: string;
    readonly region: string;
    /** Default: REGIONAL. CLOUDFRONT sets exist only in us-east-1, as in AWS. */
    readonly scope?: IpSetScope;
    readonly name: string;
    readonly ipAddressVersion: IpAddressVersion;
    readonly addresses: readonly string[];
    readonly description?: string;
}

export interface WafServerOptions {
    /** Maps a request's access key ID to its account and principal; undefined answers UnrecognizedClientException. */
    readonly resolveCaller: ResolveCaller;
    /**
     * IAM for WAF, in one function: may `caller` run `operation` on `ipSetArn`? False answers
     * AccessDeniedException. For CreateIPSet the ARN ends in `/<name>/*` (the Id does not exist
     * yet), for ListIPSets in `/ipset/*`. Default: everything is allowed.
     */
    readonly authorize?: (caller: Caller, operation: WafOperation, ipSetArn: string) => boolean;
    /** Create and Update calls allowed per second per account, Region and action. Default: 1, AWS WAF's quota. */
    readonly mutatingCallsPerSecond?: number;
    /** The clock, in epoch milliseconds, for throttling and credential expiry. Default: `Date.now`. */
    readonly now?: () => number;
}

export interface WafServer {
    /** `http://127.0.0.1:<port>`. */
    readonly url: string;
    /** Every call, in arrival order. */
    readonly calls: readonly WafCall[];
    /** Creates an IP set directly (no caller, no throttling), as a resource stack would have. */
    createIpSet(seed: SeedIpSet): { id: string; arn: string; lockToken: string };
    /** The stored state of an IP set, or undefined. */
    ipSet(accountId: string, region: string, name: string, scope?: IpSetScope): IpSetState | undefined;
    /**
     * Simulates another writer between a caller's GetIPSet and UpdateIPSet: just before the next
     * UpdateIPSet of this set, its LockToken changes (and its list, when `addresses` is given).
     */
    bumpLockBeforeNextUpdate(
        accountId: string,
        region: string,
        name: string,
        addresses?: readonly string[],
        scope?: IpSetScope,
    ): void;
    /** Creates a web ACL directly, as its owner would have (no caller, no throttling). */
    createWebAcl(seed: SeedWebAcl): { id: string; arn: string };
    /** Gives a web ACL its logging configuration, as PutLoggingConfiguration would (one per ACL). */
    putLoggingConfiguration(webAclArn: string, logDestinationConfigs: readonly string[]): void;
    /** Makes every call for this account and Region fail with `failure` (undefined heals it). */
    failRegion(accountId: string, region: string, failure: WafFailure | undefined): void;
    /** The environment the unmodified SDK needs to reach this WAF. */
    lambdaEnvironment(): Record<string, string>;
    close(): Promise<void>;
}

interface StoredIpSet {
    id: string;
    arn: string;
    name: string;
    scope: IpSetScope;
    ipAddressVersion: IpAddressVersion;
    description?: string;
    addresses: string[];
    lockToken: string;
    updates: number;
    pendingRace?: { addresses?: string[] };
}

/** An error answer; `fields` are the exception's modeled members beyond its message. */
class WafError {
    constructor(
        readonly status: number,
        readonly errorName: string,
        readonly message: string,
        readonly fields: Record<string, string> = {},
    ) {}
}

// Texts as AWS WAF answers them (seen in AWS answers quoted in public issues), or, where marked,
// the exception's documentation in the WAFV2 API model.
const NONEXISTENT = "AWS WAF couldn’t perform the operation because your resource doesn’t exist.";
const OPTIMISTIC_LOCK =
    "AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it. Reapply your changes.";
/** Model documentation of WAFLimitsExceededException (no answer from AWS seen). */
const LIMITS_EXCEEDED =
    "WAF couldn’t perform the operation because you exceeded your resource limit. For example, the maximum number of WebACL objects that you can create for an Amazon Web Services account. For more information, see WAF quotas in the WAF Developer Guide.";
/** Model documentation of WAFDuplicateItemException (no answer from AWS seen). */
const DUPLICATE =
    "WAF couldn’t perform the operation because the resource that you tried to save is a duplicate of an existing one.";
const BAD_FORMAT = "The parameter contains formatting that is not valid.";

const AUTH_ERRORS: Record<AuthenticationFailure, WafError> = {
    missing: new WafError(403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
    malformed: new WafError(
        400,
        "IncompleteSignatureException",
        "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
    ),
    "unknown-key": new WafError(
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    ),
    "bad-token": new WafError(
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    ),
    expired: new WafError(400, "ExpiredTokenException", "The security token included in the request is expired"),
    "wrong-service": new WafError(
        400,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'wafv2'. ",
    ),
};

/** The exceptions whose model names their message member `message`, not `Message`. */
const LOWER_CASE_MESSAGE = new Set(["WAFInvalidParameterException"]);
const TARGET_PREFIX = "AWSWAF_20190729.";
const OPERATIONS: readonly WafOperation[] = [
    "ListIPSets",
    "GetIPSet",
    "UpdateIPSet",
    "CreateIPSet",
    ...WEB_ACL_OPERATIONS,
];
const MUTATING: ReadonlySet<WafOperation> = new Set(["UpdateIPSet", "CreateIPSet"]);
const NAME = /^[\w-]{1,128}$/;

function invalidParameter(field: string, parameter: string, reason: string): WafError {
    return new WafError(
        400,
        "WAFInvalidParameterException",
        `Error reason: ${reason}, field: ${field}, parameter: ${parameter}`,
        {
            Field: field,
            Parameter: parameter,
            Reason: reason,
        },
    );
}

/** Starts the WAFV2 stand-in on an ephemeral loopback port. */
export async function startWafServer(options: WafServerOptions): Promise<WafServer> {
    const now = options.now ?? Date.now;
    const rate = options.mutatingCallsPerSecond ?? 1;
    if (!Number.isInteger(rate) || rate < 1) {
        throw new Error(`startWafServer: mutatingCallsPerSecond must be a whole number of at least 1, got ${rate}.`);
    }
    const authorize = options.authorize ?? (() => true);
    /** Sets by `<account>/<region>/<scope>`, then by Id. */
    const stores = new Map<string, Map<string, StoredIpSet>>();
    const failures = new Map<string, WafFailure>();
    /** Accepted mutating calls' times by `<account>/<region>/<operation>`. */
    const recentMutations = new Map<string, number[]>();
    const calls: WafCall[] = [];

    const storeOf = (accountId: string, region: string, scope: IpSetScope) => {
        const key = `${accountId}/${region}/${scope}`;
        if (!stores.has(key)) stores.set(key, new Map());
        return stores.get(key)!;
    };
    const findByName = (accountId: string, region: string, scope: IpSetScope, name: string) =>
        [...storeOf(accountId, region, scope).values()].find((s) => s.name === name);
    const arnOf = (accountId: string, region: string, scope: IpSetScope, name: string, id: string) =>
        `arn:aws:wafv2:${region}:${accountId}:${scope === "CLOUDFRONT" ? "global" : "regional"}/ipset/${name}/${id}`;

    const create = (accountId: string, region: string, scope: IpSetScope, body: any): StoredIpSet => {
        const name = body.Name;
        if (typeof name !== "string" || !NAME.test(name)) {
            throw invalidParameter("NAME", String(name), BAD_FORMAT);
        }
        const version = body.IPAddressVersion;
        if (version !== "IPV4" && version !== "IPV6") {
            throw invalidParameter("IP_ADDRESS_VERSION", String(version), "The parameter has an invalid value.");
        }
        const addresses = checkedAddresses(body.Addresses, version);
        const store = storeOf(accountId, region, scope);
        if (findByName(accountId, region, scope, name)) throw new WafError(400, "WAFDuplicateItemException", DUPLICATE);
        if (store.size >= MAX_IP_SETS) throw new WafError(400, "WAFLimitsExceededException", LIMITS_EXCEEDED);
        const id = randomUUID();
        const stored: StoredIpSet = {
            id,
            arn: arnOf(accountId, region, scope, name, id),
            name,
            scope,
            ipAddressVersion: version,
            description: body.Description,
            addresses,
            lockToken: randomUUID(),
            updates: 0,
        };
        store.set(id, stored);
        return stored;
    };

    const existing = (accountId: string, region: string, scope: IpSetScope, body: any): StoredIpSet => {
        const found = typeof body.Id === "string" ? storeOf(accountId, region, scope).get(body.Id) : undefined;
        // Id and Name together identify a set: a right Id with another Name finds nothing.
        if (!found || found.name !== body.Name) throw new WafError(400, "WAFNonexistentItemException", NONEXISTENT);
        return found;
    };

    const summary = (s: StoredIpSet) => ({
        Name: s.name,
        Id: s.id,
        Description: s.description,
        LockToken: s.lockToken,
        ARN: s.arn,
    });

    const webAcls = webAclOperations(authorize);
    const run = (operation: WafOperation, caller: Caller, region: string, body: any): unknown => {
        if (WEB_ACL_OPERATIONS.includes(operation as WebAclOperation)) {
            return webAcls.run(operation as WebAclOperation, caller, region, body);
        }
        const scope = body.Scope;
        if ((scope !== "REGIONAL" && scope !== "CLOUDFRONT") || (scope === "CLOUDFRONT" && region !== "us-east-1")) {
            throw invalidParameter("SCOPE_VALUE", String(scope), "The scope is not valid.");
        }
        const { accountId } = caller;
        const resourceArn =
            operation === "ListIPSets"
                ? `arn:aws:wafv2:${region}:${accountId}:${scope === "CLOUDFRONT" ? "global" : "regional"}/ipset/*`
                : operation === "CreateIPSet"
                  ? arnOf(accountId, region, scope, String(body.Name), "*")
                  : arnOf(accountId, region, scope, String(body.Name), String(body.Id));
        if (!authorize(caller, operation, resourceArn)) {
            throw new WafError(
                400,
                "AccessDeniedException",
                `User: ${caller.principalArn} is not authorized to perform: wafv2:${operation} on resource: ${resourceArn} ` +
                    `because no identity-based policy allows the wafv2:${operation} action`,
            );
        }
        if (MUTATING.has(operation)) {
            const key = `${accountId}/${region}/${operation}`;
            const at = now();
            const recent = (recentMutations.get(key) ?? []).filter((t) => t > at - 1000);
            if (recent.length >= rate) throw new WafError(400, "ThrottlingException", "Rate exceeded");
            recentMutations.set(key, [...recent, at]);
        }
        switch (operation) {
            case "ListIPSets": {
                const limit = body.Limit ?? 100;
                if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
                    throw invalidParameter("LIMIT", String(body.Limit), "The parameter has an invalid value.");
                }
                const sorted = [...storeOf(accountId, region, scope).values()].sort((a, b) =>
                    a.name < b.name ? -1 : 1,
                );
                const from =
                    typeof body.NextMarker === "string" ? Buffer.from(body.NextMarker, "base64url").toString() : "";
                const rest = sorted.filter((s) => s.name >= from);
                const page = rest.slice(0, limit);
                const next = rest[limit];
                return {
                    IPSets: page.map(summary),
                    NextMarker: next ? Buffer.from(next.name).toString("base64url") : undefined,
                };
            }
            case "GetIPSet": {
                const s = existing(accountId, region, scope, body);
                return {
                    IPSet: {
                        Name: s.name,
                        Id: s.id,
                        ARN: s.arn,
                        Description: s.description,
                        IPAddressVersion: s.ipAddressVersion,
                        Addresses: [...s.addresses],
                    },
                    LockToken: s.lockToken,
                };
            }
            case "UpdateIPSet": {
                const s = existing(accountId, region, scope, body);
                if (s.pendingRace) {
                    // Another writer's update lands first: new token, and its list when it sent one.
                    s.lockToken = randomUUID();
                    if (s.pendingRace.addresses) s.addresses = s.pendingRace.addresses;
                    s.pendingRace = undefined;
                }
                const addresses = checkedAddresses(body.Addresses, s.ipAddressVersion);
                if (body.LockToken !== s.lockToken)
                    throw new WafError(400, "WAFOptimisticLockException", OPTIMISTIC_LOCK);
                // UpdateIPSet replaces every mutable setting: an absent Description clears it.
                s.addresses = addresses;
                s.description = body.Description;
                s.lockToken = randomUUID();
                s.updates++;
                return { NextLockToken: s.lockToken };
            }
            case "CreateIPSet":
                return { Summary: summary(create(accountId, region, scope, body)) };
            default:
                throw new WafError(400, "UnknownOperationException", `Unknown operation ${operation}`);
        }
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const target = String(req.headers["x-amz-target"] ?? "");
            const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
            const entry: { -readonly [K in keyof WafCall]: WafCall[K] } = { operation, outcome: "ok" };
            const answer = (status: number, payload: unknown, errorName?: string) => {
                entry.outcome = errorName ?? "ok";
                calls.push(entry);
                res.writeHead(status, {
                    "content-type": "application/x-amz-json-1.1",
                    "x-amzn-requestid": randomUUID(),
                    ...(errorName ? { "x-amzn-errortype": errorName } : {}),
                });
                res.end(JSON.stringify(payload));
            };
            const answerError = (error: WafError) =>
                answer(
                    error.status,
                    {
                        __type: error.errorName,
                        [LOWER_CASE_MESSAGE.has(error.errorName) ? "message" : "Message"]: error.message,
                        ...error.fields,
                    },
                    error.errorName,
                );
            const auth = authenticate(req.headers, "wafv2", options.resolveCaller, now());
            if (!auth.ok) return answerError(AUTH_ERRORS[auth.failure]);
            Object.assign(entry, {
                accountId: auth.caller.accountId,
                region: auth.region,
                principalArn: auth.caller.principalArn,
            });
            const failure = failures.get(`${auth.caller.accountId}/${auth.region}`);
            if (failure) return answerError(new WafError(failure.status, failure.errorName, failure.message));
            if (!OPERATIONS.includes(operation as WafOperation) || !target.startsWith(TARGET_PREFIX)) {
                return answerError(new WafError(400, "UnknownOperationException", `Unknown operation ${target}`));
            }
            let body: any;
            try {
                body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
                if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error("not an object");
            } catch {
                return answerError(
                    new WafError(400, "SerializationException", "The request body is not a JSON object."),
                );
            }
            if (typeof body.Name === "string") entry.ipSetName = body.Name;
            try {
                answer(200, run(operation as WafOperation, auth.caller, auth.region, body));
            } catch (err) {
                if (err instanceof WafError) return answerError(err);
                answerError(new WafError(500, "WAFInternalErrorException", String(err)));
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;

    const seeded = (accountId: string, region: string, name: string, scope: IpSetScope, caller: string) => {
        const found = findByName(accountId, region, scope, name);
        if (!found)
            throw new Error(
                `WafServer.${caller}: no ${scope} IP set named ${name} in ${accountId}/${region}; create it first.`,
            );
        return found;
    };

    return {
        url,
        calls,
        createIpSet(seed) {
            const scope = seed.scope ?? "REGIONAL";
            if (scope === "CLOUDFRONT" && seed.region !== "us-east-1") {
                throw new Error(
                    "WafServer.createIpSet: CLOUDFRONT IP sets exist only in us-east-1; set region to us-east-1.",
                );
            }
            try {
                const s = create(seed.accountId, seed.region, scope, {
                    Name: seed.name,
                    IPAddressVersion: seed.ipAddressVersion,
                    Addresses: seed.addresses,
                    Description: seed.description,
                });
                return { id: s.id, arn: s.arn, lockToken: s.lockToken };
            } catch (err) {
                if (err instanceof WafError) {
                    throw new Error(`WafServer.createIpSet: ${err.errorName}: ${err.message}`, { cause: err });
                }
                throw err;
            }
        },
        ipSet(accountId, region, name, scope = "REGIONAL") {
            const s = findByName(accountId, region, scope, name);
            if (!s) return undefined;
            return {
                id: s.id,
                arn: s.arn,
                name: s.name,
                scope: s.scope,
                ipAddressVersion: s.ipAddressVersion,
                description: s.description,
                addresses: [...s.addresses],
                lockToken: s.lockToken,
                updates: s.updates,
            };
        },
        bumpLockBeforeNextUpdate(accountId, region, name, addresses, scope = "REGIONAL") {
            const s = seeded(accountId, region, name, scope, "bumpLockBeforeNextUpdate");
            s.pendingRace = {
                addresses: addresses ? checkedAddressesOrThrow(addresses, s.ipAddressVersion) : undefined,
            };
        },
        createWebAcl: (seed) => webAcls.create(seed),
        putLoggingConfiguration: (arn, destinations) => webAcls.putLogging(arn, destinations),
        failRegion(accountId, region, failure) {
            if (failure === undefined) failures.delete(`${accountId}/${region}`);
            else failures.set(`${accountId}/${region}`, failure);
        },
        lambdaEnvironment: () => ({ AWS_ENDPOINT_URL_WAFV2: url }),
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** The addresses of a request, or the error AWS WAF answers for the first one it refuses. */
function checkedAddresses(addresses: unknown, version: IpAddressVersion): string[] {
    if (!Array.isArray(addresses)) throw invalidParameter("IP_ADDRESS", String(addresses), BAD_FORMAT);
    if (addresses.length > MAX_ADDRESSES_PER_IP_SET)
        throw new WafError(400, "WAFLimitsExceededException", LIMITS_EXCEEDED);
    for (const address of addresses) {
        if (cidrProblem(address, version) !== undefined)
            throw invalidParameter("IP_ADDRESS", String(address), BAD_FORMAT);
    }
    return [...addresses];
}

function checkedAddressesOrThrow(addresses: readonly string[], version: IpAddressVersion): string[] {
    try {
        return checkedAddresses(addresses, version);
    } catch (err) {
        if (err instanceof WafError) throw new Error(`WafServer: ${err.errorName}: ${err.message}`, { cause: err });
        throw err;
    }
}

/**
 * Why `address` is not an address AWS WAF accepts in an IP set of `version`, or undefined when it
 * is one: CIDR notation, the right IP version, a prefix from /1 (WAF refuses /0) and no host bits
 * set (WAF refuses `195.178.188.66/29`; give the network address, `195.178.188.64/29`).
 */
export function cidrProblem(address: unknown, version: IpAddressVersion): string | undefined {
    if (typeof address !== "string") return "is not a string";
    const m = /^([^/\s]+)\/(0|[1-9]\d{0,2})$/.exec(address);
    if (!m) return "is not in CIDR notation (address/prefix)";
    const [, ip, prefixText] = m;
    const prefix = Number(prefixText);
    const isV4 = ipaddr.IPv4.isValidFourPartDecimal(ip);
    const isV6 = !isV4 && !ip.includes("%") && ipaddr.IPv6.isValid(ip);
    if (!isV4 && !isV6) return "is not an IP address";
    if ((version === "IPV4") !== isV4) return `is not an ${version === "IPV4" ? "IPv4" : "IPv6"} address`;
    if (prefix === 0) return "has a /0 prefix";
    if (prefix > (isV4 ? 32 : 128)) return "has a prefix longer than the address";
    const range = rangeOf(ipaddr.parse(ip), prefix);
    if (range.low !== range.value) return "has host bits set";
    return undefined;
}

interface Range {
    readonly v6: boolean;
    readonly value: bigint;
    readonly low: bigint;
    readonly high: bigint;
}

function rangeOf(ip: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): Range {
    const bytes = ip.toByteArray();
    const bits = bytes.length * 8;
    const value = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
    const hostMask = (1n << BigInt(bits - prefix)) - 1n;
    return { v6: bits === 128, value, low: value & ~hostMask, high: (value & ~hostMask) | hostMask };
}

/**
 * A matcher for the client IPs an IP set's `addresses` contain (CIDR containment, IPv4 and IPv6),
 * built once for many lookups (binary search over merged ranges). A client IP that is not an IP
 * address (WAF logs mask some as `X.X.X.X`) matches nothing; an IPv4-mapped IPv6 client IP is
 * matched as the IPv4 address it carries.
 */
export function ipSetMatcher(addresses: readonly string[]): (clientIp: string) => boolean {
    const ranges: Range[] = addresses.map((address, i) => {
        const problem = cidrProblem(address, String(address).includes(":") ? "IPV6" : "IPV4");
        if (problem)
            throw new Error(`ipSetMatcher: addresses[${i}] "${address}" ${problem}; pass the IP set's CIDR ranges.`);
        const [ip, prefix] = ipaddr.parseCIDR(address);
        return rangeOf(ip, prefix);
    });
    const merged = (v6: boolean) => {
        const sorted = ranges.filter((r) => r.v6 === v6).sort((a, b) => (a.low < b.low ? -1 : a.low > b.low ? 1 : 0));
        const out: { low: bigint; high: bigint }[] = [];
        for (const r of sorted) {
            const last = out[out.length - 1];
            if (last && r.low <= last.high + 1n) last.high = r.high > last.high ? r.high : last.high;
            else out.push({ low: r.low, high: r.high });
        }
        return out;
    };
    const byVersion = { v4: merged(false), v6: merged(true) };
    return (clientIp) => {
        if (typeof clientIp !== "string" || clientIp.includes("%")) return false;
        const valid = clientIp.includes(":")
            ? ipaddr.IPv6.isValid(clientIp)
            : ipaddr.IPv4.isValidFourPartDecimal(clientIp);
        if (!valid) return false;
        const ip = ipaddr.process(clientIp);
        const { value, v6 } = rangeOf(ip, ip.kind() === "ipv4" ? 32 : 128);
        const list = v6 ? byVersion.v6 : byVersion.v4;
        let lo = 0;
        let hi = list.length - 1;
        while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            if (value < list[mid].low) hi = mid - 1;
            else if (value > list[mid].high) lo = mid + 1;
            else return true;
        }
        return false;
    };
}

/** Whether any CIDR range of `addresses` contains `clientIp`. For many lookups, build one `ipSetMatcher`. */
export function ipSetMatches(addresses: readonly string[], clientIp: string): boolean {
    return ipSetMatcher(addresses)(clientIp);
}

/** A web ACL as its owner created it; rules in the API's shape (`Name`, `Priority`, `Statement`...). */
export interface SeedWebAcl {
    readonly accountId: string;
    readonly region: string;
    /** Default: REGIONAL. CLOUDFRONT web ACLs exist only in us-east-1, as in AWS. */
    readonly scope?: IpSetScope;
    readonly name: string;
    /** A web ACL that exists before the stack (one it adopts) keeps its ID; default: a new one. */
    readonly id?: string;
    readonly description?: string;
    readonly rules?: readonly unknown[];
    /** Default: `{ Allow: {} }`. */
    readonly defaultAction?: unknown;
}

interface StoredWebAcl {
    readonly id: string;
    readonly arn: string;
    readonly name: string;
    readonly accountId: string;
    readonly region: string;
    readonly scope: IpSetScope;
    readonly description?: string;
    readonly rules: readonly unknown[];
    readonly defaultAction: unknown;
    readonly lockToken: string;
    logDestinationConfigs?: readonly string[];
}

/** A web ACL's ARN: Region, account, `regional` or `global`, name, ID. */
export const WEB_ACL_ARN = /^arn:aws:wafv2:([a-z0-9-]+):(\d{12}):(regional|global)\/webacl\/([\w-]{1,128})\/([\w-]+)$/;
/** AWS WAF's rule for a logging destination: its name starts with `aws-waf-logs-` (developer guide, "Logging destinations"). */
const LOG_DESTINATION =
    /^arn:aws:(?:firehose:[a-z0-9-]+:\d{12}:deliverystream\/|s3:::|logs:[a-z0-9-]+:\d{12}:log-group:)aws-waf-logs-/;

/**
 * The web ACL side of the stand-in, for the coverage scan's three read-only operations, with the
 * API reference's request and response shapes: ListWebACLs (Scope, Limit 1-100, NextMarker;
 * `WebACLs` summaries), GetWebACL (Name + Scope + Id, or ARN; `WebACL` and `LockToken`) and
 * GetLoggingConfiguration (ResourceArn; `LoggingConfiguration`, or WAFNonexistentItemException when
 * the web ACL has none). Each call is authorized on the web ACL's ARN (`.../webacl/*` for the list).
 */
function webAclOperations(authorize: (caller: Caller, operation: WafOperation, arn: string) => boolean) {
    const acls = new Map<string, StoredWebAcl>();
    const scopeOk = (scope: unknown, region: string): scope is IpSetScope =>
        (scope === "REGIONAL" || scope === "CLOUDFRONT") && (scope === "REGIONAL" || region === "us-east-1");
    const inScope = (accountId: string, region: string, scope: IpSetScope) =>
        [...acls.values()]
            .filter((a) => a.accountId === accountId && a.region === region && a.scope === scope)
            .sort((a, b) => (a.name < b.name ? -1 : 1));
    const denyUnless = (caller: Caller, operation: WebAclOperation, arn: string) => {
        if (!authorize(caller, operation, arn)) {
            throw new WafError(
                400,
                "AccessDeniedException",
                `User: ${caller.principalArn} is not authorized to perform: wafv2:${operation} on resource: ${arn} ` +
                    `because no identity-based policy allows the wafv2:${operation} action`,
            );
        }
    };
    const nonexistent = () => new WafError(400, "WAFNonexistentItemException", NONEXISTENT);
    const summary = (a: StoredWebAcl) => ({
        Name: a.name,
        Id: a.id,
        Description: a.description,
        LockToken: a.lockToken,
        ARN: a.arn,
    });

    return {
        create(seed: SeedWebAcl): { id: string; arn: string } {
            const scope = seed.scope ?? "REGIONAL";
            if (!scopeOk(scope, seed.region)) {
                throw new Error(
                    "WafServer.createWebAcl: CLOUDFRONT web ACLs exist only in us-east-1; set region to us-east-1.",
                );
            }
            if (typeof seed.name !== "string" || !NAME.test(seed.name)) {
                throw new Error(`WafServer.createWebAcl: "${seed.name}" is not a web ACL name ([\\w-]{1,128}).`);
            }
            if (seed.id !== undefined && !/^[\w-]{1,36}$/.test(seed.id)) {
                throw new Error(`WafServer.createWebAcl: "${seed.id}" is not a web ACL ID ([\\w-]{1,36}).`);
            }
            if (inScope(seed.accountId, seed.region, scope).some((a) => a.name === seed.name)) {
                throw new Error(`WafServer.createWebAcl: WAFDuplicateItemException: ${DUPLICATE}`);
            }
            const id = seed.id ?? randomUUID();
            const arn = `arn:aws:wafv2:${seed.region}:${seed.accountId}:${scope === "CLOUDFRONT" ? "global" : "regional"}/webacl/${seed.name}/${id}`;
            acls.set(arn, {
                id,
                arn,
                name: seed.name,
                accountId: seed.accountId,
                region: seed.region,
                scope,
                description: seed.description,
                rules: seed.rules ?? [],
                defaultAction: seed.defaultAction ?? { Allow: {} },
                lockToken: randomUUID(),
            });
            return { id, arn };
        },
        putLogging(webAclArn: string, destinations: readonly string[]): void {
            const acl = acls.get(webAclArn);
            if (!acl) throw new Error(`WafServer.putLoggingConfiguration: no web ACL ${webAclArn}; create it first.`);
            // One destination per web ACL, named aws-waf-logs-* (developer guide, "Logging destinations").
            if (destinations.length !== 1 || !LOG_DESTINATION.test(destinations[0])) {
                throw new Error(
                    `WafServer.putLoggingConfiguration: WAFInvalidParameterException: a web ACL logs to exactly one destination whose name starts with aws-waf-logs-, got ${JSON.stringify(destinations)}.`,
                );
            }
            acl.logDestinationConfigs = [...destinations];
        },
        run(operation: WebAclOperation, caller: Caller, region: string, body: any): unknown {
            const { accountId } = caller;
            switch (operation) {
                case "ListWebACLs": {
                    if (!scopeOk(body.Scope, region))
                        throw invalidParameter("SCOPE_VALUE", String(body.Scope), "The scope is not valid.");
                    denyUnless(
                        caller,
                        operation,
                        `arn:aws:wafv2:${region}:${accountId}:${body.Scope === "CLOUDFRONT" ? "global" : "regional"}/webacl/*`,
                    );
                    const limit = body.Limit ?? 100;
                    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
                        throw invalidParameter("LIMIT", String(body.Limit), "The parameter has an invalid value.");
                    }
                    const from =
                        typeof body.NextMarker === "string" ? Buffer.from(body.NextMarker, "base64url").toString() : "";
                    const rest = inScope(accountId, region, body.Scope).filter((a) => a.name >= from);
                    const next = rest[limit];
                    return {
                        WebACLs: rest.slice(0, limit).map(summary),
                        NextMarker: next ? Buffer.from(next.name).toString("base64url") : undefined,
                    };
                }
                case "GetWebACL": {
                    let acl: StoredWebAcl | undefined;
                    if (typeof body.ARN === "string") {
                        acl = acls.get(body.ARN);
                        denyUnless(caller, operation, body.ARN);
                    } else {
                        if (!scopeOk(body.Scope, region))
                            throw invalidParameter("SCOPE_VALUE", String(body.Scope), "The scope is not valid.");
                        acl = inScope(accountId, region, body.Scope).find((a) => a.id === body.Id);
                        const scopePart = body.Scope === "CLOUDFRONT" ? "global" : "regional";
                        denyUnless(
                            caller,
                            operation,
                            `arn:aws:wafv2:${region}:${accountId}:${scopePart}/webacl/${body.Name}/${body.Id}`,
                        );
                        // Id and Name together identify a web ACL: a right Id with another Name finds nothing.
                        if (acl && acl.name !== body.Name) acl = undefined;
                    }
                    if (!acl || acl.accountId !== accountId || acl.region !== region) throw nonexistent();
                    return {
                        WebACL: {
                            Name: acl.name,
                            Id: acl.id,
                            ARN: acl.arn,
                            DefaultAction: acl.defaultAction,
                            Description: acl.description,
                            Rules: acl.rules,
                            VisibilityConfig: {
                                SampledRequestsEnabled: true,
                                CloudWatchMetricsEnabled: true,
                                MetricName: acl.name,
                            },
                            Capacity: 0,
                            ManagedByFirewallManager: false,
                            LabelNamespace: `awswaf:${acl.accountId}:webacl:${acl.name}:`,
                        },
                        LockToken: acl.lockToken,
                    };
                }
                case "GetLoggingConfiguration": {
                    const arn = body.ResourceArn;
                    if (typeof arn !== "string" || !WEB_ACL_ARN.test(arn)) {
                        throw invalidParameter("RESOURCE_ARN", String(arn), "The parameter has an invalid value.");
                    }
                    denyUnless(caller, operation, arn);
                    const acl = acls.get(arn);
                    if (!acl || acl.accountId !== accountId || acl.region !== region || !acl.logDestinationConfigs) {
                        throw nonexistent();
                    }
                    return {
                        LoggingConfiguration: {
                            ResourceArn: acl.arn,
                            LogDestinationConfigs: [...acl.logDestinationConfigs],
                            ManagedByFirewallManager: false,
                            LogType: "WAF_LOGS",
                            LogScope: "CUSTOMER",
                        },
                    };
                }
            }
        },
    };
}
