import * as assert from "assert";
import { ConfigError, parseStackConfig } from "../config";
import { describeError, isUserError, runCliMain, usageError, userError } from "../tools/cli/shell";
import { readStackConfig } from "../tools/local/mockEngine";
import { runWith } from "./support/program";

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
