import * as assert from "assert";
import { wafHomeOf } from "../layout";
import { silenceWindow } from "../components/deliveryHealth";
import { ProgramRun } from "../tools/local/mockEngine";
import { committedRun, committedRuns, failureOf, ofType, only, runWith } from "./support/program";

const P = "central-waf-logs";
const TOPIC = "arn:aws:sns:us-east-1:111111111111:central-waf-logs-alerts";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const SOURCES = [
    ["222222222222", "us-east-1"],
    ["222222222222", "ap-southeast-2"],
    ["222222222222", "global"],
    ["333333333333", "eu-west-1"],
] as const;

const alarm = (run: ProgramRun, name: string) => only(run, ALARM, name).inputs;
const alarmsNamed = (run: ProgramRun, pattern: RegExp) =>
    ofType(run, ALARM)
        .map((r) => r.inputs.name as string)
        .filter((name) => pattern.test(name))
        .sort();

describe("delivery health: the logging stack's alarms", () => {
    let run: ProgramRun;
    before(async () => {
        run = await committedRun("logging");
    });

    it("watches every admitted account and Region for silence: no record indexed for 60 minutes, missing data counted as silence", () => {
        for (const [account, region] of SOURCES) {
            assert.deepStrictEqual(alarm(run, `delivery-health-silent-${account}-${region}`), {
                name: `central-waf-logs-silent-${account}-${region}`,
                alarmDescription: `No WAF log record from ${account}/${region} was indexed for 60 minutes. Check that account's web ACL logging, Firehose stream and copier, then the loader.`,
                namespace: "CentralWafLogs",
                metricName: "RecordsIndexed",
                dimensions: { SourceAccount: account, SourceRegion: region },
                statistic: "Sum",
                period: 300,
                evaluationPeriods: 12,
                datapointsToAlarm: 12,
                comparisonOperator: "LessThanThreshold",
                threshold: 1,
                treatMissingData: "breaching",
                alarmActions: [TOPIC],
                okActions: [TOPIC],
            });
        }
    });

    it("has per-source alarms for exactly the admitted accounts and Regions", () => {
        assert.deepStrictEqual(
            alarmsNamed(run, /-(silent|parked|unreadable)-/),
            SOURCES.flatMap(([account, region]) =>
                ["parked", "silent", "unreadable"].map((kind) => `central-waf-logs-${kind}-${account}-${region}`),
            ).sort(),
        );
    });

    it("alarms on more than 100 parked lines and on any unreadable object of a source within 5 minutes", () => {
        const common = {
            dimensions: { SourceAccount: "333333333333", SourceRegion: "eu-west-1" },
            namespace: "CentralWafLogs",
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            treatMissingData: "notBreaching",
            alarmActions: [TOPIC],
            okActions: [TOPIC],
        };
        assert.deepStrictEqual(alarm(run, "delivery-health-parked-333333333333-eu-west-1"), {
            ...common,
            name: "central-waf-logs-parked-333333333333-eu-west-1",
            alarmDescription:
                "More than 100 lines from 333333333333/eu-west-1 were parked instead of indexed within 5 minutes; each is kept with its reason under _errors/ in the central bucket.",
            metricName: "LinesParked",
            comparisonOperator: "GreaterThanThreshold",
            threshold: 100,
        });
        assert.deepStrictEqual(alarm(run, "delivery-health-unreadable-333333333333-eu-west-1"), {
            ...common,
            name: "central-waf-logs-unreadable-333333333333-eu-west-1",
            alarmDescription:
                "An object from 333333333333/eu-west-1 could not be read to its end (corrupt or truncated); the loader reported where under _errors/ in the central bucket.",
            metricName: "UnreadableObjects",
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
        });
    });

    it("alarms on 5 loader errors within 5 minutes, and sends the loader's failure-queue alarm to the topic", () => {
        assert.deepStrictEqual(alarm(run, "delivery-health-loader-errors"), {
            name: "central-waf-logs-search-loader-errors",
            alarmDescription:
                "central-waf-logs-search-loader failed 5 or more invocations within 5 minutes; Lambda retries each event twice, then parks it in the failure queue.",
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: "central-waf-logs-search-loader" },
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 5,
            treatMissingData: "notBreaching",
            alarmActions: [TOPIC],
            okActions: [TOPIC],
        });
        const queue = only(run, "aws:sqs/queue:Queue", "search-loader-failures").state.name;
        assert.deepStrictEqual(alarm(run, "search-loader-failures-alarm"), {
            name: "central-waf-logs-search-loader-failures",
            alarmDescription:
                "Events central-waf-logs-search-loader could not process after retries; replay them from the queue.",
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: queue },
            statistic: "Maximum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            treatMissingData: "notBreaching",
            alarmActions: [TOPIC],
            okActions: [TOPIC],
        });
    });

    it("sends every alarm of the logging stack straight to the alert topic, into ALARM and back to OK", () => {
        const alarms = ofType(run, ALARM);
        // Per source: silence, parked lines, unreadable objects; loader errors and failures; the
        // response loop's seven and one sync alarm per source (see responsePlan.test.ts); compaction and
        // maintenance failures; coverage, one per source and the scan's errors (see coverage.test.ts).
        assert.strictEqual(alarms.length, 3 * SOURCES.length + 2 + 7 + SOURCES.length + 2 + SOURCES.length + 1);
        for (const { inputs } of alarms) {
            assert.ok(inputs.name.startsWith("central-waf-logs-"), inputs.name);
            assert.deepStrictEqual([inputs.alarmActions, inputs.okActions], [[TOPIC], [TOPIC]], inputs.name);
        }
    });

    it("raises an alarm when the daily compaction could not be started, from its failure queue", () => {
        const alarm = only(run, ALARM, "analytics-compaction-failures-alarm").inputs;
        assert.deepStrictEqual(
            [alarm.name, alarm.namespace, alarm.metricName, alarm.statistic, alarm.threshold, alarm.treatMissingData],
            [
                "central-waf-logs-compaction-failures",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "Maximum",
                1,
                "notBreaching",
            ],
        );
        assert.deepStrictEqual(alarm.dimensions, {
            QueueName: only(run, "aws:sqs/queue:Queue", "analytics-compaction-failures").state.name,
        });
    });

    it("follows resourceAccounts, and takes N and the thresholds from config (hourly periods past a day)", async () => {
        const tuned = await runWith("logging", {
            configOverrides: {
                [`${P}:resourceAccounts`]: JSON.stringify([{ accountId: "444444444444", regions: ["ap-south-1"] }]),
                [`${P}:alerts`]: JSON.stringify({
                    emails: ["waf-oncall@example.com"],
                    silenceMinutes: 2880,
                    loaderErrors: 2,
                    parkedLines: 0,
                }),
            },
        });
        assert.deepStrictEqual(alarmsNamed(tuned, /-(silent|parked|unreadable)-/), [
            "central-waf-logs-parked-444444444444-ap-south-1",
            "central-waf-logs-silent-444444444444-ap-south-1",
            "central-waf-logs-unreadable-444444444444-ap-south-1",
        ]);
        const silent = alarm(tuned, "delivery-health-silent-444444444444-ap-south-1");
        assert.deepStrictEqual(
            [silent.period, silent.evaluationPeriods, silent.datapointsToAlarm, silent.alarmDescription],
            [
                3600,
                48,
                48,
                "No WAF log record from 444444444444/ap-south-1 was indexed for 2880 minutes. Check that account's web ACL logging, Firehose stream and copier, then the loader.",
            ],
        );
        assert.strictEqual(alarm(tuned, "delivery-health-loader-errors").threshold, 2);
        // 0: any parked line is news.
        assert.strictEqual(alarm(tuned, "delivery-health-parked-444444444444-ap-south-1").threshold, 0);
    });
});

describe("delivery health: the silence window", () => {
    it("stays within CloudWatch's limits: a day of sub-hour periods, seven days in all", () => {
        assert.deepStrictEqual(
            [15, 60, 1440, 1500, 10_080].map((minutes) => silenceWindow(minutes)),
            [
                { period: 300, evaluationPeriods: 3 },
                { period: 300, evaluationPeriods: 12 },
                { period: 300, evaluationPeriods: 288 },
                { period: 3600, evaluationPeriods: 25 },
                { period: 3600, evaluationPeriods: 168 },
            ],
        );
        for (const minutes of [15, 1440, 1500, 10_080]) {
            const { period, evaluationPeriods } = silenceWindow(minutes);
            assert.strictEqual(period * evaluationPeriods, minutes * 60);
            assert.ok(period * evaluationPeriods <= (period < 3600 ? 86_400 : 604_800), `${minutes}`);
        }
    });

    it("refuses a window no single alarm can watch, naming the fix", () => {
        for (const minutes of [10, 62, 1442, 10_140, 60.5, NaN]) {
            assert.throws(() => silenceWindow(minutes), {
                message: `silenceWindow: ${minutes} minutes cannot be watched by one alarm; use 15-1440 in steps of 5, or whole hours up to 10080.`,
            });
        }
    });
});

describe("delivery health: resource stacks' alarms", () => {
    let usEast: ProgramRun;
    let euWest: ProgramRun;
    before(async () => {
        usEast = await committedRun("resource-us-east-1");
        euWest = await committedRun("resource-eu-west-1");
    });

    it("alarms when Firehose holds records a quarter of an hour past its buffer interval, or fails a put", () => {
        for (const [run, region, threshold] of [
            [usEast, "us-east-1", 120 + 900],
            [euWest, "eu-west-1", 60 + 900],
        ] as const) {
            const stream = `aws-waf-logs-central-${region}`;
            const common = {
                namespace: "AWS/Firehose",
                dimensions: { DeliveryStreamName: stream },
                period: 300,
                evaluationPeriods: 1,
                treatMissingData: "notBreaching",
            };
            assert.deepStrictEqual(alarm(run, "health-firehose-stale"), {
                ...common,
                name: `central-waf-logs-firehose-${region}-stale`,
                alarmDescription: `Firehose ${stream} holds records older than ${threshold} seconds: it cannot deliver to its staging bucket. See its DestinationDelivery error log.`,
                metricName: "DeliveryToS3.DataFreshness",
                statistic: "Maximum",
                comparisonOperator: "GreaterThanThreshold",
                threshold,
            });
            assert.deepStrictEqual(alarm(run, "health-firehose-failing"), {
                ...common,
                name: `central-waf-logs-firehose-${region}-failing`,
                alarmDescription: `Firehose ${stream} had puts to its staging bucket fail within 5 minutes; it retries for up to a day. See its DestinationDelivery error log.`,
                metricName: "DeliveryToS3.Success",
                statistic: "Average",
                comparisonOperator: "LessThanThreshold",
                threshold: 1,
            });
        }
    });

    it("alarms on 5 copier errors within 5 minutes, and names the failure-queue alarm for the forwarder", () => {
        assert.deepStrictEqual(alarm(usEast, "health-copier-errors"), {
            name: "central-waf-logs-copier-us-east-1-errors",
            alarmDescription:
                "central-waf-logs-copier-us-east-1 failed 5 or more invocations within 5 minutes; Lambda retries each event twice, then parks it in the failure queue.",
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: "central-waf-logs-copier-us-east-1" },
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 5,
            treatMissingData: "notBreaching",
        });
        const failures = alarm(usEast, "copier-failures-alarm");
        assert.strictEqual(failures.name, "central-waf-logs-copier-us-east-1-failures");
    });

    it("gives resource-stack alarms no actions: CloudWatch cannot publish to a topic in another account or Region", async () => {
        for (const run of (await committedRuns()).filter((r) => r.stack.startsWith("resource-"))) {
            const alarms = ofType(run, ALARM);
            // Copier errors and failures, Firehose freshness and failed puts; the applier's errors and refusals.
            assert.strictEqual(alarms.length, 6, run.stack);
            for (const { inputs } of alarms) {
                assert.ok(inputs.name.startsWith("central-waf-logs-"), inputs.name);
                assert.deepStrictEqual([inputs.alarmActions, inputs.okActions], [undefined, undefined], inputs.name);
            }
        }
    });

    it("takes its thresholds from its own config, and refuses one the buffer interval would trip", async () => {
        const tuned = await runWith("resource-eu-west-1", {
            configOverrides: { [`${P}:alerts`]: JSON.stringify({ firehoseFreshnessSeconds: 600, copierErrors: 1 }) },
        });
        assert.strictEqual(alarm(tuned, "health-firehose-stale").threshold, 600);
        assert.strictEqual(alarm(tuned, "health-copier-errors").threshold, 1);
        assert.strictEqual(
            await failureOf("resource-us-east-1", {
                configOverrides: { [`${P}:alerts`]: JSON.stringify({ firehoseFreshnessSeconds: 120 }) },
            }),
            `Invalid config ${P}:alerts.firehoseFreshnessSeconds in Pulumi.resource-us-east-1.yaml: 120 seconds is not above firehose.bufferIntervalSec (120), so the alarm would fire while records wait for their buffer as designed. Fix: use more than 120, e.g. 1020.`,
        );
    });

    it("keeps double quotes out of every alarm description: EventBridge pastes them unescaped into messages", async () => {
        for (const run of await committedRuns()) {
            for (const { inputs } of ofType(run, ALARM)) {
                assert.ok(!inputs.alarmDescription.includes('"'), `${inputs.name}: ${inputs.alarmDescription}`);
            }
        }
    });
});

describe("delivery health: the dashboard", () => {
    let run: ProgramRun;
    let body: { widgets: any[] };
    before(async () => {
        run = await committedRun("logging");
        const dashboard = only(run, "aws:cloudwatch/dashboard:Dashboard");
        assert.strictEqual(dashboard.inputs.dashboardName, "central-waf-logs-delivery");
        body = JSON.parse(dashboard.inputs.dashboardBody);
    });

    const perSource = (metric: string) =>
        SOURCES.map(([account, region]) => [
            "CentralWafLogs",
            metric,
            "SourceAccount",
            account,
            "SourceRegion",
            region,
            { label: `${account}/${region}` },
        ]);
    const graph = (x: number, y: number, title: string, stat: string, metrics: unknown[]) => ({
        type: "metric",
        x,
        y,
        width: 12,
        height: 6,
        properties: {
            title,
            view: "timeSeries",
            region: "us-east-1",
            stat,
            period: 300,
            yAxis: { left: { min: 0 } },
            metrics,
        },
    });

    it("plots records indexed, parked lines, bulk retries and delivery lag, one line per admitted account and Region", () => {
        assert.deepStrictEqual(body.widgets.slice(0, 4), [
            graph(0, 0, "Records indexed per account/Region (sum per 5 minutes)", "Sum", perSource("RecordsIndexed")),
            graph(12, 0, "Lines parked per account/Region (sum per 5 minutes)", "Sum", perSource("LinesParked")),
            graph(0, 6, "Bulk retries per account/Region (sum per 5 minutes)", "Sum", perSource("BulkRetries")),
            graph(
                12,
                6,
                "Delivery lag per account/Region (maximum, seconds)",
                "Maximum",
                perSource("DeliveryLagSeconds"),
            ),
        ]);
    });

    it("plots loader and copier errors (copiers from their own accounts and Regions) and the loader's failure queue", () => {
        const queue = only(run, "aws:sqs/queue:Queue", "search-loader-failures").state.name;
        assert.deepStrictEqual(body.widgets.slice(4, 6), [
            graph(0, 12, "Copier and loader errors (sum per 5 minutes)", "Sum", [
                ["AWS/Lambda", "Errors", "FunctionName", "central-waf-logs-search-loader", { label: "loader" }],
                ...SOURCES.map(([accountId, region]) => [
                    "AWS/Lambda",
                    "Errors",
                    "FunctionName",
                    `central-waf-logs-copier-${region}`,
                    // The `global` copier runs in us-east-1.
                    { label: `copier ${accountId}/${region}`, accountId, region: wafHomeOf(region).region },
                ]),
            ]),
            graph(12, 12, "Loader failure queue (messages, maximum)", "Maximum", [
                [
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    "QueueName",
                    queue,
                    { label: "loader failure queue" },
                ],
            ]),
        ]);
    });

    it("shows the silence alarms and the copiers' failure-queue alarms by state", () => {
        const silenceArns = ofType(run, ALARM)
            .filter((r) => r.inputs.name.includes("-silent-"))
            .map((r) => r.state.arn);
        assert.deepStrictEqual(body.widgets.slice(6, 8), [
            {
                type: "alarm",
                x: 0,
                y: 18,
                width: 12,
                height: 6,
                properties: { title: "No record indexed for 60 minutes", alarms: silenceArns },
            },
            {
                type: "alarm",
                x: 12,
                y: 18,
                width: 12,
                height: 6,
                properties: {
                    title: "Copier failure queues (resource accounts)",
                    alarms: SOURCES.map(
                        ([account, region]) =>
                            `arn:aws:cloudwatch:${wafHomeOf(region).region}:${account}:alarm:central-waf-logs-copier-${region}-failures`,
                    ),
                },
            },
        ]);
    });

    it("names alarms on the dashboard that the resource stacks really create", async () => {
        const copierAlarms = body.widgets[7].properties.alarms as string[];
        for (const resource of (await committedRuns()).filter((r) => r.stack.startsWith("resource-"))) {
            const arn = only(resource, ALARM, "copier-failures-alarm").state.arn;
            assert.ok(copierAlarms.includes(arn), `${arn} is missing from the dashboard`);
        }
    });
});
