import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { ConfigError, parseStackConfig } from "../config";
import { BENCH_USAGE } from "../tools/bench/bench";
import {
    checkReachable,
    describeError,
    isUserError,
    npmTakenFlags,
    runCliMain,
    usageError,
    userError,
} from "../tools/cli/shell";
import { parseStackFile } from "../tools/cli/stackFiles";
import { readStackConfig } from "../tools/local/mockEngine";
import { runWith } from "./support/program";
import { REGISTER } from "./support/register";

/** Runs main through the CLI shell and captures what it prints. */
async function run(main: (argv: readonly string[]) => Promise<void> | void, argv: readonly string[] = []) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCliMain(main, {
        usage: "usage: tool [--flag]",
        help: "npm run tool -- --help",
        argv,
        out: (t) => out.push(t),
        err: (t) => err.push(t),
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
}

const STACK_FRAME = /\n\s+at /;

describe("CLI shell (tools/cli/shell.ts)", () => {
    it("prints the usage for --help and -h, exits 0, and runs nothing", async () => {
        let ran = false;
        for (const argv of [["--help"], ["--records", "5", "-h"]]) {
            assert.deepStrictEqual(
                await run(() => {
                    ran = true;
                }, argv),
                { code: 0, out: "usage: tool [--flag]", err: "" },
            );
        }
        assert.strictEqual(ran, false);
        const lazy = await runCliMain(() => undefined, {
            usage: () => "built on demand",
            help: "x",
            argv: ["--help"],
            out: (t) => assert.strictEqual(t, "built on demand"),
        });
        assert.strictEqual(lazy, 0);
    });

    it("passes the arguments to main and exits 0 when it returns", async () => {
        let seen: readonly string[] = [];
        const result = await run(
            async (argv) => {
                seen = argv;
            },
            ["--records", "100"],
        );
        assert.deepStrictEqual(result, { code: 0, out: "", err: "" });
        assert.deepStrictEqual(seen, ["--records", "100"]);
    });

    it("prints a user error as its message alone and exits 1", async () => {
        assert.deepStrictEqual(
            await run(() => {
                throw userError("--data /nowhere does not exist. Fix: give the root of a local copy.");
            }),
            { code: 1, out: "", err: "--data /nowhere does not exist. Fix: give the root of a local copy." },
        );
    });

    it("adds where the usage is to a command-line error", async () => {
        assert.deepStrictEqual(
            await run(async () => {
                throw usageError("Unknown option --recrods.");
            }),
            { code: 1, out: "", err: "Unknown option --recrods.\nRun `npm run tool -- --help` for every option." },
        );
    });

    it("prints a configuration error as its problem lines, naming the stack file, with no stack trace", async () => {
        const raw = { ...readStackConfig("logging"), "central-waf-logs:accountId": "abc" };
        const result = await run(() => void parseStackConfig("logging", raw));
        assert.deepStrictEqual(result, {
            code: 1,
            out: "",
            err: 'Invalid config central-waf-logs:accountId in Pulumi.logging.yaml: "abc" is not a 12-digit AWS account ID. Fix: write the ID as a quoted 12-digit string, e.g. "123456789012".',
        });
    });

    it("recognises a ConfigError thrown by the program under the mock engine (another copy of the class)", async () => {
        let thrown: unknown;
        const result = await run(async () => {
            try {
                await runWith("resource-eu-west-1", { configOverrides: { "central-waf-logs:region": "moon-1" } });
            } catch (err) {
                thrown = err;
                throw err;
            }
        });
        // The program's ConfigError comes from a fresh load of config/, so instanceof cannot see it.
        assert.strictEqual(thrown instanceof ConfigError, false);
        assert.strictEqual(isUserError(thrown), true);
        assert.strictEqual(result.code, 1);
        assert.ok(!STACK_FRAME.test(result.err), result.err);
        assert.strictEqual(
            result.err.split("\n")[0],
            'Invalid config central-waf-logs:region in Pulumi.resource-eu-west-1.yaml: "moon-1" is not an AWS Region. Fix: use a Region code such as us-east-1 or eu-west-1.',
        );
    });

    it("prints an unexpected error with its stack, as a bug, and exits 1", async () => {
        const result = await run(() => {
            const missing: { size?: number } | undefined = undefined;
            return void (missing as unknown as { size: number }).size;
        });
        assert.strictEqual(result.code, 1);
        assert.ok(
            result.err.startsWith(
                "Unexpected error (a bug in this tool; please report it with this output):\nTypeError: Cannot read properties of undefined (reading 'size')",
            ),
            result.err,
        );
        assert.match(result.err, STACK_FRAME);
    });

    it("describes thrown values that are not errors, and errors merely named like ConfigError", () => {
        assert.strictEqual(
            describeError("plain text", "x"),
            "Unexpected error (a bug in this tool; please report it with this output):\nplain text",
        );
        const impostor = Object.assign(new Error("no problems list"), { name: "ConfigError" });
        assert.strictEqual(isUserError(impostor), false);
        assert.strictEqual(isUserError({ userError: true, message: "not an Error" }), false);
        assert.strictEqual(isUserError(new ConfigError(["one"])), true);
    });
});

/** Starts a TypeScript file in its own process with a private temporary directory. */
function spawnTool(file: string, args: string[], env: Record<string, string> = {}) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-test-"));
    const child = spawn(process.execPath, ["-r", REGISTER, file, ...args], {
        env: { ...process.env, NODE_NO_WARNINGS: "1", TMPDIR: tmp, ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    return { child, tmp, exited, output: () => ({ stdout, stderr }) };
}

/** What a tool left in its temporary directory, but ts-node's compile cache (not the tool's). */
const leftBehind = (tmp: string) => fs.readdirSync(tmp).filter((f) => !f.startsWith("v8-compile-cache"));

describe("CLI shell: cleanup, signals and npm's own options", () => {
    for (const [signal, code] of [
        ["SIGINT", 130],
        ["SIGTERM", 143],
    ] as const) {
        it(`removes the tool's temporary directories on ${signal} and exits ${code}`, async () => {
            const tool = spawnTool(path.join(__dirname, "fixtures", "cliTool.ts"), []);
            try {
                while (!tool.output().stdout.includes("\n")) await new Promise((r) => setTimeout(r, 50));
                const dir = tool.output().stdout.trim();
                assert.ok(fs.existsSync(dir), `${dir} should exist while the tool runs`);
                tool.child.kill(signal);
                assert.strictEqual(await tool.exited, code);
                assert.strictEqual(fs.existsSync(dir), false, `${dir} is left behind`);
                assert.match(tool.output().stderr, new RegExp(`Interrupted \\(${signal}\\); cleaning up\\.`));
            } finally {
                fs.rmSync(tool.tmp, { recursive: true, force: true });
            }
        });
    }

    it("leaves no lambda-* directory behind once a process that loaded deployed code ends", async () => {
        const script = path.join(os.tmpdir(), `load-handler-${process.pid}.ts`);
        fs.writeFileSync(
            script,
            `import { loadHandler } from ${JSON.stringify(path.join(__dirname, "..", "tools", "local", "deployedCode"))};\n` +
                `for (let i = 0; i < 3; i++) loadHandler("exports.handler = async () => 1;", {});\n` +
                `console.log(require("fs").readdirSync(require("os").tmpdir()).join(","));\n`,
        );
        const tool = spawnTool(script, []);
        try {
            assert.strictEqual(await tool.exited, 0, tool.output().stderr);
            assert.match(
                tool.output().stdout,
                /(^|,)lambda-\w+(,|$)/,
                "the code is written under one lambda-* directory",
            );
            assert.deepStrictEqual(leftBehind(tool.tmp), []);
        } finally {
            fs.rmSync(tool.tmp, { recursive: true, force: true });
            fs.rmSync(script, { force: true });
        }
    });

    it("accepts a switch npm took as its own option, with a note, and refuses a flag with a value", () => {
        assert.deepStrictEqual(
            npmTakenFlags({ switches: ["--faults", "--keep"] }, "npm start", [], { npm_config_faults: "true" }),
            {
                argv: ["--faults"],
                notes: [
                    "npm took --faults as its own option (options go after `--`: `npm start -- --faults`); running with --faults.",
                ],
            },
        );
        assert.deepStrictEqual(
            npmTakenFlags({ switches: ["--faults"] }, "npm start", ["--faults"], { npm_config_faults: "true" }).argv,
            ["--faults"],
        );
        assert.throws(
            () => npmTakenFlags({ values: ["--records"] }, "npm start", ["5000"], { npm_config_records: "true" }),
            (err: Error) =>
                isUserError(err) &&
                err.message ===
                    "npm took --records as its own option, so npm start did not get it: put the tool's options after `--`, e.g. `npm start -- --records <value>`.",
        );
    });

    it("refuses an unreachable or silent OPENSEARCH_URL within the timeout, naming the fix", async () => {
        const silent = http.createServer(() => undefined);
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        const port = (silent.address() as { port: number }).port;
        try {
            await assert.rejects(
                checkReachable("OPENSEARCH_URL", `http://127.0.0.1:${port}`, 300),
                (err: Error) =>
                    isUserError(err) &&
                    err.message ===
                        `OPENSEARCH_URL http://127.0.0.1:${port} is not reachable (no answer within 0.3 s). Fix: start the cluster or correct the URL, or unset OPENSEARCH_URL to use the local stand-in.`,
            );
        } finally {
            silent.closeAllConnections();
            silent.close();
        }
        await assert.rejects(checkReachable("OPENSEARCH_URL", `http://127.0.0.1:${port}`, 2000), /ECONNREFUSED/);
        await assert.rejects(
            checkReachable("OPENSEARCH_URL", "localhost:9200"),
            /is not an http:\/\/ or https:\/\/ URL/,
        );
    });

    it("npm start refuses an unreachable OPENSEARCH_URL within seconds, before planning", async () => {
        const tool = spawnTool(path.join(__dirname, "..", "tools", "local", "start.ts"), [], {
            OPENSEARCH_URL: "http://127.0.0.1:9",
        });
        try {
            assert.strictEqual(await tool.exited, 1);
            assert.strictEqual(
                tool.output().stderr.trim(),
                "OPENSEARCH_URL http://127.0.0.1:9 is not reachable (ECONNREFUSED). Fix: start the cluster or correct the URL, or unset OPENSEARCH_URL to use the local stand-in.",
            );
            assert.deepStrictEqual(leftBehind(tool.tmp), []);
        } finally {
            fs.rmSync(tool.tmp, { recursive: true, force: true });
        }
    });

    it("npm run bench prints its usage for --help and refuses an unknown flag, running nothing", async () => {
        const bench = path.join(__dirname, "..", "tools", "bench", "bench.ts");
        const help = spawnTool(bench, ["--help"]);
        const unknown = spawnTool(bench, ["--quick"]);
        try {
            assert.strictEqual(await help.exited, 0);
            assert.strictEqual(help.output().stdout.trim(), BENCH_USAGE);
            assert.strictEqual(await unknown.exited, 1);
            assert.strictEqual(
                unknown.output().stderr.trim(),
                "Unknown option --quick; use --only loader|analytics and --records N,N,...\nRun `npm run bench -- --help` for every option.",
            );
            assert.deepStrictEqual([...leftBehind(help.tmp), ...leftBehind(unknown.tmp)], []);
        } finally {
            for (const t of [help, unknown]) fs.rmSync(t.tmp, { recursive: true, force: true });
        }
    });

    it("reports a YAML syntax error in a stack file as a config error naming the file and line", () => {
        // A key indented one space too far, as a hand edit does.
        const text = fs
            .readFileSync(path.join(__dirname, "..", "Pulumi.logging.yaml"), "utf8")
            .replace("\n  central-waf-logs:region:", "\n   central-waf-logs:region:");
        const line = text.split("\n").findIndex((l) => l.startsWith("   central-waf-logs:region:")) + 1;
        assert.throws(
            () => parseStackFile("logging", text),
            (err: Error) =>
                isUserError(err) &&
                describeError(err, "npm start -- --help") ===
                    `Pulumi.logging.yaml is not valid YAML at line ${line}: All mapping items must start at the same column. Fix: correct that line (every key under config: indented by the same number of spaces, no tabs).`,
        );
    });
});
