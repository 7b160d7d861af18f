import * as assert from "assert";
import { DATASET_COLUMNS, quickSightDatasetSql } from "../analytics/quicksight";
import { namedQuery } from "../analytics/sql";
import { QUICKSIGHT_DASHBOARD_FUNCTION } from "../names";
import { deployedHandler } from "../tools/local/deployedCode";
import { ProgramRun } from "../tools/local/mockEngine";
import { startQuickSightServer } from "../tools/local/aws/quicksightServer";
import { committedRun, failureOf, ofType, only, runWith } from "./support/program";

const PRINCIPAL = "arn:aws:quicksight:us-east-1:111111111111:group/default/security";

describe("optional QuickSight dashboard", () => {
    let run: ProgramRun;
    before(async () => {
        const committed = await committedRun("logging");
        assert.strictEqual(ofType(committed, "aws:quicksight/dataSet:DataSet").length, 0, "off by default");
        run = await runWith("logging", {
            configOverrides: { "central-waf-logs:analytics": JSON.stringify({ quickSightPrincipalArn: PRINCIPAL }) },
        });
    });

    it("queries Athena through the workgroup, with the seed query over the last 30 days", () => {
        const source = only(run, "aws:quicksight/dataSource:DataSource").inputs;
        assert.deepStrictEqual(
            [source.type, source.parameters],
            ["ATHENA", { athena: { workGroup: "central-waf-logs" } }],
        );
        const dataSet = only(run, "aws:quicksight/dataSet:DataSet").inputs;
        assert.strictEqual(dataSet.importMode, "DIRECT_QUERY");
        const sql = dataSet.physicalTableMaps[0].customSql.sqlQuery;
        assert.strictEqual(sql, quickSightDatasetSql());
        assert.strictEqual(
            sql
                .replace("date_format(current_date - interval '30' day, '%Y/%m/%d/00')", "?")
                .replace("date_format(current_date, '%Y/%m/%d/23')", "?"),
            namedQuery("monthly-requests").sql,
            "the dataset is the seed query itself, with its hours bound",
        );
        assert.deepStrictEqual(dataSet.logicalTableMaps[0].dataTransforms[1], {
            tagColumnOperation: { columnName: "country", tags: [{ columnGeographicRole: "COUNTRY" }] },
        });
        for (const resource of [source, dataSet]) assert.strictEqual(resource.permissions[0].principal, PRINCIPAL);
    });

    it("publishes the dashboard as deployed: created once, then updated and republished", async () => {
        const server = await startQuickSightServer();
        try {
            const handler = await deployedHandler(run, QUICKSIGHT_DASHBOARD_FUNCTION, {
                AWS_REGION: "us-east-1",
                AWS_ENDPOINT_URL_QUICKSIGHT: server.url,
            });
            const input = JSON.parse(
                only(run, "aws:lambda/invocation:Invocation", "analytics-quicksight-dashboard-apply").inputs.input,
            );
            assert.deepStrictEqual(Object.keys(input), ["digest"], "the invocation carries only the digest");
            const hostile = {
                dashboardId: "central-waf-logs-overview",
                ownerArn: "arn:aws:quicksight:us-east-1:999999999999:user/default/mallory",
            };
            await assert.rejects(handler(hostile), {
                message:
                    "Refused: this function applies only the dashboard definition deployed with it, and its event may carry only { digest }; got the field(s) dashboardId, ownerArn. Nothing was sent.",
            });
            assert.strictEqual(server.calls.length, 0, "a hostile invocation reaches nothing");
            assert.deepStrictEqual(await handler(input), { action: "created", versionNumber: 1 });
            assert.deepStrictEqual(await handler(input), { action: "updated", versionNumber: 2 });
            assert.deepStrictEqual(server.calls, [
                "GET dashboard",
                "POST dashboard",
                "GET dashboard",
                "PUT dashboard",
                "PUT versions",
            ]);
            const dashboard = server.dashboards.get("central-waf-logs-overview")!;
            assert.strictEqual(dashboard.published, 2);
            assert.deepStrictEqual(dashboard.permissions?.[0].Principal, PRINCIPAL);
            const visuals = dashboard.definition.Sheets[0].Visuals;
            assert.deepStrictEqual(
                visuals.map((v: any) => Object.keys(v)[0]),
                ["LineChartVisual", "FilledMapVisual"],
            );
            const used = JSON.stringify(dashboard.definition)
                .match(/"ColumnName":"(\w+)"/g)!
                .map((m) => m.split('"')[3]);
            for (const column of used)
                assert.ok(
                    DATASET_COLUMNS.some((c) => c.name === column),
                    `${column} is not a dataset column`,
                );
            assert.strictEqual(
                dashboard.definition.DataSetIdentifierDeclarations[0].DataSetArn,
                only(run, "aws:quicksight/dataSet:DataSet").state.arn,
            );
        } finally {
            await server.close();
        }
    });

    it("rejects a principal that is not a QuickSight user or group", async () => {
        assert.strictEqual(
            await failureOf("logging", {
                configOverrides: { "central-waf-logs:analytics": JSON.stringify({ quickSightPrincipalArn: "alice" }) },
            }),
            'Invalid config central-waf-logs:analytics.quickSightPrincipalArn in Pulumi.logging.yaml: "alice" is not a QuickSight user or group ARN. Fix: use arn:aws:quicksight:<region>:<account-id>:user/default/<name>, or remove the key to skip QuickSight.',
        );
    });
});
