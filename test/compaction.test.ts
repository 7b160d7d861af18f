/**
 * First contact with Athena: the local Athena refuses what Athena refuses, the daily compaction
 * runs from a Lambda that is heard when Athena fails it, and failed queries of the project's
 * workgroups reach the alert topic.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from "@aws-sdk/client-athena";
import { LocalWarehouse } from "../analytics/warehouse";
import { ATHENA_FAILURE_MESSAGE } from "../components/alarmEvents";
import { checkedDay, compactionStatement, dayBefore, dayToCompact } from "../handlers/compaction";
import { ANALYTICS_COMPACTION_FUNCTION } from "../names";
import {
    AthenaServer,
    AthenaServerOptions,
    MAX_PARTITIONS_WRITTEN,
    SCAN_CUTOFF_EXCEEDED,
    TOO_MANY_PARTITIONS,
    startAthenaServer,
} from "../tools/local/aws/athenaServer";
import { LOOPBACK_CREDENTIALS, deployedHandler, lambdaContext } from "../tools/local/deployedCode";
import { ProgramRun } from "../tools/local/mockEngine";
import { committedRun, only, policyDocument } from "./support/program";

const REGION = "us-east-1";
const credentials = { accessKeyId: LOOPBACK_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: "loopback-secret" };

/** Starts `sql` on the stand-in and polls it to its final state. */
async function finalState(
    athena: AthenaServer,
    sql: string,
    parameters?: string[],
    workGroup = "central-waf-logs",
): Promise<{ state?: string; reason?: string; scanned?: number }> {
    const client = new AthenaClient({ region: REGION, credentials, endpoint: athena.url });
    try {
        const { QueryExecutionId } = await client.send(
            new StartQueryExecutionCommand({ QueryString: sql, ExecutionParameters: parameters, WorkGroup: workGroup }),
        );
        for (;;) {
            const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId }));
            const state = QueryExecution?.Status?.State;
            if (state !== "RUNNING") {
                return {
                    state,
                    reason: QueryExecution?.Status?.StateChangeReason,
                    scanned: QueryExecution?.Statistics?.DataScannedInBytes,
                };
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
        }
    } finally {
        client.destroy();
    }
}

async function withAthena<T>(options: AthenaServerOptions, use: (athena: AthenaServer) => Promise<T>): Promise<T> {
    const athena = await startAthenaServer(options);
    try {
        return await use(athena);
    } finally {
        await athena.close();
    }
}

/** One WAF record per hour of 2026/11/27 in each of `pairs` account/Region pairs, in the central layout. */
function writeDay(root: string, pairs: number): void {
    for (let p = 0; p < pairs; p++) {
        const account = String(222222222222 + p * 111111111111).slice(0, 12);
        const region = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1"][p % 5];
        for (let h = 0; h < 24; h++) {
            const hour = String(h).padStart(2, "0");
            const dir = path.join(root, account, region, `aws-waf-logs-central-${region}`, "2026", "11", "27", hour);
            fs.mkdirSync(dir, { recursive: true });
            const record = {
                timestamp: Date.UTC(2026, 10, 27, h, 5),
                action: "ALLOW",
                httpRequest: { clientIp: `198.51.100.${p + 1}`, requestId: `r-${p}-${h}`, country: "NL" },
            };
            fs.writeFileSync(path.join(dir, "part-0"), `${JSON.stringify(record)}\n`);
        }
    }
}

/** An executor as `npm start` wires it: DuckDB over the central layout, compacted table in memory. */
function warehouseExecutor(warehouse: LocalWarehouse): AthenaServerOptions["execute"] {
    return async (sql, parameters) => {
        const { rows, partitionsWritten } = await warehouse.execute(
            sql,
            parameters.map((p) => (/^'.*'$/s.test(p) ? p.slice(1, -1).replace(/''/g, "'") : Number(p))),
            MAX_PARTITIONS_WRITTEN,
        );
        return { rows, columns: rows.length ? Object.keys(rows[0]) : [], partitionsWritten };
    };
}

describe("Athena stand-in: refuses what Athena refuses", function () {
    this.timeout(120_000);

    // Athena User Guide, "Use parameterized queries": parameters only in WHERE; only SELECT, INSERT
    // INTO, CTAS and UNLOAD take them. The pre-fix burst-detection shape is refused.
    it("fails a query with a ? outside WHERE, and one that sends parameters to MERGE", async () => {
        await withAthena({ execute: async () => ({ rows: [], columns: [] }) }, async (athena) => {
            const burst =
                "WITH per_ip AS (SELECT httprequest.clientip AS client_ip, count(*) AS requests FROM waf_logs WHERE hour BETWEEN ? AND ? GROUP BY 1) " +
                "SELECT p.client_ip FROM per_ip p CROSS JOIN (SELECT CAST(? AS bigint) AS threshold) AS given WHERE p.requests > given.threshold";
            assert.deepStrictEqual(await finalState(athena, burst, ["'2026/11/27/00'", "'2026/11/27/23'", "500"]), {
                state: "FAILED",
                reason: "INVALID_PARAMETER_USAGE: line 1:190: a ? in the SELECT list; Athena takes execution parameters only in WHERE",
                scanned: 0,
            });
            const merge =
                "MERGE INTO t USING (SELECT a, hour FROM s WHERE hour BETWEEN ? AND ?) s ON t.a = s.a WHEN NOT MATCHED THEN INSERT (a) VALUES (s.a)";
            assert.deepStrictEqual(await finalState(athena, merge, ["'a'", "'b'"]), {
                state: "FAILED",
                reason: "INVALID_PARAMETER_USAGE: MERGE takes no execution parameters: Athena parameterizes only SELECT, INSERT INTO and CTAS",
                scanned: 0,
            });
        });
    });

    it("fails a query whose parameters do not match its ?s (Athena's message), or that calls a function Athena lacks", async () => {
        await withAthena({ execute: async () => ({ rows: [], columns: [] }) }, async (athena) => {
            assert.deepStrictEqual(await finalState(athena, "SELECT a FROM t WHERE b = ?"), {
                state: "FAILED",
                reason: "SYNTAX_ERROR: line 1:1: Incorrect number of parameters: expected 1 but found 0",
                scanned: 0,
            });
            // A quoted '?' is a string, not a parameter.
            assert.strictEqual((await finalState(athena, "SELECT a FROM t WHERE b = '?'", ["'x'"])).state, "FAILED");
            assert.deepStrictEqual(await finalState(athena, "SELECT strftime(ts, '%Y') AS y FROM t"), {
                state: "FAILED",
                reason: "FUNCTION_NOT_FOUND: function strftime is not in Athena engine 3's function list",
                scanned: 0,
            });
            assert.strictEqual((await finalState(athena, "SELECT a FROM t WHERE b = ?", ["'x'"])).state, "SUCCEEDED");
        });
    });

    // "Use CTAS and INSERT INTO to work around the 100 partition limit" (Athena User Guide).
    it("fails a write into more than 100 partitions with Athena's HIVE_TOO_MANY_OPEN_PARTITIONS", async () => {
        let partitions = 101;
        await withAthena(
            { execute: async () => ({ rows: [], columns: [], partitionsWritten: partitions }) },
            async (athena) => {
                const insert = "INSERT INTO t SELECT a FROM s";
                assert.deepStrictEqual(await finalState(athena, insert), {
                    state: "FAILED",
                    reason: TOO_MANY_PARTITIONS,
                    scanned: 0,
                });
                partitions = 100;
                assert.strictEqual((await finalState(athena, insert)).state, "SUCCEEDED");
            },
        );
    });

    it("counts the partitions a compaction writes on DuckDB: by hour a day of 5 account/Region pairs is 120, by day 1", async () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "compaction-partitions-"));
        try {
            writeDay(root, 5);
            const merge = compactionStatement(
                (await import("../analytics/sql")).compactionTemplate(),
                dayBefore("2026-11-28T01:30:00Z")!,
            );
            // The table as it was: identity partitions on account, Region, stream and hour.
            const byHour = await LocalWarehouse.open({
                dataDir: root,
                compactedPartitionFields: ["account_id", "region", "stream_name", "hour"],
            });
            try {
                await withAthena({ execute: warehouseExecutor(byHour) }, async (athena) => {
                    assert.deepStrictEqual(await finalState(athena, merge, undefined, "central-waf-logs-compaction"), {
                        state: "FAILED",
                        reason: TOO_MANY_PARTITIONS,
                        scanned: 0,
                    });
                });
                // As on Athena, a failed query commits nothing.
                assert.deepStrictEqual(await byHour.query("SELECT count(*) AS n FROM waf_logs_compacted"), [{ n: 0 }]);
            } finally {
                byHour.close();
            }
            // The table as create_compacted_table.sql makes it: truncate(10, hour), one partition a day.
            const byDay = await LocalWarehouse.open({ dataDir: root });
            try {
                assert.deepStrictEqual(await byDay.compactDay("2026-11-28T01:30:00Z"), {
                    rows: [],
                    partitionsWritten: 1,
                });
                assert.deepStrictEqual(await byDay.compactDay("2026-11-28T01:30:00Z"), {
                    rows: [],
                    partitionsWritten: 0,
                });
                assert.deepStrictEqual(await byDay.query("SELECT count(*) AS n FROM waf_logs_compacted"), [{ n: 120 }]);
            } finally {
                byDay.close();
            }
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    // "Set up workgroup data usage controls limits": a query past the per-query limit is cancelled.
    it("cancels a query that scans more than its workgroup's BytesScannedCutoffPerQuery", async () => {
        let scanned = 1_001;
        await withAthena(
            {
                scanCutoffs: { small: 1_000 },
                execute: async () => ({ rows: [{ n: 1 }], columns: ["n"], scannedBytes: scanned }),
            },
            async (athena) => {
                assert.deepStrictEqual(await finalState(athena, "SELECT 1 AS n", undefined, "small"), {
                    state: "CANCELLED",
                    reason: SCAN_CUTOFF_EXCEEDED,
                    scanned: 1_000,
                });
                assert.strictEqual((await finalState(athena, "SELECT 1 AS n", undefined, "other")).state, "SUCCEEDED");
                scanned = 1_000;
                assert.strictEqual((await finalState(athena, "SELECT 1 AS n", undefined, "small")).state, "SUCCEEDED");
            },
        );
    });
});

describe("compaction: the day it compacts", () => {
    it("takes the UTC day before the schedule's time, or a day given by an operator; refuses anything else", () => {
        assert.strictEqual(dayToCompact({ scheduledTime: "2026-03-01T01:30:00Z" }), "2026/02/28");
        assert.strictEqual(dayToCompact({ scheduledTime: "2026-01-01T00:00:00.000Z" }), "2025/12/31");
        assert.strictEqual(dayToCompact({ day: "2024/02/29" }), "2024/02/29");
        const refused = (event: unknown) =>
            `Configuration: Compaction needs {"scheduledTime": "<ISO 8601 UTC time>"} (it compacts the day before) or {"day": "yyyy/MM/dd"}; got ${JSON.stringify(event)}.`;
        for (const event of [
            {},
            { day: "2026/02/30" },
            { day: "2026/11/27' OR 1=1 --" },
            { day: "2026-11-27" },
            { scheduledTime: "2026-11-27T01:30:00+02:00" },
            { scheduledTime: "<aws.scheduler.scheduled-time>" },
            { scheduledTime: "2026-02-30T01:30:00Z" },
            { day: "2026/11/27", scheduledTime: "2026-11-28T01:30:00Z" },
            "2026/11/27",
            null,
        ]) {
            assert.throws(() => dayToCompact(event), { message: refused(event) }, JSON.stringify(event));
        }
    });

    it("writes only a checked day into the MERGE", () => {
        assert.strictEqual(
            compactionStatement("a '{{day}}/00' b '{{day}}/23'", "2026/11/27"),
            "a '2026/11/27/00' b '2026/11/27/23'",
        );
        assert.throws(() => compactionStatement("'{{day}}'", "2026/11/27' OR '1'='1"), {
            message: `Cannot compact "2026/11/27' OR '1'='1": not a day as yyyy/MM/dd.`,
        });
        assert.throws(() => compactionStatement("no day", "2026/11/27"), {
            message: "The compaction template has no {{day}}.",
        });
        assert.deepStrictEqual(["2026/13/01", "2026/00/10", "2026/1/01", "2026/04/31"].map(checkedDay), [
            undefined,
            undefined,
            undefined,
            undefined,
        ]);
    });
});

describe("compaction Lambda, as deployed, against the Athena stand-in", function () {
    this.timeout(180_000);
    let run: ProgramRun;
    let root: string;
    before(async () => {
        run = await committedRun("logging");
        root = fs.mkdtempSync(path.join(os.tmpdir(), "compaction-deployed-"));
        writeDay(root, 5);
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    const handlerOn = (athena: AthenaServer) =>
        deployedHandler(run, ANALYTICS_COMPACTION_FUNCTION, {
            AWS_REGION: REGION,
            AWS_ENDPOINT_URL_ATHENA: athena.url,
        });

    it("compacts the day before the scheduled time in the compaction workgroup, waiting for SUCCEEDED", async () => {
        const warehouse = await LocalWarehouse.open({ dataDir: root });
        try {
            await withAthena({ execute: warehouseExecutor(warehouse) }, async (athena) => {
                const handler = await handlerOn(athena);
                const summary = await handler({ scheduledTime: "2026-11-28T01:30:00Z" });
                assert.deepStrictEqual(summary, { day: "2026/11/27", queryExecutionId: "q-1", scannedBytes: 0 });
                assert.deepStrictEqual(
                    athena.started.map((q) => [q.workGroup, q.database, q.executionParameters]),
                    [["central-waf-logs-compaction", "central_waf_logs", undefined]],
                );
                assert.match(athena.started[0].sql, /WHERE hour BETWEEN '2026\/11\/27\/00' AND '2026\/11\/27\/23'/);
                assert.deepStrictEqual(await warehouse.query("SELECT count(*) AS n FROM waf_logs_compacted"), [
                    { n: 120 },
                ]);
            });
        } finally {
            warehouse.close();
        }
    });

    it("fails when Athena reports FAILED, so Lambda retries and then parks the event (alarmed)", async () => {
        await withAthena({}, async (athena) => {
            athena.failWhen(/MERGE/);
            const handler = await handlerOn(athena);
            await assert.rejects(handler({ day: "2026/11/27" }), {
                message: "Athena failed query q-1: line 1:8: mismatched input",
            });
        });
    });

    it("fails when Athena reports CANCELLED (the scan cutoff), and stops a query it cannot wait for", async () => {
        await withAthena(
            {
                scanCutoffs: { "central-waf-logs-compaction": 10 },
                execute: async () => ({ rows: [], columns: [], scannedBytes: 11 }),
            },
            async (athena) => {
                const handler = await handlerOn(athena);
                await assert.rejects(handler({ day: "2026/11/27" }), {
                    message: `Athena cancelled query q-1: ${SCAN_CUTOFF_EXCEEDED}`,
                });
            },
        );
        await withAthena({}, async (athena) => {
            athena.holdWhen(/MERGE/);
            const handler = await handlerOn(athena);
            // Each look at the clock costs 15 s: one wait of 250 ms, then no time for the next.
            let left = 40_000;
            await assert.rejects(
                handler(
                    { day: "2026/11/27" },
                    lambdaContext(() => (left -= 15_000)),
                ),
                /^Error: Transient: Athena query q-1 was still RUNNING with .* s of the invocation's time left; it was stopped \(StopQueryExecution\) so that it scans no further\. A MERGE commits all or nothing, so nothing was written; Lambda's retry runs the day 2026\/11\/27 again\.$/,
            );
            assert.ok(athena.calls.includes("StopQueryExecution"));
        });
    });

    it("refuses an event that names no checked day, starting nothing", async () => {
        await withAthena({}, async (athena) => {
            const handler = await handlerOn(athena);
            await assert.rejects(
                handler({ day: "2026/11/27'; DROP TABLE waf_logs_raw; --" }),
                /^Error: Configuration: Compaction needs/,
            );
            assert.deepStrictEqual(athena.started, []);
        });
    });
});

describe("failed Athena queries reach the alert topic", function () {
    this.timeout(180_000);
    let run: ProgramRun;
    before(async () => {
        run = await committedRun("logging");
    });

    it("has a default-bus rule on Athena Query State Change FAILED in the project's three workgroups", () => {
        const rule = only(run, "aws:cloudwatch/eventRule:EventRule", "alerts-athena-failures").inputs;
        assert.strictEqual(rule.name, "central-waf-logs-athena-failures");
        assert.strictEqual(rule.eventBusName, undefined, "the default bus, where Athena sends its events");
        assert.deepStrictEqual(JSON.parse(rule.eventPattern), {
            source: ["aws.athena"],
            "detail-type": ["Athena Query State Change"],
            detail: {
                currentState: ["FAILED"],
                workgroupName: ["central-waf-logs", "central-waf-logs-compaction", "central-waf-logs-detection"],
            },
        });
        const target = only(run, "aws:cloudwatch/eventTarget:EventTarget", "alerts-athena-failures-to-topic").inputs;
        const topic = only(run, "aws:sns/topic:Topic", "alerts-topic").state.arn;
        const role = only(run, "aws:iam/role:Role", "alerts-publisher-role");
        assert.deepStrictEqual(target, {
            rule: "central-waf-logs-athena-failures",
            targetId: "alert-topic",
            arn: topic,
            roleArn: role.state.arn,
            inputTransformer: {
                inputPaths: { ...ATHENA_FAILURE_MESSAGE.inputPaths },
                inputTemplate: ATHENA_FAILURE_MESSAGE.inputTemplate,
            },
        });
        // The publisher role (the one the topic policy admits) trusts EventBridge for both rules only.
        assert.deepStrictEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Condition.ArnEquals, {
            "aws:SourceArn": [
                "arn:aws:events:us-east-1:111111111111:rule/central-waf-logs-alerts/central-waf-logs-alarm-notifications",
                "arn:aws:events:us-east-1:111111111111:rule/central-waf-logs-athena-failures",
            ],
        });
        const policy = policyDocument(
            only(run, "aws:sns/topicPolicy:TopicPolicy", "alerts-topic-policy").inputs.policy,
        );
        assert.deepStrictEqual(policy.Statement.find((s) => s.Sid === "AlertBusPublishes").Principal, {
            AWS: role.state.arn,
        });
    });
});
