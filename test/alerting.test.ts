import * as assert from "assert";
import { wafHomeOf } from "../layout";
import { createHash } from "crypto";
import { ConfigError, parseStackConfig } from "../config";
import { ProgramRun, qualifiedStackName, readStackConfig } from "../tools/local/mockEngine";
import { alarmStateChange, matchesPattern, renderInput } from "./support/eventBridge";
import { committedRun, committedRuns, failureOf, ofType, only, policyDocument, runWith } from "./support/program";

const P = "central-waf-logs";
const TOPIC = "arn:aws:sns:us-east-1:111111111111:central-waf-logs-alerts";
const BUS = "arn:aws:events:us-east-1:111111111111:event-bus/central-waf-logs-alerts";
const ALERT_KEY = "arn:aws:kms:us-east-1:111111111111:key/alerts-key-key-id";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const CLOUDWATCH_ALARMS_OF_LOGGING = {
    StringEquals: { "aws:SourceAccount": "111111111111" },
    ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:111111111111:alarm:central-waf-logs-*" },
};

const withAlerts = (alerts: unknown) => ({ configOverrides: { [`${P}:alerts`]: JSON.stringify(alerts) } });
const patternOf = (run: ProgramRun, name: string) =>
    JSON.parse(only(run, "aws:cloudwatch/eventRule:EventRule", name).inputs.eventPattern);

describe("alerting: the topic in the logging account", () => {
    let run: ProgramRun;
    before(async () => {
        run = await committedRun("logging");
    });

    it("encrypts the topic with a rotating key of its own, which CloudWatch may use only for this account's alarms", () => {
        const key = only(run, "aws:kms/key:Key", "alerts-key");
        assert.deepStrictEqual([key.inputs.enableKeyRotation, key.inputs.deletionWindowInDays], [true, 30]);
        const statements = policyDocument(key.inputs.policy).Statement;
        assert.deepStrictEqual(
            statements.map((s) => s.Sid),
            ["LoggingAccountOwnsKey", "CloudWatchAlarmsEncrypt"],
        );
        assert.deepStrictEqual(statements[0].Principal, { AWS: "arn:aws:iam::111111111111:root" });
        assert.ok(!statements[0].Action.includes("kms:*"));
        assert.deepStrictEqual(statements[1], {
            Sid: "CloudWatchAlarmsEncrypt",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: CLOUDWATCH_ALARMS_OF_LOGGING,
        });
        // Not the central log key: a grant for alarms must not reach the logs.
        const topic = only(run, "aws:sns/topic:Topic").inputs;
        assert.deepStrictEqual(topic, {
            name: "central-waf-logs-alerts",
            displayName: "WAF logs alerts",
            kmsMasterKeyId: ALERT_KEY,
            signatureVersion: 2,
        });
        assert.deepStrictEqual(only(run, "aws:kms/alias:Alias", "alerts-key-alias").inputs, {
            name: "alias/central-waf-logs-alerts",
            targetKeyId: "alerts-key-key-id",
        });
    });

    it("lets only this account's alarms and the alert bus's publisher role publish, and only over TLS", () => {
        const publisher = only(run, "aws:iam/role:Role", "alerts-publisher-role").state.arn;
        const policy = only(run, "aws:sns/topicPolicy:TopicPolicy");
        assert.strictEqual(policy.inputs.arn, TOPIC);
        assert.deepStrictEqual(policyDocument(policy.inputs.policy), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "CloudWatchAlarmsPublish",
                    Effect: "Allow",
                    Principal: { Service: "cloudwatch.amazonaws.com" },
                    Action: "sns:Publish",
                    Resource: TOPIC,
                    Condition: CLOUDWATCH_ALARMS_OF_LOGGING,
                },
                {
                    Sid: "AlertBusPublishes",
                    Effect: "Allow",
                    Principal: { AWS: publisher },
                    Action: "sns:Publish",
                    Resource: TOPIC,
                },
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "sns:Publish",
                    Resource: TOPIC,
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        });
    });

    it("subscribes the committed on-call address", () => {
        assert.deepStrictEqual(
            ofType(run, "aws:sns/topicSubscription:TopicSubscription").map((s) => [s.name, s.inputs]),
            [["alerts-email-3561cda1", { topic: TOPIC, protocol: "email", endpoint: "waf-oncall@example.com" }]],
        );
    });

    it("subscribes every configured address and endpoint, under names that survive reordering", async () => {
        const subscriptions = [
            { protocol: "https", endpoint: "https://hooks.example.com/waf-alerts" },
            { protocol: "sqs", endpoint: "arn:aws:sqs:us-east-1:111111111111:waf-alerts" },
            { protocol: "lambda", endpoint: "arn:aws:lambda:eu-west-1:111111111111:function:pager" },
        ];
        const emails = ["waf-oncall@example.com", "security@example.com"];
        const subscribed = (r: ProgramRun) =>
            ofType(r, "aws:sns/topicSubscription:TopicSubscription")
                .map((s) => [s.name, s.inputs.protocol, s.inputs.endpoint, s.inputs.topic])
                .sort();
        const first = subscribed(await runWith("logging", withAlerts({ emails, subscriptions })));
        assert.deepStrictEqual(first.map(([, protocol, endpoint, topic]) => [protocol, endpoint, topic]).sort(), [
            ["email", "security@example.com", TOPIC],
            ["email", "waf-oncall@example.com", TOPIC],
            ["https", "https://hooks.example.com/waf-alerts", TOPIC],
            ["lambda", "arn:aws:lambda:eu-west-1:111111111111:function:pager", TOPIC],
            ["sqs", "arn:aws:sqs:us-east-1:111111111111:waf-alerts", TOPIC],
        ]);
        // Named by a digest of the endpoint alone, so reordering the lists replaces nothing.
        for (const [name, protocol, endpoint] of first) {
            const digest = createHash("sha256").update(endpoint).digest("hex").slice(0, 8);
            assert.strictEqual(name, `alerts-${protocol}-${digest}`);
        }
        assert.ok(
            first.some(([name]) => name === "alerts-email-3561cda1"),
            "the committed address keeps its name",
        );
    });
});

describe("alerting: the alert bus in the logging account", () => {
    let run: ProgramRun;
    before(async () => {
        run = await committedRun("logging");
    });

    it("admits PutEvents from each admitted account's forwarding rules only, in its admitted Regions", () => {
        const bus = only(run, "aws:cloudwatch/eventBus:EventBus");
        assert.strictEqual(bus.inputs.name, "central-waf-logs-alerts");
        const policy = only(run, "aws:cloudwatch/eventBusPolicy:EventBusPolicy").inputs;
        assert.strictEqual(policy.eventBusName, "central-waf-logs-alerts");
        assert.deepStrictEqual(policyDocument(policy.policy), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AlarmForwarders222222222222",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::222222222222:root" },
                    Action: "events:PutEvents",
                    Resource: BUS,
                    Condition: {
                        ArnEquals: {
                            "aws:SourceArn": [
                                "arn:aws:events:us-east-1:222222222222:rule/central-waf-logs-alarm-forwarder",
                                "arn:aws:events:ap-southeast-2:222222222222:rule/central-waf-logs-alarm-forwarder",
                                // The CloudFront (`global`) stack's rule, in us-east-1 under a name of its own.
                                "arn:aws:events:us-east-1:222222222222:rule/central-waf-logs-alarm-forwarder-global",
                            ],
                        },
                    },
                },
                {
                    Sid: "AlarmForwarders333333333333",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::333333333333:root" },
                    Action: "events:PutEvents",
                    Resource: BUS,
                    Condition: {
                        ArnEquals: {
                            "aws:SourceArn": [
                                "arn:aws:events:eu-west-1:333333333333:rule/central-waf-logs-alarm-forwarder",
                            ],
                        },
                    },
                },
            ],
        });
    });

    it("admits exactly the forwarding rules the resource stacks create", async () => {
        const statements = policyDocument(
            only(run, "aws:cloudwatch/eventBusPolicy:EventBusPolicy").inputs.policy,
        ).Statement;
        const admitted = statements.flatMap((s) => s.Condition.ArnEquals["aws:SourceArn"]);
        for (const resource of (await committedRuns()).filter((r) => r.stack.startsWith("resource-"))) {
            const rule = only(resource, "aws:cloudwatch/eventRule:EventRule", "health-forwarder").state.arn;
            assert.ok(admitted.includes(rule), `${rule} is not admitted by the alert bus`);
        }
    });

    it("notifies alarms going into ALARM, or back to OK from ALARM, from admitted accounts only", () => {
        const pattern = patternOf(run, "alerts-rule");
        assert.deepStrictEqual(pattern, {
            source: ["aws.cloudwatch"],
            "detail-type": ["CloudWatch Alarm State Change"],
            account: ["222222222222", "333333333333"],
            detail: {
                alarmName: [{ prefix: "central-waf-logs-" }],
                $or: [
                    { state: { value: ["ALARM"] } },
                    { state: { value: ["OK"] }, previousState: { value: ["ALARM"] } },
                ],
            },
        });
        const event = (over: Partial<Parameters<typeof alarmStateChange>[0]>) =>
            alarmStateChange({
                account: "333333333333",
                region: "eu-west-1",
                alarmName: "central-waf-logs-copier-eu-west-1-failures",
                state: "ALARM",
                previous: "OK",
                ...over,
            });
        assert.deepStrictEqual(
            [
                event({}),
                event({ state: "OK", previous: "ALARM" }),
                event({ state: "OK", previous: "INSUFFICIENT_DATA" }),
                event({ state: "INSUFFICIENT_DATA", previous: "OK" }),
                event({ account: "444444444444" }),
                event({ alarmName: "billing-too-high" }),
            ].map((e) => matchesPattern(pattern, e)),
            [true, true, false, false, false, false],
        );
        const rule = only(run, "aws:cloudwatch/eventRule:EventRule", "alerts-rule");
        assert.deepStrictEqual(
            [rule.inputs.name, rule.inputs.eventBusName, rule.state.arn],
            [
                "central-waf-logs-alarm-notifications",
                "central-waf-logs-alerts",
                "arn:aws:events:us-east-1:111111111111:rule/central-waf-logs-alerts/central-waf-logs-alarm-notifications",
            ],
        );
    });

    it("publishes through a role only the notification rules can assume, which may publish and use the alert key, nothing else", () => {
        const role = only(run, "aws:iam/role:Role", "alerts-publisher-role");
        assert.deepStrictEqual(policyDocument(role.inputs.assumeRolePolicy).Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": "111111111111" },
                    ArnEquals: {
                        // The alarm notifications, and failed Athena queries (see compaction.test.ts).
                        "aws:SourceArn": [
                            only(run, "aws:cloudwatch/eventRule:EventRule", "alerts-rule").state.arn,
                            only(run, "aws:cloudwatch/eventRule:EventRule", "alerts-athena-failures").state.arn,
                        ],
                    },
                },
            },
        ]);
        const rolePolicy = only(run, "aws:iam/rolePolicy:RolePolicy", "alerts-publisher-policy");
        assert.deepStrictEqual(policyDocument(rolePolicy.inputs.policy).Statement, [
            { Sid: "PublishAlerts", Effect: "Allow", Action: "sns:Publish", Resource: TOPIC },
            {
                Sid: "EncryptAlerts",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                Resource: ALERT_KEY,
            },
        ]);
        const target = only(run, "aws:cloudwatch/eventTarget:EventTarget", "alerts-to-topic");
        assert.deepStrictEqual(
            [target.inputs.rule, target.inputs.eventBusName, target.inputs.arn, target.inputs.roleArn],
            ["central-waf-logs-alarm-notifications", "central-waf-logs-alerts", TOPIC, role.state.arn],
        );
        assert.ok(target.dependsOn.includes(rolePolicy.urn), "the role may publish before the first alert");
    });

    it("turns a forwarded alarm into one line naming the account, Region, alarm, what to check and why", async () => {
        const usEast = await committedRun("resource-us-east-1");
        const copierAlarm = only(usEast, ALARM, "copier-failures-alarm").inputs;
        const { inputTransformer } = only(run, "aws:cloudwatch/eventTarget:EventTarget", "alerts-to-topic").inputs;
        const message = renderInput(
            inputTransformer,
            alarmStateChange({
                account: "222222222222",
                region: "us-east-1",
                alarmName: copierAlarm.name,
                state: "ALARM",
                previous: "OK",
                description: copierAlarm.alarmDescription,
            }),
        );
        assert.strictEqual(
            message,
            '"ALARM: central-waf-logs-copier-us-east-1-failures in account 222222222222, Region us-east-1, at 2026-11-27T10:05:00Z (was OK). ' +
                "Events central-waf-logs-copier-us-east-1 could not process after retries; replay them from the queue. " +
                'Reason: Threshold Crossed: 1 out of the last 1 datapoints [3.0 (27/11/26 10:00:00)] was greater than or equal to the threshold (1.0)."',
        );
        // Every variable of the template has a path, and the output is one JSON string.
        assert.strictEqual(typeof JSON.parse(message), "string");
    });
});

describe("alerting: forwarding from resource stacks", () => {
    let usEast: ProgramRun;
    before(async () => {
        usEast = await committedRun("resource-us-east-1");
    });

    it("forwards state changes of this project's alarms in this account and Region, from the default bus", () => {
        const rule = only(usEast, "aws:cloudwatch/eventRule:EventRule", "health-forwarder");
        assert.deepStrictEqual(
            [rule.inputs.name, rule.inputs.eventBusName, rule.state.arn],
            [
                "central-waf-logs-alarm-forwarder",
                undefined,
                "arn:aws:events:us-east-1:222222222222:rule/central-waf-logs-alarm-forwarder",
            ],
        );
        assert.deepStrictEqual(JSON.parse(rule.inputs.eventPattern), {
            source: ["aws.cloudwatch"],
            "detail-type": ["CloudWatch Alarm State Change"],
            resources: [{ prefix: "arn:aws:cloudwatch:us-east-1:222222222222:alarm:central-waf-logs-" }],
            detail: {
                $or: [
                    { state: { value: ["ALARM"] } },
                    { state: { value: ["OK"] }, previousState: { value: ["ALARM"] } },
                ],
            },
        });
    });

    it("matches every alarm the stack creates, and no one else's", async () => {
        for (const run of (await committedRuns()).filter((r) => r.stack.startsWith("resource-"))) {
            const pattern = patternOf(run, "health-forwarder");
            // A `global` (CloudFront) stack's alarms live in us-east-1.
            const [account, region] = [run.config[`${P}:accountId`], wafHomeOf(run.config[`${P}:region`]).region];
            const change = (alarmName: string, over: Record<string, string> = {}) =>
                alarmStateChange({ account, region, alarmName, state: "ALARM", previous: "OK", ...over });
            for (const { inputs } of ofType(run, ALARM)) {
                assert.ok(matchesPattern(pattern, change(inputs.name)), `${run.stack}: ${inputs.name}`);
            }
            assert.deepStrictEqual(
                [
                    change("team-x-latency"),
                    change("central-waf-logs-copier-eu-west-1-errors", {
                        region: region === "eu-west-1" ? "us-east-1" : "eu-west-1",
                    }),
                    change("central-waf-logs-copier-x-errors", { state: "OK", previous: "INSUFFICIENT_DATA" }),
                ].map((e) => matchesPattern(pattern, e)),
                [false, false, false],
                run.stack,
            );
        }
    });

    it("puts them on the logging account's alert bus through a role only its rule can assume", () => {
        const role = only(usEast, "aws:iam/role:Role", "health-forwarder-role");
        assert.deepStrictEqual(policyDocument(role.inputs.assumeRolePolicy).Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": "222222222222" },
                    ArnEquals: {
                        "aws:SourceArn": "arn:aws:events:us-east-1:222222222222:rule/central-waf-logs-alarm-forwarder",
                    },
                },
            },
        ]);
        const rolePolicy = only(usEast, "aws:iam/rolePolicy:RolePolicy", "health-forwarder-policy");
        assert.deepStrictEqual(policyDocument(rolePolicy.inputs.policy).Statement, [
            { Sid: "ForwardToAlertBus", Effect: "Allow", Action: "events:PutEvents", Resource: BUS },
        ]);
        const target = only(usEast, "aws:cloudwatch/eventTarget:EventTarget", "health-to-alert-bus");
        assert.deepStrictEqual(target.inputs, {
            rule: "central-waf-logs-alarm-forwarder",
            targetId: "alert-bus",
            arn: BUS,
            roleArn: role.state.arn,
        });
        assert.ok(target.dependsOn.includes(rolePolicy.urn));
    });

    it("fails a resource stack whose logging stack predates alerting, naming the missing output", async () => {
        const logging = await committedRun("logging");
        const { alertBusArn: _dropped, ...outputs } = logging.outputs;
        assert.strictEqual(
            await failureOf("resource-eu-west-1", { stackOutputs: { [qualifiedStackName("logging")]: outputs } }),
            `Logging stack organization/central-waf-logs/logging has no output "alertBusArn" (read by ${P}:loggingStack). Fix: run \`pulumi up -s logging\` with this version of the program, then retry.`,
        );
    });

    it("refuses an alert bus output that is not an event bus ARN", async () => {
        const logging = await committedRun("logging");
        assert.strictEqual(
            await failureOf("resource-us-east-1", {
                stackOutputs: {
                    "organization/central-waf-logs/logging": { ...logging.outputs, alertBusArn: TOPIC },
                },
            }),
            `ResourceHealth health: args.alertBusArn "${TOPIC}" is not an event bus ARN; pass the logging stack's alertBusArn output.`,
        );
    });
});

describe("alerting: configuration", () => {
    function problemsOf(stack: string, alerts: unknown): readonly string[] {
        const raw: Record<string, string> = { ...readStackConfig(stack) };
        if (alerts === undefined) delete raw[`${P}:alerts`];
        else raw[`${P}:alerts`] = JSON.stringify(alerts);
        try {
            parseStackConfig(stack, raw);
        } catch (err) {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
            return err.problems;
        }
        return assert.fail("configuration was accepted");
    }
    const invalid = (key: string, what: string, fix: string, stack = "logging") =>
        `Invalid config ${P}:${key} in Pulumi.${stack}.yaml: ${what}. Fix: ${fix}.`;
    const NO_ONE = invalid(
        "alerts",
        "names no one to alert (alerts.emails and alerts.subscriptions are both empty), so a silent pipeline would stay unnoticed",
        "list at least one address under alerts.emails, e.g. [waf-oncall@example.com], or an https, sqs or lambda endpoint under alerts.subscriptions",
    );

    it("parses a full alerts section into typed settings", () => {
        const raw = {
            ...readStackConfig("logging"),
            [`${P}:alerts`]: JSON.stringify({
                emails: ["waf-oncall@example.com"],
                subscriptions: [{ protocol: "https", endpoint: "https://hooks.example.com/waf" }],
                silenceMinutes: 2880,
                loaderErrors: 1,
                parkedLines: 0,
            }),
        };
        const config = parseStackConfig("logging", raw);
        assert.deepStrictEqual(config.role === "logging" && config.alerts, {
            emails: ["waf-oncall@example.com"],
            subscriptions: [{ protocol: "https", endpoint: "https://hooks.example.com/waf" }],
            silenceMinutes: 2880,
            loaderErrors: 1,
            parkedLines: 0,
        });
        const resource = parseStackConfig("resource-us-east-1", readStackConfig("resource-us-east-1"));
        assert.deepStrictEqual(resource.role === "resource" && resource.alerts, {
            firehoseFreshnessSeconds: 1020,
            copierErrors: 5,
        });
    });

    it("requires someone to alert on the logging stack, and fails the program itself", async () => {
        assert.deepStrictEqual(problemsOf("logging", undefined), [NO_ONE]);
        assert.deepStrictEqual(problemsOf("logging", { emails: [], subscriptions: [] }), [NO_ONE]);
        assert.strictEqual(await failureOf("logging", withAlerts({ emails: [] })), NO_ONE);
    });

    it("names each bad address, and does not add the no-recipient problem on top", () => {
        const fix = "list addresses such as waf-oncall@example.com";
        assert.deepStrictEqual(problemsOf("logging", { emails: "waf-oncall@example.com" }), [
            invalid("alerts.emails", "must be a list of e-mail addresses", fix),
        ]);
        assert.deepStrictEqual(
            problemsOf("logging", { emails: ["ok@example.com", "on call", "OK@example.com", 42, '"x"@example.com'] }),
            [
                invalid("alerts.emails[1]", '"on call" is not an e-mail address', fix),
                invalid("alerts.emails[2]", "OK@example.com is listed twice", "list each address once"),
                invalid("alerts.emails[3]", "42 is not an e-mail address", fix),
                invalid("alerts.emails[4]", '"\\"x\\"@example.com" is not an e-mail address', fix),
            ],
        );
    });

    it("checks each subscription's protocol and endpoint, and refuses clear text, FIFO queues and typos", () => {
        const problems = problemsOf("logging", {
            emails: ["waf-oncall@example.com"],
            subscriptions: [
                { protocol: "email", endpoint: "security@example.com" },
                { protocol: "https", endpoint: "http://hooks.example.com/waf" },
                { protocol: "sqs", endpoint: "arn:aws:sqs:us-east-1:111111111111:alerts.fifo" },
                { protocol: "sqs", endpoint: "https://sqs.us-east-1.amazonaws.com/111111111111/alerts" },
                { protocol: "lambda", endpoint: "arn:aws:lambda:us-east-1:111111111111:function:pager", retries: 3 },
                "https://hooks.example.com/waf",
                { protocol: "https", endpoint: "https://hooks.example.com/waf" },
                { protocol: "https", endpoint: "https://hooks.example.com/waf" },
            ],
        });
        assert.deepStrictEqual(problems, [
            invalid(
                "alerts.subscriptions[0].protocol",
                '"email" is not a supported protocol',
                "use https, sqs or lambda (e-mail addresses go under alerts.emails)",
            ),
            invalid(
                "alerts.subscriptions[1].endpoint",
                '"http://hooks.example.com/waf" is not an https URL',
                "use an https:// URL (SNS would send alerts over plain http in clear text)",
            ),
            invalid(
                "alerts.subscriptions[2].endpoint",
                "arn:aws:sqs:us-east-1:111111111111:alerts.fifo is a FIFO queue, which a standard SNS topic cannot deliver to",
                "subscribe a standard queue",
            ),
            invalid(
                "alerts.subscriptions[3].endpoint",
                '"https://sqs.us-east-1.amazonaws.com/111111111111/alerts" is not an SQS queue ARN',
                "use arn:aws:sqs:<region>:<account-id>:<queue-name>",
            ),
            invalid("alerts.subscriptions[4].retries", "is not a known setting", "use protocol and endpoint"),
            invalid(
                "alerts.subscriptions[5]",
                "must be an object with protocol and endpoint",
                "give an entry such as {protocol: https, endpoint: https://alerts.example.com/hook}",
            ),
            invalid(
                "alerts.subscriptions[7]",
                "https https://hooks.example.com/waf is listed twice",
                "list each endpoint once",
            ),
        ]);
        assert.deepStrictEqual(problemsOf("logging", { subscriptions: { protocol: "https" } }), [
            invalid(
                "alerts.subscriptions",
                "must be a list of {protocol, endpoint}",
                "give entries such as {protocol: https, endpoint: https://alerts.example.com/hook}",
            ),
        ]);
        assert.deepStrictEqual(problemsOf("logging", { subscriptions: [{ protocol: "lambda", endpoint: "pager" }] }), [
            invalid(
                "alerts.subscriptions[0].endpoint",
                '"pager" is not a Lambda function ARN',
                "use arn:aws:lambda:<region>:<account-id>:function:<name>",
            ),
        ]);
    });

    it("accepts N only where one alarm can watch it", () => {
        const emails = ["waf-oncall@example.com"];
        const silence = (silenceMinutes: unknown) => problemsOf("logging", { emails, silenceMinutes });
        assert.deepStrictEqual(silence(7), [
            invalid("alerts.silenceMinutes", "7 is not a whole number from 15 to 10080", "use a value in that range"),
        ]);
        assert.deepStrictEqual(silence("60"), [
            invalid(
                "alerts.silenceMinutes",
                '"60" is not a whole number from 15 to 10080',
                "use a value in that range",
            ),
        ]);
        assert.deepStrictEqual(silence(62), [
            invalid(
                "alerts.silenceMinutes",
                "62 minutes is not a multiple of 5",
                "use a multiple of 5 up to 1440 (the alarm counts five-minute periods), e.g. 60",
            ),
        ]);
        assert.deepStrictEqual(silence(1450), [
            invalid(
                "alerts.silenceMinutes",
                "1450 minutes is over a day but not whole hours",
                "above 1440 use a multiple of 60 (CloudWatch evaluates at most one day of periods shorter than an hour), e.g. 2880",
            ),
        ]);
        assert.deepStrictEqual(silence(20_160), [
            invalid(
                "alerts.silenceMinutes",
                "20160 is not a whole number from 15 to 10080",
                "use a value in that range",
            ),
        ]);
    });

    it("checks thresholds and refuses unknown settings, on both roles", () => {
        assert.deepStrictEqual(
            problemsOf("logging", {
                emails: ["waf-oncall@example.com"],
                loaderErrors: 0,
                parkedLines: -1,
                silenceMinute: 60,
            }),
            [
                invalid("alerts.loaderErrors", "0 is not a whole number from 1 to 10000", "use a value in that range"),
                invalid(
                    "alerts.parkedLines",
                    "-1 is not a whole number from 0 to 10000000",
                    "use a value in that range",
                ),
                invalid(
                    "alerts.silenceMinute",
                    "is not a known setting",
                    "did you mean alerts.silenceMinutes? use one of emails, subscriptions, silenceMinutes, loaderErrors, parkedLines",
                ),
            ],
        );
        assert.deepStrictEqual(
            problemsOf("resource-eu-west-1", {
                emails: ["waf-oncall@example.com"],
                copierErrors: 0,
                firehoseFreshnessSeconds: 30,
            }),
            [
                invalid(
                    "alerts.emails",
                    "is not a known setting",
                    "use one of firehoseFreshnessSeconds, copierErrors",
                    "resource-eu-west-1",
                ),
                invalid(
                    "alerts.copierErrors",
                    "0 is not a whole number from 1 to 10000",
                    "use a value in that range",
                    "resource-eu-west-1",
                ),
                invalid(
                    "alerts.firehoseFreshnessSeconds",
                    "30 is not a whole number from 60 to 86400",
                    "use a value in that range",
                    "resource-eu-west-1",
                ),
            ],
        );
        assert.deepStrictEqual(problemsOf("resource-eu-west-1", [600]), [
            invalid(
                "alerts",
                "must be an object",
                "give an object with firehoseFreshnessSeconds, copierErrors",
                "resource-eu-west-1",
            ),
        ]);
    });
});
