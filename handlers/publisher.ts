/**
 * The publisher: sends the whole active blocklist to the applier of every admitted account and
 * Region, after each change and on a schedule; each applier checks it against its own account's
 * limits and writes its two WAF IP sets (IPv4, IPv6). Full-state sync, so a missed or failed run
 * heals itself at the next one. Each target is independent: one that fails (not yet deployed,
 * denied, hung) is reported and counted, and the others are synced. Every call is bounded, and the
 * run stops itself before Lambda's timeout so its summary and per-target failures are written.
 */
import { ApplyRequest, ApplyResult, Refusal } from "./applier";
import { BlockEntry } from "./blocklist";
import { TargetAddresses, targetEntries } from "./targetEntries";

/** One resource stack: its account, Region, the role the publisher assumes there and the applier it invokes. */
export interface SyncTarget {
    readonly accountId: string;
    readonly region: string;
    readonly roleArn: string;
    /** The target's applier Lambda: the sync role may invoke it and nothing else. */
    readonly applierArn: string;
}

/** One target's applier, reached with that target's credentials. */
export interface TargetWriter {
    /** Sends the desired state; resolves with the applier's answer, rejects on its failure or on `signal`. */
    apply(request: ApplyRequest, signal: AbortSignal): Promise<ApplyResult>;
    /** Releases the target's connections. */
    close(): void;
}

export interface PublisherSettings {
    readonly allowlist: readonly string[];
    /** Targets synced at once. Default 4. */
    readonly concurrency: number;
    /** Bound of one AssumeRole call, ms. Default 10000. */
    readonly assumeRoleTimeoutMs: number;
    /** Bound of one applier invocation, ms: the applier's own timeout plus a margin. Default 70000. */
    readonly applyTimeoutMs: number;
}

export interface PublisherDependencies {
    readonly entries: () => Promise<BlockEntry[]>;
    readonly targets: readonly SyncTarget[];
    /** Assumes the target's sync role; `signal` aborts the call. */
    readonly connect: (target: SyncTarget, signal: AbortSignal) => Promise<TargetWriter>;
    readonly now: () => number;
    readonly log: (line: string) => void;
    /** Emits metrics, optionally for one target (dimensions TargetAccount, TargetRegion). */
    readonly metrics: (values: Record<string, number>, target?: SyncTarget) => void;
    /**
     * Milliseconds the run may still spend (`invocationBudget`: Lambda's remaining time less a safety
     * margin). When it runs out, targets not finished are failed and the summary is still written.
     * Absent: no deadline (local runs).
     */
    readonly remainingMs?: () => number;
}

export type TargetOutcome =
    | {
          readonly target: string;
          readonly status: "synced";
          readonly updated: string[];
          /** Addresses sent for its two sets (global entries and its own local ones). */
          readonly ipv4: number;
          readonly ipv6: number;
          /** What the target's applier refused to write (it alarms in its own account too). */
          readonly refused: Refusal[];
          readonly refusedCount: number;
      }
    | { readonly target: string; readonly status: "failed"; readonly error: string };

export interface PublishSummary {
    readonly active: number;
    /** The most addresses any target's IPv4 and IPv6 set holds. */
    readonly ipv4: number;
    readonly ipv6: number;
    /** The most entries any target's sets left out for lack of room. */
    readonly overflow: TargetAddresses["overflow"];
    readonly allowlisted: string[];
    /** Active entries left out of every IP set: not globally reachable (see `targetEntries`). */
    readonly notReachable: TargetAddresses["notReachable"];
    /** Active entries left out of every IP set because they are malformed (see `targetEntries`). */
    readonly skipped: TargetAddresses["skipped"];
    /** The run stopped at its own deadline; targets not finished by then are failed. */
    readonly deadlineReached: boolean;
    readonly targets: TargetOutcome[];
}

const label = (t: SyncTarget) => `${t.accountId}/${t.region}`;

/** The error of a target cut short by the publisher's own deadline (a plain Error: serialized code). */
function deadlineReached(message: string): Error {
    const err = new Error(message);
    err.name = "DeadlineReached";
    return err;
}

export async function publish(deps: PublisherDependencies, settings: PublisherSettings): Promise<PublishSummary> {
    // The run's own deadline, on a timer (Date.now may be a stopped clock under test; timers are not).
    const deadline = new AbortController();
    const remaining = deps.remainingMs?.();
    const stopIn = remaining === undefined ? undefined : Math.max(0, remaining);
    const deadlineTimer =
        stopIn === undefined
            ? undefined
            : setTimeout(
                  () =>
                      deadline.abort(
                          deadlineReached(
                              `the publisher stopped at its own deadline (its safety margin before Lambda's timeout) so that the run could report; the next sync retries this target`,
                          ),
                      ),
                  stopIn,
              );
    try {
        return await publishUntil(deps, settings, deadline.signal);
    } finally {
        clearTimeout(deadlineTimer);
    }
}

async function publishUntil(
    deps: PublisherDependencies,
    settings: PublisherSettings,
    deadline: AbortSignal,
): Promise<PublishSummary> {
    const entries = await deps.entries();
    const now = deps.now();
    // Each target's sets, by the one computation every writer of IP sets uses.
    const desiredOf = new Map(
        deps.targets.map((t) => [label(t), targetEntries(entries, t, now, settings.allowlist)] as const),
    );
    const desiredList = [...desiredOf.values()];
    const desired = desiredList[0] ?? targetEntries(entries, { accountId: "", region: "" }, now, settings.allowlist);
    // One malformed entry would fail its family's update in every target: leave it out, loudly.
    for (const { cidr, problem } of desired.skipped) {
        deps.log(
            JSON.stringify({
                msg: "publisher skipped a blocklist entry AWS WAF would refuse",
                cidr,
                problem,
                fix: "it stays out of every IP set; delete the item from the blocklist table, or let it expire",
            }),
        );
    }
    // Only a hand-written item can hold one (detector and CLI refuse them): never blocked anywhere.
    for (const { cidr, block } of desired.notReachable) {
        deps.log(
            JSON.stringify({
                msg: "publisher left out a blocklist entry that is not globally reachable",
                cidr,
                block,
                fix: "no client on the internet has such an address; release it with the CLI (remove), or let it expire",
            }),
        );
    }
    const outcomes: TargetOutcome[] = [];
    const queue = [...deps.targets];
    const worker = async () => {
        for (let target = queue.shift(); target; target = queue.shift()) {
            outcomes.push(await syncTarget(deps, settings, target, desiredOf.get(label(target))!, deadline));
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, settings.concurrency) }, worker));
    outcomes.sort((a, b) => a.target.localeCompare(b.target));

    const most = (f: (d: TargetAddresses) => number) => Math.max(0, ...desiredList.map(f));
    const summary: PublishSummary = {
        active: entries.filter((e) => typeof e.blockedUntil === "number" && e.blockedUntil > now).length,
        ipv4: most((d) => d.ipv4.length),
        ipv6: most((d) => d.ipv6.length),
        overflow: { ipv4: most((d) => d.overflow.ipv4), ipv6: most((d) => d.overflow.ipv6) },
        allowlisted: desired.allowlisted,
        notReachable: desired.notReachable,
        skipped: desired.skipped,
        deadlineReached: deadline.aborted,
        targets: outcomes,
    };
    deps.log(JSON.stringify({ msg: "publisher summary", ...summary }));
    deps.metrics({
        BlocklistSyncRuns: 1,
        BlocklistActiveEntries: summary.active,
        BlocklistOverflow: summary.overflow.ipv4 + summary.overflow.ipv6,
        BlocklistEntriesSkipped: desired.skipped.length + desired.notReachable.length,
        BlocklistSyncFailedTargets: outcomes.filter((o) => o.status === "failed").length,
        BlocklistSyncDeadlineReached: deadline.aborted ? 1 : 0,
    });
    return summary;
}

/** Rejects when `signal` aborts, with its reason; never resolves otherwise. */
const aborted = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });

/** A signal that aborts after `ms` or at the deadline, whichever comes first. */
const bounded = (deadline: AbortSignal, ms: number) => AbortSignal.any([deadline, AbortSignal.timeout(ms)]);

async function syncTarget(
    deps: PublisherDependencies,
    settings: PublisherSettings,
    target: SyncTarget,
    desired: TargetAddresses,
    deadline: AbortSignal,
): Promise<TargetOutcome> {
    let writer: TargetWriter | undefined;
    try {
        if (deadline.aborted) throw deadlineReached(`not started: ${(deadline.reason as Error).message}`);
        // Raced against the deadline too: a call that ignored its abort signal still cannot hold the run.
        const work = async () => {
            writer = await deps.connect(target, bounded(deadline, settings.assumeRoleTimeoutMs));
            return writer.apply(
                { version: 1, ipv4: desired.ipv4, ipv6: desired.ipv6 },
                bounded(deadline, settings.applyTimeoutMs),
            );
        };
        const result = await Promise.race([work(), aborted(deadline)]);
        if (result.refusedCount > 0) {
            deps.log(
                JSON.stringify({
                    msg: "publisher target refused part of the blocklist",
                    target: label(target),
                    refusedCount: result.refusedCount,
                    refused: result.refused,
                }),
            );
        }
        deps.metrics({ BlocklistSyncFailures: 0, BlocklistEntriesRefused: result.refusedCount }, target);
        return {
            target: label(target),
            status: "synced",
            updated: result.updated,
            ipv4: desired.ipv4.length,
            ipv6: desired.ipv6.length,
            refused: result.refused,
            refusedCount: result.refusedCount,
        };
    } catch (err) {
        const error = `${(err as Error).name ?? "Error"}: ${(err as Error).message}`;
        deps.log(JSON.stringify({ msg: "publisher target failed", target: label(target), error }));
        deps.metrics({ BlocklistSyncFailures: 1 }, target);
        return { target: label(target), status: "failed", error };
    } finally {
        writer?.close();
    }
}
