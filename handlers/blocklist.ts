/**
 * The central blocklist: what an entry is, when it is active, how long a block lasts (longer for
 * repeat offenders), what the allowlist protects, and which addresses each WAF IP set should hold.
 * Pure functions, shared by the detector and publisher Lambdas and the operator CLI.
 *
 * Serialized into Lambdas: keep it free of Pulumi and AWS SDK imports.
 */
import { AddressFamily, IpRange, allowlisted, parseRange } from "./ipRange";

export type { AddressFamily } from "./ipRange";

/** One blocked client IP or CIDR range, as stored (one item per range). */
export interface BlockEntry {
    /** Normalized CIDR: `203.0.113.66/32`, `2001:db8::/48`. The table's key. */
    readonly cidr: string;
    readonly family: AddressFamily;
    /** Epoch ms; the block is active while this is in the future. */
    readonly blockedUntil: number;
    /** Epoch ms; an operator released the range and the detector leaves it alone until then. */
    readonly suppressedUntil?: number;
    /**
     * Blocks started for this range within the repeat window, this one included. An operator's
     * release (a false positive) sets it to 0: a range that returns starts over at offense 1.
     */
    readonly offenses: number;
    readonly reason: string;
    readonly source: "detector" | "operator";
    /** The named query that found it (detector entries). */
    readonly query?: string;
    /** The window that query searched, `<ISO>..<ISO>`. */
    readonly window?: string;
    /** Requests in the busiest 5 minutes seen (detector entries). */
    readonly peakRequests?: number;
    /** `<account>/<region>` pairs the range was seen in. */
    readonly seenIn: readonly string[];
    /** Epoch ms of the first and last request seen. */
    readonly firstSeen: number;
    readonly lastSeen: number;
    /** Who made the last change (an IAM principal ARN) and when (epoch ms). */
    readonly updatedBy: string;
    readonly updatedAt: number;
    /** Incremented by every write: writes are conditional on it (optimistic locking). */
    readonly version: number;
    /** Epoch seconds when DynamoDB may delete the item: the block's end plus the repeat window. */
    readonly ttl: number;
}

/** Durations and protections of the response loop. */
export interface BlockPolicy {
    /** Minutes of a first block. Default 240. */
    readonly blockMinutes: number;
    /** Upper bound of a repeat offender's block, minutes. Default 10080 (7 days). */
    readonly maxBlockMinutes: number;
    /** Days a range's history is kept, so a return within them counts as a repeat. Default 30. */
    readonly repeatWindowDays: number;
    /** Ranges never blocked: own NATs, partners, health checkers (parsed by `parseRange`). */
    readonly allowlist: readonly string[];
}

/** AWS WAF's quota of addresses in one IP set. */
export const MAX_ADDRESSES_PER_IP_SET = 10_000;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export function isActive(entry: Pick<BlockEntry, "blockedUntil">, now: number): boolean {
    return entry.blockedUntil > now;
}

/** A block's length: doubled for each repeat within the window, up to the maximum. */
export function blockMinutesFor(offenses: number, policy: BlockPolicy): number {
    return Math.min(policy.maxBlockMinutes, policy.blockMinutes * 2 ** Math.max(0, offenses - 1));
}

const ttlFor = (blockedUntil: number, policy: BlockPolicy) =>
    Math.ceil((blockedUntil + policy.repeatWindowDays * DAY) / 1000);

/** What the detector found for one client IP. */
export interface Detection {
    readonly cidr: string;
    readonly family: AddressFamily;
    readonly peakRequests: number;
    readonly seenIn: readonly string[];
    readonly firstSeen: number;
    readonly lastSeen: number;
    readonly query: string;
    readonly window: string;
    readonly threshold: number;
}

export type DetectionOutcome = "added" | "extended" | "suppressed";

/** What a detection says, for the reason of a new block and the audit record of an extension. */
export function evidenceOf(found: Pick<Detection, "peakRequests" | "threshold">): string {
    return `${found.peakRequests} requests in 5 minutes (threshold ${found.threshold})`;
}

/**
 * The entry after a detection: a new block (longer for a repeat offender), an extension of an
 * active one, or nothing when an operator suppressed the range. `why` is the reason the audit
 * trail records for this change: the new evidence (this run's peak and window), also when an
 * extension keeps the entry's older reason (an operator's text, or the first peak).
 */
export function applyDetection(
    existing: BlockEntry | undefined,
    found: Detection,
    now: number,
    policy: BlockPolicy,
    actor: string,
): { outcome: DetectionOutcome; entry?: BlockEntry; why?: string } {
    if (existing?.suppressedUntil !== undefined && existing.suppressedUntil > now) return { outcome: "suppressed" };
    const seen = {
        peakRequests: Math.max(found.peakRequests, existing?.peakRequests ?? 0),
        seenIn: [...new Set([...(existing?.seenIn ?? []), ...found.seenIn])].sort(),
        firstSeen: Math.min(found.firstSeen, existing?.firstSeen ?? found.firstSeen),
        lastSeen: Math.max(found.lastSeen, existing?.lastSeen ?? found.lastSeen),
        query: found.query,
        window: found.window,
        updatedBy: actor,
        updatedAt: now,
        version: (existing?.version ?? 0) + 1,
    };
    if (existing && isActive(existing, now)) {
        const blockedUntil = Math.max(existing.blockedUntil, now + blockMinutesFor(existing.offenses, policy) * MINUTE);
        return {
            outcome: "extended",
            entry: { ...existing, ...seen, blockedUntil, ttl: ttlFor(blockedUntil, policy) },
            why: `${evidenceOf(found)} in ${found.window}; blocked until ${new Date(blockedUntil).toISOString()}`,
        };
    }
    // A released range has 0 offenses: an operator called it a false positive, so it starts over.
    const repeat =
        existing !== undefined && existing.offenses >= 1 && existing.blockedUntil + policy.repeatWindowDays * DAY > now;
    const offenses = repeat ? existing.offenses + 1 : 1;
    const blockedUntil = now + blockMinutesFor(offenses, policy) * MINUTE;
    const reason = `${evidenceOf(found)}${repeat ? `, offense ${offenses} within ${policy.repeatWindowDays} days` : ""}`;
    return {
        outcome: "added",
        entry: {
            cidr: found.cidr,
            family: found.family,
            ...seen,
            blockedUntil,
            offenses,
            reason,
            source: "detector",
            ttl: ttlFor(blockedUntil, policy),
        },
        why: reason,
    };
}

/**
 * An operator's block of a range for `minutes`, with the reason they gave. It never shortens an
 * active block: when the range is already blocked for longer, the later expiry is kept (to
 * shorten a block, remove it, then add it again). A repeat within the repeat window counts as
 * the next offense, unless an operator released the range since (a false positive starts over).
 */
export function operatorBlock(
    existing: BlockEntry | undefined,
    range: IpRange,
    minutes: number,
    reason: string,
    now: number,
    policy: BlockPolicy,
    actor: string,
): BlockEntry {
    const active = existing !== undefined && isActive(existing, now);
    const blockedUntil = Math.max(now + minutes * MINUTE, active ? existing.blockedUntil : 0);
    const repeat = existing !== undefined && existing.blockedUntil + policy.repeatWindowDays * DAY > now;
    const offenses = active ? Math.max(1, existing.offenses) : repeat ? existing.offenses + 1 : 1;
    return {
        cidr: range.cidr,
        family: range.family,
        offenses,
        seenIn: existing?.seenIn ?? [],
        firstSeen: existing?.firstSeen ?? now,
        lastSeen: existing?.lastSeen ?? now,
        peakRequests: existing?.peakRequests,
        query: existing?.query,
        window: existing?.window,
        reason,
        source: "operator",
        blockedUntil,
        updatedBy: actor,
        updatedAt: now,
        version: (existing?.version ?? 0) + 1,
        ttl: ttlFor(blockedUntil, policy),
    };
}

/**
 * An operator's release of a range: unblocked now, and left alone by the detector for `minutes`.
 * A release says the block was a false positive, so the repeat count is reset (offenses 0): if
 * the range returns, it is blocked as a first offense, for blockMinutes.
 */
export function operatorRelease(
    existing: BlockEntry,
    minutes: number,
    reason: string,
    now: number,
    policy: BlockPolicy,
    actor: string,
): BlockEntry {
    const suppressedUntil = now + minutes * MINUTE;
    return {
        ...existing,
        blockedUntil: Math.min(existing.blockedUntil, now),
        suppressedUntil,
        offenses: 0,
        reason,
        source: "operator",
        updatedBy: actor,
        updatedAt: now,
        version: existing.version + 1,
        ttl: ttlFor(Math.max(now, suppressedUntil), policy),
    };
}

/** The addresses each IP set should hold now, most recently seen first when over the quota. */
export interface DesiredAddresses {
    readonly ipv4: string[];
    readonly ipv6: string[];
    /** Active ranges left out because a set would exceed its quota. */
    readonly overflow: { readonly ipv4: number; readonly ipv6: number };
    /** Active ranges left out because they overlap the allowlist. */
    readonly allowlisted: string[];
    /**
     * Active entries left out because their range is not one AWS WAF would take as written (not
     * in the form `parseRange` gives, of the wrong family, or broader than the block guard):
     * written by hand or by an older version. One such entry would fail every update of its IP
     * set everywhere; left out, it cannot.
     */
    readonly skipped: { readonly cidr: string; readonly problem: string }[];
}

/** Why an entry's range cannot go into an IP set as it is stored, or undefined when it can. */
export function entryProblem(entry: Pick<BlockEntry, "cidr" | "family">): string | undefined {
    const parsed = parseRange(String(entry.cidr));
    if ("problem" in parsed) return parsed.problem;
    if (parsed.cidr !== entry.cidr) return `${entry.cidr} is not in the form AWS WAF takes; it reads as ${parsed.cidr}`;
    if (parsed.family !== entry.family) return `${entry.cidr} is ${parsed.family}, but the entry says ${entry.family}`;
    return undefined;
}

export function desiredAddresses(
    entries: readonly BlockEntry[],
    now: number,
    allowlist: readonly string[],
    limit = MAX_ADDRESSES_PER_IP_SET,
): DesiredAddresses {
    const skipped: { cidr: string; problem: string }[] = [];
    const active = entries.filter((e) => {
        if (!isActive(e, now)) return false;
        const problem = entryProblem(e);
        if (problem !== undefined) skipped.push({ cidr: String(e.cidr), problem });
        return problem === undefined;
    });
    const protectedRanges = active.filter((e) => allowlisted(e.cidr, allowlist)).map((e) => e.cidr);
    const family = (f: AddressFamily) => {
        const ranked = active
            .filter((e) => e.family === f && !protectedRanges.includes(e.cidr))
            .sort((a, b) => b.lastSeen - a.lastSeen || a.cidr.localeCompare(b.cidr));
        return { kept: ranked.slice(0, limit).map((e) => e.cidr), dropped: Math.max(0, ranked.length - limit) };
    };
    const ipv4 = family("ipv4");
    const ipv6 = family("ipv6");
    return {
        ipv4: ipv4.kept.sort(),
        ipv6: ipv6.kept.sort(),
        overflow: { ipv4: ipv4.dropped, ipv6: ipv6.dropped },
        allowlisted: protectedRanges.sort(),
        skipped: skipped.sort((a, b) => a.cidr.localeCompare(b.cidr)),
    };
}

/** One line of the audit trail: who changed which range, how, why and when. */
export interface AuditRecord {
    readonly cidr: string;
    /** Epoch ms. */
    readonly at: number;
    readonly action: "add" | "extend" | "release" | "refuse";
    readonly actor: string;
    readonly reason: string;
    /** The entry after the change (JSON), or what was refused. */
    readonly detail: string;
}

export function auditOf(
    action: AuditRecord["action"],
    entry: Pick<BlockEntry, "cidr" | "reason">,
    actor: string,
    now: number,
    detail: unknown,
): AuditRecord {
    return { cidr: entry.cidr, at: now, action, actor, reason: entry.reason, detail: JSON.stringify(detail) };
}
