/**
 * `npm start [-- --records N] [-- --keep]`: the main job on a machine with no AWS.
 *  1. Plan every committed stack under the mock engine;  2. the policy gate on each plan;
 *  3-5. the local data path (local S3, deployed Lambda code, generated traffic with a DDoS,
 *  delivery, forensics);  6. the accounting, which fails the run if anything was lost.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { blocks, evaluatePolicies, renderViolations } from "./gate";
import { runLocalPipeline } from "./localRun";
import { runAllStacks } from "./mockEngine";
import { renderPlan, renderWiring } from "./plan";

export interface StartOptions {
    records: number;
    keep: boolean;
}

export function parseStartArgs(argv: readonly string[]): StartOptions {
    const options: StartOptions = { records: 20_000, keep: false };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--keep") options.keep = true;
        else if (argv[i] === "--records") {
            const n = Number(argv[++i]);
            if (!Number.isInteger(n) || n < 100 || n > 10_000_000) {
                throw new Error(`--records takes a whole number from 100 to 10000000, got "${argv[i]}".`);
            }
            options.records = n;
        } else throw new Error(`Unknown option ${argv[i]}; use --records N and --keep.`);
    }
    return options;
}

async function main(): Promise<void> {
    const options = parseStartArgs(process.argv.slice(2));
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

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(err instanceof Error ? err.stack : err);
        process.exit(1);
    });
}
