import * as assert from "assert";
import { WAF_COLUMNS, hiveType } from "../analytics/schema";
import { analyticsSql, namedQueries, namedQueryText } from "../analytics/sql";
import { definitionsDigest } from "../handlers/bakedDefinitions";
import { deliveryRequest } from "../handlers/copier";
import { ANALYTICS_DDL_FUNCTION } from "../names";
import { startAthenaServer } from "../tools/local/aws/athenaServer";
import { deployedEnvironment, deployedHandler, deployedSource } from "../tools/local/deployedCode";
import { ProgramRun } from "../tools/local/mockEngine";
import { committedRun, failureOf, ofType, only, policyDocument } from "./support/program";

const KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/central-waf-logs-key-key-id";

describe("logging stack: LogAnalytics", () => {
    let run: ProgramRun;
    let bucket: string;
    before(async () => {
        run = await committedRun("logging");
        bucket = run.outputs.centralBucketName;
    });

    it("reads the raw JSON with the JSON SerDe, every schema column, partitioned by account, Region, stream and hour", () => {
        const table = only(run, "aws:glue/catalogTable:CatalogTable").inputs;
        assert.deepStrictEqual(
            [table.name, table.databaseName, table.tableType],
            ["waf_logs_raw", "central_waf_logs", "EXTERNAL_TABLE"],
        );
        assert.strictEqual(
            table.storageDescriptor.serDeInfo.serializationLibrary,
            "org.openx.data.jsonserde.JsonSerDe",
        );
        assert.deepStrictEqual(
            table.storageDescriptor.columns,
            WAF_COLUMNS.map(([name, type]) => ({ name: name.toLowerCase(), type: hiveType(type) })),
        );
        assert.deepStrictEqual(
            table.partitionKeys.map((k: any) => k.name),
            ["account_id", "region", "stream_name", "hour"],
        );
        assert.strictEqual(
            table.storageDescriptor.columns.find((c: any) => c.name === "httprequest").type.slice(0, 44),
            "struct<clientip:string,country:string,header",
        );
    });

    it("projects every configured account, Region and stream and every hour, with no crawler", () => {
        const parameters = only(run, "aws:glue/catalogTable:CatalogTable").inputs.parameters;
        assert.deepStrictEqual(parameters, {
            classification: "json",
            "projection.enabled": "true",
            "projection.account_id.type": "enum",
            "projection.account_id.values": "222222222222,333333333333",
            "projection.region.type": "enum",
            "projection.region.values": "ap-southeast-2,eu-west-1,global,us-east-1",
            "projection.stream_name.type": "enum",
            "projection.stream_name.values":
                "aws-waf-logs-central-ap-southeast-2,aws-waf-logs-central-eu-west-1,aws-waf-logs-central-global,aws-waf-logs-central-us-east-1",
            "projection.hour.type": "date",
            "projection.hour.format": "yyyy/MM/dd/HH",
            "projection.hour.range": "2024/01/01/00,NOW",
            "projection.hour.interval": "1",
            "projection.hour.interval.unit": "HOURS",
            "storage.location.template": `s3://${bucket}/\${account_id}/\${region}/\${stream_name}/\${hour}`,
        });
        assert.ok(ofType(run, "aws:glue/crawler:Crawler").length === 0);
    });

    it("has a projection template that agrees with where the copier writes", async () => {
        const resource = await committedRun("resource-eu-west-1");
        const parameters = only(run, "aws:glue/catalogTable:CatalogTable").inputs.parameters;
        const settings = {
            centralBucket: bucket,
            centralKeyArn: KEY_ARN,
            centralAccountId: "111111111111",
            accountId: resource.outputs.accountId,
            region: resource.outputs.region,
            streamName: resource.outputs.firehoseStreamName,
        };
        const copy = deliveryRequest(
            "staging",
            "logs/2026/11/27/10/aws-waf-logs-central-eu-west-1-1-2026-11-27-10-00-00-abc.gz",
            settings,
        ).destination;
        const partitionPath = parameters["storage.location.template"]
            .replace("${account_id}", settings.accountId)
            .replace("${region}", settings.region)
            .replace("${stream_name}", settings.streamName)
            .replace("${hour}", "2026/11/27/10");
        assert.strictEqual(
            `s3://${copy.Bucket}/${copy.Key}`,
            `${partitionPath}/aws-waf-logs-central-eu-west-1-1-2026-11-27-10-00-00-abc.gz`,
        );
        for (const value of [settings.accountId, settings.region, settings.streamName]) {
            assert.ok(
                parameters[
                    `projection.${
                        Object.keys(parameters)
                            .find((k) => parameters[k].split(",").includes(value))
                            ?.split(".")[1]
                    }.values`
                ],
            );
        }
    });

    it("enforces an encrypted, bounded Athena workgroup writing to a private, expiring results bucket", () => {
        const workgroup = only(run, "aws:athena/workgroup:Workgroup", "analytics-workgroup").inputs.configuration;
        const results = ofType(run, "aws:s3/bucket:Bucket").find((b) => b.name === "analytics-results-bucket")!.state
            .bucket;
        assert.deepStrictEqual(
            [
                workgroup.enforceWorkgroupConfiguration,
                workgroup.bytesScannedCutoffPerQuery,
                workgroup.resultConfiguration,
            ],
            [
                true,
                10240 * 1024 * 1024,
                {
                    outputLocation: `s3://${results}/`,
                    encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: KEY_ARN },
                },
            ],
        );
        const lifecycle = ofType(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").find(
            (l) => l.inputs.bucket === results,
        )!;
        assert.deepStrictEqual(lifecycle.inputs.rules[0].expiration, { days: 30 });
        const block = ofType(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").find(
            (b) => b.inputs.bucket === results,
        );
        assert.ok(block, "results bucket has a public-access block");
    });

    it("registers each named query with the text of its .sql file", () => {
        const registered = ofType(run, "aws:athena/namedQuery:NamedQuery").map((q) => [
            q.inputs.name,
            q.inputs.query,
            q.inputs.workgroup,
        ]);
        assert.deepStrictEqual(
            registered.sort(),
            namedQueries()
                .map((q) => [q.name, namedQueryText(q), "central-waf-logs"])
                .sort(),
        );
        assert.strictEqual(registered.length, namedQueries().length);
        assert.ok(registered.length >= 9, "every query file, the detector's and threshold tuning included");
    });

    it("applies the compacted Iceberg table and the view at deploy time, baked into the DDL function", async () => {
        const input = JSON.parse(only(run, "aws:lambda/invocation:Invocation", "analytics-ddl-apply").inputs.input);
        assert.deepStrictEqual(input, { digest: definitionsDigest(ddlStatements(bucket)) });
        assert.match(ddlStatements(bucket)[0], /TBLPROPERTIES \(\s*'table_type' = 'ICEBERG'/);
        assert.strictEqual(
            deployedEnvironment(run, ANALYTICS_DDL_FUNCTION).COMPACTED_LOCATION,
            `s3://${bucket}/_compacted/`,
        );
        assert.ok((await deployedSource(run, ANALYTICS_DDL_FUNCTION)).includes("CREATE OR REPLACE VIEW waf_logs AS"));
    });

    it("compacts the previous day daily: Scheduler invokes the compaction Lambda with its own time", () => {
        const schedule = only(run, "aws:scheduler/schedule:Schedule", "analytics-compaction").inputs;
        assert.deepStrictEqual(
            [schedule.scheduleExpression, schedule.scheduleExpressionTimezone],
            ["cron(30 1 * * ? *)", "UTC"],
        );
        const fn = only(run, "aws:lambda/function:Function", "analytics-compaction-function");
        assert.deepStrictEqual(
            [fn.inputs.name, fn.inputs.timeout, fn.inputs.memorySize],
            ["central-waf-logs-analytics-compaction", 900, 256],
        );
        assert.deepStrictEqual(schedule.target, {
            arn: fn.state.arn,
            roleArn: only(run, "aws:iam/role:Role", "analytics-scheduler-role").state.arn,
            input: JSON.stringify({ scheduledTime: "<aws.scheduler.scheduled-time>" }),
            retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
            deadLetterConfig: { arn: only(run, "aws:sqs/queue:Queue", "analytics-compaction-failures").state.arn },
        });
        // Scheduler invokes asynchronously: two retries by Lambda, then the failure queue (alarmed).
        assert.deepStrictEqual(
            only(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "analytics-compaction-async")
                .inputs,
            {
                functionName: fn.inputs.name,
                maximumRetryAttempts: 2,
                destinationConfig: {
                    onFailure: {
                        destination: only(run, "aws:sqs/queue:Queue", "analytics-compaction-failures").state.arn,
                    },
                },
            },
        );
        assert.deepStrictEqual(deployedEnvironment(run, "central-waf-logs-analytics-compaction"), {
            ATHENA_WORKGROUP: "central-waf-logs-compaction",
            ATHENA_DATABASE: "central_waf_logs",
        });
    });

    it("runs the compaction in a workgroup of its own, with a scan cutoff sized for a day", () => {
        const workgroup = only(run, "aws:athena/workgroup:Workgroup", "analytics-compaction-workgroup").inputs;
        assert.deepStrictEqual(workgroup, {
            name: "central-waf-logs-compaction",
            description: "The daily compaction of a day of WAF logs into the compacted Iceberg table",
            configuration: {
                enforceWorkgroupConfiguration: true,
                publishCloudwatchMetricsEnabled: true,
                bytesScannedCutoffPerQuery: 1_048_576 * 1024 * 1024,
                engineVersion: { selectedEngineVersion: "Athena engine version 3" },
                resultConfiguration: {
                    outputLocation: `s3://${only(run, "aws:s3/bucket:Bucket", "analytics-results-bucket").state.bucket}/compaction/`,
                    encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: KEY_ARN },
                },
            },
        });
    });

    it("lets Scheduler assume its role only for the analytics schedule group, and only to invoke the compaction", () => {
        const schedule = only(run, "aws:scheduler/schedule:Schedule", "analytics-compaction").inputs;
        const group = only(run, "aws:scheduler/scheduleGroup:ScheduleGroup", "analytics-schedules").inputs;
        assert.deepStrictEqual(
            [schedule.groupName, group.name],
            ["central-waf-logs-analytics", "central-waf-logs-analytics"],
        );
        const trust = JSON.parse(only(run, "aws:iam/role:Role", "analytics-scheduler-role").inputs.assumeRolePolicy);
        assert.deepStrictEqual(trust.Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "scheduler.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": "111111111111" },
                    ArnEquals: {
                        "aws:SourceArn":
                            "arn:aws:scheduler:us-east-1:111111111111:schedule-group/central-waf-logs-analytics",
                    },
                },
            },
        ]);
        const policy = policyDocument(
            only(run, "aws:iam/rolePolicy:RolePolicy", "analytics-scheduler-policy").inputs.policy,
        );
        assert.deepStrictEqual(policy.Statement, [
            {
                Sid: "StartCompaction",
                Effect: "Allow",
                Action: "lambda:InvokeFunction",
                Resource: only(run, "aws:lambda/function:Function", "analytics-compaction-function").state.arn,
            },
            {
                Sid: "ParkFailedStarts",
                Effect: "Allow",
                Action: "sqs:SendMessage",
                Resource: only(run, "aws:sqs/queue:Queue", "analytics-compaction-failures").state.arn,
            },
        ]);
    });

    it("lets the compaction run, wait for and stop queries in its workgroup and write only the compacted prefix", () => {
        const statements = policyDocument(
            only(run, "aws:iam/rolePolicy:RolePolicy", "analytics-compaction-policy").inputs.policy,
        ).Statement;
        const writes = statements.find((s) => s.Sid === "WriteCompacted");
        assert.deepStrictEqual(writes.Resource, `arn:aws:s3:::${bucket}/_compacted/*`);
        assert.deepStrictEqual(
            statements.find((s) => s.Sid === "RunInWorkgroup"),
            {
                Sid: "RunInWorkgroup",
                Effect: "Allow",
                Action: ["athena:GetQueryExecution", "athena:StartQueryExecution", "athena:StopQueryExecution"],
                Resource: "arn:aws:athena:us-east-1:111111111111:workgroup/central-waf-logs-compaction",
            },
        );
        assert.deepStrictEqual(
            statements.find((s) => s.Sid === "ParkFailedRuns"),
            {
                Sid: "ParkFailedRuns",
                Effect: "Allow",
                Action: "sqs:SendMessage",
                Resource: only(run, "aws:sqs/queue:Queue", "analytics-compaction-failures").state.arn,
            },
        );
        assert.ok(
            !statements.some((s) => [s.Action].flat().includes("glue:CreateTable")),
            "only the DDL function creates tables",
        );
    });

    it("rejects a bad projection start hour and schedule", async () => {
        assert.strictEqual(
            await failureOf("logging", {
                configOverrides: {
                    "central-waf-logs:analytics": JSON.stringify({
                        projectionStartHour: "2024-01-01",
                        compactionSchedule: "daily",
                    }),
                },
            }),
            [
                'Invalid config central-waf-logs:analytics.projectionStartHour in Pulumi.logging.yaml: "2024-01-01" is not an hour. Fix: write it as yyyy/MM/dd/HH, e.g. 2024/01/01/00.',
                'Invalid config central-waf-logs:analytics.compactionSchedule in Pulumi.logging.yaml: "daily" is not a schedule expression. Fix: use cron(...) or rate(...), e.g. cron(30 1 * * ? *).',
            ].join("\n"),
        );
    });
});

/** The statements the committed logging stack's DDL function runs. */
const ddlStatements = (bucket: string) => [
    analyticsSql("create_compacted_table.sql", { compacted_location: `s3://${bucket}/_compacted/` }),
    analyticsSql("waf_logs_view.sql"),
];

describe("analytics DDL Lambda, as deployed, against a loopback Athena endpoint", () => {
    let run: ProgramRun;
    before(async () => {
        run = await committedRun("logging");
    });

    it("runs each statement in the workgroup and waits for it; a failure fails the deployment with Athena's reason", async () => {
        const athena = await startAthenaServer();
        try {
            const handler = await deployedHandler(run, ANALYTICS_DDL_FUNCTION, {
                AWS_REGION: "us-east-1",
                AWS_ENDPOINT_URL_ATHENA: athena.url,
            });
            const event = JSON.parse(only(run, "aws:lambda/invocation:Invocation", "analytics-ddl-apply").inputs.input);
            const statements = ddlStatements(run.outputs.centralBucketName);
            const results = (await handler(event)) as any[];
            assert.deepStrictEqual(
                results.map((r) => r.state),
                ["SUCCEEDED", "SUCCEEDED"],
            );
            assert.deepStrictEqual(
                athena.started.map((q) => [q.sql, q.workGroup, q.database]),
                statements.map((sql: string) => [sql, "central-waf-logs", "central_waf_logs"]),
            );
            athena.failWhen(/CREATE OR REPLACE VIEW/);
            await assert.rejects(
                handler(event),
                /^Error: Athena failed query q-4 \(CREATE OR REPLACE VIEW waf_logs AS\): line 1:8: mismatched input$/,
            );
        } finally {
            await athena.close();
        }
    });

    it("runs nothing but the baked statements, whatever a hostile invocation carries", async () => {
        const athena = await startAthenaServer();
        try {
            const handler = await deployedHandler(run, ANALYTICS_DDL_FUNCTION, {
                AWS_REGION: "us-east-1",
                AWS_ENDPOINT_URL_ATHENA: athena.url,
            });
            const hostile = ["DROP TABLE waf_logs_raw", "CREATE EXTERNAL TABLE x LOCATION 's3://attacker/'"];
            await assert.rejects(handler({ statements: hostile }), {
                message:
                    "Refused: this function applies only the analytics statements deployed with it, and its event may carry only { digest }; got the field(s) statements. Nothing was sent.",
            });
            await assert.rejects(handler({ digest: definitionsDigest(hostile) }), {
                message: `Refused: digest "${definitionsDigest(hostile)}" is not the digest of the analytics statements deployed with this function (${definitionsDigest(ddlStatements(run.outputs.centralBucketName))}). Nothing was sent; run \`pulumi up\` to change them.`,
            });
            assert.strictEqual(athena.started.length, 0, "no statement reached Athena");
            await handler({});
            assert.deepStrictEqual(
                athena.started.map((q) => q.sql),
                ddlStatements(run.outputs.centralBucketName),
            );
        } finally {
            await athena.close();
        }
    });
});
