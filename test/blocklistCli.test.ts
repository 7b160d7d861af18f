/**
 * `npm run blocklist`: the operator's commands against a local DynamoDB holding the planned
 * tables, as a person would type them, and the command line itself in a child process.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as dynamoSdk from "@aws-sdk/client-dynamodb";
import { BlockEntry, BlockPolicy, auditOf } from "../handlers/blocklist";
import { changeBlocklist } from "../handlers/blocklistChange";
import { BlocklistStore, dynamoBlocklistStore } from "../handlers/blocklistStore";
import { NOT_GLOBALLY_REACHABLE, parseRange } from "../handlers/ipRange";
import { LocalDynamo, recordedTables, startLocalDynamo } from "../tools/local/localDynamo";
import {
    BlocklistArgs,
    blocklistMain,
    parseBlocklistArgs,
    printable,
    runBlocklistCommand,
} from "../tools/cli/blocklist";
import { runCliMain } from "../tools/cli/shell";
import { PROJECT_ROOT } from "../tools/local/mockEngine";
import { startLocalResponse } from "../tools/local/localResponse";
import { startServiceRouter } from "../tools/local/aws/serviceRouter";
import { withoutAws } from "./support/awsEnv";
import { committedRun, committedRuns } from "./support/program";
import { REGISTER } from "./support/register";

const NOW = Date.UTC(2026, 10, 27, 12, 0);
const POLICY: BlockPolicy = {
    blockMinutes: 240,
    maxBlockMinutes: 10_080,
    repeatWindowDays: 30,
    allowlist: ["192.0.2.0/24"],
};
const OPERATOR = "arn:aws:sts::111111111111:assumed-role/security-admin/alice";

/** Runs the blocklist command line in-process: its exit code and everything it printed. */
async function cli(...argv: string[]): Promise<[number, string]> {
    const lines: string[] = [];
    const code = await runCliMain(blocklistMain, {
        usage: "usage",
        help: "npm run blocklist -- --help",
        argv,
        out: (text) => lines.push(text),
        err: (text) => lines.push(text),
    });
    return [code, lines.join("\n")];
}

describe("npm run blocklist", () => {
    let dynamo: LocalDynamo;
    let run: (argv: string[], now?: number) => Promise<string[]>;
    let store: BlocklistStore;

    before(async () => {
        dynamo = await startLocalDynamo(recordedTables(await committedRun("logging")));
        store = dynamoBlocklistStore(dynamoSdk, dynamo.client as DynamoDBClient, {
            blocklist: "central-waf-logs-blocklist",
            audit: "central-waf-logs-blocklist-audit",
        });
        run = async (argv, now = NOW) => {
            const out: string[] = [];
            await runBlocklistCommand(parseBlocklistArgs(argv), {
                store,
                // The operator function's core, in process (the function itself is tested below).
                change: (request) => changeBlocklist(request, { store, actor: OPERATOR, now, policy: POLICY }),
                now: () => now,
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
            `203.0.113.9/32  blocked until 2026-11-27T13:30:00Z  global, operator, offense 1  "credential stuffing on /login"  (${OPERATOR}, 2026-11-27T12:00:00Z)`,
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
                "Released 203.0.113.9/32; the detector leaves it alone until 2026-11-27T14:01:00Z, and its repeat count starts over (if it returns, it is blocked as a first offense). The publisher removes it from every IP set within minutes.",
            ],
        );
        assert.deepStrictEqual(await run(["list"], NOW + 120_000), [
            "No active entries (--all shows expired and released ones).",
        ]);
        assert.deepStrictEqual(await run(["list", "--all"], NOW + 120_000), [
            `203.0.113.9/32  released; not re-blocked before 2026-11-27T14:01:00Z  global, operator, repeat count reset  "partner's crawler"  (${OPERATOR}, 2026-11-27T12:01:00Z)`,
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
        await assert.rejects(run(["remove", "2001:db8::/16", "--reason", "x"]), {
            message:
                "Cannot use 2001:db8::/16: 2001:db8::/16 is broader than /32; no entry is ever that broad (add refuses it), so there is nothing to find; give the address or range that was blocked.",
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
        fails([], "Give a command: list, add, remove, promote, history.");
        fails(["block", "1.2.3.4"], 'Unknown command "block"; use list, add, remove, promote, history.');
        fails(["add", "1.2.3.4"], 'add needs --reason "<why>": the audit trail keeps it.');
        fails(["add", "1.2.3.4", "--reason", "  "], 'add needs --reason "<why>": the audit trail keeps it.');
        fails(["add", "--reason", "x"], "add needs an IP address or CIDR range.");
        fails(
            ["add", "1.2.3.4", "--reason", "x", "--minutes", "0"],
            '--minutes takes a whole number from 1 to 43200 (30 days) in plain digits, got "0".',
        );
        // Plain digits only: Number() would read these as 1000, 16 and 5.
        for (const minutes of ["1e3", "0x10", " 5", "5 ", "+5", "43201", ""]) {
            fails(
                ["add", "1.2.3.4", "--reason", "x", `--minutes=${minutes}`],
                `--minutes takes a whole number from 1 to 43200 (30 days) in plain digits, got ${JSON.stringify(minutes)}.`,
            );
        }
        for (const endpoint of ["notaurl", "127.0.0.1:8000", "ftp://127.0.0.1/", "http://"]) {
            fails(
                ["list", "--endpoint", endpoint],
                `--endpoint takes the URL of a local sandbox (npm run sandbox prints it), such as http://127.0.0.1:8000, got ${JSON.stringify(endpoint)}.`,
            );
        }
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

    it("refuses reasons that would reach a terminal or the audit trail as control characters, or at any length", () => {
        const refused = (reason: string, message: string) =>
            assert.throws(() => parseBlocklistArgs(["add", "1.2.3.4", "--reason", reason]), { message });
        refused(
            "ok\u001b[2J\u001b[31mALL CLEAR",
            "--reason contains a control character (U+001B at character 3); write the reason as one line of plain text.",
        );
        refused(
            'x\r\n2026-11-27T12:00:00Z  remove  by alice: "forged"',
            "--reason contains a control character (U+000D at character 2); write the reason as one line of plain text.",
        );
        refused(
            "bell\u0007",
            "--reason contains a control character (U+0007 at character 5); write the reason as one line of plain text.",
        );
        refused(
            "del\u007f",
            "--reason contains a control character (U+007F at character 4); write the reason as one line of plain text.",
        );
        refused(
            "c1\u0085",
            "--reason contains a control character (U+0085 at character 3); write the reason as one line of plain text.",
        );
        refused(
            "\u202eevil",
            "--reason contains a control character (U+202E at character 1); write the reason as one line of plain text.",
        );
        // Invisible ones too (red team): zero-width space, right-to-left mark, BOM, a tag character, a lone surrogate.
        for (const [text, code, at] of [
            ["a\u200bb", "U+200B", 2],
            ["a\u200fb", "U+200F", 2],
            ["a\ufeffb", "U+FEFF", 2],
            ["a\u{e0041}b", "U+E0041", 2],
            ["a\ud800b", "U+D800", 2],
        ] as const) {
            refused(
                text,
                `--reason contains a control character (${code} at character ${at}); write the reason as one line of plain text.`,
            );
        }
        refused(
            "é".repeat(501),
            "--reason is 501 characters long; keep it to 500 (the entry, the audit trail and list print it whole).",
        );
        assert.strictEqual(
            parseBlocklistArgs(["add", "1.2.3.4", "--reason", `${"é".repeat(500)}  `]).reason?.length,
            500,
        );
        assert.strictEqual(printable('a\u001b[31mb\nc "d"'), 'a\\u{1b}[31mb\\u{a}c "d"');
    });

    it("reads addresses strictly: legacy IPv4 spellings and zone IDs are refused, IPv4-mapped IPv6 is IPv4", async () => {
        const legacy = (text: string) =>
            `Cannot use ${text}: "${text}" is not an IP address or CIDR range: write IPv4 as four decimal numbers from 0 to 255 separated by dots, without leading zeros (e.g. 203.0.113.7).`;
        for (const text of ["198.051.100.007", "1.2.3", "0x7f.1", "3232235777"]) {
            await assert.rejects(run(["add", text, "--reason", "x"]), { message: legacy(text) });
        }
        await assert.rejects(run(["add", "fe80::1%eth0", "--reason", "x"]), {
            message:
                'Cannot use fe80::1%eth0: "fe80::1%eth0" has a zone ID ("%eth0"), which only means something on one host; write the address without it (fe80::1).',
        });
        await assert.rejects(run(["add", "::ffff:0:0/96", "--reason", "x"]), {
            message:
                "Cannot use ::ffff:0:0/96: ::ffff:0:0/96 (0.0.0.0/0 as IPv4) is broader than /8; block narrower ranges (this guard keeps one typo from blocking a continent).",
        });
        await assert.rejects(run(["add", "::/80", "--reason", "x"]), {
            message:
                "Cannot use ::/80: ::/80 contains every IPv4-mapped address (::ffff:0:0/96), that is all of IPv4 in another form; write IPv4 ranges as IPv4, and IPv6 ranges outside ::ffff:0:0/96.",
        });
        // The allowlist protects a range however it is written.
        for (const text of ["::ffff:192.0.2.10", "::FFFF:c000:20a", "::ffff:192.0.2.0/120"]) {
            await assert.rejects(run(["add", text, "--reason", "x"]), {
                message: new RegExp(
                    `^Refused: 192\\.0\\.2\\.${text.endsWith("/120") ? "0/24" : "10/32"} overlaps the allowlisted range 192\\.0\\.2\\.0/24 `,
                ),
            });
        }
        assert.deepStrictEqual(await run(["add", "::ffff:203.0.113.77", "--reason", "x", "--minutes", "5"]), [
            "Blocked 203.0.113.77/32 until 2026-11-27T12:05:00Z (offense 1). The publisher writes it to every IP set within minutes.",
        ]);
    });

    it("refuses every range that is not globally reachable, audits the refusal, and writes nothing", async () => {
        for (const [block] of NOT_GLOBALLY_REACHABLE) {
            const cidr = block.endsWith("/128") || block.endsWith("/32") ? block : block;
            const range = parseRange(cidr);
            // Blocks broader than the /8 guard are refused by it first; a narrow range inside stands in.
            const asked = "problem" in range ? cidr.replace(/\/\d+$/, block.includes(":") ? "/64" : "/24") : cidr;
            await assert.rejects(run(["add", asked, "--reason", "x", "--minutes", "5"]), (err: Error) => {
                assert.match(
                    err.message,
                    new RegExp(
                        `^Refused: \\S+ overlaps ${block.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} .*, which is not globally reachable \\(IANA special-purpose address registry\\): no client on the internet has such an address, so blocking it could only cut off your own networks\\. Fix: block the public address the client really has\\.$`,
                    ),
                    asked,
                );
                return true;
            });
        }
        assert.deepStrictEqual(
            await Promise.all(
                ["10.0.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1", "::", "::ffff:10.0.0.1"].map(
                    (ip) =>
                        run(["add", ip, "--reason", "x", "--minutes", "5"]).then(
                            () => "blocked",
                            (err: Error) => err.message.split(",")[0],
                        ),
                ),
            ),
            [
                "Refused: 10.0.0.1/32 overlaps 10.0.0.0/8 Private-Use (RFC 1918)",
                "Refused: 192.168.1.1/32 overlaps 192.168.0.0/16 Private-Use (RFC 1918)",
                "Refused: 127.0.0.1/32 overlaps 127.0.0.0/8 Loopback (RFC 1122)",
                "Refused: 169.254.169.254/32 overlaps 169.254.0.0/16 Link Local (RFC 3927)",
                "Refused: 100.64.0.1/32 overlaps 100.64.0.0/10 Shared Address Space (RFC 6598)",
                "Refused: ::/128 overlaps ::/128 Unspecified Address (RFC 4291)",
                "Refused: 10.0.0.1/32 overlaps 10.0.0.0/8 Private-Use (RFC 1918)",
            ],
        );
        assert.deepStrictEqual(
            (await run(["list", "--all"])).filter((l) => /^(10|192\.168|127|169\.254|100\.64)\.|^::/.test(l)),
            [],
        );
        assert.deepStrictEqual(await run(["history", "169.254.169.254"]), [
            '2026-11-27T12:00:00Z  refuse  by arn:aws:sts::111111111111:assumed-role/security-admin/alice: "x"',
        ]);
    });

    it("never shortens an active block with add, and starts a released range over at offense 1", async () => {
        const at = (minutes: number) => NOW + minutes * 60_000;
        assert.deepStrictEqual(await run(["add", "198.51.100.50", "--reason", "scanner", "--minutes", "600"]), [
            "Blocked 198.51.100.50/32 until 2026-11-27T22:00:00Z (offense 1). The publisher writes it to every IP set within minutes.",
        ]);
        assert.deepStrictEqual(
            await run(["add", "198.51.100.50", "--reason", "still a scanner", "--minutes", "90"], at(1)),
            [
                "Blocked 198.51.100.50/32 until 2026-11-27T22:00:00Z (offense 1): it was already blocked until then, later than the 90 minutes asked for, and add never shortens a block (to shorten it, remove it, then add it again). The publisher writes it to every IP set within minutes.",
            ],
        );
        await run(["remove", "198.51.100.50", "--reason", "a partner after all", "--minutes", "1"], at(2));
        // Blocked again within the repeat window: a first offense, for the asked 60 minutes.
        assert.deepStrictEqual(
            await run(["add", "198.51.100.50", "--reason", "scanner again", "--minutes", "60"], at(10)),
            [
                "Blocked 198.51.100.50/32 until 2026-11-27T13:10:00Z (offense 1). The publisher writes it to every IP set within minutes.",
            ],
        );
    });

    it("promotes an active local entry to global, audited with the operator's reason, and only such an entry", async () => {
        const local: BlockEntry = {
            cidr: "198.51.100.90/32",
            family: "ipv4",
            blockedUntil: NOW + 3_600_000,
            offenses: 1,
            reason: "1500 requests in 5 minutes (threshold 1000)",
            source: "detector",
            peakRequests: 1500,
            seenIn: ["222222222222/us-east-1", "333333333333/eu-west-1"],
            scope: "local",
            evidenceAccounts: ["222222222222"],
            locations: ["222222222222/us-east-1"],
            firstSeen: NOW,
            lastSeen: NOW,
            updatedBy: "detector",
            updatedAt: NOW,
            version: 1,
            ttl: 0,
        };
        await store.write(local, auditOf("add", local, "detector", NOW, local));
        assert.deepStrictEqual(await run(["list"]).then((l) => l.filter((x) => x.startsWith("198.51.100.90/32"))), [
            '198.51.100.90/32  blocked until 2026-11-27T13:00:00Z  local to 222222222222/us-east-1, detector, offense 1, seen in 222222222222/us-east-1 333333333333/eu-west-1  "1500 requests in 5 minutes (threshold 1000)"  (detector, 2026-11-27T12:00:00Z)',
        ]);
        assert.deepStrictEqual(
            await run(["promote", "198.51.100.90", "--reason", "seen across the org, ticket SEC-7"]),
            [
                "Promoted 198.51.100.90/32: blocked in every account and Region until 2026-11-27T13:00:00Z (it was local to 222222222222/us-east-1). The publisher writes it to every IP set within minutes.",
            ],
        );
        const promoted = (await store.get("198.51.100.90/32"))!;
        assert.deepStrictEqual(
            [promoted.scope, promoted.locations, promoted.reason, promoted.version, promoted.updatedBy],
            ["global", ["222222222222/us-east-1"], "1500 requests in 5 minutes (threshold 1000)", 2, OPERATOR],
        );
        // Both records carry the same clock time here; their order within one millisecond is not defined.
        assert.ok(
            (await run(["history", "198.51.100.90"])).includes(
                `2026-11-27T12:00:00Z  promote  by ${OPERATOR}: "seen across the org, ticket SEC-7"`,
            ),
        );
        await assert.rejects(run(["promote", "198.51.100.90", "--reason", "again"]), {
            message: "198.51.100.90/32 is already blocked in every account and Region; nothing to promote.",
        });
        await assert.rejects(run(["promote", "198.51.100.91", "--reason", "x"]), {
            message: "198.51.100.91/32 is not blocked; nothing to promote (list shows the active entries).",
        });
        assert.throws(() => parseBlocklistArgs(["promote", "198.51.100.90"]), {
            message: 'promote needs --reason "<why>": the audit trail keeps it.',
        });
    });

    it("prints text stored by other writers with control characters escaped", async () => {
        const stored: BlockEntry = {
            cidr: "198.51.100.60/32",
            family: "ipv4",
            blockedUntil: NOW + 3_600_000,
            offenses: 1,
            reason: "x\u001b[2J\n2026  remove  by alice",
            source: "operator",
            seenIn: [],
            firstSeen: NOW,
            lastSeen: NOW,
            updatedBy: "hand\u0007",
            updatedAt: NOW,
            version: 1,
            ttl: 0,
        };
        await store.write(stored, auditOf("add", stored, "hand", NOW, stored));
        const listed = (await run(["list"])).find((l) => l.startsWith("198.51.100.60/32"));
        assert.strictEqual(
            listed,
            '198.51.100.60/32  blocked until 2026-11-27T13:00:00Z  global, operator, offense 1  "x\\u{1b}[2J\\u{a}2026  remove  by alice"  (hand\\u{7}, 2026-11-27T12:00:00Z)',
        );
    });

    it("answers an unknown --stack, a bad --endpoint and an unreachable DynamoDB with one line and no stack trace", async () => {
        assert.deepStrictEqual(await cli("list", "--stack", "nope"), [
            1,
            `--stack nope: there is no Pulumi.nope.yaml in ${PROJECT_ROOT}. Fix: give the logging stack's name (stacks here: logging, resource-ap-southeast-2, resource-eu-west-1, resource-global, resource-us-east-1).`,
        ]);
        assert.deepStrictEqual(await cli("list", "--endpoint", "notaurl"), [
            1,
            '--endpoint takes the URL of a local sandbox (npm run sandbox prints it), such as http://127.0.0.1:8000, got "notaurl".\nRun `npm run blocklist -- --help` for every option.',
        ]);
        // A loopback port nothing listens on: take one, then close it.
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as net.AddressInfo).port;
        await new Promise((resolve) => server.close(resolve));
        await withoutAws({ AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" }, async () => {
            assert.deepStrictEqual(await cli("list", "--endpoint", `http://127.0.0.1:${port}`), [
                1,
                `Cannot reach DynamoDB at http://127.0.0.1:${port} (ECONNREFUSED). Fix: start the sandbox (npm run sandbox) and use the endpoint it prints, or leave out --endpoint to use the table in AWS.`,
            ]);
        });
    });

    it("needs no AWS credentials for a local DynamoDB, and says how to sign in when AWS has none", async () => {
        // No credentials anywhere, and no instance metadata to ask: nothing leaves this machine.
        await withoutAws({}, async () => {
            const [code, out] = await cli("list", "--endpoint", dynamo.endpoint);
            assert.strictEqual(code, 0, String(out));
            const [noCode, noOut] = await cli("list", "--region", "us-east-1");
            assert.strictEqual(noCode, 1);
            assert.match(
                String(noOut),
                /^No AWS credentials found \(.+\)\. Fix: sign in to the logging account \(e\.g\. aws sso login, or set AWS_PROFILE\), or pass --endpoint for a local sandbox\.$/,
            );
        });
    });

    it("says when a range that is not blocked itself is inside an active broader entry (red team)", async () => {
        await run(["add", "198.51.100.0/24", "--reason", "a botnet's /24"]);
        await assert.rejects(run(["remove", "198.51.100.77", "--reason", "our partner"]), {
            message:
                "198.51.100.77/32 is not blocked; nothing to remove (list shows the active entries). But it is inside the active entry 198.51.100.0/24, which still blocks it: remove or promote that range instead, or add the address to central-waf-logs:response.allowlist to spare it within the range.",
        });
        await run(["remove", "198.51.100.0/24", "--reason", "cleanup"]);
    });

    it("runs as a command: help, one-line user errors without a stack, and a real change through --endpoint", async () => {
        // The sandbox's world: DynamoDB, and Lambda running the deployed operator function behind
        // its URL with IAM as planned, one endpoint for both; the CLI signs as an operator.
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blocklist-cli-"));
        const local = await startLocalResponse(await committedRuns(), dataDir);
        const router = await startServiceRouter({ dynamodb: local.dynamo.endpoint, lambda: local.lambda.url });
        try {
            const endpoint = router.url;
            const tsNode = ["-r", REGISTER];
            const env = {
                ...process.env,
                AWS_ACCESS_KEY_ID: local.operator.accessKeyId,
                AWS_SECRET_ACCESS_KEY: local.operator.secretAccessKey,
                NODE_NO_WARNINGS: "1",
            };
            // Asynchronously: the local DynamoDB answers from this very process.
            const cli = (...argv: string[]) =>
                new Promise<{ code: number; out: string }>((resolve) => {
                    execFile(
                        process.execPath,
                        [...tsNode, path.join(PROJECT_ROOT, "tools/cli/blocklist.ts"), ...argv],
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
                endpoint,
            );
            assert.strictEqual(added.code, 0, added.out);
            assert.match(added.out, /^Blocked 198\.51\.100\.77\/32 until .* \(offense 1\)/m);
            const listed = await cli("list", "--endpoint", endpoint);
            assert.match(
                listed.out,
                /^198\.51\.100\.77\/32 {2}blocked until .* global, operator, offense 1 {2}"seen in the forensics report" {2}\(arn:aws:sts::111111111111:assumed-role\/security-admin\/local,/m,
            );
            const refused = await cli("add", "10.1.2.3", "--reason", "x", "--endpoint", endpoint);
            assert.match(refused.out, /^Refused: 10\.1\.2\.3\/32 overlaps 10\.0\.0\.0\/8 /);
            const missing = await cli("list", "--endpoint", endpoint, "--table", "nope");
            assert.deepStrictEqual(
                [missing.code, missing.out.trim()],
                [
                    1,
                    `Table nope was not found in us-east-1 at ${endpoint}: deploy the logging stack with response.mode count or block, or pass --region/--table.`,
                ],
            );
        } finally {
            await router.close();
            await local.close();
            fs.rmSync(dataDir, { recursive: true, force: true });
        }
    });
});
