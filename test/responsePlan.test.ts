/**
 * The response loop as planned from the committed stacks: the blocklist tables, the detector and
 * publisher with exactly their permissions, their schedules and alarms in the logging account, and
 * in every resource stack the IP sets, the rule placed first, and the sync role only the publisher
 * may assume.
 */
import * as assert from "assert";
import { namedQuery } from "../analytics/sql";
import { rateMinutes, scheduleProblem } from "../config/schedule";
import { ProgramRun } from "../tools/local/mockEngine";
import { deployedEnvironment, deployedSource } from "../tools/local/deployedCode";
import { committedRun, failureOf, ofType, only, policyDocument, runWith } from "./support/program";

const P = "central-waf-logs";
const LOGGING = "111111111111";
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${LOGGING}:table/central-waf-logs-blocklist`;
const AUDIT_ARN = `arn:aws:dynamodb:us-east-1:${LOGGING}:table/central-waf-logs-blocklist-audit`;
const OPERATOR_FUNCTION_ARN = `arn:aws:lambda:us-east-1:${LOGGING}:function:central-waf-logs-blocklist-operator`;
const PUBLISHER_ROLE = `arn:aws:iam::${LOGGING}:role/central-waf-logs-blocklist-publisher`;
const SYNC_ROLES = [
    "arn:aws:iam::222222222222:role/central-waf-logs-blocklist-sync-us-east-1",
    "arn:aws:iam::222222222222:role/central-waf-logs-blocklist-sync-ap-southeast-2",
    "arn:aws:iam::222222222222:role/central-waf-logs-blocklist-sync-global",
    "arn:aws:iam::333333333333:role/central-waf-logs-blocklist-sync-eu-west-1",
];

const APPLIER_US_EAST = "arn:aws:lambda:us-east-1:222222222222:function:central-waf-logs-blocklist-applier-us-east-1";

const rolePolicy = (run: ProgramRun, name: string) =>
    policyDocument(only(run, "aws:iam/rolePolicy:RolePolicy", name).inputs.policy).Statement;

describe("logging stack: the response loop", () => {
    let run: ProgramRun;
    before(async () => {
        run = await committedRun("logging");
    });

    it("keeps the blocklist and its audit trail in DynamoDB: TTL, point-in-time recovery, encrypted, protected from deletion", () => {
        const table = only(run, "aws:dynamodb/table:Table", "response-blocklist").inputs;
        const audit = only(run, "aws:dynamodb/table:Table", "response-audit").inputs;
        for (const t of [table, audit]) {
            assert.deepStrictEqual(
                [t.billingMode, t.ttl, t.pointInTimeRecovery, t.serverSideEncryption, t.deletionProtectionEnabled],
                [
                    "PAY_PER_REQUEST",
                    { attributeName: "ttl", enabled: true },
                    { enabled: true },
                    { enabled: true },
                    true,
                ],
            );
        }
        assert.deepStrictEqual(
            [table.name, table.hashKey, table.rangeKey, table.attributes, table.streamEnabled, table.streamViewType],
            ["central-waf-logs-blocklist", "cidr", undefined, [{ name: "cidr", type: "S" }], true, "KEYS_ONLY"],
        );
        assert.deepStrictEqual(
            [audit.name, audit.hashKey, audit.rangeKey, audit.streamEnabled],
            ["central-waf-logs-blocklist-audit", "cidr", "sk", undefined],
        );
    });

    it("bakes the detection query and the configured thresholds into the detector", async () => {
        const source = await deployedSource(run, "central-waf-logs-blocklist-detector");
        assert.ok(
            source.includes(JSON.stringify(namedQuery("blocklist-candidates").sql)),
            "the query text is in the code",
        );
        for (const baked of [
            '"192.0.2.0/24"',
            ".threshold = 1000;",
            ".maxNewEntriesPerRun = 50;",
            // Prefix aggregation is off unless configured.
            ".aggregatePrefixMinAddresses = 0;",
        ]) {
            assert.ok(source.includes(baked), `${baked} is baked in`);
        }
        assert.deepStrictEqual(deployedEnvironment(run, "central-waf-logs-blocklist-detector"), {
            BLOCKLIST_TABLE: "central-waf-logs-blocklist",
            BLOCKLIST_AUDIT_TABLE: "central-waf-logs-blocklist-audit",
            ATHENA_WORKGROUP: "central-waf-logs-detection",
            ATHENA_DATABASE: "central_waf_logs",
        });
    });

    it("bakes the configured prefix aggregation into the detector", async () => {
        const aggregating = await runWith("logging", {
            configOverrides: { [`${P}:response`]: JSON.stringify({ aggregatePrefixMinAddresses: 16 }) },
        });
        const source = await deployedSource(aggregating, "central-waf-logs-blocklist-detector");
        assert.ok(source.includes(".aggregatePrefixMinAddresses = 16;"), "the setting is baked in");
        // It reads the table whole to find operators' releases inside a prefix (red team F2); only then.
        assert.deepStrictEqual(
            rolePolicy(aggregating, "response-detector-policy").find((s) => s.Sid === "FindReleases"),
            { Sid: "FindReleases", Effect: "Allow", Action: "dynamodb:Scan", Resource: TABLE_ARN },
        );
        for (const [value, shown] of [
            [1, "1"],
            [257, "257"],
            ["8", '"8"'],
        ] as const) {
            assert.strictEqual(
                await failureOf("logging", {
                    configOverrides: { [`${P}:response`]: JSON.stringify({ aggregatePrefixMinAddresses: value }) },
                }),
                `Invalid config ${P}:response.aggregatePrefixMinAddresses in Pulumi.logging.yaml: ${shown} is neither 0 (off) nor a whole number from 2 to 256. Fix: use 0 or remove the key to block each address on its own, or the number of addresses (2 to 256) in one /24 (IPv4) or /64 (IPv6) that one prefix entry covers.`,
            );
        }
    });

    it("runs detection in a workgroup of its own, whose scan cutoff fits two hours of every account's logs", () => {
        const workgroup = only(run, "aws:athena/workgroup:Workgroup", "response-detection-workgroup").inputs;
        const results = only(run, "aws:s3/bucket:Bucket", "analytics-results-bucket").state.bucket;
        assert.deepStrictEqual(workgroup, {
            name: "central-waf-logs-detection",
            description: "The blocklist detector's scheduled burst query",
            configuration: {
                enforceWorkgroupConfiguration: true,
                publishCloudwatchMetricsEnabled: true,
                bytesScannedCutoffPerQuery: 51_200 * 1024 * 1024,
                engineVersion: { selectedEngineVersion: "Athena engine version 3" },
                resultConfiguration: {
                    outputLocation: `s3://${results}/detection/`,
                    encryptionConfiguration: {
                        encryptionOption: "SSE_KMS",
                        kmsKeyArn: `arn:aws:kms:us-east-1:${LOGGING}:key/central-waf-logs-key-key-id`,
                    },
                },
            },
        });
    });

    it("lets the detector query (and stop its query) in its workgroup, write only blocklist entries and audit records, and park failed runs", () => {
        const statements = rolePolicy(run, "response-detector-policy");
        const bucket = `arn:aws:s3:::${run.outputs.centralBucketName}`;
        const results = only(run, "aws:s3/bucket:Bucket", "analytics-results-bucket").state.arn;
        assert.deepStrictEqual(statements.slice(0, 8), [
            {
                Sid: "RunInWorkgroup",
                Effect: "Allow",
                Action: [
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StartQueryExecution",
                    "athena:StopQueryExecution",
                ],
                Resource: `arn:aws:athena:us-east-1:${LOGGING}:workgroup/central-waf-logs-detection`,
            },
            {
                Sid: "UseCatalog",
                Effect: "Allow",
                Action: ["glue:GetDatabase", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"],
                Resource: [
                    `arn:aws:glue:us-east-1:${LOGGING}:catalog`,
                    `arn:aws:glue:us-east-1:${LOGGING}:database/central_waf_logs`,
                    `arn:aws:glue:us-east-1:${LOGGING}:table/central_waf_logs/*`,
                ],
            },
            {
                Sid: "ReadLogs",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:ListBucket"],
                Resource: [bucket, `${bucket}/*`],
            },
            {
                Sid: "WriteResults",
                Effect: "Allow",
                Action: ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
                Resource: [results, `${results}/*`],
            },
            {
                Sid: "UseCentralKey",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                Resource: `arn:aws:kms:us-east-1:${LOGGING}:key/central-waf-logs-key-key-id`,
            },
            { Sid: "ReadBlocklist", Effect: "Allow", Action: "dynamodb:GetItem", Resource: TABLE_ARN },
            // "Using IAM with DynamoDB transactions": writes only inside TransactWriteItems.
            {
                Sid: "WriteBlocklistWithAudit",
                Effect: "Allow",
                Action: "dynamodb:PutItem",
                Resource: [TABLE_ARN, AUDIT_ARN],
                Condition: { "ForAnyValue:StringEquals": { "dynamodb:EnclosingOperation": "TransactWriteItems" } },
            },
            {
                Sid: "ParkFailedRuns",
                Effect: "Allow",
                Action: "sqs:SendMessage",
                Resource: only(run, "aws:sqs/queue:Queue", "response-publisher-failures").state.arn,
            },
        ]);
        assert.deepStrictEqual(
            statements.map((s) => s.Sid),
            [
                "RunInWorkgroup",
                "UseCatalog",
                "ReadLogs",
                "WriteResults",
                "UseCentralKey",
                "ReadBlocklist",
                "WriteBlocklistWithAudit",
                "ParkFailedRuns",
                "WriteOwnLogs",
            ],
        );
    });

    it("runs the publisher as the fixed role the resource stacks trust, allowed to assume exactly their sync roles", () => {
        const role = only(run, "aws:iam/role:Role", "response-publisher-role");
        assert.strictEqual(role.state.arn, PUBLISHER_ROLE);
        assert.strictEqual(run.outputs.blocklistPublisherRoleArn, PUBLISHER_ROLE);
        const statements = rolePolicy(run, "response-publisher-policy");
        const streamArn = only(run, "aws:dynamodb/table:Table", "response-blocklist").state.streamArn;
        const failures = only(run, "aws:sqs/queue:Queue", "response-publisher-failures").state.arn;
        assert.deepStrictEqual(statements, [
            { Sid: "ReadBlocklist", Effect: "Allow", Action: "dynamodb:Scan", Resource: TABLE_ARN },
            {
                Sid: "ReadChanges",
                Effect: "Allow",
                Action: [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                Resource: streamArn,
            },
            { Sid: "AssumeSyncRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: SYNC_ROLES },
            { Sid: "ParkFailedRuns", Effect: "Allow", Action: "sqs:SendMessage", Resource: failures },
            {
                Sid: "WriteOwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: `arn:aws:logs:us-east-1:${LOGGING}:log-group:/aws/lambda/central-waf-logs-blocklist-publisher:*`,
            },
        ]);
        const publisher = ofType(run, "aws:lambda/function:Function").find(
            (f) => f.inputs.name === "central-waf-logs-blocklist-publisher",
        )!;
        assert.strictEqual(publisher.inputs.reservedConcurrentExecutions, 1, "one sync at a time");
    });

    it("syncs after every change (the table's stream) and on a schedule, both in a schedule group the scheduler role trusts alone", () => {
        const mapping = only(run, "aws:lambda/eventSourceMapping:EventSourceMapping").inputs;
        assert.deepStrictEqual(
            [
                mapping.eventSourceArn,
                mapping.startingPosition,
                mapping.maximumBatchingWindowInSeconds,
                mapping.maximumRetryAttempts,
            ],
            [only(run, "aws:dynamodb/table:Table", "response-blocklist").state.streamArn, "LATEST", 5, 2],
        );
        const schedules = ofType(run, "aws:scheduler/schedule:Schedule")
            .filter((s) => s.name.startsWith("response-"))
            .sort((a, b) => a.name.localeCompare(b.name));
        const functionArn = (name: string) => `arn:aws:lambda:us-east-1:${LOGGING}:function:${name}`;
        assert.deepStrictEqual(
            schedules.map((s) => [s.name, s.inputs.groupName, s.inputs.scheduleExpression, s.inputs.target.arn]),
            [
                [
                    "response-detection",
                    "central-waf-logs-response",
                    "rate(5 minutes)",
                    functionArn("central-waf-logs-blocklist-detector"),
                ],
                [
                    "response-sync",
                    "central-waf-logs-response",
                    "rate(5 minutes)",
                    functionArn("central-waf-logs-blocklist-publisher"),
                ],
            ],
        );
        const trust = JSON.parse(only(run, "aws:iam/role:Role", "response-scheduler-role").inputs.assumeRolePolicy);
        assert.deepStrictEqual(trust.Statement[0].Condition, {
            StringEquals: { "aws:SourceAccount": LOGGING },
            ArnEquals: {
                "aws:SourceArn": `arn:aws:scheduler:us-east-1:${LOGGING}:schedule-group/central-waf-logs-response`,
            },
        });
        assert.deepStrictEqual(rolePolicy(run, "response-scheduler-policy")[0], {
            Sid: "StartRuns",
            Effect: "Allow",
            Action: "lambda:InvokeFunction",
            Resource: [
                functionArn("central-waf-logs-blocklist-detector"),
                functionArn("central-waf-logs-blocklist-publisher"),
            ],
        });
    });

    it("alarms on the circuit breaker, an overflowing IP set, entries WAF would refuse, a stopped sync, and each account and Region that fails to sync", () => {
        const alarms = Object.fromEntries(
            ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm")
                .filter((a) => a.name.startsWith("response-"))
                .map((a) => [a.inputs.name, a.inputs]),
        );
        assert.deepStrictEqual(Object.keys(alarms).sort(), [
            "central-waf-logs-blocklist-detector-errors",
            "central-waf-logs-blocklist-failures",
            "central-waf-logs-blocklist-overflow",
            "central-waf-logs-blocklist-publisher-errors",
            "central-waf-logs-blocklist-skipped",
            "central-waf-logs-blocklist-sync-222222222222-ap-southeast-2",
            "central-waf-logs-blocklist-sync-222222222222-global",
            "central-waf-logs-blocklist-sync-222222222222-us-east-1",
            "central-waf-logs-blocklist-sync-333333333333-eu-west-1",
            "central-waf-logs-blocklist-sync-stopped",
            "central-waf-logs-circuit-breaker",
        ]);
        const pick = (a: any) => [
            a.namespace,
            a.metricName,
            a.statistic,
            a.period,
            a.comparisonOperator,
            a.threshold,
            a.evaluationPeriods,
            a.treatMissingData,
        ];
        assert.deepStrictEqual(pick(alarms["central-waf-logs-circuit-breaker"]), [
            "CentralWafLogs",
            "CircuitBreakerTripped",
            "Sum",
            300,
            "GreaterThanOrEqualToThreshold",
            1,
            1,
            "notBreaching",
        ]);
        assert.deepStrictEqual(pick(alarms["central-waf-logs-blocklist-sync-stopped"]), [
            "CentralWafLogs",
            "BlocklistSyncRuns",
            "Sum",
            900,
            "LessThanThreshold",
            1,
            1,
            "breaching",
        ]);
        assert.deepStrictEqual(pick(alarms["central-waf-logs-blocklist-skipped"]), [
            "CentralWafLogs",
            "BlocklistEntriesSkipped",
            "Maximum",
            300,
            "GreaterThanOrEqualToThreshold",
            1,
            1,
            "notBreaching",
        ]);
        const target = alarms["central-waf-logs-blocklist-sync-333333333333-eu-west-1"];
        assert.deepStrictEqual(
            [...pick(target), target.dimensions],
            [
                "CentralWafLogs",
                "BlocklistSyncFailures",
                "Sum",
                300,
                "GreaterThanOrEqualToThreshold",
                1,
                2,
                "notBreaching",
                { TargetAccount: "333333333333", TargetRegion: "eu-west-1" },
            ],
        );
    });

    it("publishes an operator policy for `npm run blocklist`: reads, and changes only through the operator function's URL, nothing else", () => {
        const policy = only(run, "aws:iam/policy:Policy", "response-operator").inputs;
        assert.strictEqual(policy.name, "central-waf-logs-blocklist-operator");
        assert.deepStrictEqual(JSON.parse(policy.policy).Statement, [
            {
                Sid: "ReadBlocklist",
                Effect: "Allow",
                Action: ["dynamodb:GetItem", "dynamodb:Scan"],
                Resource: TABLE_ARN,
            },
            { Sid: "ReadAudit", Effect: "Allow", Action: "dynamodb:Query", Resource: AUDIT_ARN },
            // No write on the tables, not even inside a transaction: a raw TransactWriteItems could
            // skip the checks or forge the audit record. Changes go through the operator function's
            // IAM-authenticated URL ("Control access to Lambda function URLs": URLs created since
            // October 2025 need both actions), which alone may write, with the audit record.
            {
                Sid: "FindOperatorUrl",
                Effect: "Allow",
                Action: "lambda:GetFunctionUrlConfig",
                Resource: OPERATOR_FUNCTION_ARN,
            },
            {
                Sid: "ChangeThroughOperatorUrl",
                Effect: "Allow",
                Action: "lambda:InvokeFunctionUrl",
                Resource: OPERATOR_FUNCTION_ARN,
                Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
            },
            {
                Sid: "InvokeOnlyThroughUrl",
                Effect: "Allow",
                Action: "lambda:InvokeFunction",
                Resource: OPERATOR_FUNCTION_ARN,
                Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
            },
        ]);
    });

    it("puts operators' changes behind an AWS_IAM function URL whose function alone writes them, with the audit record", () => {
        const url = only(run, "aws:lambda/functionUrl:FunctionUrl", "response-operator-url").inputs;
        assert.deepStrictEqual(
            [url.functionName, url.authorizationType],
            ["central-waf-logs-blocklist-operator", "AWS_IAM"],
        );
        const fn = only(run, "aws:lambda/function:Function", "response-operator-function-function");
        const rolePolicy = run.resources.find(
            (r) =>
                r.type === "aws:iam/rolePolicy:RolePolicy" &&
                (r.propertyDependencies.role ?? []).includes(
                    run.resources.find((x) => x.type === "aws:iam/role:Role" && x.state.arn === fn.inputs.role)!.urn,
                ),
        )!;
        assert.deepStrictEqual(JSON.parse(rolePolicy.inputs.policy).Statement, [
            { Sid: "ReadBlocklist", Effect: "Allow", Action: "dynamodb:GetItem", Resource: TABLE_ARN },
            {
                Sid: "WriteBlocklistWithAudit",
                Effect: "Allow",
                Action: "dynamodb:PutItem",
                Resource: [TABLE_ARN, AUDIT_ARN],
                Condition: { "ForAnyValue:StringEquals": { "dynamodb:EnclosingOperation": "TransactWriteItems" } },
            },
            {
                Sid: "WriteOwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: `arn:aws:logs:us-east-1:${LOGGING}:log-group:/aws/lambda/central-waf-logs-blocklist-operator:*`,
            },
        ]);
    });

    it("keeps only the blocklist, its audit trail and the operator policy in mode off, and says so to the resource stacks", async () => {
        const off = await runWith("logging", {
            configOverrides: { [`${P}:response`]: JSON.stringify({ mode: "off" }) },
        });
        // Switching to off must not need the tables' deletion protection lifted.
        assert.deepStrictEqual(
            off.resources
                .filter((r) => r.name.startsWith("response-"))
                .map((r) => `${r.type} ${r.name}`)
                .sort(),
            [
                "aws:dynamodb/table:Table response-audit",
                "aws:dynamodb/table:Table response-blocklist",
                "aws:iam/policy:Policy response-operator",
            ],
        );
        const resources = (r: ProgramRun) =>
            r.resources.filter((x) => x.name.startsWith("response-") && x.type.startsWith("aws:dynamodb"));
        assert.deepStrictEqual(
            resources(off).map((r) => [r.urn, r.inputs]),
            resources(run).map((r) => [r.urn, r.inputs]),
            "the same tables, with the same URNs, as in the other modes",
        );
        assert.deepStrictEqual(
            [off.outputs.responseMode, off.outputs.blocklistTableName],
            ["off", "central-waf-logs-blocklist"],
        );
    });

    it("rejects bad response settings, naming each key and the fix", async () => {
        assert.strictEqual(
            await failureOf("logging", {
                configOverrides: {
                    [`${P}:response`]: JSON.stringify({
                        mode: "enforce",
                        threshold: 5,
                        detectionSchedule: "every 5 minutes",
                        blockMinutes: 600,
                        maxBlockMinutes: 60,
                        allowlist: ["10.0.0.1/8", "not-an-ip"],
                        globalMinAccounts: 0,
                        trustedEvidenceAccounts: ["12345"],
                        timestampSlackMinutes: 90,
                        colour: "red",
                    }),
                },
            }),
            [
                `Invalid config ${P}:response.mode in Pulumi.logging.yaml: "enforce" is not a response mode. Fix: use off (nothing deployed), count (a dry run: WAF counts and labels matches) or block.`,
                `Invalid config ${P}:response.threshold in Pulumi.logging.yaml: 5 is not a whole number from 10 to 100000000. Fix: use a value in that range.`,
                `Invalid config ${P}:response.detectionSchedule in Pulumi.logging.yaml: "every 5 minutes" is not a schedule expression. Fix: use rate(...) or cron(...), e.g. rate(5 minutes).`,
                `Invalid config ${P}:response.allowlist[0] in Pulumi.logging.yaml: 10.0.0.1/8 has host bits set; AWS WAF takes the network address: use 10.0.0.0/8. Fix: write an IP address or a CIDR range such as 203.0.113.0/24.`,
                `Invalid config ${P}:response.allowlist[1] in Pulumi.logging.yaml: "not-an-ip" is not an IP address or CIDR range. Fix: write an IP address or a CIDR range such as 203.0.113.0/24.`,
                `Invalid config ${P}:response.globalMinAccounts in Pulumi.logging.yaml: 0 is not a whole number from 1 to 100. Fix: use a value in that range.`,
                `Invalid config ${P}:response.trustedEvidenceAccounts[0] in Pulumi.logging.yaml: "12345" is not a 12-digit AWS account ID. Fix: write the ID as a quoted 12-digit string, e.g. "123456789012".`,
                `Invalid config ${P}:response.timestampSlackMinutes in Pulumi.logging.yaml: 90 is not a whole number from 0 to 60. Fix: use a value in that range.`,
                `Invalid config ${P}:response.colour in Pulumi.logging.yaml: is not a known setting. Fix: use one of mode, threshold, detectionSchedule, lookbackMinutes, syncSchedule, blockMinutes, maxBlockMinutes, repeatWindowDays, allowlist, maxNewEntriesPerRun, globalMinAccounts, trustedEvidenceAccounts, timestampSlackMinutes, bytesScannedCutoffMiB, aggregatePrefixMinAddresses.`,
                `Invalid config ${P}:response.maxBlockMinutes in Pulumi.logging.yaml: 60 is shorter than blockMinutes (600). Fix: use at least blockMinutes.`,
            ].join("\n"),
        );
    });
});

describe("schedule expressions and the detection lookback (config/schedule.ts)", () => {
    it("accepts what EventBridge Scheduler accepts, and says what is wrong with the rest", () => {
        const cases: [string, string | undefined][] = [
            ["rate(5 minutes)", undefined],
            ["rate(1 minute)", undefined],
            ["rate(2 hours)", undefined],
            ["rate(1 day)", undefined],
            ["cron(30 1 * * ? *)", undefined],
            ["rate(0 minutes)", '"rate(0 minutes)" never runs: the value must be 1 or more'],
            ["rate(1 minutes)", '"rate(1 minutes)" must use the singular unit: rate(1 minute)'],
            ["rate(5 minute)", '"rate(5 minute)" must use the plural unit: rate(5 minutes)'],
            ["rate(-5 minutes)", '"rate(-5 minutes)" is not a rate: write rate(<whole number> <unit>)'],
            ["rate(1.5 hours)", '"rate(1.5 hours)" is not a rate: write rate(<whole number> <unit>)'],
            ["rate(5 seconds)", '"rate(5 seconds)" is not a rate: write rate(<whole number> <unit>)'],
            [
                "cron(30 1 * * ?)",
                '"cron(30 1 * * ?)" has 5 cron fields, not 6 (minutes hours day-of-month month day-of-week year)',
            ],
            ["every 5 minutes", '"every 5 minutes" is not a schedule expression'],
        ];
        for (const [expression, problem] of cases) assert.strictEqual(scheduleProblem(expression), problem, expression);
        assert.deepStrictEqual(
            ["rate(5 minutes)", "rate(1 hour)", "rate(2 days)", "cron(0/5 * * * ? *)"].map(rateMinutes),
            [5, 60, 2880, undefined],
        );
    });

    it("refuses a lookback that leaves bursts between two detection runs unexamined, and a bad cutoff", async () => {
        assert.strictEqual(
            await failureOf("logging", {
                configOverrides: {
                    [`${P}:response`]: JSON.stringify({
                        mode: "count",
                        detectionSchedule: "rate(1 hour)",
                        lookbackMinutes: 15,
                        syncSchedule: "rate(1 minutes)",
                        bytesScannedCutoffMiB: 5,
                    }),
                },
            }),
            [
                `Invalid config ${P}:response.syncSchedule in Pulumi.logging.yaml: "rate(1 minutes)" must use the singular unit: rate(1 minute). Fix: use rate(...) or cron(...), e.g. rate(5 minutes).`,
                `Invalid config ${P}:response.bytesScannedCutoffMiB in Pulumi.logging.yaml: 5 is not a whole number from 10 to 1048576. Fix: use a value in that range.`,
                `Invalid config ${P}:response.lookbackMinutes in Pulumi.logging.yaml: 15 minutes leaves bursts unexamined between runs every 60 minutes (a window needs 5 minutes to complete and up to 5 to arrive). Fix: use at least 70, or run detection more often.`,
            ].join("\n"),
        );
    });
});

describe("resource stacks: enforcing the central blocklist", () => {
    let usEast: ProgramRun;
    before(async () => {
        usEast = await committedRun("resource-us-east-1");
    });

    it("creates a REGIONAL IPv4 and IPv6 set whose addresses only the publisher manages", () => {
        const sets = ofType(usEast, "aws:wafv2/ipSet:IpSet");
        assert.deepStrictEqual(
            sets.map((s) => [
                s.inputs.name,
                s.inputs.scope,
                s.inputs.ipAddressVersion,
                s.inputs.addresses,
                s.ignoreChanges,
            ]),
            [
                ["central-waf-logs-blocklist-ipv4", "REGIONAL", "IPV4", [], ["addresses"]],
                ["central-waf-logs-blocklist-ipv6", "REGIONAL", "IPV6", [], ["addresses"]],
            ],
        );
    });

    it("checks the blocklist before every other rule, blocking (the committed mode) and labelling", () => {
        const [rule] = only(usEast, "aws:wafv2/webAcl:WebAcl").inputs.rules;
        const [ipv4, ipv6] = ofType(usEast, "aws:wafv2/ipSet:IpSet").map((s) => s.state.arn);
        assert.deepStrictEqual(rule, {
            name: "central-blocklist",
            priority: 0,
            action: { block: {} },
            ruleLabels: [{ name: "central-waf-logs:blocklisted" }],
            statement: {
                orStatement: {
                    statements: [
                        { ipSetReferenceStatement: { arn: ipv4 } },
                        { ipSetReferenceStatement: { arn: ipv6 } },
                    ],
                },
            },
            visibilityConfig: {
                cloudwatchMetricsEnabled: true,
                sampledRequestsEnabled: true,
                metricName: "central-blocklist",
            },
        });
    });

    it("lets only the publisher's role assume the sync role, which may invoke this Region's applier and nothing else", () => {
        const role = only(usEast, "aws:iam/role:Role", "blocklist-sync-role");
        assert.strictEqual(role.inputs.name, "central-waf-logs-blocklist-sync-us-east-1");
        assert.strictEqual(role.state.arn, SYNC_ROLES[0]);
        assert.deepStrictEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
            {
                Sid: "AssumedByPublisher",
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::111111111111:root" },
                Condition: { ArnEquals: { "aws:PrincipalArn": [PUBLISHER_ROLE] } },
                Action: "sts:AssumeRole",
            },
        ]);
        // No wafv2 action at all: a compromised logging account cannot get past the applier's checks.
        assert.deepStrictEqual(
            policyDocument(only(usEast, "aws:iam/rolePolicy:RolePolicy", "blocklist-sync-policy").inputs.policy),
            {
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "InvokeBlocklistApplier",
                        Effect: "Allow",
                        Action: "lambda:InvokeFunction",
                        Resource: APPLIER_US_EAST,
                    },
                ],
            },
        );
        assert.strictEqual(usEast.outputs.blocklistApplierArn, APPLIER_US_EAST);
    });

    it("runs the applier as a role only Lambda here may assume, allowed to get and update its own two sets and write its logs", () => {
        const fn = only(usEast, "aws:lambda/function:Function", "blocklist-applier-function");
        assert.deepStrictEqual(
            [fn.inputs.name, fn.state.arn, fn.inputs.runtime, fn.inputs.timeout, fn.inputs.memorySize],
            ["central-waf-logs-blocklist-applier-us-east-1", APPLIER_US_EAST, "nodejs22.x", 60, 256],
        );
        const role = only(usEast, "aws:iam/role:Role", "blocklist-applier-role");
        assert.strictEqual(role.inputs.name, "central-waf-logs-blocklist-applier-us-east-1");
        assert.deepStrictEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "222222222222" } },
            },
        ]);
        const sets = ofType(usEast, "aws:wafv2/ipSet:IpSet");
        assert.deepStrictEqual(rolePolicy(usEast, "blocklist-applier-policy"), [
            {
                Sid: "UpdateBlocklistSets",
                Effect: "Allow",
                Action: ["wafv2:GetIPSet", "wafv2:UpdateIPSet"],
                Resource: sets.map((s) => s.state.arn),
            },
            {
                Sid: "WriteOwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource:
                    "arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/central-waf-logs-blocklist-applier-us-east-1:*",
            },
        ]);
        assert.deepStrictEqual(fn.inputs.environment.variables, {
            IPV4_SET_ID: `${sets[0].name}-id`,
            IPV6_SET_ID: `${sets[1].name}-id`,
        });
    });

    it("alarms in the resource account on refusals and on applier failures (names the alert forwarder matches)", () => {
        const alarms = ofType(usEast, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) =>
            a.name.startsWith("blocklist-"),
        );
        assert.deepStrictEqual(
            alarms.map((a) => [
                a.inputs.name,
                a.inputs.namespace,
                a.inputs.metricName,
                a.inputs.dimensions,
                a.inputs.statistic,
                a.inputs.comparisonOperator,
                a.inputs.threshold,
                a.inputs.treatMissingData,
            ]),
            [
                [
                    "central-waf-logs-blocklist-refused-us-east-1",
                    "CentralWafLogs",
                    "BlocklistEntriesRefused",
                    { FunctionName: "central-waf-logs-blocklist-applier-us-east-1" },
                    "Sum",
                    "GreaterThanOrEqualToThreshold",
                    1,
                    "notBreaching",
                ],
                [
                    "central-waf-logs-blocklist-applier-us-east-1-errors",
                    "AWS/Lambda",
                    "Errors",
                    { FunctionName: "central-waf-logs-blocklist-applier-us-east-1" },
                    "Sum",
                    "GreaterThanOrEqualToThreshold",
                    1,
                    "notBreaching",
                ],
            ],
        );
    });

    it("bakes this account's own limits into its applier: /24 and /48 by default, its own allowlist", async () => {
        const usSource = await deployedSource(usEast, "central-waf-logs-blocklist-applier-us-east-1");
        assert.match(usSource, /__settings\.maxAddresses = 10000;/);
        const ireland = await committedRun("resource-eu-west-1");
        const irelandSource = await deployedSource(ireland, "central-waf-logs-blocklist-applier-eu-west-1");
        assert.ok(irelandSource.includes("198.51.100.0/26"), "eu-west-1's own allowlist is baked in");
        assert.ok(!usSource.includes("198.51.100.0/26"), "us-east-1 has none");
        const wider = await runWith("resource-us-east-1", {
            configOverrides: { "central-waf-logs:response": JSON.stringify({ maxPrefixIpv4: 16, maxPrefixIpv6: 32 }) },
        });
        const widerSource = await deployedSource(wider, "central-waf-logs-blocklist-applier-us-east-1");
        assert.match(widerSource, /__settings_broadestPrefix = \{ipv4: 16, ipv6: 32\};/);
        assert.match(usSource, /__settings_broadestPrefix = \{ipv4: 24, ipv6: 48\};/);
    });

    it("rejects bad resource response settings, naming each key and the fix", async () => {
        const message = await failureOf("resource-us-east-1", {
            configOverrides: {
                "central-waf-logs:response": JSON.stringify({
                    maxPrefixIpv4: 4,
                    maxPrefixIpv6: 200,
                    allowlist: ["10.0.0.0/4"],
                    mode: "block",
                }),
            },
        });
        assert.strictEqual(
            message,
            [
                "Invalid config central-waf-logs:response.maxPrefixIpv4 in Pulumi.resource-us-east-1.yaml: 4 is not a whole number from 8 to 32. Fix: use a value in that range.",
                "Invalid config central-waf-logs:response.maxPrefixIpv6 in Pulumi.resource-us-east-1.yaml: 200 is not a whole number from 32 to 128. Fix: use a value in that range.",
                "Invalid config central-waf-logs:response.allowlist[0] in Pulumi.resource-us-east-1.yaml: 10.0.0.0/4 is broader than /8; an allowlist entry that broad exempts so much of the internet that it disables the response loop for it; list your own NATs, partners and health checkers, no broader than /8 (IPv4) or /16 (IPv6). Fix: write an IP address or a CIDR range such as 203.0.113.0/24.",
                "Invalid config central-waf-logs:response.mode in Pulumi.resource-us-east-1.yaml: is not a known setting. Fix: use one of maxPrefixIpv4, maxPrefixIpv6, allowlist.",
            ].join("\n"),
        );
    });

    it("counts instead of blocking in mode count, and has no blocklist in mode off", async () => {
        const logging = await committedRun("logging");
        const withMode = (responseMode: string) =>
            runWith("resource-us-east-1", {
                stackOutputs: {
                    "organization/central-waf-logs/logging": { ...logging.outputs, responseMode },
                },
            });
        const count = await withMode("count");
        assert.deepStrictEqual(only(count, "aws:wafv2/webAcl:WebAcl").inputs.rules[0].action, { count: {} });
        const off = await withMode("off");
        assert.deepStrictEqual(
            only(off, "aws:wafv2/webAcl:WebAcl").inputs.rules.map((r: { name: string }) => r.name)[0],
            "rate-limit-per-client-ip",
        );
        assert.strictEqual(ofType(off, "aws:wafv2/ipSet:IpSet").length, 0);
        assert.strictEqual(ofType(off, "aws:iam/role:Role").filter((r) => r.name.startsWith("blocklist")).length, 0);
    });
});
