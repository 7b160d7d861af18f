/**
 * `npm start [-- --records N] [-- --keep] [-- --help]`: the main job on a machine with no AWS.
 *  1. Plan every committed stack under the mock engine;  2. the policy gate on each plan;
 *  3-5. the local data path (local S3, deployed Lambda code, generated traffic with a DDoS,
 *  delivery, forensics);  6. the accounting, which fails the run if anything was lost.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli, usageError } from "./cli";

export interface StartOptions {
    records: number;
    keep: boolean;
}

const DEFAULT_RECORDS = 20_000;
const MIN_RECORDS = 100;
const MAX_RECORDS = 10_000_000;

export const START_USAGE = `usage: npm start [-- --records N] [-- --keep]

Runs the whole platform on this machine, with no AWS account and no Pulumi CLI, in six steps:
  1. Plan: every committed Pulumi.<stack>.yaml through the real program under Pulumi's mock
     engine; prints each stack's resources as a tree, its outputs, and how the stacks are wired.
  2. Policy gate: the CrossGuard pack in policies/ on each plan, as
     \`pulumi preview --policy-pack policies\` would; mandatory violations fail the run.
  3. Local AWS: a local S3 (s3rver, loopback only) with every bucket the plan declares, each
     bucket notification wired to the exact __index.js the program would deploy.
  4. Traffic and delivery: generated WAF records for each planned account and Region, with a
     DDoS from three IPs, written as Firehose writes them; the deployed copier moves them into
     the central layout; the loader indexes them when OPENSEARCH_URL is set.
  5. Forensics: burst detection and cross-account queries (queries/*.sql, the Athena SQL) on
     DuckDB over the central copy, and the HTML report.
  6. Summary: exits 1 if any record is missing from the central layout or duplicated, or an
     injected attacker is not found.

Options:
  --records N   background records to generate, ${MIN_RECORDS} to ${MAX_RECORDS.toLocaleString("en-US")} (default ${DEFAULT_RECORDS.toLocaleString("en-US")});
                the attack comes on top. Also --records=N.
  --keep        keep the working directory (local S3 data, the central copy, report.html);
                by default it is removed at the end, and on Ctrl-C.
  --help        this text.

Environment:
  OPENSEARCH_URL  an OpenSearch cluster for the loader (default: indexing is skipped, and said so).`;

export function parseStartArgs(argv: readonly string[]): StartOptions {
    const options: StartOptions = { records: DEFAULT_RECORDS, keep: false };
    let recordsGiven = false;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--records=") ? ["--records", argv[i].slice(10)] : [argv[i]];
        if (flag === "--keep") options.keep = true;
        else if (flag === "--records") {
            const text = inline ?? argv[++i];
            if (text === undefined) {
                throw usageError(`--records needs a value: a whole number from ${MIN_RECORDS} to ${MAX_RECORDS}.`);
            }
            if (recordsGiven) throw usageError("--records is given twice; give it once.");
            recordsGiven = true;
            const n = Number(text);
            if (text.trim() === "" || !Number.isInteger(n) || n < MIN_RECORDS || n > MAX_RECORDS) {
                throw usageError(
                    `--records takes a whole number from ${MIN_RECORDS} to ${MAX_RECORDS}, got "${text}".`,
                );
            }
            options.records = n;
        } else throw usageError(`Unknown option ${argv[i]}; use --records N and --keep.`);
    }
    return options;
}

export async function main(argv: readonly string[]): Promise<void> {
    const options = parseStartArgs(argv);
    // Loaded only now, so --help and a mistyped flag answer at once, before the Pulumi SDK loads.
    const { blocks, evaluatePolicies, renderViolations } = await import("./gate");
    const { runLocalPipeline } = await import("./localRun");
    const { runAllStacks } = await import("./mockEngine");
    const { renderPlan, renderWiring } = await import("./plan");
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "central-waf-logs-"));
    const cleanup = () => {
        if (!options.keep) fs.rmSync(workDir, { recursive: true, force: true });
    };
    process.once("SIGINT", () => {
        console.log(`\nInterrupted; ${options.keep ? `kept ${workDir}` : "removed the working directory"}.`);
        cleanup();
        process.exit(130);
    });

    try {
        console.log("== 1. Plan: every committed stack under the Pulumi mock engine (no AWS calls)\n");
        const runs = await runAllStacks();
        console.log(`  planned ${runs.length} stacks (${elapsed()} so far)\n`);
        for (const run of runs) console.log(`${renderPlan(run)}\n`);
        console.log(renderWiring(runs));

        console.log(
            "\n== 2. Policy gate: the CrossGuard pack on each plan (as pulumi preview --policy-pack policies)\n",
        );
        let blocked = false;
        for (const run of runs) {
            const violations = evaluatePolicies(run);
            console.log(renderViolations(run.stack, violations));
            blocked ||= blocks(violations);
        }
        console.log(
            blocked ? "\nPolicy gate: FAILED; pulumi up would be refused." : "\nPolicy gate: passed for every stack.",
        );

        console.log(`\n== 3-5. The data path on local stand-ins (${elapsed()} so far)\n`);
        const summary = await runLocalPipeline(runs, {
            records: options.records,
            workDir,
            openSearchUrl: process.env.OPENSEARCH_URL,
            log: (line) => console.log(line),
        });

        console.log(`\n== 6. Summary (${elapsed()})\n`);
        console.log(
            `  generated:  ${summary.objectsGenerated} objects, ${summary.recordsGenerated.toLocaleString("en-US")} records`,
        );
        console.log(
            `  copied:     ${summary.objectsCopied} objects, ${summary.recordsInCentral.toLocaleString("en-US")} records in the central layout`,
        );
        console.log(
            `  missing:    ${summary.missing}; duplicated: ${summary.duplicated}; failed deliveries: ${summary.deliveryFailures.length}`,
        );
        for (const failure of summary.deliveryFailures.slice(0, 10)) console.log(`    ${failure}`);
        console.log(
            `  indexed:    ${process.env.OPENSEARCH_URL ? "see the loader above" : "skipped (OPENSEARCH_URL not set)"}`,
        );
        console.log(
            `  attackers:  ${summary.attackersInjected.length} injected, ${summary.attackersFound.length} found (${summary.attackersFound.join(", ")})`,
        );
        console.log(
            options.keep
                ? `  kept:       ${workDir}`
                : "  working directory removed (use --keep to keep it and the report)",
        );
        if (!summary.ok || blocked) {
            console.log("\nFAILED: see the counts above.");
            process.exitCode = 1;
        } else console.log("\nOK: every record delivered exactly once, every attacker found.");
    } finally {
        cleanup();
    }
}

if (require.main === module) runCli(main, { usage: START_USAGE, help: "npm start -- --help" });
