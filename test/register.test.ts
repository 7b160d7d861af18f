/**
 * tools/register.js, which every npm script and mocha worker preloads: its JavaScript must be
 * ts-node's (Pulumi serializes each inline Lambda from its functions' text), and a process whose
 * files are all in the transpile cache must not load TypeScript at all (its start-up cost).
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { REGISTER } from "./support/register";

const ROOT = path.join(__dirname, "..");

/** Runs `script` in a fresh Node process with `preload`, from `cwd`, and returns what it printed. */
function run(preload: string, script: string, cwd = ROOT, env: NodeJS.ProcessEnv = {}): string {
    return execFileSync(process.execPath, ["-r", preload, "-e", script], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, ...env },
    });
}

/** Prints the text of every function some modules export, as Pulumi reads it to serialize a Lambda. */
const EXPORTED_FUNCTIONS = `
    const text = ${JSON.stringify(["handlers/ipRange.ts", "handlers/applier.ts", "config/reader.ts"].map((f) => path.join(ROOT, f)))}
        .flatMap((file) => Object.entries(require(file)).filter(([, v]) => typeof v === "function").map(([k, v]) => k + ": " + v));
    process.stdout.write(JSON.stringify(text));`;

describe("tools/register.js: TypeScript for every npm script", () => {
    it("gives exactly the JavaScript ts-node's transpile-only mode gives: from the cache, afresh, and started elsewhere", () => {
        const expected = run("ts-node/register/transpile-only", EXPORTED_FUNCTIONS);
        assert.ok(JSON.parse(expected).length > 10);
        // Twice: the first may transpile and store, the second reads the cache.
        assert.strictEqual(run(REGISTER, EXPORTED_FUNCTIONS), expected);
        assert.strictEqual(run(REGISTER, EXPORTED_FUNCTIONS), expected);
        // Afresh, from a directory without the project's tsconfig.json (ts-node looks from the cwd).
        const afresh = run(REGISTER, EXPORTED_FUNCTIONS, os.tmpdir(), { CENTRAL_WAF_LOGS_NO_TS_CACHE: "1" });
        assert.strictEqual(afresh, expected);
    });

    it("loads neither TypeScript nor ts-node when every file is in the cache", () => {
        const script = `
            require(${JSON.stringify(path.join(ROOT, "config", "reader.ts"))});
            const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](typescript|ts-node)[\\\\/].*\\.js$/.test(f));
            process.stdout.write(JSON.stringify(loaded));`;
        run(REGISTER, script);
        assert.deepStrictEqual(JSON.parse(run(REGISTER, script)), []);
    });

    it("maps a stack trace to the TypeScript source", () => {
        const script = `
            try { require(${JSON.stringify(path.join(ROOT, "config", "reader.ts"))}).stackFile(Symbol("not text")); }
            catch (err) { process.stdout.write(String(err.stack)); }`;
        const trace = run(REGISTER, script);
        assert.match(trace, /config[\\/]reader\.ts:\d+:\d+/);
    });
});
