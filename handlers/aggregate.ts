/**
 * Prefix aggregation, optional (`response.aggregatePrefixMinAddresses`, off by default): when at
 * least N candidates of one detection run share an IPv4 /24 or an IPv6 /64, and nothing protected
 * lies inside it, one entry for the prefix covers them. A botnet concentrated in a few prefixes
 * then costs a few new entries against the circuit breaker's cap, not one per address.
 *
 * Off by default because a prefix blocks its neighbours too: a /24 can hold a carrier's NAT, or
 * other tenants of a cloud provider, that never sent a request.
 *
 * Serialized into Lambdas: keep it free of Pulumi and AWS SDK imports.
 */
import { BlockEntry, Detection, EvidencePolicy, isActive } from "./blocklist";
import { CANARY_RANGE } from "./canary";
import { allowlisted, enclosingRange, notGloballyReachable, overlaps, parseRange } from "./ipRange";

/** The prefix one entry covers, per family: within the /24 and /48 a resource account's applier takes by default. */
export const AGGREGATE_PREFIX = { ipv4: 24, ipv6: 64 } as const;

/** The /24 (IPv4) or /64 (IPv6) holding a detection's address. */
export function prefixOf(found: Pick<Detection, "cidr" | "family">): string {
    return enclosingRange(found.cidr, AGGREGATE_PREFIX[found.family]);
}

/** The detections of one run, by the prefix that holds them (in the order found). */
export function byPrefix<T extends { readonly found: Detection }>(plans: readonly T[]): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const plan of plans) {
        const prefix = prefixOf(plan.found);
        groups.set(prefix, [...(groups.get(prefix) ?? []), plan]);
    }
    return groups;
}

/**
 * Why `prefix` must not become one entry, or undefined when it may: it holds an allowlisted range
 * or the canary of `npm run verify` (both never blocked, whether or not they sent a request this
 * run), it overlaps a range an operator released (a prefix would block it again), or it overlaps
 * a block that is not globally reachable.
 *
 * @param allowlist parsed `response.allowlist` ranges
 * @param released ranges whose release by an operator has not ended (`suppressedUntil` ahead)
 */
export function prefixProblem(
    prefix: string,
    allowlist: readonly string[],
    released: readonly string[] = [],
): string | undefined {
    const parsed = parseRange(prefix);
    if ("problem" in parsed) return parsed.problem;
    const protectedBy = allowlisted(prefix, [...allowlist, CANARY_RANGE]);
    if (protectedBy !== undefined) return `it holds ${protectedBy}, which is never blocked`;
    const releasedInside = released.find((range) => overlaps(range, prefix));
    if (releasedInside !== undefined) return `it overlaps ${releasedInside}, which an operator released`;
    const block = notGloballyReachable(prefix);
    if (block) return `it overlaps ${block}, which is not globally reachable`;
    const translated = allowlisted(prefix, IPV4_IN_IPV6);
    // A /64 there stands for IPv4 space: 64:ff9b::/96 is every IPv4 address through NAT64.
    return translated && `it overlaps ${translated}, where IPv6 addresses stand for IPv4 ones (NAT64, 6to4)`;
}

/** IPv6 prefixes whose addresses embed IPv4 ones (RFC 6052 NAT64, RFC 3056 6to4): never aggregated. */
const IPV4_IN_IPV6 = ["64:ff9b::/96", "2002::/16"];

/**
 * What to do with the candidates of one prefix: `extend` an active entry of the prefix (every
 * candidate in it is evidence for that entry, however few), `add` one entry for the prefix, or
 * undefined: each candidate on its own, as without aggregation.
 *
 * @param members the candidates in `prefix` with what they would do on their own
 * @param existing the stored entry of the prefix itself, if any
 * @param minAddresses `aggregatePrefixMinAddresses`: 0 (off) or at least 2
 * @param released ranges whose release by an operator has not ended
 */
export function prefixAction(
    prefix: string,
    members: readonly { readonly outcome: string }[],
    existing: BlockEntry | undefined,
    now: number,
    minAddresses: number,
    allowlist: readonly string[],
    released: readonly string[] = [],
): "extend" | "add" | undefined {
    if (minAddresses < 2) return undefined;
    // An operator released the prefix: it is left alone, as a single address is.
    if (existing?.suppressedUntil !== undefined && existing.suppressedUntil > now) return undefined;
    // Also for an active prefix: the allowlist may have grown since it was added (the publisher
    // leaves such an entry out of every IP set; extending it would hold nothing), or an operator
    // released a range inside it (it then expires at its own time).
    if (prefixProblem(prefix, allowlist, released) !== undefined) return undefined;
    const releasedMembers = members.filter((m) => m.outcome === "suppressed").length;
    if (existing !== undefined && isActive(existing, now)) {
        return releasedMembers < members.length ? "extend" : undefined;
    }
    // An operator called one of them a false positive: the prefix would block it again.
    if (releasedMembers > 0) return undefined;
    return members.length >= minAddresses ? "add" : undefined;
}

/** On whose evidence an entry for a prefix blocks, and which of its candidates it stands for. */
export interface PrefixEvidence {
    /** The accounts whose own evidence makes the prefix: it is blocked where they saw it. */
    readonly evidenceAccounts: readonly string[];
    readonly global: boolean;
    /** The candidates the prefix entry stands for; every other one keeps an entry of its own. */
    readonly covered: readonly Detection[];
}

/**
 * The evidence for a new prefix entry over `members`, or undefined when no account's own evidence
 * makes one. An account counts only when it is an evidence account (as for one address) of at
 * least `minAddresses` of them: neighbours another account saw, or forged, add nothing to it. So
 * one account's forged members cannot widen another account's block of the one address it saw
 * into a /24 (red team F3), nor make a prefix global around an address two accounts saw. Global
 * when the accounts over their share (`strongAccounts`) on N members each meet the policy as one
 * address's would (`globalMinAccounts` of them, or a trusted one).
 */
export function newPrefixEvidence(
    members: readonly Detection[],
    minAddresses: number,
    policy: EvidencePolicy,
): PrefixEvidence | undefined {
    /** The accounts that are evidence of at least `minAddresses` members, as `accountsOf` says. */
    const eachOfN = (accountsOf: (member: Detection) => readonly string[]) => {
        const counts = new Map<string, number>();
        for (const member of members) {
            for (const account of accountsOf(member)) counts.set(account, (counts.get(account) ?? 0) + 1);
        }
        return [...counts]
            .filter(([, count]) => count >= minAddresses)
            .map(([account]) => account)
            .sort();
    };
    const accounts = eachOfN((m) => m.evidenceAccounts);
    if (accounts.length === 0) return undefined;
    // Global only on accounts over their share on N members each: evidence spread thin over many
    // accounts blocks an address only where it was seen, and so it does a prefix.
    const strong = eachOfN((m) => m.strongAccounts ?? []);
    const global =
        policy.globalMinAccounts <= 1 ||
        strong.length >= policy.globalMinAccounts ||
        strong.some((a) => policy.trustedEvidenceAccounts.includes(a));
    return { evidenceAccounts: accounts, global, covered: coveredBy(members, accounts, global) };
}

/**
 * The evidence an active prefix entry keeps: its own accounts and scope. Only candidates those
 * accounts saw extend it; one another account saw keeps its own entry, so a prefix never spreads
 * to an account on fewer addresses than made it. Undefined when no candidate extends it.
 */
export function activePrefixEvidence(existing: BlockEntry, members: readonly Detection[]): PrefixEvidence | undefined {
    const accounts = existing.evidenceAccounts ?? [];
    // Items written before scopes existed are read as global (handlers/blocklist.ts).
    const global = (existing.scope ?? "global") === "global";
    const covered = coveredBy(members, accounts, global);
    return covered.length > 0 ? { evidenceAccounts: [...accounts], global, covered } : undefined;
}

/** The members an entry on `accounts`' evidence stands for: all their evidence in it, and no member broader than it. */
function coveredBy(members: readonly Detection[], accounts: readonly string[], global: boolean): Detection[] {
    return members.filter(
        (m) => m.evidenceAccounts.every((a) => accounts.includes(a)) && (global || m.scope === "local"),
    );
}

/**
 * One detection for `prefix` from the candidates it stands for and its evidence: requests summed
 * over the members (each one's busiest 5 minutes: the order the circuit breaker and a full IP set
 * keep); the scope and evidence accounts from `evidence`, and the locations where those accounts
 * saw the members; the times span the members.
 */
export function aggregateOf(prefix: string, members: readonly Detection[], evidence: PrefixEvidence): Detection {
    const seenIn = [...new Set(members.flatMap((m) => m.seenIn))].sort();
    const evidenceAccounts = [...evidence.evidenceAccounts];
    const first = members[0];
    return {
        cidr: prefix,
        family: first.family,
        peakRequests: members.reduce((sum, m) => sum + m.peakRequests, 0),
        addresses: members.length,
        seenIn,
        firstSeen: Math.min(...members.map((m) => m.firstSeen)),
        lastSeen: Math.max(...members.map((m) => m.lastSeen)),
        query: first.query,
        window: first.window,
        threshold: first.threshold,
        scope: evidence.global ? "global" : "local",
        evidenceAccounts,
        locations: seenIn.filter((l) => evidenceAccounts.includes(l.split("/")[0])),
    };
}
