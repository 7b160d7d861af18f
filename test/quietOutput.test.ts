/**
 * test/support/quietOutput.ts: in mocha's parallel workers, a passing test's output is dropped and
 * a failing test's is shown with its title, while tests can still capture deployed code's output;
 * every mocha run of `npm test` loads it.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..");

const SPEC = `
const assert = require("assert");
describe("a suite", () => {
    it("passes", () => { console.log('{"msg":"passing test line"}'); console.warn("passing warning"); });
    it("fails", () => { console.log('{"msg":"failing test line"}'); throw new Error("boom"); });
    it("captures what it needs", () => {
        // As test/support/lambdaRuntime.ts's captured() does.
        const written = [];
        const original = process.stdout.write;
        process.stdout.write = (chunk) => (written.push(String(chunk)), true);
        console.log('{"msg":"captured line"}');
        process.stdout.write = original;
        assert.deepStrictEqual(written, ['{"msg":"captured line"}\\n']);
    });
});
`;

function mochaOn(spec: string, env: NodeJS.ProcessEnv = {}, parallel = true): { status: number | null; out: string } {
    const run = spawnSync(
        process.execPath,
        [
            path.join(ROOT, "node_modules/mocha/bin/mocha.js"),
            "--no-config",
            // Mocha runs a single file serially even with --parallel: a second, empty one.
            ...(parallel ? ["--parallel", "--jobs", "2"] : []),
            "--require",
            path.join(ROOT, "tools/register.js"),
            "--require",
            path.join(ROOT, "test/support/quietOutput.ts"),
            spec,
            ...(parallel ? [path.join(path.dirname(spec), "empty.spec.js")] : []),
        ],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } },
    );
    return { status: run.status, out: run.stdout + run.stderr };
}

describe("quiet test output (test/support/quietOutput.ts)", function () {
    this.timeout(60_000);
    let dir: string;
    let spec: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "quiet-console-"));
        spec = path.join(dir, "sample.spec.js");
        fs.writeFileSync(spec, SPEC);
        fs.writeFileSync(path.join(dir, "empty.spec.js"), "");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("drops what a passing test printed and shows, under its title, what a failing one printed", () => {
        const { status, out } = mochaOn(spec);
        assert.strictEqual(status, 1, out);
        assert.doesNotMatch(out, /passing test line|passing warning|captured line/);
        assert.match(out, /--- what "a suite fails" printed ---\n\{"msg":"failing test line"\}\n--- end ---/);
        assert.match(out, /2 passing/);
        assert.match(out, /1 failing/);
    });

    it("holds nothing in a serial run, whose reporter writes to stdout itself", () => {
        const { out } = mochaOn(spec, {}, false);
        assert.match(out, /passing test line/);
        assert.match(out, /2 passing/);
    });

    it("prints everything as it comes with CENTRAL_WAF_LOGS_TEST_OUTPUT=all", () => {
        const { out } = mochaOn(spec, { CENTRAL_WAF_LOGS_TEST_OUTPUT: "all" });
        assert.match(out, /passing test line/);
        assert.match(out, /passing warning/);
    });

    it("is loaded by every mocha run of npm test (.mocharc.json)", () => {
        const config = JSON.parse(fs.readFileSync(path.join(ROOT, ".mocharc.json"), "utf8"));
        assert.deepStrictEqual(config.require, ["./tools/register.js", "./test/support/quietOutput.ts"]);
    });
});
