/**
 * The coverage scan: every web ACL in every admitted account and Region, and whether it logs to the
 * platform and carries the central blocklist. The platform only sees what is logged to it and only
 * protects what carries its rule; a web ACL created by hand, by another tool or before adoption is
 * invisible otherwise. Each target is independent: one whose role cannot be assumed (its resource
 * stack not deployed, or of an older version) is reported as failed and the others are scanned.
 */

/** One admitted account and Region, with the read-only role the scan assumes there. */
export interface CoverageTarget {
    readonly accountId: string;
    /** An AWS Region, or `global` for CloudFront web ACLs. */
    readonly region: string;
    readonly roleArn: string;
}

/** Where a target's web ACLs are listed: `global` is the us-east-1 API with scope CLOUDFRONT. */
export function apiLocation(region: string): { apiRegion: string; scope: "REGIONAL" | "CLOUDFRONT" } {
    return region === "global"
        ? { apiRegion: "us-east-1", scope: "CLOUDFRONT" }
        : { apiRegion: region, scope: "REGIONAL" };
}

export interface WebAclSummary {
    readonly name: string;
    readonly id: string;
    readonly arn: string;
}

/** The three read-only WAFV2 calls of the scan in one target, with that target's credentials. */
export interface WebAclCalls {
    list(): Promise<WebAclSummary[]>;
    /** The web ACL's rules, in the API's shape. */
    rules(acl: WebAclSummary): Promise<unknown[]>;
    /** The logging destinations, or undefined when the web ACL has no logging configuration. */
    logDestinations(acl: WebAclSummary): Promise<readonly string[] | undefined>;
    close(): void;
}

export interface CoverageSettings {
    /** Whether a web ACL must carry the blocklist (false when the response loop is off). */
    readonly requireBlocklist: boolean;
    /** Every platform Firehose stream's name starts with this. */
    readonly platformStreamPrefix: string;
    /** A rule-group reference to a rule group named with this prefix is the blocklist. */
    readonly blocklistRuleGroupPrefix: string;
    /** An IP set reference to one of these IP sets is the blocklist. */
    readonly blocklistIpSetNames: readonly string[];
    /** Targets scanned at once. */
    readonly concurrency: number;
}

export interface CoverageDependencies {
    readonly targets: readonly CoverageTarget[];
    readonly connect: (target: CoverageTarget) => Promise<WebAclCalls>;
    readonly log: (line: string) => void;
    /** Emits metrics for one target (dimensions TargetAccount, TargetRegion). */
    readonly metrics: (values: Record<string, number>, target: CoverageTarget) => void;
}

/** `platform`: logs to a platform stream of its own account and Region; `elsewhere`: to another destination; `none`: not logged. */
export type LoggingStatus = "platform" | "elsewhere" | "none";

export interface WebAclCoverage {
    readonly name: string;
    readonly arn: string;
    readonly logging: LoggingStatus;
    readonly destination?: string;
    readonly blocklist: boolean;
    /** Empty when the web ACL is covered. */
    readonly problems: string[];
}

export type TargetCoverage =
    | { readonly target: string; readonly status: "scanned"; readonly webAcls: WebAclCoverage[] }
    | { readonly target: string; readonly status: "failed"; readonly error: string; readonly webAcls: [] };

export interface CoverageSummary {
    readonly targets: TargetCoverage[];
    /** Web ACLs with a problem, plus targets that could not be scanned. */
    readonly gaps: number;
}

/** The names of the metrics the scan emits per target. */
export const COVERAGE_METRICS = {
    scanned: "WebAclsScanned",
    notLogging: "WebAclsNotLogging",
    withoutBlocklist: "WebAclsWithoutBlocklist",
    failed: "CoverageScanFailed",
    gaps: "CoverageGaps",
} as const;

const label = (t: CoverageTarget) => `${t.accountId}/${t.region}`;

export async function scanCoverage(deps: CoverageDependencies, settings: CoverageSettings): Promise<CoverageSummary> {
    const outcomes: TargetCoverage[] = [];
    const queue = [...deps.targets];
    const worker = async () => {
        for (let target = queue.shift(); target; target = queue.shift()) {
            outcomes.push(await scanTarget(deps, settings, target));
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, settings.concurrency) }, worker));
    outcomes.sort((a, b) => a.target.localeCompare(b.target));
    const gaps = outcomes.reduce(
        (n, o) => n + (o.status === "failed" ? 1 : o.webAcls.filter((a) => a.problems.length > 0).length),
        0,
    );
    const summary = { targets: outcomes, gaps };
    deps.log(JSON.stringify({ msg: "coverage summary", ...summary }));
    return summary;
}

async function scanTarget(
    deps: CoverageDependencies,
    settings: CoverageSettings,
    target: CoverageTarget,
): Promise<TargetCoverage> {
    let calls: WebAclCalls | undefined;
    try {
        calls = await deps.connect(target);
        const webAcls: WebAclCoverage[] = [];
        for (const acl of await calls.list()) {
            webAcls.push(judge(settings, target, acl, await calls.rules(acl), await calls.logDestinations(acl)));
        }
        const notLogging = webAcls.filter((a) => a.logging !== "platform").length;
        const withoutBlocklist = settings.requireBlocklist ? webAcls.filter((a) => !a.blocklist).length : 0;
        deps.metrics(
            {
                [COVERAGE_METRICS.scanned]: webAcls.length,
                [COVERAGE_METRICS.notLogging]: notLogging,
                [COVERAGE_METRICS.withoutBlocklist]: withoutBlocklist,
                [COVERAGE_METRICS.failed]: 0,
                [COVERAGE_METRICS.gaps]: webAcls.filter((a) => a.problems.length > 0).length,
            },
            target,
        );
        return { target: label(target), status: "scanned", webAcls };
    } catch (err) {
        const error = `${(err as Error).name ?? "Error"}: ${(err as Error).message}`;
        deps.log(JSON.stringify({ msg: "coverage target failed", target: label(target), error }));
        deps.metrics({ [COVERAGE_METRICS.failed]: 1, [COVERAGE_METRICS.gaps]: 1 }, target);
        return { target: label(target), status: "failed", error, webAcls: [] };
    } finally {
        calls?.close();
    }
}

/** One web ACL's coverage: where it logs, and whether it carries the blocklist. */
export function judge(
    settings: CoverageSettings,
    target: CoverageTarget,
    acl: WebAclSummary,
    rules: unknown[],
    destinations: readonly string[] | undefined,
): WebAclCoverage {
    const { apiRegion } = apiLocation(target.region);
    const destination = destinations?.[0];
    const platform = (arn: string) => {
        const m = /^arn:[\w-]+:firehose:([a-z0-9-]+):(\d{12}):deliverystream\/(.+)$/.exec(arn);
        return (
            m !== null &&
            m[1] === apiRegion &&
            m[2] === target.accountId &&
            m[3].startsWith(settings.platformStreamPrefix)
        );
    };
    const logging: LoggingStatus =
        destinations === undefined || destinations.length === 0
            ? "none"
            : destinations.some(platform)
              ? "platform"
              : "elsewhere";
    const blocklist = carriesBlocklist(settings, rules);
    const problems = [
        ...(logging === "none" ? ["does not log"] : []),
        ...(logging === "elsewhere" ? [`logs to ${destination}, not to the platform`] : []),
        ...(settings.requireBlocklist && !blocklist ? ["no blocklist rule"] : []),
    ];
    return { name: acl.name, arn: acl.arn, logging, ...(destination ? { destination } : {}), blocklist, problems };
}

/**
 * Whether any rule references the platform's blocklist: an IP set of `blocklistIpSetNames` or a
 * rule group whose name starts with `blocklistRuleGroupPrefix`, at any depth of its statement
 * (an OrStatement of the two IP sets is how resource stacks write it). Matched by name in the
 * ARN, `.../ipset/<name>/<id>` and `.../rulegroup/<name>/<id>`: IDs differ per account and Region.
 */
export function carriesBlocklist(settings: CoverageSettings, rules: unknown[]): boolean {
    const references = (node: unknown): boolean => {
        if (Array.isArray(node)) return node.some(references);
        if (typeof node !== "object" || node === null) return false;
        const record = node as Record<string, unknown>;
        const ipSet = record.IPSetReferenceStatement as { ARN?: unknown } | undefined;
        if (typeof ipSet?.ARN === "string") {
            const name = /\/ipset\/([^/]+)\//.exec(ipSet.ARN)?.[1];
            if (name !== undefined && settings.blocklistIpSetNames.includes(name)) return true;
        }
        const group = record.RuleGroupReferenceStatement as { ARN?: unknown } | undefined;
        if (typeof group?.ARN === "string") {
            const name = /\/rulegroup\/([^/]+)\//.exec(group.ARN)?.[1];
            if (name?.startsWith(settings.blocklistRuleGroupPrefix)) return true;
        }
        return Object.values(record).some(references);
    };
    // The whole rule: Firewall Manager's rule groups hold theirs in FirewallManagerStatement.
    return rules.some(references);
}

/** The coverage table as text: one line per web ACL, and one per target that could not be scanned. */
export function coverageTable(summary: CoverageSummary): string[] {
    const rows: string[][] = [["ACCOUNT/REGION", "WEB ACL", "LOGS TO PLATFORM", "BLOCKLIST", "PROBLEMS"]];
    for (const t of summary.targets) {
        if (t.status === "failed") {
            rows.push([t.target, "-", "?", "?", `not scanned: ${t.error}`]);
            continue;
        }
        if (t.webAcls.length === 0) rows.push([t.target, "(no web ACL)", "-", "-", ""]);
        for (const a of t.webAcls) {
            rows.push([
                t.target,
                a.name,
                a.logging === "platform" ? "yes" : a.logging === "none" ? "no (not logging)" : "no (elsewhere)",
                a.blocklist ? "yes" : "no",
                a.problems.join("; ") || "ok",
            ]);
        }
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    return rows.map((r) =>
        r
            .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c])))
            .join("  ")
            .trimEnd(),
    );
}
