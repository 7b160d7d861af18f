/**
 * `npm test`: runs the npm scripts named on the command line at the same time, so that they
 * share the machine's cores instead of taking turns (each runs mocha in two workers; the Lambda
 * runtime's tests spend much of their time waiting on stand-ins). The first script's output
 * streams as it runs; each other script's output is printed whole when it ends, under a header
 * with its result and time. When a script fails, its failures (mocha's "N failing" list) are
 * printed again at the very end, because a CI log is often read from its tail, and the failing
 * script's own output may be far above it. Exits 1 if any script failed, after all have ended;
 * Ctrl-C or SIGTERM stops every script.
 *
 * Usage: `node -r ./tools/register.js test/support/runAll.ts test:unit test:lambda-runtime`
 */
import { ChildProcess, spawn } from "child_process";

interface Outcome {
    readonly script: string;
    readonly code: number;
    readonly seconds: number;
    /** Everything the script printed, stdout and stderr as they came. */
    readonly output: string;
}

/** At most this many lines of a failed script's failures are repeated at the end. */
const FAILURE_LINES = 200;

/**
 * The part of a failed script's output worth repeating at the end: mocha's failure list (from
 * "N failing" on), or, when there is none (a crash before mocha reports), the last lines.
 */
export function failureSummary(output: string, maxLines = FAILURE_LINES): string {
    const lines = output.split("\n");
    // eslint-disable-next-line no-control-regex
    const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "");
    const start = lines.findIndex((line) => /^\s*\d+ failing\s*$/.test(plain(line)));
    const tail = start >= 0 ? lines.slice(start) : lines.slice(-40);
    const kept = tail.slice(0, maxLines);
    const dropped = tail.length - kept.length;
    return (
        kept.join("\n").trimEnd() + (dropped > 0 ? `\n... (${dropped} more lines above, in the script's output)` : "")
    );
}

const started = Date.now();
const children = new Set<ChildProcess>();

/**
 * A larger young generation for every Node process of the run: the tests allocate heavily
 * (Pulumi's promises, each plan's resources) and spent about a tenth of their CPU time in
 * scavenges; 64 MiB semi-spaces cut the unit tests' CPU time by about 10% (measured, 137 -> 123 s).
 */
function nodeOptions(): string {
    return [process.env.NODE_OPTIONS, "--max-semi-space-size=64"].filter(Boolean).join(" ");
}

function run(script: string, stream: boolean): Promise<Outcome> {
    return new Promise((resolve) => {
        const begun = Date.now();
        // Its own process group, so that stopping it stops the node processes npm starts.
        const child = spawn("npm", ["run", "--silent", script], {
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
            env: { ...process.env, NODE_OPTIONS: nodeOptions() },
        });
        children.add(child);
        const output: Buffer[] = [];
        const take = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
            output.push(chunk);
            if (stream) target.write(chunk);
        };
        child.stdout!.on("data", take(process.stdout));
        child.stderr!.on("data", take(process.stderr));
        child.on("close", (code, signal) => {
            children.delete(child);
            const outcome = {
                script,
                code: code ?? (signal ? 1 : 0),
                seconds: (Date.now() - begun) / 1000,
                output: Buffer.concat(output).toString("utf8"),
            };
            if (!stream) {
                const result = outcome.code === 0 ? "passed" : `FAILED (exit ${outcome.code})`;
                process.stdout.write(`\n== npm run ${script}: ${result}, ${outcome.seconds.toFixed(0)} s\n`);
                process.stdout.write(outcome.output);
            }
            resolve(outcome);
        });
    });
}

function stopAll(signal: NodeJS.Signals): void {
    for (const child of children) {
        try {
            process.kill(-child.pid!, signal);
        } catch {
            // Already gone.
        }
    }
    process.exit(signal === "SIGINT" ? 130 : 143);
}

async function main(scripts: readonly string[]): Promise<void> {
    process.once("SIGINT", () => stopAll("SIGINT"));
    process.once("SIGTERM", () => stopAll("SIGTERM"));
    console.log(
        `Running at once: ${scripts.map((s) => `npm run ${s}`).join(", ")} (output of the others follows the first's).\n`,
    );
    const outcomes = await Promise.all(scripts.map((script, i) => run(script, i === 0)));
    const failed = outcomes.filter((o) => o.code !== 0);
    const total = ((Date.now() - started) / 1000).toFixed(0);
    const times = outcomes.map((o) => `${o.script} ${o.seconds.toFixed(0)} s`).join(", ");
    if (failed.length > 0) {
        for (const outcome of failed) {
            console.log(`\n== npm run ${outcome.script} FAILED (exit ${outcome.code}); its failures again:\n`);
            console.log(failureSummary(outcome.output));
        }
        console.log(
            `\nnpm test FAILED in ${total} s: ${failed.map((o) => `npm run ${o.script}`).join(", ")} (${times}).`,
        );
        process.exitCode = 1;
    } else {
        console.log(`\nnpm test passed in ${total} s (${times}).`);
    }
}

if (require.main === module) void main(process.argv.slice(2));
