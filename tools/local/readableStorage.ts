/**
 * Storage classes the readers can read, checked on a recorded plan. Athena skips objects in S3
 * Glacier Flexible Retrieval and Deep Archive (reading restored objects is supported for Hive tables
 * only), so a lifecycle rule that moves a table's objects there makes queries silently undercount;
 * an Iceberg table's data and metadata files are retired by Iceberg's own maintenance, and a rule
 * that moves or expires them breaks the current snapshot. The locations come from the plan: the Glue
 * tables' locations and projection templates, and the tables and views the deploy-time SQL creates.
 */
import { ProgramRun, RecordedResource } from "./mockEngine";
import { createdTableLocation, tablesNamedBy } from "./planSql";

/** Lifecycle transition classes Athena reads like S3 Standard ("Athena, Querying S3 Glacier"). */
export const ATHENA_READABLE_CLASSES: readonly string[] = ["STANDARD_IA", "ONEZONE_IA", "GLACIER_IR"];

/** Where a table or view reads: a bucket and a key prefix. */
export interface ReadLocation {
    readonly reader: string;
    readonly bucket: string;
    readonly prefix: string;
    readonly iceberg: boolean;
}

export interface StorageProblem {
    readonly reader: string;
    readonly rule: string;
    readonly problem: string;
}

function splitS3(url: string): { bucket: string; prefix: string } | undefined {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
    return m ? { bucket: m[1], prefix: m[2] } : undefined;
}

/**
 * The prefixes a Glue table reads: its projection template expanded over its enum partition values
 * up to the first partition of another type, else its storage location.
 */
export function glueTableLocations(run: ProgramRun): ReadLocation[] {
    return run.resources
        .filter((r) => r.type === "aws:glue/catalogTable:CatalogTable")
        .flatMap((table) => {
            const parameters: Record<string, string> = table.inputs.parameters ?? {};
            const template = parameters["storage.location.template"] ?? table.inputs.storageDescriptor?.location;
            if (typeof template !== "string") return [];
            let urls = [template];
            for (const m of template.matchAll(/\$\{(\w+)\}/g)) {
                const values = parameters[`projection.${m[1]}.values`];
                if (parameters[`projection.${m[1]}.type`] !== "enum" || !values) {
                    urls = urls.map((url) => url.slice(0, url.indexOf("${")));
                    break;
                }
                urls = urls.flatMap((url) => values.split(",").map((v) => url.replace(m[0], v.trim())));
            }
            return urls
                .map(splitS3)
                .filter((l) => l !== undefined)
                .map((l) => ({ reader: `Glue table ${table.inputs.name}`, ...l, iceberg: false }));
        });
}

/**
 * The locations of the tables deploy-time SQL creates (Iceberg or not), and of the views it creates
 * over them or over the Glue tables already known.
 */
export function sqlReadLocations(statements: readonly string[], known: readonly ReadLocation[]): ReadLocation[] {
    const tables: ReadLocation[] = [];
    for (const sql of statements) {
        const created = createdTableLocation(sql);
        const at = created && splitS3(created.location);
        if (created && at) tables.push({ reader: `table ${created.table}`, ...at, iceberg: created.iceberg });
    }
    const all = [...known, ...tables];
    const views: ReadLocation[] = [];
    for (const sql of statements) {
        const view = /\bCREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)/i.exec(sql)?.[1];
        if (!view) continue;
        for (const source of tablesNamedBy(sql).uses) {
            const read = all.filter((l) => l.reader.endsWith(` ${source}`));
            if (read.length === 0)
                throw new Error(`View ${view} reads ${source}, whose location the plan does not show.`);
            views.push(...read.map((l) => ({ ...l, reader: `view ${view} (through ${source})` })));
        }
    }
    return [...tables, ...views];
}

function rulePrefix(rule: any): string {
    return rule.filter?.prefix ?? rule.filter?.and?.prefix ?? rule.prefix ?? "";
}

/**
 * Lifecycle rules (enabled, on the location's bucket, with a prefix overlapping the location) that
 * move a read location's current objects to a class Athena skips, or that transition or expire an
 * Iceberg table's files at all. `minExpireDays`: a raw (non-Iceberg) location's objects are kept at
 * least this long, so compaction has taken them before they expire.
 */
export function storageProblems(
    run: ProgramRun,
    locations: readonly ReadLocation[],
    minExpireDays: number,
): StorageProblem[] {
    const configs = run.resources.filter(
        (r) => r.type === "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    );
    const problems: StorageProblem[] = [];
    for (const location of locations) {
        for (const config of configs.filter((c: RecordedResource) => c.inputs.bucket === location.bucket)) {
            for (const rule of (config.inputs.rules ?? []) as any[]) {
                const prefix = rulePrefix(rule);
                if (rule.status !== "Enabled") continue;
                if (!location.prefix.startsWith(prefix) && !prefix.startsWith(location.prefix)) continue;
                const name = `${config.name} rule ${rule.id} (prefix "${prefix}")`;
                const report = (problem: string) => {
                    // Each of a table's prefixes meets the same rule: report it once per table.
                    if (
                        !problems.some((p) => p.reader === location.reader && p.rule === name && p.problem === problem)
                    ) {
                        problems.push({ reader: location.reader, rule: name, problem });
                    }
                };
                const transitions = (rule.transitions ?? []) as { days?: number; storageClass: string }[];
                const expireDays: number | undefined = rule.expiration?.days;
                if (location.iceberg) {
                    if (transitions.length > 0) {
                        report(`transitions Iceberg files (${transitions.map((t) => t.storageClass).join(", ")})`);
                    }
                    if (rule.expiration) report("expires Iceberg files the current snapshot may reference");
                    continue;
                }
                for (const t of transitions.filter((t) => !ATHENA_READABLE_CLASSES.includes(t.storageClass))) {
                    report(`moves objects to ${t.storageClass} after ${t.days} days, which Athena skips`);
                }
                if (expireDays !== undefined && expireDays < minExpireDays) {
                    report(
                        `expires objects after ${expireDays} days, before compaction is sure to have taken them (${minExpireDays})`,
                    );
                }
            }
        }
    }
    return problems;
}
