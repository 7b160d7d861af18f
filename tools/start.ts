/**
 * `npm start`: the main job on a machine with no AWS. Each step prints its own section, so new
 * steps (local data path, forensics) slot in without touching the others.
 */
import { blocks, evaluatePolicies, renderViolations } from "./gate";
import { runAllStacks } from "./mockEngine";
import { renderPlan, renderWiring } from "./plan";

async function main(): Promise<void> {
    const started = Date.now();
    console.log("== 1. Plan: every committed stack under the Pulumi mock engine (no AWS calls)\n");
    const runs = await runAllStacks();
    for (const run of runs) console.log(`${renderPlan(run)}\n`);
    console.log(renderWiring(runs));
    console.log(`\nPlanned ${runs.length} stacks in ${((Date.now() - started) / 1000).toFixed(1)} s.`);

    console.log("\n== 2. Policy gate: the CrossGuard pack on each plan (as pulumi preview --policy-pack policies)\n");
    let blocked = false;
    for (const run of runs) {
        const violations = evaluatePolicies(run);
        console.log(renderViolations(run.stack, violations));
        blocked ||= blocks(violations);
    }
    if (blocked) {
        console.log("\nPolicy gate: FAILED; pulumi up would be refused.");
        process.exitCode = 1;
    } else {
        console.log("\nPolicy gate: passed for every stack.");
    }
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
});
