/**
 * The blocklist applier: runs in each resource account and Region, receives the desired contents
 * of its two WAF IP sets from the logging account's publisher, and is the last word on what they
 * may hold. Whoever controls the logging account (its publisher, its table, its operators) can
 * only ask: this account refuses ranges broader than its own limit, addresses no internet client
 * has, more addresses than a set holds, and anything its own allowlist protects, before it calls
 * GetIPSet/UpdateIPSet with its own role. AWS WAF has no IAM condition on an IP set's contents, so
 * this check is the only place such a limit can live.
 *
 * Serialized into Lambdas: keep it free of Pulumi and AWS SDK imports.
 */
import { AddressFamily, notGloballyReachable, overlapFinder, parseRange } from "./ipRange";

/** The request the publisher sends (Lambda Invoke payload, JSON). */
export interface ApplyRequest {
    /** Always 1; a different version is refused as a whole. */
    readonly version: 1;
    /** The complete desired contents of the IPv4 set, CIDR ranges. */
    readonly ipv4: readonly string[];
    /** The complete desired contents of the IPv6 set, CIDR ranges. */
    readonly ipv6: readonly string[];
}

/** Something the applier would not write, and why. */
export interface Refusal {
    /** The family the value was sent for; absent when the request as a whole was refused. */
    readonly family?: AddressFamily;
    /** The value as sent (cut short), or `<n> entries` for a list refused as a whole. */
    readonly value: string;
    readonly reason: string;
}

/** What the applier answers the publisher. */
export interface ApplyResult {
    /** Names of the IP sets it wrote (those already holding the accepted state are not written). */
    readonly updated: string[];
    /** Ranges each set holds after the call, or `kept` when the family's list was refused as a whole. */
    readonly ipv4: number | "kept";
    readonly ipv6: number | "kept";
    /** Values refused, at most `MAX_LISTED_REFUSALS` of them; `refusedCount` counts them all. */
    readonly refused: Refusal[];
    readonly refusedCount: number;
    /** Ranges left out because they overlap this account's own allowlist. */
    readonly allowlisted: string[];
}

export interface ApplierSettings {
    /** The two IP sets this applier manages (names; their IDs come from the environment). */
    readonly ipSetNames: { readonly ipv4: string; readonly ipv6: string };
    /** WAF scope of the two sets: CLOUDFRONT for a global stack's applier (in us-east-1). Default REGIONAL. */
    readonly scope?: "REGIONAL" | "CLOUDFRONT";
    /** Broadest prefix length accepted per family: /24 and /48 unless the resource stack allows broader. */
    readonly broadestPrefix: { readonly ipv4: number; readonly ipv6: number };
    /** This account's own allowlist (`response.allowlist` of the resource stack): never written. */
    readonly allowlist: readonly string[];
    /** Most ranges a set may hold (AWS WAF: 10,000). */
    readonly maxAddresses: number;
    /** Attempts per IP set (lock conflicts and throttling). */
    readonly maxAttempts: number;
    /** First backoff ceiling, ms; doubles per attempt (full jitter). */
    readonly baseDelayMs: number;
    /** Pause between two updates in this account and Region: WAF allows about one per second. */
    readonly minUpdateIntervalMs: number;
}

export interface IpSetState {
    readonly addresses: readonly string[];
    readonly lockToken: string;
    readonly description?: string;
}

/** GetIPSet and UpdateIPSet on this applier's two sets. */
export interface IpSetCalls {
    get(family: AddressFamily): Promise<IpSetState>;
    update(family: AddressFamily, addresses: readonly string[], state: IpSetState): Promise<void>;
}

export interface ApplierDependencies {
    readonly calls: IpSetCalls;
    readonly now: () => number;
    readonly sleep: (ms: number) => Promise<void>;
    readonly log: (line: string) => void;
    readonly metrics: (values: Record<string, number>) => void;
}

/** Refusals listed in a reply or log line; the rest are counted. */
export const MAX_LISTED_REFUSALS = 50;
const FAMILIES: readonly AddressFamily[] = ["ipv4", "ipv6"];
const shown = (value: unknown) => {
    const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
    return text.length > 64 ? `${text.slice(0, 64)}…` : text;
};

/** The accepted contents of each set (undefined: keep the set as it is), with what was refused. */
export interface Checked {
    readonly accepted: { readonly ipv4?: string[]; readonly ipv6?: string[] };
    readonly refused: Refusal[];
    readonly allowlisted: string[];
}

/** Checks a request against this account's limits; pure, so it is tested on its own too. */
export function checkRequest(request: unknown, settings: ApplierSettings): Checked {
    const body = request as Partial<Record<keyof ApplyRequest, unknown>> | null;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
        return wholeRefusal(`${shown(request)} is not an object with version, ipv4 and ipv6`);
    }
    if (body.version !== 1) {
        return wholeRefusal(
            `version ${shown(body.version)} is not 1: deploy the logging and resource stacks from one version`,
        );
    }
    const refused: Refusal[] = [];
    const protectedRanges: string[] = [];
    const ownAllowlist = overlapFinder(settings.allowlist);
    const accepted: { ipv4?: string[]; ipv6?: string[] } = {};
    for (const family of FAMILIES) {
        const list = body[family];
        if (!Array.isArray(list)) {
            refused.push({
                family,
                value: shown(list),
                reason: "is not a list of CIDR ranges; the set is kept as it is",
            });
            continue;
        }
        if (list.length > settings.maxAddresses) {
            refused.push({
                family,
                value: `${list.length} entries`,
                reason: `more than the ${settings.maxAddresses} ranges an AWS WAF IP set holds; the set is kept as it is`,
            });
            continue;
        }
        const ranges = new Set<string>();
        for (const value of list) {
            const checked = checkRange(value, family, settings);
            if ("problem" in checked) {
                refused.push({ family, value: shown(value), reason: checked.problem });
                continue;
            }
            const { cidr } = checked;
            if (ownAllowlist(cidr)) protectedRanges.push(cidr);
            else ranges.add(cidr);
        }
        accepted[family] = [...ranges].sort();
    }
    return { accepted, refused, allowlisted: protectedRanges.sort() };
}

function wholeRefusal(reason: string): Checked {
    return {
        accepted: {},
        refused: [{ value: "request", reason: `${reason}; both sets are kept as they are` }],
        allowlisted: [],
    };
}

/** The range one value names, or why it may not go into this account's set of `family`. */
function checkRange(
    value: unknown,
    family: AddressFamily,
    settings: ApplierSettings,
): { cidr: string } | { problem: string } {
    if (typeof value !== "string") return { problem: "is not text" };
    const parsed = parseRange(value, {
        narrowest: settings.broadestPrefix,
        breadthFix: `this account accepts no range broader than /${settings.broadestPrefix.ipv4} (IPv4) or /${settings.broadestPrefix.ipv6} (IPv6) (central-waf-logs:response.maxPrefixIpv4 and maxPrefixIpv6 of its resource stack)`,
    });
    if ("problem" in parsed) return parsed;
    if (parsed.family !== family) return { problem: `is ${parsed.family}, sent for the ${family} set` };
    const unreachable = notGloballyReachable(parsed.cidr);
    return unreachable === undefined ? { cidr: parsed.cidr } : { problem: unreachable };
}

const retryable = (err: unknown) =>
    [
        "WAFOptimisticLockException",
        "ThrottlingException",
        "WAFInternalErrorException",
        "WAFUnavailableEntityException",
    ].includes((err as { name?: string })?.name ?? "");

/**
 * Checks the request, then makes each set hold what was accepted (writing only when it differs),
 * re-reading after lock conflicts. Refusals are logged, counted in `BlocklistEntriesRefused` (the
 * resource account's alarm) and returned to the publisher. A WAF failure after the retries throws.
 */
export async function applyBlocklist(
    request: unknown,
    deps: ApplierDependencies,
    settings: ApplierSettings,
): Promise<ApplyResult> {
    const checked = checkRequest(request, settings);
    const listed = checked.refused.slice(0, MAX_LISTED_REFUSALS);
    if (checked.refused.length > 0) {
        deps.log(
            JSON.stringify({
                msg: "applier refused part of the desired blocklist",
                refusedCount: checked.refused.length,
                refused: listed,
                fix: "nothing was written for these values; if the logging account did not mean to send them, treat it as compromised",
            }),
        );
    }
    const updated: string[] = [];
    const counts: Record<AddressFamily, number | "kept"> = { ipv4: "kept", ipv6: "kept" };
    let lastUpdate = -Infinity;
    const pace = async () => {
        const wait = lastUpdate + settings.minUpdateIntervalMs - deps.now();
        if (wait > 0) await deps.sleep(wait);
        lastUpdate = deps.now();
    };
    for (const family of FAMILIES) {
        const addresses = checked.accepted[family];
        if (addresses === undefined) continue;
        if (await converge(deps, settings, family, addresses, pace)) updated.push(settings.ipSetNames[family]);
        counts[family] = addresses.length;
    }
    deps.metrics({ BlocklistApplyRuns: 1, BlocklistEntriesRefused: checked.refused.length });
    const result: ApplyResult = {
        updated,
        ipv4: counts.ipv4,
        ipv6: counts.ipv6,
        refused: listed,
        refusedCount: checked.refused.length,
        allowlisted: checked.allowlisted,
    };
    deps.log(JSON.stringify({ msg: "applier summary", ...result }));
    return result;
}

/** Makes one IP set hold `addresses`, re-reading after a lock conflict; true if it had to write. */
async function converge(
    deps: ApplierDependencies,
    settings: ApplierSettings,
    family: AddressFamily,
    addresses: readonly string[],
    pace: () => Promise<void>,
): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
        try {
            const state = await deps.calls.get(family);
            if (sameAddresses(state.addresses, addresses)) return attempt > 1;
            await pace();
            await deps.calls.update(family, addresses, state);
            return true;
        } catch (err) {
            if (!retryable(err) || attempt >= settings.maxAttempts) throw err;
            await deps.sleep(Math.random() * settings.baseDelayMs * 2 ** (attempt - 1));
        }
    }
}

function sameAddresses(a: readonly string[], b: readonly string[]): boolean {
    if (a.length !== b.length) return false;
    const sorted = [...a].sort();
    return [...b].sort().every((v, i) => v === sorted[i]);
}
