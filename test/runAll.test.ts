/**
 * test/support/runAll.ts, which `npm test` is: a failed script's failures must be readable at the
 * end of the log, since CI often shows only its tail, and the other script's output can bury them.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { failureSummary } from "./support/runAll";
import { REGISTER } from "./support/register";

const RUN_ALL = path.join(__dirname, "support", "runAll.ts");

const MOCHA_FAILURE = [
    "  3 passing (2s)",
    "  1 failing",
    "",
    "  1) the loader as deployed",
    "       parks the record:",
    "     AssertionError: expected 1, got 0",
].join("\n");

describe("npm test's runner (test/support/runAll.ts)", () => {
    it("takes mocha's failure list (colours or not) from a failed script's output", () => {
        const output = `\x1b[32m  ✔\x1b[39m works\n...\n  3 passing (2s)\n\x1b[31m  1 failing\x1b[39m\n\n  1) boom\n`;
        assert.strictEqual(failureSummary(output), "\x1b[31m  1 failing\x1b[39m\n\n  1) boom");
    });

    it("falls back to the last lines when there is no failure list, and says what it cut", () => {
        const crash = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n");
        assert.strictEqual(failureSummary(crash).split("\n")[0], "line 60");
        const long = ["  1 failing", ...Array.from({ length: 300 }, (_, i) => `  at frame ${i}`)].join("\n");
        const summary = failureSummary(long, 10).split("\n");
        assert.strictEqual(summary.length, 11);
        assert.match(summary[10], /291 more lines/);
    });

    it("repeats a failed script's failures after everything else it printed, and exits 1", function () {
        this.timeout(30_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "run-all-"));
        try {
            const scripts = {
                // The first script streams, and keeps printing after the second has failed.
                slow: `node -e "setTimeout(() => { for (let i = 0; i < 300; i++) console.log('slow line ' + i) }, 1500)"`,
                broken: `node -e "console.log(${JSON.stringify(MOCHA_FAILURE).replace(/"/g, '\\"')}); process.exit(1)"`,
            };
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "x", scripts }));
            const run = spawnSync(process.execPath, ["-r", REGISTER, RUN_ALL, "slow", "broken"], {
                cwd: dir,
                encoding: "utf8",
            });
            assert.strictEqual(run.status, 1, run.stderr);
            const out = run.stdout;
            const repeated = out.lastIndexOf("== npm run broken FAILED (exit 1); its failures again:");
            assert.ok(repeated > out.lastIndexOf("slow line 299"), out.slice(-2000));
            assert.ok(out.indexOf("1) the loader as deployed", repeated) > repeated);
            assert.match(out.trimEnd().split("\n").pop()!, /^npm test FAILED in \d+ s: npm run broken \(/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
