import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describeError } from "../tools/cli/shell";
import { START_USAGE, parseStartArgs } from "../tools/local/start";
import { REGISTER } from "./support/register";

/** Runs `npm start` with arguments, as npm would, in its own process. */
function start(...args: string[]) {
    const run = spawnSync(
        process.execPath,
        ["-r", REGISTER, path.join(__dirname, "..", "tools", "local", "start.ts"), ...args],
        { encoding: "utf8", env: { ...process.env, NODE_NO_WARNINGS: "1" }, timeout: 60_000 },
    );
    return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

const HELP = "\nRun `npm start -- --help` for every option.";

describe("npm start: options, usage and errors (tools/local/start.ts)", () => {
    it("takes --records N, --records=N, --faults and --keep, with defaults", () => {
        assert.deepStrictEqual(parseStartArgs([]), { records: 20_000, keep: false, faults: false });
        assert.deepStrictEqual(parseStartArgs(["--records", "5000", "--keep", "--faults"]), {
            records: 5000,
            keep: true,
            faults: true,
        });
        assert.deepStrictEqual(parseStartArgs(["--keep", "--records=100"]), {
            records: 100,
            keep: true,
            faults: false,
        });
        assert.deepStrictEqual(parseStartArgs(["--records=5000000"]), {
            records: 5_000_000,
            keep: false,
            faults: false,
        });
        assert.deepStrictEqual(parseStartArgs(["--verify"]), {
            records: 20_000,
            keep: false,
            faults: false,
            verify: true,
        });
    });

    it("refuses a bad command line with one message naming the flag and the fix", () => {
        const cases: [string[], string][] = [
            [["--records", "ten"], '--records takes a whole number from 100 to 5000000, got "ten".'],
            [["--records=99"], '--records takes a whole number from 100 to 5000000, got "99".'],
            [["--records", "5000001"], '--records takes a whole number from 100 to 5000000, got "5000001".'],
            [["--records", "150.5"], '--records takes a whole number from 100 to 5000000, got "150.5".'],
            [["--records", "1e3"], '--records takes a whole number from 100 to 5000000, got "1e3".'],
            [["--records", "0x3e8"], '--records takes a whole number from 100 to 5000000, got "0x3e8".'],
            [["--records="], '--records takes a whole number from 100 to 5000000, got "".'],
            [["--records"], "--records needs a value: a whole number from 100 to 5000000."],
            [["--records", "200", "--records=300"], "--records is given twice; give it once."],
            [["--fast"], "Unknown option --fast; use --records N, --faults, --keep and --verify."],
            [["--keep=yes"], "Unknown option --keep=yes; use --records N, --faults, --keep and --verify."],
            [["5000"], "Unknown option 5000; use --records N, --faults, --keep and --verify."],
        ];
        for (const [argv, message] of cases) {
            let shown = "";
            try {
                parseStartArgs(argv);
            } catch (err) {
                shown = describeError(err, "npm start -- --help");
            }
            assert.strictEqual(shown, `${message}${HELP}`, argv.join(" "));
        }
    });

    it("documents every option, its default, the environment and what each step does", () => {
        for (const text of [
            "usage: npm start [-- --records N] [-- --faults] [-- --verify] [-- --keep]",
            "--records N   background records to generate, 100 to 5,000,000 (default 20,000)",
            "Also --records=N.",
            "--faults      inject S3 503s",
            "--verify      last, step 9: the canary of npm run verify",
            "--keep        the local operator sandbox: after the run, keep every stand-in running",
            "--help        this text.",
            "OPENSEARCH_URL",
            "1. Plan:",
            "2. Policy gate:",
            "3. Local AWS:",
            "4. Traffic and delivery:",
            "5. Accounting:",
            "6. Forensics:",
            "7. Response:",
            "8. Summary: exits 1 if any record is lost or duplicated",
        ]) {
            assert.ok(START_USAGE.includes(text), `usage lacks ${text}`);
        }
        // Every page it sends the reader to exists (it once named a README section that had moved).
        const pages = [...START_USAGE.matchAll(/\b(docs\/[\w-]+\.md|README)\b/g)].map((m) => m[1]);
        assert.ok(pages.includes("docs/local-run.md"), pages.join(", "));
        assert.ok(!pages.includes("README"), "the README is the front door; the local run's details are in docs/");
        for (const page of pages) {
            assert.ok(fs.existsSync(path.join(__dirname, "..", page)), `${page} does not exist`);
        }
    });

    it("prints the usage for --help and exits 0 before doing anything; a bad flag exits 1 without a stack trace", () => {
        assert.deepStrictEqual(start("--records", "500", "--help"), { status: 0, stdout: START_USAGE, stderr: "" });
        assert.deepStrictEqual(start("--recrods", "500"), {
            status: 1,
            stdout: "",
            stderr: `Unknown option --recrods; use --records N, --faults, --keep and --verify.${HELP}`,
        });
    });
});
