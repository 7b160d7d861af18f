/**
 * The detector: every few minutes, asks Athena which client IPs went over the threshold in a
 * 5-minute window of the last minutes, across every account and Region, and turns each into a
 * block (or extends one) in the central blocklist. A circuit breaker refuses a run that would add
 * more new entries than configured: a bad query or threshold must not block the world.
 */
import { hourPartition } from "../layout";
import {
    AuditRecord,
    BlockEntry,
    BlockPolicy,
    Detection,
    allowlisted,
    applyDetection,
    auditOf,
    parseRange,
} from "./blocklist";
import { BlocklistStore } from "./blocklistStore";
import { QueryResult } from "./athenaQuery";

export interface DetectorSettings extends BlockPolicy {
    /** Requests in 5 minutes above which a client IP is blocked. */
    readonly threshold: number;
    /** Each run looks at 5-minute windows starting this many minutes ago or later. */
    readonly lookbackMinutes: number;
    /** More new entries than this in one run trips the circuit breaker: nothing is written. */
    readonly maxNewEntriesPerRun: number;
    /** The named query run (its parameters: from_hour, to_hour, since_ms, threshold). */
    readonly queryName: string;
}

export interface DetectorDependencies {
    readonly runQuery: (params: (string | number)[]) => Promise<QueryResult>;
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
    /** Rows whose client IP cannot be blocked (masked `X.X.X.X`, malformed). */
    readonly unusable: number;
    readonly allowlisted: string[];
    readonly suppressed: string[];
    readonly added: string[];
    readonly extended: string[];
    readonly circuitBreakerTripped: boolean;
}

const MINUTE = 60_000;
const WRITE_ATTEMPTS = 3;

export async function detect(deps: DetectorDependencies, settings: DetectorSettings): Promise<DetectionSummary> {
    const now = deps.now();
    const since = now - settings.lookbackMinutes * MINUTE;
    const window = `${new Date(since).toISOString()}..${new Date(now).toISOString()}`;
    // Firehose files a record under the hour it arrived, never earlier than the record's own time.
    const result = await deps.runQuery([hourPartition(since), hourPartition(now), since, settings.threshold]);

    const found: Detection[] = [];
    let unusable = 0;
    const skipped: string[] = [];
    for (const row of result.rows) {
        const range = parseRange(String(row.client_ip ?? ""));
        if ("problem" in range) {
            unusable++;
            continue;
        }
        if (allowlisted(range.cidr, settings.allowlist)) {
            skipped.push(range.cidr);
            continue;
        }
        found.push({
            ...range,
            peakRequests: Number(row.requests_in_5_minutes),
            seenIn: String(row.seen_in ?? "")
                .split(",")
                .filter((l) => l !== ""),
            firstSeen: Number(row.first_seen_ms),
            lastSeen: Number(row.last_seen_ms),
            query: settings.queryName,
            window,
            threshold: settings.threshold,
        });
    }

    const planned = await Promise.all(
        found.map(async (f) => ({
            found: f,
            ...applyDetection(await deps.store.get(f.cidr), f, now, settings, deps.actor),
        })),
    );
    const added = planned.filter((p) => p.outcome === "added");
    const summary = {
        window,
        queryExecutionId: result.queryExecutionId,
        scannedBytes: result.scannedBytes,
        candidates: result.rows.length,
        unusable,
        allowlisted: skipped,
        suppressed: planned.filter((p) => p.outcome === "suppressed").map((p) => p.found.cidr),
    };
    if (added.length > settings.maxNewEntriesPerRun) {
        deps.log(
            JSON.stringify({
                msg: "detector circuit breaker tripped: nothing written",
                newEntries: added.length,
                maxNewEntriesPerRun: settings.maxNewEntriesPerRun,
                sample: added.slice(0, 20).map((p) => p.found.cidr),
                ...summary,
            }),
        );
        deps.metrics({
            CircuitBreakerTripped: 1,
            BurstCandidates: result.rows.length,
            BytesScanned: result.scannedBytes,
        });
        return { ...summary, added: [], extended: [], circuitBreakerTripped: true };
    }

    const written: { cidr: string; outcome: "added" | "extended" }[] = [];
    for (const plan of planned.filter((p) => p.entry)) {
        const outcome = await write(deps, plan.found, plan.entry!, plan.outcome, now, settings);
        if (outcome === "added" || outcome === "extended") written.push({ cidr: plan.found.cidr, outcome });
    }
    const final: DetectionSummary = {
        ...summary,
        added: written.filter((w) => w.outcome === "added").map((w) => w.cidr),
        extended: written.filter((w) => w.outcome === "extended").map((w) => w.cidr),
        circuitBreakerTripped: false,
    };
    deps.log(JSON.stringify({ msg: "detector summary", ...final }));
    deps.metrics({
        CircuitBreakerTripped: 0,
        BurstCandidates: result.rows.length,
        BlocklistAdded: final.added.length,
        BlocklistExtended: final.extended.length,
        BytesScanned: result.scannedBytes,
    });
    return final;
}

/** Writes one planned change; when someone else wrote first, re-reads and plans it again. */
async function write(
    deps: DetectorDependencies,
    found: Detection,
    entry: BlockEntry,
    outcome: string,
    now: number,
    settings: DetectorSettings,
): Promise<string> {
    let next: { outcome: string; entry?: BlockEntry } = { outcome, entry };
    for (let attempt = 1; next.entry; attempt++) {
        if (await deps.store.put(next.entry)) {
            const record: AuditRecord = auditOf(
                next.outcome === "added" ? "add" : "extend",
                next.entry,
                deps.actor,
                now,
                next.entry,
            );
            await deps.store.audit(record);
            return next.outcome;
        }
        if (attempt >= WRITE_ATTEMPTS) {
            throw new Error(
                `Blocklist entry ${found.cidr} kept changing under the detector; ${attempt} writes refused.`,
            );
        }
        next = applyDetection(await deps.store.get(found.cidr), found, now, settings, deps.actor);
    }
    return next.outcome;
}
