/**
 * The publisher: writes the whole active blocklist into the two WAF IP sets (IPv4, IPv6) of every
 * admitted account and Region, after each change and on a schedule. Full-state sync, so a missed
 * or failed run heals itself at the next one. Each target is independent: one that fails (not yet
 * deployed, throttled for too long, denied) is reported and counted, and the others are synced.
 */
import { wafHomeOf } from "../layout";
import { BlockEntry, DesiredAddresses, desiredAddresses } from "./blocklist";

/** One resource stack: its account, Region and the role the publisher assumes there. */
export interface SyncTarget {
    readonly accountId: string;
    readonly region: string;
    readonly roleArn: string;
}

export interface IpSetSummary {
    readonly name: string;
    readonly id: string;
}

export interface IpSetState {
    readonly addresses: readonly string[];
    readonly lockToken: string;
    readonly description?: string;
}

/** The WAFV2 calls the publisher makes in one target, with that target's credentials. */
export interface IpSetCalls {
    list(): Promise<IpSetSummary[]>;
    get(set: IpSetSummary): Promise<IpSetState>;
    update(set: IpSetSummary, addresses: readonly string[], state: IpSetState): Promise<void>;
    /** Releases the target's connections. */
    close(): void;
}

export interface PublisherSettings {
    readonly allowlist: readonly string[];
    /** Names of the IP sets every resource stack creates. */
    readonly ipSetNames: { readonly ipv4: string; readonly ipv6: string };
    /** Attempts per IP set (lock conflicts and throttling). Default 6. */
    readonly maxAttempts: number;
    /** First backoff ceiling, ms; doubles per attempt (full jitter). Default 500. */
    readonly baseDelayMs: number;
    /** Pause between two updates in one account and Region: WAF allows about one per second. Default 1100. */
    readonly minUpdateIntervalMs: number;
    /** Targets synced at once. Default 4. */
    readonly concurrency: number;
}

export interface PublisherDependencies {
    readonly entries: () => Promise<BlockEntry[]>;
    readonly targets: readonly SyncTarget[];
    readonly connect: (target: SyncTarget) => Promise<IpSetCalls>;
    readonly now: () => number;
    readonly sleep: (ms: number) => Promise<void>;
    readonly log: (line: string) => void;
    /** Emits metrics, optionally for one target (dimensions TargetAccount, TargetRegion). */
    readonly metrics: (values: Record<string, number>, target?: SyncTarget) => void;
}

export type TargetOutcome =
    | { readonly target: string; readonly status: "synced"; readonly updated: string[] }
    | { readonly target: string; readonly status: "failed"; readonly error: string };

export interface PublishSummary {
    readonly active: number;
    readonly ipv4: number;
    readonly ipv6: number;
    readonly overflow: DesiredAddresses["overflow"];
    readonly allowlisted: string[];
    /** Active entries left out of every IP set because their range is malformed (see `desiredAddresses`). */
    readonly skipped: DesiredAddresses["skipped"];
    readonly targets: TargetOutcome[];
}

const label = (t: SyncTarget) => `${t.accountId}/${t.region}`;
const retryable = (err: unknown) =>
    [
        "WAFOptimisticLockException",
        "ThrottlingException",
        "WAFInternalErrorException",
        "WAFUnavailableEntityException",
    ].includes((err as { name?: string })?.name ?? "");

export async function publish(deps: PublisherDependencies, settings: PublisherSettings): Promise<PublishSummary> {
    const entries = await deps.entries();
    const now = deps.now();
    const desired = desiredAddresses(entries, now, settings.allowlist);
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
    const outcomes: TargetOutcome[] = [];
    const queue = [...deps.targets];
    // WAF's limit on updates is per account and AWS Region: a `global` target (CloudFront sets, in
    // us-east-1) shares it with the account's us-east-1 target, so their updates share one pace.
    const nextUpdate = new Map<string, number>();
    const worker = async () => {
        for (let target = queue.shift(); target; target = queue.shift()) {
            outcomes.push(await syncTarget(deps, settings, target, desired, nextUpdate));
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, settings.concurrency) }, worker));
    outcomes.sort((a, b) => a.target.localeCompare(b.target));

    const summary: PublishSummary = {
        active: entries.filter((e) => e.blockedUntil > now).length,
        ipv4: desired.ipv4.length,
        ipv6: desired.ipv6.length,
        overflow: desired.overflow,
        allowlisted: desired.allowlisted,
        skipped: desired.skipped,
        targets: outcomes,
    };
    deps.log(JSON.stringify({ msg: "publisher summary", ...summary }));
    deps.metrics({
        BlocklistSyncRuns: 1,
        BlocklistActiveEntries: summary.active,
        BlocklistOverflow: desired.overflow.ipv4 + desired.overflow.ipv6,
        BlocklistEntriesSkipped: desired.skipped.length,
        BlocklistSyncFailedTargets: outcomes.filter((o) => o.status === "failed").length,
    });
    return summary;
}

async function syncTarget(
    deps: PublisherDependencies,
    settings: PublisherSettings,
    target: SyncTarget,
    desired: DesiredAddresses,
    nextUpdate: Map<string, number>,
): Promise<TargetOutcome> {
    const paceKey = `${target.accountId}/${wafHomeOf(target.region).region}`;
    let calls: IpSetCalls | undefined;
    try {
        calls = await deps.connect(target);
        const sets = await calls.list();
        const updated: string[] = [];
        for (const family of ["ipv4", "ipv6"] as const) {
            const name = settings.ipSetNames[family];
            const set = sets.find((s) => s.name === name);
            if (!set) {
                throw new Error(
                    `IP set ${name} not found: deploy the resource stack of ${label(target)} with this version (response mode count or block).`,
                );
            }
            const changed = await converge(deps, settings, calls!, set, desired[family], async () => {
                // Reserve the next slot before waiting, so concurrent targets never take the same one.
                const now = deps.now();
                const slot = Math.max(now, nextUpdate.get(paceKey) ?? -Infinity);
                nextUpdate.set(paceKey, slot + settings.minUpdateIntervalMs);
                if (slot > now) await deps.sleep(slot - now);
            });
            if (changed) updated.push(name);
        }
        deps.metrics({ BlocklistSyncFailures: 0 }, target);
        return { target: label(target), status: "synced", updated };
    } catch (err) {
        const error = `${(err as Error).name ?? "Error"}: ${(err as Error).message}`;
        deps.log(JSON.stringify({ msg: "publisher target failed", target: label(target), error }));
        deps.metrics({ BlocklistSyncFailures: 1 }, target);
        return { target: label(target), status: "failed", error };
    } finally {
        calls?.close();
    }
}

/** Makes one IP set hold `addresses`, re-reading after a lock conflict; true if it had to write. */
async function converge(
    deps: PublisherDependencies,
    settings: PublisherSettings,
    calls: IpSetCalls,
    set: IpSetSummary,
    addresses: readonly string[],
    pace: () => Promise<void>,
): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
        try {
            const state = await calls.get(set);
            if (sameAddresses(state.addresses, addresses)) return attempt > 1;
            await pace();
            await calls.update(set, addresses, state);
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
