/**
 * The central blocklist: what an entry is, when it is active, how long a block lasts (longer for
 * repeat offenders), what the allowlist protects, and which addresses each WAF IP set should hold.
 * Pure functions, shared by the detector and publisher Lambdas and the operator CLI.
 *
 * Serialized into Lambdas: keep it free of Pulumi and AWS SDK imports.
 */
import { AddressFamily, IpRange, parseRange } from "./ipRange";

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
    /**
     * Where the block is enforced: `global` (every admitted account and Region) or `local` (only
     * `locations`). Items written before scopes existed have none and are read as `global`.
     */
    readonly scope?: BlockScope;
    /** The accounts whose logs are the evidence for this entry (detector entries). */
    readonly evidenceAccounts?: readonly string[];
    /** `<account>/<region>` pairs a `local` entry is enforced in: where its evidence came from. */
    readonly locations?: readonly string[];
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

/** `global`: every admitted account and Region; `local`: only the entry's own `locations`. */
export type BlockScope = "local" | "global";

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

/** Who decides where a detection is blocked. */
export interface EvidencePolicy {
    /**
     * A detection is blocked in every admitted location only when at least this many distinct
     * accounts each saw the client over `threshold / globalMinAccounts` requests in 5 minutes;
     * otherwise only where its evidence was seen. 1: any one account decides for all. Default 2.
     */
    readonly globalMinAccounts: number;
    /** Accounts whose evidence alone makes a block global (a central edge or CDN account). Default none. */
    readonly trustedEvidenceAccounts: readonly string[];
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
    /** Where to block it, judged from its evidence by `scopeOfEvidence`. */
    readonly scope: BlockScope;
    readonly evidenceAccounts: readonly string[];
    readonly locations: readonly string[];
    /**
     * The evidence accounts that alone saw it over their share (`strongEvidenceAccounts`); none
     * when its evidence is spread thin. Only these count toward a prefix's global scope. Absent: none.
     */
    readonly strongAccounts?: readonly string[];
    /**
     * For a prefix entry (aggregation): how many candidate addresses it covers; `peakRequests` is
     * then their sum. Absent for one address.
     */
    readonly addresses?: number;
}

/**
 * Where a detection is blocked, from each account's own busiest 5 minutes of the client
 * (`peaks`, account to requests) and the `<account>/<region>` pairs it was seen in.
 *
 * An account is evidence when it alone saw more than `threshold / globalMinAccounts` requests in
 * 5 minutes: a second account with a handful of requests from an address that one account forged
 * records for cannot make that address global. When no account reaches that share (a client
 * spread thin over many accounts), every account that saw it is evidence, but only for a local
 * block. Global: `globalMinAccounts` evidence accounts, or one trusted account, or
 * `globalMinAccounts` 1 (any one account decides). Local: only the evidence accounts' locations.
 */
export function scopeOfEvidence(
    peaks: ReadonlyMap<string, number>,
    seenIn: readonly string[],
    threshold: number,
    policy: EvidencePolicy,
): { scope: BlockScope; evidenceAccounts: string[]; locations: string[] } {
    const strong = strongEvidenceAccounts(peaks, threshold, policy);
    const evidenceAccounts = (strong.length > 0 ? strong : [...peaks.keys()]).sort();
    const global =
        policy.globalMinAccounts <= 1 ||
        (strong.length > 0 &&
            (strong.length >= policy.globalMinAccounts ||
                strong.some((a) => policy.trustedEvidenceAccounts.includes(a))));
    const locations = seenIn.filter((l) => evidenceAccounts.includes(l.split("/")[0])).sort();
    return { scope: global ? "global" : "local", evidenceAccounts, locations };
}

/** The accounts that alone saw a client over `threshold / globalMinAccounts` requests in 5 minutes. */
export function strongEvidenceAccounts(
    peaks: ReadonlyMap<string, number>,
    threshold: number,
    policy: Pick<EvidencePolicy, "globalMinAccounts">,
): string[] {
    return [...peaks]
        .filter(([, peak]) => peak * policy.globalMinAccounts > threshold)
        .map(([account]) => account)
        .sort();
}

export type DetectionOutcome = "added" | "extended" | "suppressed";

/** What a detection says, for the reason of a new block and the audit record of an extension. */
export function evidenceOf(found: Pick<Detection, "peakRequests" | "threshold" | "addresses">): string {
    if (found.addresses === undefined)
        return `${found.peakRequests} requests in 5 minutes (threshold ${found.threshold})`;
    return `${found.addresses} addresses over the threshold, ${found.peakRequests} requests in their busiest 5 minutes together (threshold ${found.threshold} each)`;
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
    const fresh = { scope: found.scope, evidenceAccounts: found.evidenceAccounts, locations: found.locations };
    if (existing && isActive(existing, now)) {
        const blockedUntil = Math.max(existing.blockedUntil, now + blockMinutesFor(existing.offenses, policy) * MINUTE);
        // An active block keeps its evidence: a global one stays global, a local one grows.
        const scope: BlockScope =
            (existing.scope ?? "global") === "global" || found.scope === "global" ? "global" : "local";
        const union = (a: readonly string[] | undefined, b: readonly string[]) =>
            [...new Set([...(a ?? []), ...b])].sort();
        return {
            outcome: "extended",
            entry: {
                ...existing,
                ...seen,
                scope,
                evidenceAccounts: union(existing.evidenceAccounts, found.evidenceAccounts),
                locations: union(existing.locations, found.locations),
                blockedUntil,
                ttl: ttlFor(blockedUntil, policy),
            },
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
            ...fresh,
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
        // An operator decides for the organization: their block is enforced everywhere.
        scope: "global",
        evidenceAccounts: existing?.evidenceAccounts,
        locations: existing?.locations,
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

/**
 * An operator's promotion of an active local entry to global: from now on it is enforced in every
 * admitted account and Region. The entry keeps its reason and evidence; the audit trail keeps the
 * operator's reason for the promotion.
 */
export function operatorPromote(existing: BlockEntry, now: number, actor: string): BlockEntry {
    return { ...existing, scope: "global", updatedBy: actor, updatedAt: now, version: existing.version + 1 };
}

const TYPES: Record<string, "string" | "number" | "list" | "scope" | "family" | "source"> = {
    cidr: "string",
    family: "family",
    blockedUntil: "number",
    suppressedUntil: "number",
    offenses: "number",
    reason: "string",
    source: "source",
    query: "string",
    window: "string",
    peakRequests: "number",
    seenIn: "list",
    scope: "scope",
    evidenceAccounts: "list",
    locations: "list",
    firstSeen: "number",
    lastSeen: "number",
    updatedBy: "string",
    updatedAt: "number",
    version: "number",
    ttl: "number",
};
const REQUIRED = ["cidr", "family", "blockedUntil", "offenses", "seenIn", "firstSeen", "lastSeen", "version"];

/**
 * Why a stored item cannot be read as a `BlockEntry` (a field of the wrong type, written by hand
 * or by another tool: `version "3" is text, not a number`), or undefined. Such an item is reported
 * and left alone; it never stops the handling of the others.
 */
export function entryShapeProblem(item: Readonly<Record<string, unknown>>): string | undefined {
    const problems: string[] = [];
    for (const field of REQUIRED) if (item[field] === undefined) problems.push(`${field} is missing`);
    for (const [field, value] of Object.entries(item)) {
        const type = TYPES[field];
        if (type === undefined || value === undefined) continue;
        const ok =
            type === "number"
                ? typeof value === "number" && Number.isFinite(value)
                : type === "list"
                  ? Array.isArray(value) && value.every((v) => typeof v === "string")
                  : type === "scope"
                    ? value === "local" || value === "global"
                    : type === "family"
                      ? value === "ipv4" || value === "ipv6"
                      : type === "source"
                        ? value === "detector" || value === "operator"
                        : typeof value === "string";
        if (!ok) {
            const shown = JSON.stringify(value);
            problems.push(
                `${field} ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown} is not ${type === "list" ? "a list of strings" : type === "number" ? "a number" : type === "string" ? "text" : `a valid ${type}`}`,
            );
        }
    }
    if (typeof item.version === "number" && !(Number.isSafeInteger(item.version) && item.version >= 1)) {
        problems.push(`version ${item.version} is not a whole number from 1`);
    }
    return problems.length > 0 ? problems.join("; ") : undefined;
}

/** Why an entry's range cannot go into an IP set as it is stored, or undefined when it can. */
export function entryProblem(entry: Pick<BlockEntry, "cidr" | "family">): string | undefined {
    const shape = entryShapeProblem(entry as unknown as Record<string, unknown>);
    if (typeof entry.cidr !== "string") return shape ?? "cidr is not text";
    const parsed = parseRange(String(entry.cidr));
    if ("problem" in parsed) return parsed.problem;
    if (parsed.cidr !== entry.cidr) return `${entry.cidr} is not in the form AWS WAF takes; it reads as ${parsed.cidr}`;
    if (parsed.family !== entry.family) return `${entry.cidr} is ${parsed.family}, but the entry says ${entry.family}`;
    return shape;
}

/** One line of the audit trail: who changed which range, how, why and when. */
export interface AuditRecord {
    readonly cidr: string;
    /** Epoch ms. */
    readonly at: number;
    readonly action: "add" | "extend" | "release" | "promote" | "refuse";
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
