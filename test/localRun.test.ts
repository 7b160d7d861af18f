import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ATTACKERS, accountRecords, runLocalPipeline } from "../tools/localRun";
import { parseStartArgs } from "../tools/start";
import { committedRuns } from "./support/program";

describe("npm start: the whole platform on local stand-ins", () => {
    it("delivers every generated record to the central layout exactly once and finds every injected attacker", async () => {
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "local-run-"));
        const lines: string[] = [];
        try {
            const summary = await runLocalPipeline(await committedRuns(), {
                records: 2000,
                workDir,
                log: (l) => lines.push(l),
            });
            assert.deepStrictEqual(
                [summary.missing, summary.duplicated, summary.deliveryFailures, summary.recordsInCentral],
                [0, 0, [], summary.recordsGenerated],
            );
            assert.ok(summary.recordsGenerated >= 2000 + ATTACKERS.length * 2 * 600);
            assert.deepStrictEqual(summary.attackersFound, ATTACKERS);
            assert.deepStrictEqual(
                summary.crossAccount.map((r) => [r.client_ip, r.seen_in]),
                ATTACKERS.map((ip) => [ip, "222222222222/ap-southeast-2, 333333333333/eu-west-1"]),
            );
            assert.ok(summary.ok);
            assert.ok(fs.readFileSync(summary.reportPath, "utf8").includes(ATTACKERS[0]));
            assert.ok(lines.some((l) => l.includes("Indexing into OpenSearch skipped: OPENSEARCH_URL is not set")));
            assert.ok(
                lines.some((l) => /copier-us-east-1 \(deployed __index\.js\)/.test(l)),
                "the copier runs its deployed code",
            );
        } finally {
            fs.rmSync(workDir, { recursive: true, force: true });
        }
    });

    it("counts a missing record and a duplicated one", () => {
        assert.deepStrictEqual(accountRecords(["a", "b", "b"], new Map([["b", 1]])), { missing: 2, duplicated: 0 });
        assert.deepStrictEqual(
            accountRecords(
                ["a"],
                new Map([
                    ["a", 2],
                    ["x", 1],
                ]),
            ),
            { missing: 0, duplicated: 2 },
        );
    });

    it("takes --records and --keep, and refuses anything else", () => {
        assert.deepStrictEqual(parseStartArgs([]), { records: 20000, keep: false });
        assert.deepStrictEqual(parseStartArgs(["--records", "5000", "--keep"]), { records: 5000, keep: true });
        assert.throws(() => parseStartArgs(["--records", "ten"]), {
            message: '--records takes a whole number from 100 to 10000000, got "ten".',
        });
        assert.throws(() => parseStartArgs(["--fast"]), {
            message: "Unknown option --fast; use --records N and --keep.",
        });
    });
});
