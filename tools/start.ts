/**
 * `npm start`: the main job on a machine with no AWS. Each step prints its own section, so new
 * steps (policy gate, local data path, forensics) slot in without touching the others.
 */
import { runAllStacks } from "./mockEngine";
import { renderPlan, renderWiring } from "./plan";

async function main(): Promise<void> {
    const started = Date.now();
    console.log("== Plan: every committed stack under the Pulumi mock engine (no AWS calls)\n");
    const runs = await runAllStacks();
    for (const run of runs) console.log(`${renderPlan(run)}\n`);
    console.log(renderWiring(runs));
    console.log(`\nPlanned ${runs.length} stacks in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
});
