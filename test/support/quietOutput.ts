/**
 * Mocha root hooks (`.mocharc.json` loads this file): in mocha's parallel workers, what a test
 * writes to stdout and stderr (the handlers' JSON log lines and metrics, the AWS SDK's warnings)
 * is held, and printed only if the test fails, under its title. A passing `npm test` then shows
 * mocha's report alone, where ninety such lines used to look like failures; a failing test still
 * shows all it printed.
 *
 * Held at the streams, not at `console`: tests capture deployed code's output by replacing
 * `process.stdout.write` for a while, and restore what they found. Only in a parallel worker,
 * whose results reach the main process by IPC: a serial run's reporter writes to stdout itself.
 * `CENTRAL_WAF_LOGS_TEST_OUTPUT=all` prints everything as it comes. Output of a `before` hook is
 * held with the first test after it; if the hook itself fails, run with that variable to see it.
 */
const held: string[] = [];
const stderrWrite = process.stderr.write.bind(process.stderr);

const inParallelWorker = /mocha[\\/]lib[\\/]nodejs[\\/]worker\.c?js$/.test(process.argv[1] ?? "");

if (inParallelWorker && process.env.CENTRAL_WAF_LOGS_TEST_OUTPUT !== "all") {
    const hold = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        held.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
        if (done) process.nextTick(done);
        return true;
    }) as typeof process.stdout.write;
    process.stdout.write = hold;
    process.stderr.write = hold;
}

export const mochaHooks = {
    afterEach(this: Mocha.Context): void {
        const test = this.currentTest;
        if (test?.state === "failed" && held.join("").trim() !== "") {
            stderrWrite(`\n--- what "${test.fullTitle()}" printed ---\n${held.join("").trimEnd()}\n--- end ---\n`);
        }
        held.length = 0;
    },
};
