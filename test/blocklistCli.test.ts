/**
 * `npm run blocklist`: the operator's commands against a local DynamoDB holding the planned
 * tables, as a person would type them, and the command line itself in a child process.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as assert from "assert";
import { execFile } from "child_process";
import * as path from "path";
import * as dynamoSdk from "@aws-sdk/client-dynamodb";
import { BlockPolicy } from "../handlers/blocklist";
import { dynamoBlocklistStore } from "../handlers/blocklistStore";
import { LocalDynamo, recordedTables, startLocalDynamo } from "../tools/localDynamo";
import { BlocklistArgs, parseBlocklistArgs, runBlocklistCommand } from "../tools/blocklist";
import { PROJECT_ROOT } from "../tools/mockEngine";
import { committedRun } from "./support/program";

const NOW = Date.UTC(2026, 10, 27, 12, 0);
const POLICY: BlockPolicy = {
    blockMinutes: 240,
    maxBlockMinutes: 10_080,
    repeatWindowDays: 30,
    allowlist: ["192.0.2.0/24"],
};
const OPERATOR = "arn:aws:sts::111111111111:assumed-role/security-admin/alice";

describe("npm run blocklist", () => {
    let dynamo: LocalDynamo;
    let run: (argv: string[], now?: number) => Promise<string[]>;

    before(async () => {
        dynamo = await startLocalDynamo(recordedTables(await committedRun("logging")));
        const store = dynamoBlocklistStore(dynamoSdk, dynamo.client as DynamoDBClient, {
            blocklist: "central-waf-logs-blocklist",
            audit: "central-waf-logs-blocklist-audit",
        });
        run = async (argv, now = NOW) => {
            const out: string[] = [];
            await runBlocklistCommand(parseBlocklistArgs(argv), {
                store,
                actor: async () => OPERATOR,
                now: () => now,
                policy: POLICY,
                out: (line) => out.push(line),
            });
            return out;
        };
    });
    after(() => dynamo?.close());

    it("adds a block with its reason and duration, lists it, and records who did it and why", async () => {
        assert.deepStrictEqual(
            await run(["add", "203.0.113.9", "--reason", "credential stuffing on /login", "--minutes", "90"]),
            [
                "Blocked 203.0.113.9/32 until 2026-11-27T13:30:00Z (offense 1). The publisher writes it to every IP set within minutes.",
            ],
        );
        assert.deepStrictEqual(await run(["list"]), [
            `203.0.113.9/32  blocked until 2026-11-27T13:30:00Z  operator, offense 1  "credential stuffing on /login"  (${OPERATOR}, 2026-11-27T12:00:00Z)`,
            "1 active entries.",
        ]);
        assert.deepStrictEqual(await run(["history", "203.0.113.9/32"]), [
            `2026-11-27T12:00:00Z  add  by ${OPERATOR}: "credential stuffing on /login"`,
        ]);
    });

    it("releases an entry now and keeps the detector off it for a while; expired entries leave the list", async () => {
        assert.deepStrictEqual(
            await run(["remove", "203.0.113.9", "--reason=partner's crawler", "--minutes", "120"], NOW + 60_000),
            [
                "Released 203.0.113.9/32; the detector leaves it alone until 2026-11-27T14:01:00Z. The publisher removes it from every IP set within minutes.",
            ],
        );
        assert.deepStrictEqual(await run(["list"], NOW + 120_000), [
            "No active entries (--all shows expired and released ones).",
        ]);
        assert.deepStrictEqual(await run(["list", "--all"], NOW + 120_000), [
            `203.0.113.9/32  released; not re-blocked before 2026-11-27T14:01:00Z  operator, offense 1  "partner's crawler"  (${OPERATOR}, 2026-11-27T12:01:00Z)`,
            "1 entries.",
        ]);
        assert.deepStrictEqual(
            (await run(["history", "203.0.113.9"], NOW + 120_000)).map((l) => l.split("  ")[1]),
            ["add", "release"],
        );
    });

    it("refuses what must not be blocked or cannot be, naming why and the fix", async () => {
        await assert.rejects(run(["add", "192.0.2.10", "--reason", "x"]), {
            message:
                "Refused: 192.0.2.10/32 overlaps the allowlisted range 192.0.2.0/24 (central-waf-logs:response.allowlist), which is never blocked. Fix: remove it from the allowlist in Pulumi.<logging stack>.yaml first if it really must be blocked.",
        });
        assert.deepStrictEqual(await run(["history", "192.0.2.10"]), [
            `2026-11-27T12:00:00Z  refuse  by ${OPERATOR}: "x"`,
        ]);
        await assert.rejects(run(["add", "10.0.0.0/4", "--reason", "x"]), {
            message:
                "Cannot use 10.0.0.0/4: 10.0.0.0/4 is broader than /8; block narrower ranges (this guard keeps one typo from blocking a continent).",
        });
        await assert.rejects(run(["add", "203.0.113.7/24", "--reason", "x"]), {
            message:
                "Cannot use 203.0.113.7/24: 203.0.113.7/24 has host bits set; AWS WAF takes the network address: use 203.0.113.0/24.",
        });
        await assert.rejects(run(["remove", "198.51.100.1", "--reason", "x"]), {
            message: "198.51.100.1/32 is not blocked; nothing to remove (list shows the active entries).",
        });
    });

    it("checks the command line before touching anything", () => {
        const fails = (argv: string[], message: string) =>
            assert.throws(
                () => parseBlocklistArgs(argv),
                (err: Error & { usage?: boolean }) => {
                    assert.strictEqual(err.message, message);
                    assert.strictEqual(err.usage, true);
                    return true;
                },
            );
        fails([], "Give a command: list, add, remove, history.");
        fails(["block", "1.2.3.4"], 'Unknown command "block"; use list, add, remove, history.');
        fails(["add", "1.2.3.4"], 'add needs --reason "<why>": the audit trail keeps it.');
        fails(["add", "1.2.3.4", "--reason", "  "], 'add needs --reason "<why>": the audit trail keeps it.');
        fails(["add", "--reason", "x"], "add needs an IP address or CIDR range.");
        fails(
            ["add", "1.2.3.4", "--reason", "x", "--minutes", "0"],
            '--minutes takes a whole number from 1 to 43200 (30 days), got "0".',
        );
        fails(["list", "--colour"], "Unknown option --colour.");
        fails(
            ["remove", "1.2.3.4", "5.6.7.8", "--reason", "x"],
            "Unexpected argument 5.6.7.8; give one IP or CIDR range.",
        );
        const args: BlocklistArgs = parseBlocklistArgs([
            "add",
            "2001:db8::1",
            "--reason",
            "r",
            "--endpoint=http://127.0.0.1:9",
        ]);
        assert.deepStrictEqual(
            [args.table, args.auditTable, args.stack, args.endpoint],
            ["central-waf-logs-blocklist", "central-waf-logs-blocklist-audit", "logging", "http://127.0.0.1:9"],
        );
    });

    it("runs as a command: help, one-line user errors without a stack, and a real change through --endpoint", async () => {
        const tsNode = [require.resolve("ts-node/dist/bin.js"), "--transpile-only"];
        const env = {
            ...process.env,
            AWS_ACCESS_KEY_ID: "local",
            AWS_SECRET_ACCESS_KEY: "local",
            NODE_NO_WARNINGS: "1",
        };
        // Asynchronously: the local DynamoDB answers from this very process.
        const cli = (...argv: string[]) =>
            new Promise<{ code: number; out: string }>((resolve) => {
                execFile(
                    process.execPath,
                    [...tsNode, path.join(PROJECT_ROOT, "tools/blocklist.ts"), ...argv],
                    { encoding: "utf8", env },
                    (err, stdout, stderr) =>
                        resolve({
                            code: err ? Number((err as { code?: number }).code ?? 1) : 0,
                            out: `${stdout}${stderr}`,
                        }),
                );
            });
        const help = await cli("--help");
        assert.strictEqual(help.code, 0);
        assert.match(help.out, /^usage: npm run blocklist -- <command> \[options\]/);
        const bad = await cli("add", "1.2.3.4");
        assert.deepStrictEqual(
            [bad.code, bad.out.trim()],
            [
                1,
                'add needs --reason "<why>": the audit trail keeps it.\nRun `npm run blocklist -- --help` for every option.',
            ],
        );
        const added = await cli(
            "add",
            "198.51.100.77",
            "--reason",
            "seen in the forensics report",
            "--endpoint",
            dynamo.endpoint,
        );
        assert.strictEqual(added.code, 0, added.out);
        assert.match(added.out, /^Blocked 198\.51\.100\.77\/32 until .* \(offense 1\)/m);
        const listed = await cli("list", "--endpoint", dynamo.endpoint);
        assert.match(
            listed.out,
            /^198\.51\.100\.77\/32 {2}blocked until .* operator, offense 1 {2}"seen in the forensics report" {2}\(local:/m,
        );
        const missing = await cli("list", "--endpoint", dynamo.endpoint, "--table", "nope");
        assert.deepStrictEqual(
            [missing.code, missing.out.trim()],
            [
                1,
                `Table nope was not found in us-east-1 at ${dynamo.endpoint}: deploy the logging stack with response.mode count or block, or pass --region/--table.`,
            ],
        );
    });
});
