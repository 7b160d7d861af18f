import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeError, runCliMain } from "../tools/cli/shell";
import { GATE_USAGE, main, readPolicyConfig } from "../tools/local/gate";
import { REGISTER } from "./support/register";

describe("npm run gate: usage and errors (tools/local/gate.ts)", () => {
    it("prints its usage for --help and exits 0", () => {
        const gate = (...args: string[]) => {
            const run = spawnSync(
                process.execPath,
                ["-r", REGISTER, path.join(__dirname, "..", "tools", "local", "gate.ts"), ...args],
                { encoding: "utf8", env: { ...process.env, NODE_NO_WARNINGS: "1" }, timeout: 60_000 },
            );
            return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
        };
        assert.deepStrictEqual(gate("--help"), { status: 0, stdout: GATE_USAGE, stderr: "" });
    });

    it("refuses options it does not take, with one message and no stack", async () => {
        const err: string[] = [];
        const code = await runCliMain(main, {
            usage: GATE_USAGE,
            help: "npm run gate -- --help",
            argv: ["--stack", "logging"],
            err: (t) => err.push(t),
        });
        assert.deepStrictEqual(
            [code, err],
            [
                1,
                ["npm run gate takes no options, got --stack logging.\nRun `npm run gate -- --help` for every option."],
            ],
        );
    });

    it("names a broken policy config file as a user error, not a crash", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
        try {
            const file = path.join(dir, "config.json");
            fs.writeFileSync(file, '{ "s3-bucket-tls-only": "advisory", }');
            let shown = "";
            try {
                readPolicyConfig(file);
            } catch (err) {
                shown = describeError(err, "npm run gate -- --help");
            }
            assert.match(
                shown,
                /^\S*config\.json is not valid JSON \(.+\); fix it: it is the policy config `pulumi preview --policy-pack-config` reads\.$/,
            );
            assert.deepStrictEqual(readPolicyConfig(path.join(dir, "absent.json")), {});
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
