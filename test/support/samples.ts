import * as fs from "fs";
import * as path from "path";

/**
 * The real WAF records in ../shared/waf-samples (one JSON document per line). They are not in the
 * repository (their public sources' licences were not confirmed), so a clone has them only where
 * that folder was placed beside it, as on this project's build machine; elsewhere (a user's clone,
 * the shipped GitHub workflows) the tests that read them are skipped, saying why.
 */
export const SAMPLES_DIR = path.resolve(__dirname, "../../../shared/waf-samples");

/** Why a sample test was skipped, appended to its title so the mocha report says it. */
export const SAMPLES_SKIPPED = `skipped: the real WAF samples are not at ${SAMPLES_DIR} (not in the repository; see README, Development)`;

export function samplesPresent(): boolean {
    return fs.existsSync(SAMPLES_DIR) && fs.readdirSync(SAMPLES_DIR).some((f) => f.endsWith(".ndjson"));
}

/** The sample lines; throws where they are absent (call `skipWithoutSamples` first). */
export function sampleLines(): string[] {
    if (!samplesPresent()) throw new Error(`The shared WAF samples are not at ${SAMPLES_DIR}.`);
    return fs
        .readdirSync(SAMPLES_DIR)
        .filter((f) => f.endsWith(".ndjson"))
        .sort()
        .flatMap((f) => fs.readFileSync(path.join(SAMPLES_DIR, f), "utf8").split("\n"))
        .filter((line) => line.trim() !== "");
}

/** The sample lines where present, none elsewhere: for scenarios that merely include them. */
export function optionalSampleLines(): string[] {
    return samplesPresent() ? sampleLines() : [];
}

/**
 * Skips the running test (or, from a `before` hook, its suite) when the samples are absent, and
 * says so in its title. Use in `function () {}` tests and hooks, which have mocha's `this`.
 */
export function skipWithoutSamples(context: Mocha.Context): void {
    if (samplesPresent()) return;
    const runnable = context.currentTest ?? context.test;
    if (runnable) runnable.title += ` (${SAMPLES_SKIPPED})`;
    context.skip();
}
