/**
 * Coverage: the read-only inventory role every resource stack creates, the logging account's scan
 * (its role, schedule, alarms and dashboard row), the WAFV2 stand-in's web ACL operations, and the
 * scan as deployed against the STS and WAFV2 stand-ins with the planned trust and permissions.
 */
import * as stsSdk from "@aws-sdk/client-sts";
import * as wafSdk from "@aws-sdk/client-wafv2";
import * as assert from "assert";
import { CoverageTarget, carriesBlocklist, coverageTable, judge } from "../handlers/coverage";
import { webAclConnector } from "../handlers/coverageLambda";
import { coverageInventoryStatements } from "../components/coverageInventory";
import { coverageSettings } from "../components/coverageScan";
import { coverageMain, parseCoverageArgs } from "../tools/cli/coverage";
import { LambdaServer, startLambdaServer } from "../tools/local/aws/lambdaServer";
import { LocalCoverage, startLocalCoverage, trustAdmits } from "../tools/local/localCoverage";
import { ProgramRun } from "../tools/local/mockEngine";
import { StsServer, startStsServer } from "../tools/local/aws/stsServer";
import { WafServer, startWafServer } from "../tools/local/aws/wafServer";
import { captured } from "./support/lambdaRuntime";
import { committedRun, committedRuns, ofType, only, policyDocument, runWith } from "./support/program";

const LOGGING = "111111111111";
const SCANNER = `arn:aws:iam::${LOGGING}:role/central-waf-logs-coverage`;
/** The committed logging stack's admitted accounts and Regions, in its config's order. */
const LOCATIONS = [
    ["222222222222", "us-east-1"],
    ["222222222222", "ap-southeast-2"],
    // The account's CloudFront web ACLs (resource-global): read in us-east-1, scope CLOUDFRONT.
    ["222222222222", "global"],
    ["333333333333", "eu-west-1"],
];

describe("coverage: the read-only inventory role of every resource stack", () => {
    let resources: ProgramRun[];
    before(async function () {
        // The mocked program runs of every committed stack, shared with the other test files.
        this.timeout(600_000);
        resources = (await committedRuns()).filter((r) => r.stack.startsWith("resource-"));
        assert.strictEqual(resources.length, LOCATIONS.length);
    });

    it("trusts the logging account's coverage role alone, by aws:PrincipalArn (IAM refuses a principal naming a role not yet created)", () => {
        for (const run of resources) {
            const region = run.outputs.region;
            const role = only(run, "aws:iam/role:Role", "coverage-role");
            assert.strictEqual(role.inputs.name, `central-waf-logs-coverage-${region}`);
            assert.strictEqual(role.inputs.maxSessionDuration, 3600);
            assert.deepStrictEqual(policyDocument(role.inputs.assumeRolePolicy), {
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { AWS: `arn:aws:iam::${LOGGING}:root` },
                        Action: "sts:AssumeRole",
                        Condition: { ArnEquals: { "aws:PrincipalArn": SCANNER } },
                    },
                ],
            });
            assert.strictEqual(run.outputs.coverageInventoryRoleArn, role.state.arn);
        }
    });

    it("may list web ACLs and read them and their logging configuration, in its own account and Region, and nothing else", () => {
        for (const run of resources) {
            const { accountId, region } = run.outputs;
            const policy = only(run, "aws:iam/rolePolicy:RolePolicy", "coverage-policy");
            assert.deepStrictEqual(policy.propertyDependencies.role, [
                only(run, "aws:iam/role:Role", "coverage-role").urn,
            ]);
            assert.deepStrictEqual(policyDocument(policy.inputs.policy), {
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "ReadWebAcls",
                        Effect: "Allow",
                        Action: ["wafv2:GetLoggingConfiguration", "wafv2:GetWebACL"],
                        Resource:
                            region === "global"
                                ? `arn:aws:wafv2:us-east-1:${accountId}:global/webacl/*/*`
                                : `arn:aws:wafv2:${region}:${accountId}:regional/webacl/*/*`,
                    },
                    { Sid: "ListWebAcls", Effect: "Allow", Action: "wafv2:ListWebACLs", Resource: "*" },
                ],
            });
        }
    });

    it("reads CloudFront web ACLs through us-east-1's global scope for the Region global", () => {
        assert.deepStrictEqual(
            coverageInventoryStatements({ accountId: "222222222222", region: "global", partition: "aws" })[0].Resource,
            "arn:aws:wafv2:us-east-1:222222222222:global/webacl/*/*",
        );
    });

    it("trusts the scanner's sessions and no other principal of the logging account (trust evaluated as IAM does)", () => {
        const trust = policyDocument(only(resources[0], "aws:iam/role:Role", "coverage-role").inputs.assumeRolePolicy);
        const session = (role: string) => `arn:aws:sts::${LOGGING}:assumed-role/${role}/s`;
        assert.strictEqual(trustAdmits(trust.Statement, session("central-waf-logs-coverage")), true);
        assert.strictEqual(trustAdmits(trust.Statement, session("central-waf-logs-blocklist-publisher")), false);
        assert.strictEqual(
            trustAdmits(trust.Statement, "arn:aws:sts::999999999999:assumed-role/central-waf-logs-coverage/s"),
            false,
        );
    });
});

describe("coverage: the scan in the logging account", () => {
    let logging: ProgramRun;
    before(async function () {
        this.timeout(600_000);
        logging = await committedRun("logging");
    });

    it("runs as the fixed coverage role, which may only assume each admitted account's and Region's inventory role", () => {
        const role = only(logging, "aws:iam/role:Role", "coverage-role");
        assert.strictEqual(role.state.arn, SCANNER);
        assert.strictEqual(logging.outputs.coverageScannerRoleArn, SCANNER);
        const policy = policyDocument(only(logging, "aws:iam/rolePolicy:RolePolicy", "coverage-policy").inputs.policy);
        assert.deepStrictEqual(policy.Statement, [
            {
                Sid: "AssumeInventoryRoles",
                Effect: "Allow",
                Action: "sts:AssumeRole",
                Resource: LOCATIONS.map(([a, r]) => `arn:aws:iam::${a}:role/central-waf-logs-coverage-${r}`),
            },
            {
                Sid: "WriteOwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/central-waf-logs-coverage:*",
            },
        ]);
    });

    it("starts every hour from an EventBridge rule that alone may invoke it, without retries", () => {
        const rule = only(logging, "aws:cloudwatch/eventRule:EventRule", "coverage-schedule");
        assert.strictEqual(rule.inputs.scheduleExpression, "rate(1 hour)");
        const permission = only(logging, "aws:lambda/permission:Permission", "coverage-invoke");
        assert.deepStrictEqual(
            [permission.inputs.principal, permission.inputs.action, permission.inputs.sourceArn],
            ["events.amazonaws.com", "lambda:InvokeFunction", rule.state.arn],
        );
        const target = only(logging, "aws:cloudwatch/eventTarget:EventTarget", "coverage-target");
        assert.strictEqual(
            target.inputs.arn,
            only(logging, "aws:lambda/function:Function", "coverage-function").state.arn,
        );
        const invoke = only(
            logging,
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
            "coverage-async",
        );
        assert.strictEqual(invoke.inputs.maximumRetryAttempts, 0);
    });

    it("raises one alarm per admitted account and Region on its coverage gaps, and when the scan stops reporting", () => {
        const alarms = ofType(logging, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) =>
            a.inputs.name.startsWith("central-waf-logs-coverage-"),
        );
        const topic = only(logging, "aws:sns/topic:Topic").state.arn;
        assert.deepStrictEqual(
            alarms.map((a) => a.inputs.name).sort(),
            [
                ...LOCATIONS.map(([a, r]) => `central-waf-logs-coverage-${a}-${r}`),
                "central-waf-logs-coverage-errors",
            ].sort(),
        );
        const one = alarms.find((a) => a.inputs.name === "central-waf-logs-coverage-333333333333-eu-west-1")!;
        const { alarmDescription, ...inputs } = one.inputs;
        assert.match(
            alarmDescription,
            /333333333333\/eu-west-1 does not log to the platform or lacks the central blocklist/,
        );
        assert.deepStrictEqual(Object.fromEntries(Object.entries(inputs).filter(([k]) => k !== "name")), {
            namespace: "CentralWafLogs",
            metricName: "CoverageGaps",
            dimensions: { TargetAccount: "333333333333", TargetRegion: "eu-west-1" },
            statistic: "Maximum",
            period: 3600,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            treatMissingData: "breaching",
            alarmActions: [topic],
            okActions: [topic],
        });
    });

    it("adds a coverage row to the delivery dashboard: gaps per account/Region and the coverage alarms", () => {
        const body = JSON.parse(only(logging, "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
        const [graph, alarms] = body.widgets.slice(8);
        assert.deepStrictEqual([graph.x, graph.y, alarms.x, alarms.y], [0, 24, 12, 24]);
        assert.deepStrictEqual(
            graph.properties.metrics,
            LOCATIONS.map(([a, r]) => [
                "CentralWafLogs",
                "CoverageGaps",
                "TargetAccount",
                a,
                "TargetRegion",
                r,
                { label: `${a}/${r}` },
            ]),
        );
        assert.deepStrictEqual(
            alarms.properties.alarms,
            LOCATIONS.map(
                ([a, r]) => `arn:aws:cloudwatch:us-east-1:${LOGGING}:alarm:central-waf-logs-coverage-${a}-${r}`,
            ),
        );
        const planned = ofType(logging, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.state.arn);
        for (const arn of alarms.properties.alarms) assert.ok(planned.includes(arn), `${arn} is not a planned alarm`);
    });
});

describe("coverage: judging one web ACL", () => {
    const settings = coverageSettings(true);
    const target: CoverageTarget = { accountId: "222222222222", region: "eu-west-1", roleArn: "r" };
    const acl = { name: "shop", id: "1", arn: "arn:aws:wafv2:eu-west-1:222222222222:regional/webacl/shop/1" };
    const ipSetRule = (name: string) => ({
        Name: "any-name",
        Statement: {
            OrStatement: {
                Statements: [
                    {
                        IPSetReferenceStatement: {
                            ARN: `arn:aws:wafv2:eu-west-1:222222222222:regional/ipset/${name}/abc`,
                        },
                    },
                ],
            },
        },
    });
    const stream = (account: string, region: string, name: string) =>
        `arn:aws:firehose:${region}:${account}:deliverystream/${name}`;

    it("accepts the platform's stream of the web ACL's own account and Region only", () => {
        const logging = (d: string) => judge(settings, target, acl, [], [d]).logging;
        assert.strictEqual(logging(stream("222222222222", "eu-west-1", "aws-waf-logs-central-eu-west-1")), "platform");
        assert.strictEqual(logging(stream("222222222222", "eu-west-1", "aws-waf-logs-siem")), "elsewhere");
        assert.strictEqual(logging(stream("222222222222", "us-east-1", "aws-waf-logs-central-us-east-1")), "elsewhere");
        assert.strictEqual(logging(stream("999999999999", "eu-west-1", "aws-waf-logs-central-eu-west-1")), "elsewhere");
        assert.strictEqual(logging("arn:aws:s3:::aws-waf-logs-central-eu-west-1"), "elsewhere");
        assert.strictEqual(judge(settings, target, acl, [], undefined).logging, "none");
    });

    it("finds the blocklist by its IP sets or by a rule group named central-waf-logs-blocklist*, at any depth, never by rule name", () => {
        assert.strictEqual(carriesBlocklist(settings, [ipSetRule("central-waf-logs-blocklist-ipv6")]), true);
        assert.strictEqual(carriesBlocklist(settings, [ipSetRule("my-own-blocklist")]), false);
        assert.strictEqual(
            carriesBlocklist(settings, [
                { Name: "central-blocklist", Statement: { IPSetReferenceStatement: { ARN: "x" } } },
            ]),
            false,
        );
        const group = (name: string) => ({
            Name: "g",
            Statement: {
                RuleGroupReferenceStatement: {
                    ARN: `arn:aws:wafv2:eu-west-1:222222222222:regional/rulegroup/${name}/id`,
                },
            },
        });
        assert.strictEqual(carriesBlocklist(settings, [group("central-waf-logs-blocklist-eu-west-1")]), true);
        assert.strictEqual(carriesBlocklist(settings, [group("partner-blocklist")]), false);
        // Firewall Manager's rule groups hold the reference in FirewallManagerStatement.
        assert.strictEqual(
            carriesBlocklist(settings, [
                { Name: "fms", FirewallManagerStatement: group("central-waf-logs-blocklist").Statement },
            ]),
            true,
        );
        assert.strictEqual(carriesBlocklist(settings, [null, 3, "x", { Statement: null }] as unknown[]), false);
    });

    it("does not require the blocklist when the response loop is off", () => {
        const judged = judge(
            coverageSettings(false),
            target,
            acl,
            [],
            [stream("222222222222", "eu-west-1", "aws-waf-logs-central-eu-west-1")],
        );
        assert.deepStrictEqual([judged.blocklist, judged.problems], [false, []]);
    });
});

describe("coverage: the WAFV2 stand-in's web ACL operations", () => {
    let sts: StsServer;
    let waf: WafServer;
    let denied: string[];
    const client = (region: string, key = "AKIDOWNER") =>
        new wafSdk.WAFV2Client({
            region,
            endpoint: waf.url,
            credentials: { accessKeyId: key, secretAccessKey: "s" },
            maxAttempts: 1,
        });
    before(async () => {
        sts = await startStsServer({ mayAssume: () => false });
        sts.register("AKIDOWNER", "arn:aws:iam::222222222222:role/owner");
        sts.register("AKIDNOBODY", "arn:aws:iam::222222222222:role/nobody");
        denied = [];
        waf = await startWafServer({
            resolveCaller: sts.resolveCaller,
            authorize: (caller, operation, arn) => {
                if (caller.principalArn.endsWith("/nobody")) denied.push(`${operation} ${arn}`);
                return !caller.principalArn.endsWith("/nobody");
            },
        });
        for (let i = 0; i < 3; i++)
            waf.createWebAcl({ accountId: "222222222222", region: "eu-west-1", name: `acl-${i}` });
        waf.createWebAcl({ accountId: "222222222222", region: "us-east-1", scope: "CLOUDFRONT", name: "cdn" });
    });
    after(async () => {
        await Promise.all([sts?.close(), waf?.close()]);
    });

    it("seeds a web ACL that existed before the stack under its own ID, and refuses an ID that is not one", async () => {
        const { arn } = waf.createWebAcl({
            accountId: "444444444444",
            region: "eu-west-1",
            name: "kept",
            id: "abc-123",
        });
        assert.strictEqual(arn, "arn:aws:wafv2:eu-west-1:444444444444:regional/webacl/kept/abc-123");
        assert.throws(
            () => waf.createWebAcl({ accountId: "444444444444", region: "eu-west-1", name: "bad", id: "a/b" }),
            /"a\/b" is not a web ACL ID/,
        );
    });

    it("lists web ACLs per account, Region and scope, in pages (ListWebACLs)", async () => {
        const first = await client("eu-west-1").send(new wafSdk.ListWebACLsCommand({ Scope: "REGIONAL", Limit: 2 }));
        assert.deepStrictEqual(
            first.WebACLs!.map((a) => a.Name),
            ["acl-0", "acl-1"],
        );
        assert.match(first.WebACLs![0].ARN!, /^arn:aws:wafv2:eu-west-1:222222222222:regional\/webacl\/acl-0\/[\w-]+$/);
        const second = await client("eu-west-1").send(
            new wafSdk.ListWebACLsCommand({ Scope: "REGIONAL", Limit: 2, NextMarker: first.NextMarker }),
        );
        assert.deepStrictEqual([second.WebACLs!.map((a) => a.Name), second.NextMarker], [["acl-2"], undefined]);
        const cdn = await client("us-east-1").send(new wafSdk.ListWebACLsCommand({ Scope: "CLOUDFRONT" }));
        assert.match(cdn.WebACLs![0].ARN!, /^arn:aws:wafv2:us-east-1:222222222222:global\/webacl\/cdn\//);
        // CloudFront web ACLs are managed through us-east-1 only (API reference, "Scope").
        await assert.rejects(client("eu-west-1").send(new wafSdk.ListWebACLsCommand({ Scope: "CLOUDFRONT" })), {
            name: "WAFInvalidParameterException",
        });
        await assert.rejects(
            client("eu-west-1").send(new wafSdk.ListWebACLsCommand({ Scope: "REGIONAL", Limit: 101 })),
            {
                name: "WAFInvalidParameterException",
            },
        );
    });

    it("answers GetWebACL by name, scope and ID, and GetLoggingConfiguration with the destination or WAFNonexistentItemException", async () => {
        const [acl] = (await client("eu-west-1").send(new wafSdk.ListWebACLsCommand({ Scope: "REGIONAL" }))).WebACLs!;
        const got = await client("eu-west-1").send(
            new wafSdk.GetWebACLCommand({ Name: acl.Name, Scope: "REGIONAL", Id: acl.Id }),
        );
        assert.deepStrictEqual([got.WebACL!.ARN, got.WebACL!.Rules, typeof got.LockToken], [acl.ARN, [], "string"]);
        await assert.rejects(
            client("eu-west-1").send(new wafSdk.GetWebACLCommand({ Name: "acl-1", Scope: "REGIONAL", Id: acl.Id })),
            { name: "WAFNonexistentItemException" },
        );
        await assert.rejects(
            client("eu-west-1").send(new wafSdk.GetLoggingConfigurationCommand({ ResourceArn: acl.ARN })),
            {
                name: "WAFNonexistentItemException",
            },
        );
        const destination = "arn:aws:firehose:eu-west-1:222222222222:deliverystream/aws-waf-logs-central-eu-west-1";
        waf.putLoggingConfiguration(acl.ARN!, [destination]);
        const logging = await client("eu-west-1").send(
            new wafSdk.GetLoggingConfigurationCommand({ ResourceArn: acl.ARN }),
        );
        assert.deepStrictEqual(logging.LoggingConfiguration, {
            ResourceArn: acl.ARN,
            LogDestinationConfigs: [destination],
            ManagedByFirewallManager: false,
            LogType: "WAF_LOGS",
            LogScope: "CUSTOMER",
        });
        // Another Region's credentials do not see this web ACL.
        await assert.rejects(
            client("us-east-1").send(new wafSdk.GetLoggingConfigurationCommand({ ResourceArn: acl.ARN })),
            {
                name: "WAFNonexistentItemException",
            },
        );
        await assert.rejects(
            client("eu-west-1").send(new wafSdk.GetLoggingConfigurationCommand({ ResourceArn: "not-an-arn" })),
            { name: "WAFInvalidParameterException" },
        );
        // A logging destination's name must start with aws-waf-logs- (developer guide, "Logging destinations").
        assert.throws(
            () =>
                waf.putLoggingConfiguration(acl.ARN!, ["arn:aws:firehose:eu-west-1:222222222222:deliverystream/logs"]),
            /aws-waf-logs-/,
        );
    });

    it("authorizes each call on the web ACL's ARN", async () => {
        const [acl] = (await client("eu-west-1").send(new wafSdk.ListWebACLsCommand({ Scope: "REGIONAL" }))).WebACLs!;
        for (const command of [
            new wafSdk.ListWebACLsCommand({ Scope: "REGIONAL" }),
            new wafSdk.GetWebACLCommand({ Name: acl.Name, Scope: "REGIONAL", Id: acl.Id }),
            new wafSdk.GetLoggingConfigurationCommand({ ResourceArn: acl.ARN }),
        ]) {
            await assert.rejects(client("eu-west-1", "AKIDNOBODY").send(command as any), {
                name: "AccessDeniedException",
            });
        }
        assert.deepStrictEqual(denied, [
            "ListWebACLs arn:aws:wafv2:eu-west-1:222222222222:regional/webacl/*",
            `GetWebACL ${acl.ARN}`,
            `GetLoggingConfiguration ${acl.ARN}`,
        ]);
    });

    it("scans a global target through us-east-1 with scope CLOUDFRONT", async () => {
        // The owner's key stands in for the assumed session: this checks the scope and Region only.
        const fakeSts = { send: async () => ({ Credentials: { AccessKeyId: "AKIDOWNER", SecretAccessKey: "s" } }) };
        const connect = webAclConnector(stsSdk, wafSdk, fakeSts, { endpoint: waf.url });
        const calls = await connect({ accountId: "222222222222", region: "global", roleArn: "r" });
        assert.deepStrictEqual(
            (await calls.list()).map((a) => a.name),
            ["cdn"],
        );
        calls.close();
    });
});

describe("coverage: the scan, as deployed, against the STS and WAFV2 stand-ins", () => {
    let local: LocalCoverage;
    before(async function () {
        this.timeout(600_000);
        // The logging stack admits a fourth location whose resource stack was never deployed.
        const logging = await runWith("logging", {
            configOverrides: {
                "central-waf-logs:resourceAccounts": JSON.stringify([
                    { accountId: "222222222222", regions: ["us-east-1", "ap-southeast-2"] },
                    { accountId: "333333333333", regions: ["eu-west-1"] },
                    { accountId: "444444444444", regions: ["eu-central-1"] },
                ]),
            },
        });
        const resources = (await committedRuns()).filter((r) => r.stack.startsWith("resource-"));
        local = await startLocalCoverage([logging, ...resources]);
        const add = (name: string, rules: unknown[], destination?: string) => {
            const { arn } = local.waf.createWebAcl({ accountId: "222222222222", region: "us-east-1", name, rules });
            if (destination) local.waf.putLoggingConfiguration(arn, [destination]);
        };
        const blocklistRule = {
            Name: "central-blocklist",
            Statement: {
                IPSetReferenceStatement: {
                    ARN: "arn:aws:wafv2:us-east-1:222222222222:regional/ipset/central-waf-logs-blocklist-ipv4/x",
                },
            },
        };
        const platform = "arn:aws:firehose:us-east-1:222222222222:deliverystream/aws-waf-logs-central-us-east-1";
        add("legacy-siem", [blocklistRule], "arn:aws:firehose:us-east-1:222222222222:deliverystream/aws-waf-logs-siem");
        add("marketing-site", []);
        add("partner-api", [], platform);
        add(
            "adopted-api",
            [
                {
                    Name: "central-waf-logs-blocklist",
                    Statement: {
                        RuleGroupReferenceStatement: {
                            ARN: "arn:aws:wafv2:us-east-1:222222222222:regional/rulegroup/central-waf-logs-blocklist-us-east-1/y",
                        },
                    },
                },
            ],
            platform,
        );
    });
    after(async () => {
        await local?.close();
    });

    it("reports each web ACL that logs elsewhere, does not log or lacks the blocklist, and a target whose role cannot be assumed, without failing", async () => {
        const run = await captured(() => local.scan());
        assert.ifError(run.error);
        const summary = run.result!;
        const byTarget = Object.fromEntries(
            summary.targets.map((t) => [
                t.target,
                t.status === "failed" ? t.error : t.webAcls.map((a) => [a.name, a.problems]),
            ]),
        );
        assert.match(
            byTarget["444444444444/eu-central-1"] as string,
            /^AccessDenied: User: arn:aws:sts::111111111111:assumed-role\/central-waf-logs-coverage\/local is not authorized to perform: sts:AssumeRole/,
        );
        const planned = (region: string) => [local.webAcls.find((a) => a.region === region)!.arn.split("/")[2], []];
        assert.deepStrictEqual(byTarget["222222222222/ap-southeast-2"], [planned("ap-southeast-2")]);
        assert.deepStrictEqual(byTarget["333333333333/eu-west-1"], [planned("eu-west-1")]);
        assert.deepStrictEqual(
            (byTarget["222222222222/us-east-1"] as unknown[]).sort(),
            [
                ["adopted-api", []],
                [
                    "legacy-siem",
                    [
                        "logs to arn:aws:firehose:us-east-1:222222222222:deliverystream/aws-waf-logs-siem, not to the platform",
                    ],
                ],
                ["marketing-site", ["does not log", "no blocklist rule"]],
                ["partner-api", ["no blocklist rule"]],
                // The stack's adopted web ACL, as its owner keeps it (docs/adoption.md).
                ["payments-api", []],
                planned("us-east-1"),
            ].sort(),
        );
        assert.strictEqual(summary.gaps, 4);

        // One EMF document per target, with its account and Region as dimensions.
        const metrics = run.lines.filter((l) => l._aws);
        const of = (account: string, region: string) =>
            metrics.find((m) => m.TargetAccount === account && m.TargetRegion === region);
        const usEast = of("222222222222", "us-east-1");
        assert.deepStrictEqual(
            [
                usEast.WebAclsScanned,
                usEast.WebAclsNotLogging,
                usEast.WebAclsWithoutBlocklist,
                usEast.CoverageScanFailed,
                usEast.CoverageGaps,
            ],
            [6, 2, 2, 0, 3],
        );
        assert.deepStrictEqual(usEast._aws.CloudWatchMetrics[0].Dimensions, [["TargetAccount", "TargetRegion"]]);
        const missing = of("444444444444", "eu-central-1");
        assert.deepStrictEqual([missing.CoverageScanFailed, missing.CoverageGaps], [1, 1]);
        assert.strictEqual(of("333333333333", "eu-west-1").CoverageGaps, 0);
        assert.strictEqual(metrics.length, 4);

        // Every read went through the target's inventory role, and read only.
        const operations = new Set(local.waf.calls.map((c) => c.operation));
        assert.deepStrictEqual([...operations].sort(), ["GetLoggingConfiguration", "GetWebACL", "ListWebACLs"]);
        // The one web ACL without a logging configuration answers as WAF does.
        assert.deepStrictEqual(
            local.waf.calls.filter((c) => c.outcome !== "ok").map((c) => [c.operation, c.ipSetName, c.outcome]),
            [["GetLoggingConfiguration", undefined, "WAFNonexistentItemException"]],
        );
        for (const call of local.waf.calls) {
            assert.strictEqual(
                call.principalArn,
                `arn:aws:sts::${call.accountId}:assumed-role/central-waf-logs-coverage-${call.region}/central-waf-logs-coverage`,
            );
        }

        const table = coverageTable(summary);
        assert.match(table[0], /^ACCOUNT\/REGION\s+WEB ACL\s+LOGS TO PLATFORM\s+BLOCKLIST\s+PROBLEMS$/);
        assert.ok(
            table.some((l) =>
                /^222222222222\/us-east-1\s+marketing-site\s+no \(not logging\)\s+no\s+does not log; no blocklist rule$/.test(
                    l,
                ),
            ),
            table.join("\n"),
        );
        assert.ok(
            table.some((l) => /^444444444444\/eu-central-1\s+-\s+\?\s+\?\s+not scanned: AccessDenied/.test(l)),
            table.join("\n"),
        );
    });

    it("reports a target whose WAF answers with errors, and scans the others", async () => {
        local.waf.failRegion("333333333333", "eu-west-1", {
            status: 400,
            errorName: "AccessDeniedException",
            message: "explicitly denied by a service control policy",
        });
        try {
            const run = await captured(() => local.scan());
            const failed = run.result!.targets.filter((t) => t.status === "failed").map((t) => t.target);
            assert.deepStrictEqual(failed.sort(), ["333333333333/eu-west-1", "444444444444/eu-central-1"]);
            assert.strictEqual(run.result!.targets.length, 4);
        } finally {
            local.waf.failRegion("333333333333", "eu-west-1", undefined);
        }
    });
});

describe("coverage: the local world of npm start and the sandbox, as deployed", () => {
    it("holds each web ACL a stack adopts under its own ARN, logging to the platform, with the owner's blocklist rule", async function () {
        this.timeout(600_000);
        const local = await startLocalCoverage(await committedRuns());
        try {
            const run = await captured(() => local.scan());
            assert.ifError(run.error);
            const global = run.result!.targets.find((t) => t.target === "222222222222/global")!;
            assert.strictEqual(global.status, "scanned");
            // Pulumi.resource-global.yaml adopts two CloudFront web ACLs and owns none.
            assert.deepStrictEqual(
                global.status === "scanned" && global.webAcls.map((a) => [a.arn, a.logging, a.blocklist, a.problems]),
                [
                    "arn:aws:wafv2:us-east-1:222222222222:global/webacl/FMManagedWebACLV2-edge-baseline-1733500000000/a1b2c3d4-5678-90ab-cdef-222222222222",
                    "arn:aws:wafv2:us-east-1:222222222222:global/webacl/storefront-cdn/a1b2c3d4-5678-90ab-cdef-111111111111",
                ].map((arn) => [arn, "platform", true, []]),
            );
            assert.deepStrictEqual(
                local.webAcls.filter((a) => a.region === "global").map((a) => a.arn.split("/")[2]),
                ["storefront-cdn", "FMManagedWebACLV2-edge-baseline-1733500000000"],
            );
            assert.strictEqual(run.result!.gaps, 0);
        } finally {
            await local.close();
        }
    });
});

describe("coverage: npm run coverage", () => {
    let lambda: LambdaServer;
    let answer: () => Promise<unknown>;
    before(async () => {
        lambda = await startLambdaServer({ accountId: LOGGING });
        lambda.register("central-waf-logs-coverage", () => answer(), { timeoutSeconds: 5 });
    });
    after(async () => {
        await lambda?.close();
    });

    it("refuses a bad command line, naming the fix", () => {
        assert.throws(() => parseCoverageArgs(["--bogus"]), { message: "Unknown option --bogus." });
        assert.throws(() => parseCoverageArgs(["--endpoint"]), { message: "--endpoint needs a value." });
        assert.throws(() => parseCoverageArgs(["--endpoint", "localhost:9"]), {
            message: '--endpoint takes the URL of a local Lambda, such as http://127.0.0.1:9001, got "localhost:9".',
        });
        assert.deepStrictEqual(parseCoverageArgs(["--stack=logging", "--region", "eu-west-1"]), {
            stack: "logging",
            region: "eu-west-1",
            endpoint: undefined,
        });
    });

    it("invokes the deployed scan and prints its table, with a target it could not scan", async () => {
        answer = async () => ({
            gaps: 2,
            targets: [
                {
                    target: "222222222222/us-east-1",
                    status: "scanned",
                    webAcls: [
                        { name: "shop", arn: "a", logging: "platform", blocklist: true, problems: [] },
                        { name: "old", arn: "b", logging: "none", blocklist: true, problems: ["does not log"] },
                    ],
                },
                { target: "444444444444/eu-central-1", status: "failed", error: "AccessDenied: no", webAcls: [] },
            ],
        });
        const lines: string[] = [];
        const summary = await coverageMain(["--endpoint", lambda.url], (l) => lines.push(l));
        assert.strictEqual(summary.gaps, 2);
        assert.deepStrictEqual(lines, [
            "ACCOUNT/REGION             WEB ACL  LOGS TO PLATFORM  BLOCKLIST  PROBLEMS",
            "222222222222/us-east-1     shop     yes               yes        ok",
            "222222222222/us-east-1     old      no (not logging)  yes        does not log",
            "444444444444/eu-central-1  -        ?                 ?          not scanned: AccessDenied: no",
            "2 gap(s): 1 web ACL(s) not logging to the platform or without the blocklist, 1 account/Region(s) not scanned.",
        ]);
    });

    it("reports a failed scan and an unreachable Lambda as user errors, and refuses a resource stack", async () => {
        answer = async () => {
            throw new Error("boom");
        };
        await assert.rejects(
            coverageMain(["--endpoint", lambda.url], () => undefined),
            (err: any) => {
                assert.match(err.message, /^The coverage scan failed: Error: boom See the function's log group/);
                assert.strictEqual(err.userError, true);
                return true;
            },
        );
        await assert.rejects(
            coverageMain(["--endpoint", "http://127.0.0.1:9"], () => undefined),
            (err: any) => {
                assert.match(
                    err.message,
                    /^Cannot reach the coverage Lambda central-waf-logs-coverage at http:\/\/127.0.0.1:9 \(ECONNREFUSED\)/,
                );
                return true;
            },
        );
        await assert.rejects(
            coverageMain(["--stack", "resource-eu-west-1"], () => undefined),
            {
                message: "Stack resource-eu-west-1 is a resource stack; give the logging stack with --stack.",
            },
        );
    });
});
