/**
 * What one account and Region's two WAF IP sets should hold: the one computation both the
 * publisher and any writer in a resource account use, so every path into an IP set applies the
 * same guards.
 *
 * Of the stored entries, a target gets those that are active, well formed, enforced there (global
 * entries everywhere, local ones only in their own `locations`), outside the allowlist and outside
 * every block that is not globally reachable (`notGloballyReachable`). When more than a set holds
 * remain, the entries kept are chosen by evidence: most requests in the busiest 5 minutes, then
 * most evidence accounts, then the range (a fixed order). Never by a time an account wrote:
 * a forged `lastSeen` cannot push real attackers out.
 *
 * Serialized into Lambdas: keep it free of Pulumi and AWS SDK imports.
 */
import { AddressFamily, BlockEntry, MAX_ADDRESSES_PER_IP_SET, entryProblem, isActive } from "./blocklist";
import { allowlisted, notGloballyReachable } from "./ipRange";

/** The account and Region whose IP sets are computed. */
export interface EntryTarget {
    readonly accountId: string;
    readonly region: string;
}

/** The addresses one target's IP sets should hold, and what was left out and why. */
export interface TargetAddresses {
    readonly ipv4: string[];
    readonly ipv6: string[];
    /** Entries enforced here but left out because the set would exceed its quota. */
    readonly overflow: { readonly ipv4: number; readonly ipv6: number };
    /** Active ranges left out because they overlap the allowlist. */
    readonly allowlisted: string[];
    /** Active ranges left out because they overlap a block that is not globally reachable, with the block. */
    readonly notReachable: { readonly cidr: string; readonly block: string }[];
    /**
     * Active entries left out because they are malformed: a range AWS WAF would not take as
     * written, or a field of the wrong type. One such entry would fail every update of its set.
     */
    readonly skipped: { readonly cidr: string; readonly problem: string }[];
    /** Active, well-formed local entries enforced elsewhere only. */
    readonly elsewhere: number;
}

/** Whether `entry` is enforced in `target`: a global entry (or one with no scope) everywhere, a local one in its locations. */
export function enforcedIn(entry: Pick<BlockEntry, "scope" | "locations">, target: EntryTarget): boolean {
    if ((entry.scope ?? "global") === "global") return true;
    return (entry.locations ?? []).includes(`${target.accountId}/${target.region}`);
}

/** The evidence order: most requests in the busiest 5 minutes, then most evidence accounts, then the range. */
export function byEvidence(a: BlockEntry, b: BlockEntry): number {
    return (
        (b.peakRequests ?? 0) - (a.peakRequests ?? 0) ||
        (b.evidenceAccounts?.length ?? 0) - (a.evidenceAccounts?.length ?? 0) ||
        (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0)
    );
}

/** What the checks of one entry found. */
interface Verdict {
    readonly problem?: string;
    readonly block?: string;
    readonly protectedBy?: string;
}

function verdictOf(entry: BlockEntry, allowlist: readonly string[]): Verdict {
    const problem = entryProblem(entry);
    if (problem !== undefined) return { problem };
    return { block: notGloballyReachable(entry.cidr), protectedBy: allowlisted(entry.cidr, allowlist) };
}

/**
 * The addresses `target`'s IPv4 and IPv6 sets should hold at `now`.
 *
 * @param entries every stored item, as read (malformed ones included: they are reported, not thrown)
 * @param target the account and Region whose sets these are
 * @param now epoch ms; entries whose `blockedUntil` is not later are expired
 * @param allowlist parsed `response.allowlist` ranges
 * @param limit addresses per set; AWS WAF's quota by default
 */
export function targetEntries(
    entries: readonly BlockEntry[],
    target: EntryTarget,
    now: number,
    allowlist: readonly string[],
    limit = MAX_ADDRESSES_PER_IP_SET,
): TargetAddresses {
    const skipped: { cidr: string; problem: string }[] = [];
    const notReachable: { cidr: string; block: string }[] = [];
    const protectedRanges: string[] = [];
    let elsewhere = 0;
    const kept: BlockEntry[] = [];
    for (const entry of entries) {
        // A malformed item may have a blockedUntil that is not a number: judge it before anything else.
        const { problem, block, protectedBy } = verdictOf(entry, allowlist);
        if (problem !== undefined) {
            if (typeof entry.blockedUntil !== "number" || isActive(entry, now)) {
                skipped.push({ cidr: String(entry.cidr), problem });
            }
            continue;
        }
        if (!isActive(entry, now)) continue;
        if (block !== undefined) notReachable.push({ cidr: entry.cidr, block });
        else if (protectedBy !== undefined) protectedRanges.push(entry.cidr);
        else if (!enforcedIn(entry, target)) elsewhere++;
        else kept.push(entry);
    }
    const family = (f: AddressFamily) => {
        const ranked = kept.filter((e) => e.family === f).sort(byEvidence);
        return { kept: ranked.slice(0, limit).map((e) => e.cidr), dropped: Math.max(0, ranked.length - limit) };
    };
    const ipv4 = family("ipv4");
    const ipv6 = family("ipv6");
    return {
        ipv4: ipv4.kept.sort(),
        ipv6: ipv6.kept.sort(),
        overflow: { ipv4: ipv4.dropped, ipv6: ipv6.dropped },
        allowlisted: protectedRanges.sort(),
        notReachable: notReachable.sort((a, b) => a.cidr.localeCompare(b.cidr)),
        skipped: skipped.sort((a, b) => a.cidr.localeCompare(b.cidr)),
        elsewhere,
    };
}
