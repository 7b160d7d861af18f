import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWarehouse } from "../analytics/warehouse";
import { formatTable, parseArgs, writeReport } from "../tools/forensics";
import { ATTACKER_CROSS_ACCOUNT, ATTACKER_SINGLE_REGION, SLOW_SCANNER, writeScenario } from "./support/scenario";

describe("forensics CLI and report", () => {
    let root: string;
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "forensics-"));
        writeScenario(root);
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("refuses bad arguments with the usage and the fix", () => {
        assert.throws(
            () => parseArgs(["--query", "burst-detection"]),
            /^Error: --data is required: the root of a local copy of the central bucket\./,
        );
        assert.throws(
            () => parseArgs(["--data", root, "--query", "nope"]),
            /No named query "nope"; choose one of blocked-by-rule, burst-detection/,
        );
        assert.throws(
            () => parseArgs(["--data", root, "--param", "threshold"]),
            /--param takes name=value, got "threshold"\./,
        );
        assert.deepStrictEqual(parseArgs(["--data", root, "--query", "burst-detection", "--param", "threshold=100"]), {
            data: root,
            query: "burst-detection",
            params: { threshold: "100" },
        });
    });

    it("prints a query's rows as an aligned table", () => {
        assert.strictEqual(
            formatTable([
                { client_ip: "203.0.113.10", requests: 1600 },
                { client_ip: "1.1.1.1", requests: 7 },
            ]),
            [
                "client_ip     requests",
                "------------  --------",
                "203.0.113.10  1600",
                "1.1.1.1       7",
                "(2 rows)",
            ].join("\n"),
        );
    });

    it("shows the attackers' timeline in requests-per-client-ip", async () => {
        const warehouse = await LocalWarehouse.open({ dataDir: root });
        try {
            const rows = await warehouse.run("requests-per-client-ip", {
                from_hour: "2026/11/27/00",
                to_hour: "2026/11/27/23",
            });
            const attacker = rows.filter((r) => r.client_ip === ATTACKER_CROSS_ACCOUNT);
            assert.deepStrictEqual(
                attacker.map((r) => [r.window_start, r.requests]),
                [["2026-11-27 10:30", 1600]],
            );
            // Only IPs with at least a tenth of the busiest IP's requests: not the 30 quiet ones.
            assert.deepStrictEqual([...new Set(rows.map((r) => r.client_ip))].sort(), [
                SLOW_SCANNER,
                ATTACKER_CROSS_ACCOUNT,
                ATTACKER_SINGLE_REGION,
            ]);
        } finally {
            warehouse.close();
        }
    });

    it("writes a self-contained HTML report with the charts and the attackers", async () => {
        const warehouse = await LocalWarehouse.open({ dataDir: root });
        const file = path.join(root, "report", "index.html");
        try {
            await writeReport(warehouse, file, { from_hour: "2026/11/27/00", to_hour: "2026/11/27/23" });
        } finally {
            warehouse.close();
        }
        const html = fs.readFileSync(file, "utf8");
        for (const text of [
            "Requests per client IP over time",
            "Top countries",
            "Burst windows",
            `${ATTACKER_CROSS_ACCOUNT} @ 2026-11-27 10:30`,
            `${ATTACKER_SINGLE_REGION} @ 2026-11-27 10:45`,
            "222222222222/us-east-1, 333333333333/eu-west-1",
        ]) {
            assert.ok(html.includes(text), `report lacks ${text}`);
        }
        assert.ok(!/<script|https?:\/\//.test(html), "the report loads nothing and runs nothing");
    });

    it("runs as npm run forensics does", () => {
        const out = execFileSync(
            process.execPath,
            [
                "-r",
                "ts-node/register/transpile-only",
                path.join(__dirname, "..", "tools", "forensics.ts"),
                "--data",
                root,
                "--query",
                "burst-detection",
                "--param",
                "from_hour=2026/11/27/00",
                "--param",
                "to_hour=2026/11/27/23",
            ],
            { encoding: "utf8", env: { ...process.env, NODE_NO_WARNINGS: "1" } },
        );
        assert.strictEqual(
            out.trim(),
            [
                "client_ip     requests_in_5_minutes  window_start",
                "------------  ---------------------  ----------------",
                "203.0.113.10  1600                   2026-11-27 10:30",
                "203.0.113.20  600                    2026-11-27 10:45",
                "(2 rows)",
            ].join("\n"),
        );
    });
});
