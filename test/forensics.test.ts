import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { namedQuery } from "../analytics/sql";
import { LocalWarehouse, hoursPresent } from "../analytics/warehouse";
import { firehoseStreamName } from "../names";
import { describeError } from "../tools/cli/shell";
import { isUserError } from "../tools/cli/shell";
import {
    DEFAULT_LIMIT,
    Options,
    formatRows,
    formatTable,
    main,
    noRows,
    parseArgs,
    resolveHours,
    writeReport,
} from "../tools/cli/forensics";
import { DeliveredObject, Flow, deliveredObjects } from "../tools/traffic/traffic";
import {
    ATTACKER_CROSS_ACCOUNT,
    ATTACKER_SINGLE_REGION,
    L1,
    SAMPLES_HOUR,
    SLOW_SCANNER,
    flowRecords,
    writeObject,
    writeScenario,
} from "./support/scenario";
import { REGISTER } from "./support/register";

const TOOL = path.join(__dirname, "..", "tools", "cli", "forensics.ts");

/** Runs the CLI as `npm run forensics` does, in its own process. */
function forensics(...args: string[]) {
    const run = spawnSync(process.execPath, ["-r", REGISTER, TOOL, ...args], {
        encoding: "utf8",
        env: { ...process.env, NODE_NO_WARNINGS: "1" },
    });
    return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

/** The message a CLI user would see for what `run` throws. */
function userMessage(run: () => unknown): string {
    try {
        run();
    } catch (err) {
        return describeError(err, "npm run forensics -- --help");
    }
    return assert.fail("no error");
}

const HELP = "\nRun `npm run forensics -- --help` for every option.";

describe("forensics CLI and report", () => {
    let root: string;
    let objects: DeliveredObject[];
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "forensics-"));
        objects = writeScenario(root);
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("takes options as --option value and --option=value", () => {
        const expected: Options = {
            data: root,
            query: "burst-detection",
            params: { threshold: "100" },
            format: "table",
            limit: DEFAULT_LIMIT,
        };
        assert.deepStrictEqual(
            parseArgs(["--data", root, "--query", "burst-detection", "--param", "threshold=100"]),
            expected,
        );
        assert.deepStrictEqual(
            parseArgs([`--data=${root}`, "--query=burst-detection", "--param=threshold=100"]),
            expected,
        );
    });

    it("refuses a bad command line with one message that says the fix, and where the usage is", () => {
        const cases: [string[], string][] = [
            [["--query", "burst-detection"], "--data is required: the root of a local copy of the central bucket."],
            [
                ["--data", root, "--query", "nope"],
                `No named query "nope"; choose one of blocked-by-rule, blocklist-candidates, burst-detection`,
            ],
            [["--data", root], "Give --query, --html, or both."],
            [["--data", root, "--query"], "--query needs a value."],
            [["--data", root, "--qeury", "top-client-ips"], "Unknown option --qeury."],
            [["--data", root, "--query", "top-client-ips", "--bogus"], "Unknown option --bogus."],
            [["--data", root, "--bogus=1"], "Unknown option --bogus."],
            [["--data", root, "top-client-ips"], 'Unexpected argument "top-client-ips".'],
            [
                ["--data", root, "--query", "burst-detection", "--param", "threshold"],
                '--param takes name=value, got "threshold".',
            ],
            [["--data", root, "--query", "burst-detection", "--param", "=5"], '--param takes name=value, got "=5".'],
            [
                ["--data", root, "--query", "burst-detection", "--param", "threshold=5", "--param", "threshold=6"],
                "--param threshold is given twice (5 and 6); give it once.",
            ],
        ];
        for (const [argv, message] of cases) {
            const shown = userMessage(() => parseArgs(argv));
            assert.ok(shown.startsWith(message) && shown.endsWith(HELP), shown);
        }
    });

    it("refuses a parameter the query does not take, listing the ones it does", () => {
        assert.strictEqual(
            userMessage(() => parseArgs(["--data", root, "--query", "burst-detection", "--param", "thresold=5"])),
            `Unknown parameter thresold: query burst-detection takes from_hour, to_hour, threshold.${HELP}`,
        );
        assert.strictEqual(
            userMessage(() =>
                parseArgs(["--data", root, "--query", "top-client-ips", "--html", "r.html", "--param", "limit=5"]),
            ),
            `Unknown parameter limit: query top-client-ips takes from_hour, to_hour; the report takes from_hour, to_hour, threshold, thresholds.${HELP}`,
        );
        // The report's own parameters are fine next to a query that does not take them.
        assert.deepStrictEqual(
            parseArgs(["--data", root, "--query", "top-client-ips", "--html", "r.html", "--param", "threshold=5"])
                .params,
            { threshold: "5" },
        );
    });

    it("refuses values that do not have the shape of the parameter's example", () => {
        const cases: [string, string][] = [
            [
                "from_hour=2026-11-27",
                "--param from_hour=2026-11-27 is not an hour as yyyy/MM/dd/HH; e.g. --param from_hour=2026/11/27/00.",
            ],
            [
                "from_hour=2026/13/40/99",
                "--param from_hour=2026/13/40/99 is not an hour as yyyy/MM/dd/HH; e.g. --param from_hour=2026/11/27/00.",
            ],
            [
                "to_hour=2026/11/31/00",
                "--param to_hour=2026/11/31/00 is not an hour as yyyy/MM/dd/HH; e.g. --param to_hour=2026/11/27/23.",
            ],
            ["threshold=1e3", "--param threshold=1e3 is not a whole number; e.g. --param threshold=500."],
            ["threshold=-5", "--param threshold=-5 is not a whole number; e.g. --param threshold=500."],
        ];
        for (const [param, message] of cases) {
            assert.strictEqual(
                userMessage(() => parseArgs(["--data", root, "--query", "burst-detection", "--param", param])),
                `${message}${HELP}`,
            );
        }
        assert.strictEqual(
            userMessage(() =>
                parseArgs(["--data", root, "--query", "threshold-tuning", "--param", "thresholds=100;500"]),
            ),
            `--param thresholds=100;500 is not whole numbers separated by commas; e.g. --param thresholds=100,500,1000,2000,5000,10000.${HELP}`,
        );
        assert.deepStrictEqual(
            parseArgs(["--data", root, "--query", "threshold-tuning", "--param", "thresholds= 100, 500 "]).params,
            { thresholds: " 100, 500 " },
        );
    });

    it("refuses a --data or --compacted that is not a directory, without pointing at the usage", () => {
        const missing = path.join(root, "nowhere");
        assert.strictEqual(
            userMessage(() => parseArgs(["--data", missing, "--query", "top-client-ips"])),
            `--data ${missing} is not a directory; give the root of a local copy of the central bucket.`,
        );
        const file = path.join(root, "file.txt");
        fs.writeFileSync(file, "x");
        assert.strictEqual(
            userMessage(() => parseArgs(["--data", root, "--compacted", file, "--query", "top-client-ips"])),
            `--compacted ${file} is not a directory; give the root of a local copy of the central bucket.`,
        );
    });

    it("lists the hours present in a central layout and in compacted Parquet, from directory names", () => {
        assert.deepStrictEqual(hoursPresent(root), [SAMPLES_HOUR, "2026/11/26/23", "2026/11/27/10", "2026/11/27/11"]);
        const parquet = fs.mkdtempSync(path.join(os.tmpdir(), "hours-parquet-"));
        try {
            const partition = path.join(parquet, "account_id=1", "region=r", "stream_name=s", "hour_key=2026-12-01-05");
            fs.mkdirSync(partition, { recursive: true });
            fs.writeFileSync(path.join(partition, "part-0.parquet"), "");
            fs.mkdirSync(path.join(parquet, "hour_key=2026-12-01-06"));
            assert.deepStrictEqual(hoursPresent(path.join(root, "nowhere"), parquet), ["2026/12/01/05"]);
        } finally {
            fs.rmSync(parquet, { recursive: true, force: true });
        }
    });

    it("searches the hours given, or the hours present in the data for any not given, and says which", () => {
        const present = ["2026/11/25/00", "2026/11/27/10", "2026/11/27/11"];
        const options = (params: Record<string, string>): Options => ({
            data: "central",
            params,
            format: "table",
            limit: DEFAULT_LIMIT,
        });
        assert.deepStrictEqual(
            resolveHours(options({ from_hour: "2026/11/27/00", to_hour: "2026/11/27/23" }), present),
            { from_hour: "2026/11/27/00", to_hour: "2026/11/27/23" },
        );
        const narrow = "Narrow with --param from_hour=yyyy/MM/dd/HH --param to_hour=yyyy/MM/dd/HH.";
        assert.deepStrictEqual(resolveHours(options({}), present), {
            from_hour: "2026/11/25/00",
            to_hour: "2026/11/27/11",
            note: `Searching hours 2026/11/25/00 to 2026/11/27/11: every hour present in --data (3 hours with data). ${narrow}`,
        });
        assert.deepStrictEqual(resolveHours(options({ from_hour: "2026/11/27/00" }), present), {
            from_hour: "2026/11/27/00",
            to_hour: "2026/11/27/11",
            note: `Searching hours 2026/11/27/00 to 2026/11/27/11: to_hour is the last hour present in --data. ${narrow}`,
        });
        assert.deepStrictEqual(resolveHours({ ...options({ to_hour: "2026/11/26/00" }), compacted: "p" }, present), {
            from_hour: "2026/11/25/00",
            to_hour: "2026/11/26/00",
            note: `Searching hours 2026/11/25/00 to 2026/11/26/00: from_hour is the first hour present in --data and --compacted. ${narrow}`,
        });
        assert.strictEqual(
            userMessage(() => resolveHours(options({ from_hour: "2026/11/27/11", to_hour: "2026/11/27/10" }), present)),
            "--param from_hour=2026/11/27/11 is after to_hour=2026/11/27/10; swap them.",
        );
        assert.strictEqual(
            userMessage(() => resolveHours(options({}), [])),
            "--data central holds no WAF log objects in the central layout (<account_id>/<region>/<firehose_name>/<yyyy>/<MM>/<dd>/<HH>/<file>); " +
                "give the root of a local copy of the central bucket, or give --param from_hour=yyyy/MM/dd/HH and --param to_hour=yyyy/MM/dd/HH.",
        );
    });

    it("says which hours and parameters were searched when there are no rows", () => {
        assert.strictEqual(
            noRows(namedQuery("burst-detection"), {
                from_hour: "2026/11/28/00",
                to_hour: "2026/11/28/23",
                threshold: 500,
            }),
            "(no rows for hours 2026/11/28/00 to 2026/11/28/23, threshold 500)",
        );
        assert.strictEqual(
            noRows(namedQuery("cross-account-attackers"), { from_hour: "a", to_hour: "b", min_requests: 5 }),
            "(no rows for hours a to b, min_locations 2, min_requests 5)",
        );
        assert.strictEqual(
            noRows(namedQuery("top-client-ips"), { from_hour: "a", to_hour: "b" }),
            "(no rows for hours a to b)",
        );
    });

    it("runs a query over every hour present when none is given, saying so apart from the rows", async () => {
        const printed: string[] = [];
        const notes: string[] = [];
        await main(
            ["--data", root, "--query", "burst-detection"],
            (t) => printed.push(t),
            (t) => notes.push(t),
        );
        assert.deepStrictEqual(notes, [
            `Searching hours ${SAMPLES_HOUR} to 2026/11/27/11: every hour present in --data (4 hours with data). Narrow with --param from_hour=yyyy/MM/dd/HH --param to_hour=yyyy/MM/dd/HH.`,
        ]);
        assert.deepStrictEqual(printed, [
            [
                "client_ip     requests_in_5_minutes  window_start",
                "------------  ---------------------  ----------------",
                "203.0.113.10  1600                   2026-11-27 10:30",
                "203.0.113.20  600                    2026-11-27 10:45",
                "(2 rows)",
            ].join("\n"),
        ]);
        printed.length = 0;
        await main(
            ["--data", root, "--query", "burst-detection", "--param", "threshold=1600"],
            (t) => printed.push(t),
            () => undefined,
        );
        assert.deepStrictEqual(printed, [`(no rows for hours ${SAMPLES_HOUR} to 2026/11/27/11, threshold 1600)`]);
    });

    it("resolves paths from the directory the command was run in (INIT_CWD), not the package root", () => {
        const env = { INIT_CWD: path.dirname(root) };
        const options = parseArgs(
            ["--data", path.basename(root), "--query", "top-client-ips", "--html", "r.html"],
            env,
        );
        assert.deepStrictEqual([options.data, options.html], [root, path.join(path.dirname(root), "r.html")]);
    });

    it("refuses an --html path whose directory does not exist, instead of creating it", () => {
        const missing = path.join(root, "no", "such");
        assert.throws(
            () => parseArgs(["--data", root, "--html", path.join(missing, "r.html")]),
            (err: Error) =>
                isUserError(err) &&
                err.message ===
                    `--html ${path.join(missing, "r.html")}: the directory ${missing} does not exist. Fix: create it (mkdir -p ${missing}) or write the report elsewhere.`,
        );
        assert.strictEqual(fs.existsSync(path.join(root, "no")), false);
    });

    it("prints at most --limit rows in a table (default 20) and says how many were left out; CSV and JSON print all", () => {
        const rows = Array.from({ length: 25 }, (_, i) => ({
            client_ip: `192.0.2.${i}`,
            note: i === 0 ? 'a,"b"' : "x",
        }));
        const table = formatRows(rows, "table").split("\n");
        assert.strictEqual(table.length, 2 + DEFAULT_LIMIT + 1);
        assert.strictEqual(
            table[table.length - 1],
            "(25 rows; the first 20 shown: --limit N for more, --format csv or json for all)",
        );
        assert.strictEqual(formatRows(rows, "table", 30).split("\n").pop(), "(25 rows)");
        const csv = formatRows(rows, "csv").split("\n");
        assert.deepStrictEqual([csv.length, csv[0], csv[1]], [26, "client_ip,note", '192.0.2.0,"a,""b"""']);
        assert.deepStrictEqual(JSON.parse(formatRows(rows, "json")), rows);
        assert.deepStrictEqual(
            parseArgs(["--data", root, "--query", "top-client-ips", "--format=csv", "--limit", "5"]).format,
            "csv",
        );
        for (const [argv, message] of [
            [["--format", "xml"], '--format takes table, csv or json, got "xml".'],
            [["--limit", "0"], '--limit takes a whole number of rows, 1 or more, got "0".'],
        ] as const) {
            assert.throws(
                () => parseArgs(["--data", root, "--query", "top-client-ips", ...argv]),
                (err: Error) => err.message === message,
            );
        }
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

    it("charts the attackers' timeline in requests-per-client-ip, and no quiet IP", async () => {
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

    it("never breaks a tie at the cut of the busiest IPs: the whole tie is in or out", async () => {
        const chart = async (tied: number) => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ties-"));
            const flow = (clientIp: string, count: number): Flow => ({
                clientIp,
                country: "DE",
                location: L1,
                startMs: Date.UTC(2026, 10, 27, 10),
                spanMs: 600_000,
                count,
            });
            const flows = [
                flow("203.0.113.1", 100),
                ...Array.from({ length: tied }, (_, i) => flow(`198.51.100.${i + 1}`, 50)),
                flow("192.0.2.9", 9), // under a tenth of the busiest
            ];
            for (const o of deliveredObjects(flows, (l) => firehoseStreamName(l.region))) writeObject(dir, o);
            const warehouse = await LocalWarehouse.open({ dataDir: dir });
            try {
                const rows = await warehouse.run("requests-per-client-ip", {
                    from_hour: "2026/11/27/10",
                    to_hour: "2026/11/27/10",
                });
                return new Set(rows.map((r) => r.client_ip)).size;
            } finally {
                warehouse.close();
                fs.rmSync(dir, { recursive: true, force: true });
            }
        };
        assert.deepStrictEqual([await chart(9), await chart(10), await chart(3)], [10, 1, 4]);
    });

    it("writes a self-contained HTML report with the charts, the attackers and threshold tuning", async () => {
        const warehouse = await LocalWarehouse.open({ dataDir: root });
        fs.mkdirSync(path.join(root, "report"), { recursive: true });
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
            "Client IPs with more than 500 requests in some 5 minutes",
            "<td>2026-11-27 10:00</td><td>33</td><td>2,982</td><td>1</td><td>600</td><td>1,600</td><td>1,600</td><td>2 IPs / 2,000</td><td>2 IPs / 1,200</td><td>1 IP / 600</td><td>0 IPs / 0</td>",
        ]) {
            assert.ok(html.includes(text), `report lacks ${text}`);
        }
        const charted = [...html.matchAll(/<polyline class="series" data-ip="([^"]+)"/g)].map((m) => m[1]);
        assert.deepStrictEqual(charted, [ATTACKER_CROSS_ACCOUNT, SLOW_SCANNER, ATTACKER_SINGLE_REGION]);
        assert.ok(!/<script|https?:\/\//.test(html), "the report loads nothing and runs nothing");
    });

    it("reports requests per account/Region and the flagged addresses' top URIs and user agents, counted exactly", async () => {
        const warehouse = await LocalWarehouse.open({ dataDir: root });
        const file = path.join(root, "where.html");
        try {
            await writeReport(warehouse, file, { from_hour: "2026/11/27/00", to_hour: "2026/11/27/23" });
        } finally {
            warehouse.close();
        }
        const html = fs.readFileSync(file, "utf8");
        // Expected answers from the generated records, in plain JavaScript.
        const records = flowRecords(objects).filter((r) => r.hour.startsWith("2026/11/27/"));
        const tally = <T extends string>(keys: T[]) => {
            const counts = new Map<T, number>();
            for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
            return counts;
        };
        const perLocation = tally(records.map((r) => `${r.location.accountId}/${r.location.region}`));
        const blockedAt = tally(
            records.filter((r) => r.action === "BLOCK").map((r) => `${r.location.accountId}/${r.location.region}`),
        );
        assert.strictEqual(perLocation.size, 3);
        for (const [where, requests] of perLocation) {
            const [account, region] = where.split("/");
            const share = ((requests / records.length) * 100).toFixed(1);
            const row = `<tr><td>${account}</td><td>${region}</td><td class="n">${requests.toLocaleString("en-US")}</td><td class="n">${(blockedAt.get(where) ?? 0).toLocaleString("en-US")}</td><td class="n">0</td><td class="n">${share} %</td></tr>`;
            assert.ok(html.includes(row), `report lacks ${row}`);
        }
        // Flagged: both bursts, and the cross-account attacker; the slow scanner is cross-account
        // too, but in the committed allowlist (192.0.2.0/24), so left out.
        assert.ok(
            html.includes(
                `The 2 flagged addresses (over the burst threshold or seen across accounts; allowlisted ones left out): ${ATTACKER_CROSS_ACCOUNT}, ${ATTACKER_SINGLE_REGION}, hours`,
            ),
        );
        const flagged = records.filter((r) =>
            [ATTACKER_CROSS_ACCOUNT, ATTACKER_SINGLE_REGION].includes(r.httpRequest.clientIp),
        );
        const top = (values: string[]) =>
            [...tally(values)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
        // Each row's value (the whole one, from the title, when the cell shows it cut) and requests.
        const cells = (table: string) =>
            [
                ...table.matchAll(
                    /<tr><td class="text"><bdi(?: title="([^"]*)")?>([^<]*)<\/bdi>(?: <span class="cut">[^<]*<\/span>)?<\/td><td class="n">([\d,]+)<\/td>/g,
                ),
            ].map((m) => [m[1] ?? m[2], Number(m[3].replace(/,/g, ""))]);
        const [uris, agents] = html
            .slice(html.indexOf("<h3>Top URIs</h3>"))
            .split("<h3>Top user agents</h3>")
            .map((part) => part.slice(0, part.indexOf("</table>")));
        assert.deepStrictEqual(cells(uris), top(flagged.map((r) => r.httpRequest.uri)));
        const agent = (r: Record<string, any>) =>
            r.httpRequest.headers.find((h: { name: string }) => h.name.toLowerCase() === "user-agent").value;
        assert.deepStrictEqual(
            cells(agents).map(([ua, n]) => [String(ua).replace(/&#39;/g, "'"), n]),
            top(flagged.map(agent)),
        );
        assert.strictEqual(cells(agents).length, 4);
    });

    it("asks for no URIs or user agents when no address is flagged, and says so", async () => {
        const warehouse = await LocalWarehouse.open({ dataDir: root });
        const file = path.join(root, "none.html");
        try {
            // No burst over 100,000 requests; the cross-account IPs all allowlisted.
            await writeReport(
                warehouse,
                file,
                { from_hour: "2026/11/27/00", to_hour: "2026/11/27/23", threshold: 100_000 },
                { allowlist: ["203.0.113.0/24", "192.0.2.0/24"] },
            );
        } finally {
            warehouse.close();
        }
        const html = fs.readFileSync(file, "utf8");
        assert.ok(html.includes("<p>No flagged addresses, so no URIs or user agents to show.</p>"));
        assert.ok(!html.includes("<h3>Top URIs</h3>"));
    });

    it("carries hostile URIs and user agents from the logs into the report escaped and cut; counts what rules only counted", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-"));
        const script = '<script>alert("x")</script>';
        const long = `Mozilla/5.0 ${"B".repeat(4988)}`;
        try {
            const [object] = deliveredObjects(
                [
                    {
                        clientIp: "203.0.113.99",
                        country: "DE",
                        location: L1,
                        startMs: Date.UTC(2026, 10, 27, 10),
                        spanMs: 60_000,
                        count: 600,
                    },
                ],
                (l) => firehoseStreamName(l.region),
            );
            const lines = object.lines.map((line, i) => {
                const record = JSON.parse(line);
                const ua = i < 300 ? long : i < 500 ? "ботнет/1.0 日本" : script;
                record.httpRequest.headers = [
                    { name: "Host", value: "shop.example.com" },
                    { name: "User-Agent", value: ua },
                ];
                record.httpRequest.uri = i < 400 ? `/search/${script}` : "/ok";
                if (i < 150) record.nonTerminatingMatchingRules = [{ ruleId: "central-blocklist", action: "COUNT" }];
                return JSON.stringify(record);
            });
            writeObject(dir, { ...object, lines });
            const warehouse = await LocalWarehouse.open({ dataDir: dir });
            const file = path.join(dir, "report.html");
            try {
                await writeReport(
                    warehouse,
                    file,
                    { from_hour: "2026/11/27/10", to_hour: "2026/11/27/10" },
                    { allowlist: [] },
                );
            } finally {
                warehouse.close();
            }
            const html = fs.readFileSync(file, "utf8");
            assert.ok(!/<script/.test(html), "nothing unescaped");
            assert.ok(
                html.includes(
                    '<tr><td>222222222222</td><td>us-east-1</td><td class="n">600</td><td class="n">0</td><td class="n">150</td><td class="n">100.0 %</td></tr>',
                ),
            );
            assert.ok(
                html.includes(
                    '<tr><td class="text"><bdi>/search/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</bdi></td><td class="n">400</td>',
                ),
            );
            assert.ok(
                html.includes(
                    `<tr><td class="text"><bdi title="${long}">${long.slice(0, 119)}…</bdi> <span class="cut">(5,000 characters)</span></td><td class="n">300</td>`,
                ),
            );
            assert.ok(html.includes('<tr><td class="text"><bdi>ботнет/1.0 日本</bdi></td><td class="n">200</td>'));
            assert.ok(
                html.includes(
                    '<tr><td class="text"><bdi>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</bdi></td><td class="n">100</td>',
                ),
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("runs as npm run forensics does", () => {
        const run = forensics(
            "--data",
            root,
            "--query",
            "burst-detection",
            "--param",
            "from_hour=2026/11/27/00",
            "--param=to_hour=2026/11/27/23",
        );
        assert.deepStrictEqual(run, {
            status: 0,
            stdout: [
                "client_ip     requests_in_5_minutes  window_start",
                "------------  ---------------------  ----------------",
                "203.0.113.10  1600                   2026-11-27 10:30",
                "203.0.113.20  600                    2026-11-27 10:45",
                "(2 rows)",
            ].join("\n"),
            stderr: "",
        });
    });

    it("prints the usage for --help and exits 0; a misspelled parameter exits 1 with one message, no stack", () => {
        const help = forensics("--help");
        assert.strictEqual(help.status, 0);
        assert.ok(help.stdout.startsWith("usage: npm run forensics -- --data <dir> [--query <name>]"), help.stdout);
        for (const text of [
            "--compacted <dir>",
            "burst-detection: ",
            "    threshold: requests in 5 minutes",
            "threshold-tuning: ",
        ]) {
            assert.ok(help.stdout.includes(text), `usage lacks ${text}`);
        }
        assert.deepStrictEqual(forensics("--data", root, "--query", "burst-detection", "--param", "thresold=5"), {
            status: 1,
            stdout: "",
            stderr: `Unknown parameter thresold: query burst-detection takes from_hour, to_hour, threshold.${HELP}`,
        });
    });
});
