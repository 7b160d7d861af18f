/**
 * The detector: every few minutes, asks Athena which client IPs went over the threshold in a
 * 5-minute window of the last minutes, across every account and Region, and turns each into a
 * block (or extends one) in the central blocklist, scoped by its evidence: blocked only where it
 * was seen unless several accounts (or a trusted one) saw it. A circuit breaker caps the new
 * entries of one run: over the cap, the worst candidates are blocked and the rest refused, so a
 * bad query or threshold cannot block the world, and a botnet cannot stop all new blocking.
 *
 * Every row is checked before anything is written: a row the detector cannot trust (a client IP
 * that is not one address, a count that is not over the threshold it ran with, a time that is not
 * epoch milliseconds) is counted as unusable, with its reason, and skipped; the rest are written.
 * Each entry is handled on its own: one that fails (a malformed stored item) is reported and the
 * others are still written; the run fails at the end, naming it.
 */
import { hourPartition } from "../layout";
import {
    AuditRecord,
    BlockEntry,
    BlockPolicy,
    Detection,
    EvidencePolicy,
    applyDetection,
    auditOf,
    scopeOfEvidence,
    strongEvidenceAccounts,
} from "./blocklist";
import { BlocklistStore } from "./blocklistStore";
import { activePrefixEvidence, aggregateOf, byPrefix, newPrefixEvidence, prefixAction } from "./aggregate";
import { CANARY_RANGE } from "./canary";
import { QueryResult } from "./athenaQuery";
import { allowlisted, notGloballyReachable, parseRange, quoted } from "./ipRange";

export interface DetectorSettings extends BlockPolicy, EvidencePolicy {
    /** Requests in 5 minutes above which a client IP is blocked. */
    readonly threshold: number;
    /** Each run looks at 5-minute windows starting this many minutes ago or later. */
    readonly lookbackMinutes: number;
    /**
     * More new entries than this in one run trips the circuit breaker: only this many are written,
     * the worst first (most requests in their busiest 5 minutes), the rest are refused; active
     * blocks seen again are still extended (they do not grow the blocked set).
     */
    readonly maxNewEntriesPerRun: number;
    /**
     * Minutes a record's own time may lie outside the hour of the partition it was filed under
     * (Firehose buffering) and still count; records further off are forged or broken. Default 15.
     */
    readonly timestampSlackMinutes: number;
    /**
     * At least this many candidates in one IPv4 /24 or IPv6 /64, with nothing protected inside, are
     * covered by one entry for the prefix (`handlers/aggregate.ts`). Absent or 0: off, each address
     * on its own.
     */
    readonly aggregatePrefixMinAddresses?: number;
    /**
     * The named query run (its parameters: from_hour, to_hour, slack_ms, slack_ms, threshold,
     * since_ms, threshold).
     */
    readonly queryName: string;
}

export interface DetectorDependencies {
    /** Runs the named query with its parameters by name (the caller orders them for its `?`s). */
    readonly runQuery: (params: Readonly<Record<string, string | number>>) => Promise<QueryResult>;
    readonly store: BlocklistStore;
    readonly now: () => number;
    /** Who the changes are made by (the function's ARN). */
    readonly actor: string;
    readonly log: (line: string) => void;
    readonly metrics: (values: Record<string, number>) => void;
}

export interface DetectionSummary {
    readonly window: string;
    readonly queryExecutionId: string;
    readonly scannedBytes: number;
    readonly candidates: number;
    /** Rows that cannot be used (masked `X.X.X.X`, malformed IP, a range, bad counts or times). */
    readonly unusable: number;
    /** Why, for the first `MAX_REASONS` unusable rows: `row 3 (client_ip "..."): <column> ...`. */
    readonly unusableReasons: string[];
    readonly allowlisted: string[];
    /** Candidates in address space that is not globally reachable (never blocked), with the IANA block. */
    readonly notReachable: string[];
    /** Ranges an operator released: left alone (also when the release landed during this run). */
    readonly suppressed: string[];
    readonly added: string[];
    readonly extended: string[];
    /** Prefix entries written (added or extended), with the candidates each covers: `198.51.100.0/24 (12 addresses)`. */
    readonly aggregated: string[];
    readonly circuitBreakerTripped: boolean;
    /** New entries the circuit breaker refused (0 unless it tripped): the least busy beyond the cap. */
    readonly refusedNew: number;
    /** Entries that could not be handled (a malformed stored item, a failed write), each with why. */
    readonly failed: { readonly cidr: string; readonly error: string }[];
}

/** The columns of the named query the detector reads. */
export const DETECTOR_COLUMNS = [
    "client_ip",
    "requests_in_5_minutes",
    "first_seen_ms",
    "last_seen_ms",
    "seen_in",
    "evidence",
];

const MINUTE = 60_000;
const WRITE_ATTEMPTS = 3;
/** Reasons kept per run (the count is exact): one log line must stay well under CloudWatch's 256 KB. */
const MAX_REASONS = 50;
/** Largest epoch millisecond a JavaScript Date holds. */
const MAX_EPOCH_MS = 8.64e15;

/** A whole number written in plain decimal digits (as Athena writes a bigint), or undefined. */
function wholeNumber(text: string | null): number | undefined {
    if (text === null || !/^[0-9]{1,16}$/.test(text)) return undefined;
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : undefined;
}

/** What a column held and why it cannot be used: `first_seen_ms "later" is not ...`, or `... is empty`. */
const unusableValue = (column: string, text: string | null, expected: string) =>
    text === null ? `${column} is empty` : `${column} ${quoted(text)} is not ${expected}`;

/** Each account's own busiest 5 minutes, from `<account>:<requests>,...`, or undefined when malformed. */
function evidenceOf(text: string | null): Map<string, number> | undefined {
    if (text === null || text === "") return undefined;
    const peaks = new Map<string, number>();
    for (const part of text.split(",")) {
        const m = /^([0-9]{12}):([0-9]{1,16})$/.exec(part);
        if (!m || !Number.isSafeInteger(Number(m[2]))) return undefined;
        peaks.set(m[1], Math.max(Number(m[2]), peaks.get(m[1]) ?? 0));
    }
    return peaks;
}

/**
 * The detections in the query's rows, or why each row cannot be used. Pure: nothing is written.
 * Rows for the same range (an IPv4 client seen in IPv4-mapped form too) are merged. No time is
 * later than `now` (a record's own time is whatever its account wrote).
 */
export function readDetections(
    rows: readonly Record<string, string | null>[],
    settings: DetectorSettings,
    window: string,
    now: number,
): {
    found: Detection[];
    unusable: string[];
    allowlisted: string[];
    notReachable: string[];
} {
    const byRange = new Map<string, Omit<Detection, "scope" | "evidenceAccounts" | "locations">>();
    const peaksOf = new Map<string, Map<string, number>>();
    const unusable: string[] = [];
    const skipped = new Set<string>();
    const notReachable = new Set<string>();
    rows.forEach((row, i) => {
        const clientIp = row.client_ip ?? null;
        const problems: string[] = [];
        const range = clientIp === null ? undefined : parseRange(clientIp, { singleAddress: true });
        if (range === undefined) problems.push("client_ip is empty");
        else if ("problem" in range) problems.push(`client_ip: ${range.problem}`);
        const requests = wholeNumber(row.requests_in_5_minutes ?? null);
        if (requests === undefined) {
            problems.push(unusableValue("requests_in_5_minutes", row.requests_in_5_minutes ?? null, "a whole number"));
        } else if (requests <= settings.threshold) {
            problems.push(`requests_in_5_minutes ${requests} is not above the threshold ${settings.threshold}`);
        }
        const times = (["first_seen_ms", "last_seen_ms"] as const).map((column) => {
            const value = wholeNumber(row[column] ?? null);
            if (value === undefined || value > MAX_EPOCH_MS) {
                problems.push(unusableValue(column, row[column] ?? null, "a time in epoch milliseconds"));
            }
            return Math.min(value ?? 0, now);
        });
        const peaks = evidenceOf(row.evidence ?? null);
        if (peaks === undefined) {
            problems.push(unusableValue("evidence", row.evidence ?? null, "a list of <account>:<requests>"));
        }
        if (problems.length > 0 || range === undefined || "problem" in range || peaks === undefined) {
            unusable.push(
                `row ${i + 1}${clientIp === null ? "" : ` (client_ip ${quoted(clientIp)})`}: ${problems.join("; ")}`,
            );
            return;
        }
        const block = notGloballyReachable(range.cidr);
        if (block !== undefined) {
            notReachable.add(`${range.cidr} (${block})`);
            return;
        }
        // The canary of `npm run verify` is never blocked, even where the allowlist forgets it.
        if (allowlisted(range.cidr, [...settings.allowlist, CANARY_RANGE])) {
            skipped.add(range.cidr);
            return;
        }
        const merged = peaksOf.get(range.cidr) ?? new Map<string, number>();
        for (const [account, peak] of peaks) merged.set(account, Math.max(peak, merged.get(account) ?? 0));
        peaksOf.set(range.cidr, merged);
        const seenIn = String(row.seen_in ?? "")
            .split(",")
            .filter((l) => l !== "");
        const before = byRange.get(range.cidr);
        byRange.set(range.cidr, {
            ...range,
            peakRequests: Math.max(requests!, before?.peakRequests ?? 0),
            seenIn: [...new Set([...(before?.seenIn ?? []), ...seenIn])].sort(),
            firstSeen: Math.min(times[0], before?.firstSeen ?? times[0]),
            lastSeen: Math.max(times[1], before?.lastSeen ?? times[1]),
            query: settings.queryName,
            window,
            threshold: settings.threshold,
        });
    });
    const found = [...byRange.values()].map((d) => ({
        ...d,
        ...scopeOfEvidence(peaksOf.get(d.cidr)!, d.seenIn, settings.threshold, settings),
        strongAccounts: strongEvidenceAccounts(peaksOf.get(d.cidr)!, settings.threshold, settings),
    }));
    return { found, unusable, allowlisted: [...skipped], notReachable: [...notReachable].sort() };
}

/** Most requests in the busiest 5 minutes, then most evidence accounts, then the range. */
const worstFirst = (a: Detection, b: Detection) =>
    b.peakRequests - a.peakRequests ||
    b.evidenceAccounts.length - a.evidenceAccounts.length ||
    (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0);

/**
 * The breaker's order for new entries: corroborated (global) ones first, worst first; then the
 * local ones taking turns by evidence account, each account's worst first. Requests alone would
 * let one account fill every run's cap with forged high-volume records (an account controls
 * what its logs say) and starve an attacker two accounts saw, or another account's own attack.
 */
export function breakerOrder<T extends { readonly found: Detection }>(added: readonly T[]): T[] {
    const global = added.filter((p) => p.found.scope !== "local").sort((a, b) => worstFirst(a.found, b.found));
    const byAccount = new Map<string, T[]>();
    for (const plan of added.filter((p) => p.found.scope === "local")) {
        const account = plan.found.evidenceAccounts.join(",");
        byAccount.set(account, [...(byAccount.get(account) ?? []), plan]);
    }
    const queues = [...byAccount.values()]
        .map((plans) => plans.sort((a, b) => worstFirst(a.found, b.found)))
        .sort((a, b) => worstFirst(a[0].found, b[0].found));
    const local: T[] = [];
    for (let turn = 0; local.length < added.length - global.length; turn++) {
        for (const queue of queues) if (turn < queue.length) local.push(queue[turn]);
    }
    return [...global, ...local];
}

/** A detection and what it would do to the blocklist. */
interface Plan {
    readonly found: Detection;
    readonly outcome: string;
    readonly entry?: BlockEntry;
    readonly why?: string;
}

const messageOf = (err: unknown) => `${(err as Error)?.name ?? "Error"}: ${(err as Error)?.message ?? String(err)}`;

export async function detect(deps: DetectorDependencies, settings: DetectorSettings): Promise<DetectionSummary> {
    const now = deps.now();
    const since = now - settings.lookbackMinutes * MINUTE;
    const window = `${new Date(since).toISOString()}..${new Date(now).toISOString()}`;
    const slackMs = settings.timestampSlackMinutes * MINUTE;
    // Firehose files a record under the hour it arrived, never earlier than the record's own time.
    const result = await deps.runQuery({
        from_hour: hourPartition(since),
        to_hour: hourPartition(now),
        slack_ms: slackMs,
        since_ms: since,
        threshold: settings.threshold,
    });
    const missing = DETECTOR_COLUMNS.filter((c) => !result.columns.includes(c));
    if (result.rows.length > 0 && missing.length > 0) {
        // A query and detector of different versions: every row would be unusable, say why once.
        throw new Error(
            `Query ${settings.queryName} (execution ${result.queryExecutionId}) returned no column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; ` +
                `its columns are ${result.columns.join(", ") || "none"}, and the detector reads ${DETECTOR_COLUMNS.join(", ")}. ` +
                `Fix: deploy the named query and the detector from the same version; nothing was written.`,
        );
    }

    const rows = readDetections(result.rows, settings, window, now);
    const failed: { cidr: string; error: string }[] = [];
    // Each entry on its own: a malformed stored item is reported, and the others are still handled.
    let planned: Plan[] = [];
    for (const found of rows.found) {
        try {
            planned.push({
                found,
                ...applyDetection(await deps.store.get(found.cidr), found, now, settings, deps.actor),
            });
        } catch (err) {
            failed.push({ cidr: found.cidr, error: messageOf(err) });
        }
    }
    planned = await withPrefixes(deps, planned, now, settings, failed);
    const added = breakerOrder(planned.filter((p) => p.outcome === "added"));
    const tripped = added.length > settings.maxNewEntriesPerRun;
    // Over the cap, the first in the breaker's order are blocked and the rest refused: a botnet of
    // many addresses still gets its busiest members blocked, and cannot stop all new blocking.
    const mayAdd = new Set(added.slice(0, settings.maxNewEntriesPerRun).map((p) => p.found.cidr));
    const toWrite = planned.filter((p) => p.entry && (p.outcome === "extended" || mayAdd.has(p.found.cidr)));

    const outcomes: { cidr: string; outcome: string }[] = [];
    for (const plan of toWrite) {
        try {
            outcomes.push({
                cidr: plan.found.cidr,
                outcome: await write(deps, plan, now, settings, mayAdd.has(plan.found.cidr)),
            });
        } catch (err) {
            failed.push({ cidr: plan.found.cidr, error: messageOf(err) });
        }
    }
    const cidrsOf = (outcome: string) => outcomes.filter((o) => o.outcome === outcome).map((o) => o.cidr);
    const refused = added.filter((p) => !mayAdd.has(p.found.cidr)).map((p) => p.found.cidr);
    const summary: DetectionSummary = {
        window,
        queryExecutionId: result.queryExecutionId,
        scannedBytes: result.scannedBytes,
        candidates: result.rows.length,
        unusable: rows.unusable.length,
        unusableReasons: rows.unusable.slice(0, MAX_REASONS),
        allowlisted: rows.allowlisted,
        notReachable: rows.notReachable,
        suppressed: [
            ...planned.filter((p) => p.outcome === "suppressed").map((p) => p.found.cidr),
            ...cidrsOf("suppressed"),
        ],
        added: cidrsOf("added"),
        extended: cidrsOf("extended"),
        aggregated: outcomes
            .filter((o) => o.outcome === "added" || o.outcome === "extended")
            .flatMap((o) => {
                const addresses = planned.find((p) => p.found.cidr === o.cidr)?.found.addresses;
                return addresses === undefined ? [] : [`${o.cidr} (${addresses} addresses)`];
            }),
        circuitBreakerTripped: tripped,
        refusedNew: refused.length + cidrsOf("refused").length,
        failed: failed.slice(0, MAX_REASONS),
    };
    if (tripped) {
        deps.log(
            JSON.stringify({
                msg: "detector circuit breaker tripped: the busiest new entries written up to the cap, the rest refused, active blocks extended",
                newEntries: added.length,
                maxNewEntriesPerRun: settings.maxNewEntriesPerRun,
                sample: refused.slice(0, 20),
                ...summary,
            }),
        );
    } else {
        deps.log(JSON.stringify({ msg: "detector summary", ...summary }));
    }
    deps.metrics({
        CircuitBreakerTripped: tripped ? 1 : 0,
        BurstCandidates: result.rows.length,
        BurstRowsUnusable: summary.unusable,
        BlocklistAdded: summary.added.length,
        BlocklistExtended: summary.extended.length,
        BlocklistEntriesFailed: failed.length,
        BytesScanned: result.scannedBytes,
    });
    if (failed.length > 0) {
        // Every other entry was handled; fail the run so its error alarm and failure queue say so.
        throw new Error(
            `Detector could not handle ${failed.length} of ${rows.found.length} detections (the others were written): ` +
                failed
                    .slice(0, 5)
                    .map((f) => `${f.cidr}: ${f.error}`)
                    .join("; "),
        );
    }
    return summary;
}

/**
 * With aggregation on, the plans after prefix entries (`handlers/aggregate.ts`) take the place of
 * the candidates they cover. An active entry of a prefix is extended by every candidate inside it
 * that its own evidence accounts saw, and their own entries are neither added nor extended
 * (active ones expire at their own time); a candidate another account saw keeps its own entry.
 * A new prefix needs an account that saw N candidates in it on its own evidence, and takes the
 * place of the new entries of the candidates it stands for (one new entry against the cap);
 * members with an active entry of their own still extend it in that run, as the circuit breaker
 * may refuse the prefix. A prefix whose stored item cannot be read is reported, its members
 * handled on their own.
 */
async function withPrefixes(
    deps: DetectorDependencies,
    planned: readonly Plan[],
    now: number,
    settings: DetectorSettings,
    failed: { cidr: string; error: string }[],
): Promise<Plan[]> {
    const minAddresses = settings.aggregatePrefixMinAddresses ?? 0;
    if (minAddresses < 2) return [...planned];
    // Read once, and only when some prefix would be added or extended (most runs have none).
    let releases: Promise<string[] | undefined> | undefined;
    const released = () =>
        (releases ??= releasedRanges(deps.store, now).catch((err) => {
            // Without them no prefix is safe: each candidate on its own, and the run fails.
            failed.push({ cidr: "(the blocklist's releases)", error: messageOf(err) });
            return undefined;
        }));
    const result: Plan[] = [];
    for (const [prefix, members] of byPrefix(planned)) {
        try {
            const existing = await deps.store.get(prefix);
            const decide = (ranges: readonly string[]) =>
                prefixAction(prefix, members, existing, now, minAddresses, settings.allowlist, ranges);
            const action = decide([]);
            const eligible = members.filter((m) => m.outcome !== "suppressed").map((m) => m.found);
            const evidence =
                action === "extend"
                    ? activePrefixEvidence(existing!, eligible)
                    : action === "add"
                      ? newPrefixEvidence(eligible, minAddresses, settings)
                      : undefined;
            // The releases can only rule a prefix out: read them once some prefix would be written.
            const ranges = evidence && (await released());
            if (evidence === undefined || ranges === undefined || decide(ranges) === undefined) {
                result.push(...members);
                continue;
            }
            const covered = members.filter((m) => evidence.covered.includes(m.found));
            const found = aggregateOf(
                prefix,
                covered.map((m) => m.found),
                evidence,
            );
            result.push({ found, ...applyDetection(existing, found, now, settings, deps.actor) });
            // The others keep their own plans; a member's own active entry is still extended.
            const ownEntryExtended = (m: Plan) => action === "add" && m.outcome === "extended";
            result.push(...members.filter((m) => !covered.includes(m) || ownEntryExtended(m)));
        } catch (err) {
            failed.push({ cidr: prefix, error: messageOf(err) });
            result.push(...members);
        }
    }
    return result;
}

/**
 * Ranges an operator released whose release has not ended: a prefix over one would block it again.
 * Suppression is kept on the released range's own item, so finding those inside a /24 or /64
 * takes a scan of the table (at most one per run, only when a prefix would be added or extended).
 */
async function releasedRanges(store: DetectorDependencies["store"], now: number): Promise<string[]> {
    return (await store.all())
        .filter((e) => typeof e.cidr === "string" && typeof e.suppressedUntil === "number" && e.suppressedUntil > now)
        .map((e) => e.cidr);
}

/**
 * Writes one planned change with its audit record (one transaction: both or neither); when
 * someone else wrote first, re-reads and plans it again. With `mayAdd` false (the circuit breaker
 * refused this range), a change that turns out to be a new block is not written: "refused".
 */
async function write(
    deps: DetectorDependencies,
    plan: Plan,
    now: number,
    settings: DetectorSettings,
    mayAdd: boolean,
): Promise<string> {
    let next: { outcome: string; entry?: BlockEntry; why?: string } = plan;
    for (let attempt = 1; next.entry; attempt++) {
        if (next.outcome === "added" && !mayAdd) return "refused";
        const record: AuditRecord = auditOf(
            next.outcome === "added" ? "add" : "extend",
            { cidr: next.entry.cidr, reason: next.why ?? next.entry.reason },
            deps.actor,
            now,
            next.entry,
        );
        if (await deps.store.write(next.entry, record)) return next.outcome;
        if (attempt >= WRITE_ATTEMPTS) {
            throw new Error(
                `Blocklist entry ${plan.found.cidr} kept changing under the detector; ${attempt} writes refused.`,
            );
        }
        next = applyDetection(await deps.store.get(plan.found.cidr), plan.found, now, settings, deps.actor);
    }
    return next.outcome;
}
