/**
 * `npm start [-- --records N] [-- --faults] [-- --keep] [-- --help]`: the main job on a machine
 * with no AWS. 1. Plan every committed stack under the mock engine; 2. the policy gate on each
 * plan; 3-4. the local data path (deployed Lambda code on local S3, a search stand-in, traffic
 * with a DDoS, delivery, with faults and replay if asked); 5. the accounting; 6. forensics;
 * 7. the response loop; 8. the summary, which fails the run if anything was lost or left open.
 */
import * as fs from "fs";
import * as path from "path";
import { checkReachable, runCli, temporaryDirectory, usageError, whileHandlingSignals } from "../cli/shell";
import type { LocalWorld } from "./localRun";

export interface StartOptions {
    records: number;
    keep: boolean;
    faults: boolean;
    /** Set by --verify: the canary of `npm run verify` through the local platform, last. */
    verify?: true;
}

const DEFAULT_RECORDS = 20_000;
const MIN_RECORDS = 100;
/** The largest run measured on this 2-core, 24 GiB machine (docs/local-run.md, "The local run at scale"). */
const MAX_RECORDS = 5_000_000;

export const START_USAGE = `usage: npm start [-- --records N] [-- --faults] [-- --verify] [-- --keep]

Runs the whole platform on this machine, with no AWS account and no Pulumi CLI:
  1. Plan: every committed Pulumi.<stack>.yaml through the real program under Pulumi's mock
     engine; prints each stack's resources as a tree, its outputs, and how the stacks are wired.
  2. Policy gate: the CrossGuard pack in policies/ on each plan, as
     \`pulumi preview --policy-pack policies\` would; mandatory violations fail the run.
  3. Local AWS: a local S3 (s3rver, loopback only) with every bucket the plan declares; every
     S3-triggered function of the plan (copiers, loader) run from the exact __index.js the program
     would deploy, by a Lambda stand-in with Lambda's retries and the planned failure queues; the
     loader indexes into a loopback stand-in of OpenSearch's _bulk contract, or OPENSEARCH_URL.
  4. Traffic and delivery: generated WAF records for each planned account and Region, with a
     DDoS from three IPs on two accounts and a busy allowlisted health checker, written as
     Firehose writes them; with --faults, S3 and the cluster fail on the way, and what was
     dead-lettered or parked is then replayed (npm run replay's code).
  5. Accounting: every generated record is in the central layout exactly once (object digests),
     and is indexed or parked with its reason; nothing lost, nothing duplicated.
  6. Forensics: burst detection and cross-account queries (queries/*.sql, the Athena SQL) on
     DuckDB over the central copy, and the HTML report.
  7. Response: the deployed detector finds the attackers through a local Athena (DuckDB), the
     blocklist lands in a local DynamoDB (dynalite), the deployed publisher writes it into every
     account's and Region's WAF IP sets (a local WAFV2) through the planned roles; a second wave
     shows who is blocked where; on a simulated clock the blocks expire.
  8. Summary: exits 1 if any record is lost or duplicated, a dead-lettered event stays unreplayed,
     an attacker is not found or not blocked everywhere, anyone else is blocked, or a block does
     not expire.

Options:
  --records N   background records to generate, ${MIN_RECORDS} to ${MAX_RECORDS.toLocaleString("en-US")} (default ${DEFAULT_RECORDS.toLocaleString("en-US")});
                the attack comes on top. Also --records=N. About 30 s for the default here;
                the largest took 19 minutes and 2.5 GiB (docs/local-run.md, "The local run
                at scale").
  --faults      inject S3 503s, a truncated object, bad lines, bulk 429s and 503s, 413s, a
                cluster outage and a 403 on the way, then replay what was dead-lettered.
  --verify      last, step 9: the canary of npm run verify (docs/deploy.md) through a resource
                stack's Firehose stand-in, the deployed copier and loader, the Athena view and a
                detector run, with each hop's latency; a hop that fails fails the run.
  --keep        the local operator sandbox: after the run, keep every stand-in running (S3 with
                the delivered data, the search stand-in, DynamoDB with the plan's tables and the
                blocklist, SQS failure queues, the Lambda, STS, WAFV2 and Athena stand-ins)
                behind one endpoint, print it with ready-to-paste blocklist, replay and
                forensics commands, and stop on Ctrl-C. Also: npm run sandbox.
  --help        this text.

Environment:
  OPENSEARCH_URL  an OpenSearch cluster for the loader (default: the loopback stand-in).`;

export function parseStartArgs(argv: readonly string[]): StartOptions {
    const options: StartOptions = { records: DEFAULT_RECORDS, keep: false, faults: false };
    let recordsGiven = false;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--records=") ? ["--records", argv[i].slice(10)] : [argv[i]];
        if (flag === "--keep") options.keep = true;
        else if (flag === "--faults") options.faults = true;
        else if (flag === "--verify") options.verify = true;
        else if (flag === "--records") {
            const text = inline ?? argv[++i];
            if (text === undefined) {
                throw usageError(`--records needs a value: a whole number from ${MIN_RECORDS} to ${MAX_RECORDS}.`);
            }
            if (recordsGiven) throw usageError("--records is given twice; give it once.");
            recordsGiven = true;
            const n = Number(text);
            // Digits only: Number() would also take "1e3", "0x3e8" and " 1000 ".
            if (!/^[0-9]{1,9}$/.test(text) || n < MIN_RECORDS || n > MAX_RECORDS) {
                throw usageError(
                    `--records takes a whole number from ${MIN_RECORDS} to ${MAX_RECORDS}, got "${text}".`,
                );
            }
            options.records = n;
        } else throw usageError(`Unknown option ${argv[i]}; use --records N, --faults, --keep and --verify.`);
    }
    return options;
}

export async function main(argv: readonly string[]): Promise<void> {
    const options = parseStartArgs(argv);
    // Loaded only now, so --help and a mistyped flag answer at once, before the Pulumi SDK loads.
    const { blocks, evaluatePolicies, renderViolations } = await import("./gate");
    const { runLocalPipeline } = await import("./localRun");
    const { runAllStacks } = await import("./mockEngine");
    const { holdWorld } = await import("./sandbox");
    const { renderPlan, renderWiring } = await import("./plan");
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (process.env.OPENSEARCH_URL) await checkReachable("OPENSEARCH_URL", process.env.OPENSEARCH_URL);
    // Every temporary file of the run lives under workDir, removed at the end whatever happens: on
    // an error, on Ctrl-C or SIGTERM (tools/cli/shell.ts), and after the sandbox of --keep stops.
    const work = temporaryDirectory("central-waf-logs-");
    const workDir = work.path;
    const cleanup = work.remove;

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

        console.log(`\n== 3-7. The data path and the response loop on local stand-ins (${elapsed()} so far)\n`);
        const summary = await runLocalPipeline(runs, {
            records: options.records,
            workDir,
            openSearchUrl: process.env.OPENSEARCH_URL,
            faults: options.faults,
            log: (line) => console.log(line),
            ...(options.keep
                ? {
                      hold: (world: LocalWorld) =>
                          // The sandbox stops on the signal itself, closing every stand-in first.
                          whileHandlingSignals(() => holdWorld(world, (line) => console.log(line))),
                  }
                : {}),
        });

        const n = (value: number) => value.toLocaleString("en-US");
        const r = summary.response;
        console.log(`\n== 8. Summary (${elapsed()})\n`);
        console.log(`  generated:  ${n(summary.objectsGenerated)} objects, ${n(summary.recordsGenerated)} records`);
        console.log(
            `  delivered:  ${n(summary.objectsCopied)} objects, ${n(summary.recordsInCentral)} records in the central layout; missing ${summary.missing}, duplicated ${summary.duplicated}`,
        );
        console.log(
            `  indexed:    ${n(summary.indexing.indexed)} + parked ${n(summary.indexing.parked)} + unreadable tail ${n(summary.indexing.unreadable)}; lost ${n(summary.indexing.lost)}, duplicated ${n(summary.indexing.duplicated)} (${summary.indexing.target})`,
        );
        if (summary.replayed.length > 0) {
            const replayed = summary.replayed.filter((o) => o.status === "replayed").length;
            console.log(
                `  replayed:   ${replayed} of ${summary.replayed.length} dead-lettered events and parked objects`,
            );
        }
        for (const failure of summary.deliveryFailures.slice(0, 10)) console.log(`  FAILED:     ${failure}`);
        console.log(
            `  attackers:  ${summary.attackersInjected.length} injected in two accounts, ${summary.attackersFound.length} found by the cross-account query (${summary.attackersFound.join(", ")}); ${r.oneAccountAttacker.ip} in one account only, blocked at ${r.oneAccountAttacker.blockedAt.join(", ") || "no location"}`,
        );
        console.log(
            `  response:   mode ${r.mode}; attackers not blocked everywhere: ${r.attackersNotBlocked.length}, quiet clients blocked: ${r.quietClientsBlocked.length}, allowlisted blocked: ${r.allowlistedBlocked.length}, still blocked after expiry: ${r.stillBlockedAfterExpiry.length}`,
        );
        for (const entry of r.blocklist) console.log(`              ${entry}`);
        console.log(
            `  coverage:   ${summary.coverage.summary.gaps} gap(s) reported${summary.coverage.ok ? ", the hand-made web ACL that does not log among them" : "; NOT as expected"}`,
        );
        const canaryOk = options.verify ? await canaryStep(runs, workDir, elapsed) : true;
        if (!summary.ok || blocked || !canaryOk) {
            console.log("\nFAILED: see the counts above.");
            process.exitCode = 1;
        } else {
            console.log(
                "\nOK: every record delivered once and indexed or parked, every attacker found and blocked everywhere, no one else, every block expired, and the web ACL that does not log was reported.",
            );
        }
    } finally {
        cleanup();
    }
}

/** Step 9: the canary through the first resource stack, on a fresh local platform. */
async function canaryStep(
    runs: Awaited<ReturnType<typeof import("./mockEngine").runAllStacks>>,
    workDir: string,
    elapsed: () => string,
): Promise<boolean> {
    const { startLocalCanary } = await import("./localCanary");
    const { quietly } = await import("./localRun");
    const { renderHop, verdict, verifyCanary } = await import("../cli/verify");
    const stack = runs.find((r) => r.config["central-waf-logs:role"] === "resource")!.stack;
    console.log(`\n== 9. Canary: npm run verify -- --stack ${stack}, on the local stand-ins (${elapsed()} so far)\n`);
    const dir = path.join(workDir, "canary");
    fs.mkdirSync(dir);
    const canary = await startLocalCanary(runs, { workDir: dir });
    try {
        const calls = canary.calls(stack);
        const { hops } = await quietly(() =>
            verifyCanary(canary.target(stack), calls, { timeoutMs: 30_000, pollMs: 100, log: (l) => console.log(l) }),
        );
        for (const h of hops.filter((x) => x.status === "not reached")) console.log(renderHop(h));
        console.log(`  ${verdict(hops)}`);
        return !hops.some((h) => h.status === "fail");
    } finally {
        await canary.close();
    }
}

if (require.main === module) {
    runCli(main, {
        usage: START_USAGE,
        help: "npm start -- --help",
        flags: { switches: ["--faults", "--keep", "--verify"], values: ["--records"] },
    });
}
