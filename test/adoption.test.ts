/**
 * Issue 19: WAF where the web ACLs already are. Adopted web ACLs (their logging, and the refusal to
 * silently replace someone's logging), every Regional resource type WAF protects and the ARN checks,
 * the `global` (CloudFront) resource stack, and the blocklist as a rule group.
 */
import * as assert from "assert";
import { BLOCKLIST_RULE_GROUP_CAPACITY, BLOCKLIST_RULE_GROUP_USED_WCU } from "../components/blocklistEnforcement";
import { parseCentralKey, wafHomeOf } from "../layout";
import { ProgramRun, qualifiedStackName } from "../tools/local/mockEngine";
import { committedRun, failureOf, ofType, only, policyDocument, runWith } from "./support/program";

const P = "central-waf-logs";
const PAYMENTS_ACL =
    "arn:aws:wafv2:us-east-1:222222222222:regional/webacl/payments-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const CDN_ACL =
    "arn:aws:wafv2:us-east-1:222222222222:global/webacl/storefront-cdn/a1b2c3d4-5678-90ab-cdef-111111111111";
const FMS_ACL =
    "arn:aws:wafv2:us-east-1:222222222222:global/webacl/FMManagedWebACLV2-edge-baseline-1733500000000/a1b2c3d4-5678-90ab-cdef-222222222222";
const US_EAST_STREAM = "arn:aws:firehose:us-east-1:222222222222:deliverystream/aws-waf-logs-central-us-east-1";
const LOGGING_CONFIGURATION = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration";
const ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";

const fails = (stack: string, overrides: Record<string, string | undefined>) =>
    failureOf(stack, { configOverrides: overrides });
const problem = (stack: string, key: string, what: string, fix: string) =>
    `Invalid config ${P}:${key} in Pulumi.${stack}.yaml: ${what}. Fix: ${fix}.`;

describe("adoption: existing web ACLs", () => {
    let usEast: ProgramRun;
    before(async () => {
        usEast = await committedRun("resource-us-east-1");
    });

    it("turns on logging of each adopted web ACL to the stack's stream, with the stack's redaction", () => {
        const adopted = only(usEast, LOGGING_CONFIGURATION, "waf-adopts-payments-api").inputs;
        const stream = only(usEast, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").state.arn;
        assert.strictEqual(adopted.resourceArn, PAYMENTS_ACL);
        assert.deepStrictEqual(adopted.logDestinationConfigs, [stream]);
        assert.deepStrictEqual(
            adopted.redactedFields.map((f: any) => f.singleHeader.name),
            ["authorization", "cookie", "x-api-key"],
        );
        // The stack's own web ACL logs too, next to it: one configuration per web ACL.
        assert.deepStrictEqual(
            ofType(usEast, LOGGING_CONFIGURATION)
                .map((c) => c.name)
                .sort(),
            ["waf-adopts-payments-api", "waf-logging"],
        );
        assert.deepStrictEqual(usEast.outputs.existingWebAclArns, [PAYMENTS_ACL]);
    });

    it("reads each adopted web ACL's current logging configuration at plan time, through the stack's provider", () => {
        const reads = usEast.invokes.filter((i) => i.token === "aws:cloudcontrol/getResource:getResource");
        assert.deepStrictEqual(
            reads.map((i) => [i.inputs.typeName, i.inputs.identifier]),
            [["AWS::WAFv2::LoggingConfiguration", PAYMENTS_ACL]],
        );
        const provider = only(usEast, "pulumi:providers:aws");
        assert.ok(reads[0].provider?.startsWith(provider.urn), "the invoke goes through the account-pinned provider");
    });

    it("stops, naming the web ACL and where it logs, when it already has a logging configuration", async () => {
        const failure = await failureOf("resource-us-east-1", {
            loggingConfigurations: { [PAYMENTS_ACL]: ["arn:aws:s3:::aws-waf-logs-payments-team"] },
        });
        assert.strictEqual(
            failure,
            `Web ACL ${PAYMENTS_ACL} (${P}:existingWebAcls[0]) already logs to arn:aws:s3:::aws-waf-logs-payments-team, ` +
                `and WAF keeps one logging configuration per web ACL. Fix: agree with the web ACL's owner that its logs ` +
                `move to the central bucket, then set replaceLoggingConfiguration: true on that entry; or remove it from ${P}:existingWebAcls.`,
        );
    });

    it("goes on when the web ACL already logs to this stack's stream (its own earlier deployment)", async () => {
        const run = await runWith("resource-us-east-1", {
            loggingConfigurations: { [PAYMENTS_ACL]: [US_EAST_STREAM] },
        });
        assert.strictEqual(
            only(run, LOGGING_CONFIGURATION, "waf-adopts-payments-api").inputs.resourceArn,
            PAYMENTS_ACL,
        );
    });

    it("replaces the current logging configuration when the entry says so, without reading it", async () => {
        const run = await runWith("resource-us-east-1", {
            configOverrides: {
                [`${P}:existingWebAcls`]: JSON.stringify([{ arn: PAYMENTS_ACL, replaceLoggingConfiguration: true }]),
            },
            loggingConfigurations: { [PAYMENTS_ACL]: ["arn:aws:s3:::aws-waf-logs-payments-team"] },
        });
        assert.strictEqual(
            only(run, LOGGING_CONFIGURATION, "waf-adopts-payments-api").inputs.resourceArn,
            PAYMENTS_ACL,
        );
        assert.strictEqual(run.invokes.filter((i) => i.token.startsWith("aws:cloudcontrol")).length, 0);
    });

    it("can only adopt, creating no web ACL of its own", async () => {
        const run = await runWith("resource-us-east-1", {
            configOverrides: { [`${P}:protectedResourceArns`]: undefined },
        });
        assert.strictEqual(ofType(run, "aws:wafv2/webAcl:WebAcl").length, 0);
        assert.strictEqual(ofType(run, ASSOCIATION).length, 0);
        assert.deepStrictEqual(
            ofType(run, LOGGING_CONFIGURATION).map((c) => c.inputs.resourceArn),
            [PAYMENTS_ACL],
        );
        assert.strictEqual(run.outputs.webAclArn, undefined);
    });

    it("checks each web ACL ARN: partition, service, account, Region and scope", async () => {
        const stack = "resource-us-east-1";
        const key = `${P}:existingWebAcls`;
        const fix = (f: string) => f;
        const cases: [unknown, string, string, string][] = [
            [
                "arn:aws:wafv2:eu-west-1:222222222222:regional/webacl/payments-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
                "existingWebAcls[0]",
                "the web ACL is in eu-west-1 but this stack deploys to us-east-1",
                "adopt it from the resource stack of eu-west-1: WAF logs only to a Firehose stream in the web ACL's Region",
            ],
            [
                "arn:aws:wafv2:us-east-1:444444444444:regional/webacl/payments-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
                "existingWebAcls[0]",
                "the web ACL is in account 444444444444 but this stack deploys to 222222222222",
                "adopt it from the resource stack of its own account: WAF logs only to a Firehose stream in the web ACL's account",
            ],
            [
                "arn:aws-cn:wafv2:us-east-1:222222222222:regional/webacl/payments-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
                "existingWebAcls[0]",
                "the web ACL is in partition aws-cn but this stack deploys to aws",
                "correct the ARN, or adopt the web ACL from a stack in its own partition",
            ],
            [
                CDN_ACL,
                "existingWebAcls[0]",
                "is a CloudFront (global) web ACL, but this is a regional stack",
                `adopt it in this account's resource-global stack (${P}:region: global)`,
            ],
            [
                "arn:aws:waf-regional:us-east-1:222222222222:webacl/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
                "existingWebAcls[0]",
                '"arn:aws:waf-regional:us-east-1:222222222222:webacl/0a1b2c3d-4e5f-6789-abcd-ef0123456789" is an AWS WAF Classic web ACL, whose logging this stack does not configure',
                "migrate it to the current AWS WAF (wafv2) and adopt the new web ACL",
            ],
            [
                "arn:aws:wafv3:us-east-1:222222222222:regional/webacl/payments-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
                "existingWebAcls[0]",
                '"arn:aws:wafv3:us-east-1:222222222222:regional/webacl/payments-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789" is not an AWS WAF web ACL ARN',
                "use the web ACL's ARN (arn:aws:wafv2:<region>:<account-id>:regional/webacl/<name>/<id>, or global/webacl/... for CloudFront), as `aws wafv2 list-web-acls` prints it",
            ],
            [
                { arn: PAYMENTS_ACL, replaceLoggingConfiguration: "yes" },
                "existingWebAcls[0].replaceLoggingConfiguration",
                '"yes" is not true or false',
                "set it to true (replace the web ACL's current logging configuration) or false",
            ],
            [
                { arn: PAYMENTS_ACL, replace: true },
                "existingWebAcls[0].replace",
                "is not a known setting",
                "use arn and replaceLoggingConfiguration",
            ],
        ];
        for (const [entry, at, what, how] of cases) {
            assert.strictEqual(
                await fails(stack, { [key]: JSON.stringify([entry]) }),
                problem(stack, at, what, fix(how)),
                JSON.stringify(entry),
            );
        }
        assert.strictEqual(
            await fails(stack, { [key]: JSON.stringify([PAYMENTS_ACL, PAYMENTS_ACL]) }),
            problem(stack, "existingWebAcls[1]", `"${PAYMENTS_ACL}" is listed twice`, "list each web ACL once"),
        );
    });
});

describe("adoption: every Regional resource type WAF protects", () => {
    const stack = "resource-us-east-1";
    const key = `${P}:protectedResourceArns`;
    const ALB = "arn:aws:elasticloadbalancing:us-east-1:222222222222:loadbalancer/app/storefront/0123456789abcdef";
    const REST_STAGE = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod";
    const APPSYNC = "arn:aws:appsync:us-east-1:222222222222:apis/abcdefghijklmnopqrstuvwxyz";
    const COGNITO = "arn:aws:cognito-idp:us-east-1:222222222222:userpool/us-east-1_AbCdEf123";
    const APP_RUNNER = "arn:aws:apprunner:us-east-1:222222222222:service/orders/8fe1e10304f84fd2b0df550fe98a71fa";
    const VERIFIED_ACCESS = "arn:aws:ec2:us-east-1:222222222222:verified-access-instance/vai-0123456789abcdef0";

    it("associates the stack's web ACL with each type by ARN, each under a stable name", async () => {
        const run = await runWith(stack, {
            configOverrides: {
                [key]: JSON.stringify([ALB, REST_STAGE, APPSYNC, COGNITO, APP_RUNNER, VERIFIED_ACCESS]),
            },
        });
        const acl = only(run, "aws:wafv2/webAcl:WebAcl").state.arn;
        assert.deepStrictEqual(
            ofType(run, ASSOCIATION).map((a) => [a.name, a.inputs.resourceArn, a.inputs.webAclArn]),
            [
                ["waf-protects-storefront", ALB, acl],
                ["waf-protects-apigw-a1b2c3d4e5-prod", REST_STAGE, acl],
                ["waf-protects-appsync-abcdefghijklmnopqrstuvwxyz", APPSYNC, acl],
                ["waf-protects-cognito-us-east-1-AbCdEf123", COGNITO, acl],
                ["waf-protects-apprunner-orders", APP_RUNNER, acl],
                ["waf-protects-vai-0123456789abcdef0", VERIFIED_ACCESS, acl],
            ],
        );
    });

    it("keeps loadBalancerArns as the older name of the list, with the same association names", async () => {
        const run = await runWith(stack, {
            configOverrides: { [key]: undefined, [`${P}:loadBalancerArns`]: JSON.stringify([ALB]) },
        });
        assert.deepStrictEqual(
            ofType(run, ASSOCIATION).map((a) => [a.name, a.inputs.resourceArn]),
            [["waf-protects-storefront", ALB]],
        );
        assert.strictEqual(
            await fails(stack, { [`${P}:loadBalancerArns`]: JSON.stringify([ALB]) }),
            problem(
                stack,
                "loadBalancerArns",
                "is set together with protectedResourceArns (it is the older name of the same list)",
                "move its ARNs into protectedResourceArns and remove loadBalancerArns",
            ),
        );
    });

    it("refuses what WAF cannot protect, with the reason, and ARNs of another Region, partition or service", async () => {
        const list =
            "an Application Load Balancer, API Gateway REST API stage, AppSync GraphQL API, Cognito user pool, App Runner service or Verified Access instance";
        const cases: [string, string, string][] = [
            [
                "arn:aws:elasticloadbalancing:us-east-1:222222222222:loadbalancer/net/shop/0123456789abcdef",
                '"arn:aws:elasticloadbalancing:us-east-1:222222222222:loadbalancer/net/shop/0123456789abcdef" is a Network Load Balancer, which AWS WAF cannot protect (it protects Application Load Balancers only)',
                "remove it; to filter its web traffic, put an Application Load Balancer or CloudFront in front of it",
            ],
            [
                "arn:aws:apigateway:us-east-1::/apis/a1b2c3d4e5/stages/$default",
                '"arn:aws:apigateway:us-east-1::/apis/a1b2c3d4e5/stages/$default" is an API Gateway HTTP API (v2), which AWS WAF cannot protect (it protects REST API stages only)',
                "remove it, or put CloudFront in front of the API and adopt the distribution's web ACL in this account's resource-global stack",
            ],
            [
                "arn:aws:cloudfront::222222222222:distribution/E2QWRUHAPOMQZL",
                '"arn:aws:cloudfront::222222222222:distribution/E2QWRUHAPOMQZL" is a CloudFront distribution, which takes its web ACL in its own settings, not by a WAF association',
                "remove it; set the web ACL on the distribution and adopt that web ACL with existingWebAcls in this account's resource-global stack",
            ],
            [
                "arn:aws:elasticloadbalancer:us-east-1:222222222222:loadbalancer/app/shop/0123456789abcdef",
                '"arn:aws:elasticloadbalancer:us-east-1:222222222222:loadbalancer/app/shop/0123456789abcdef" is not a resource AWS WAF can protect (service "elasticloadbalancer")',
                `give the ARN of ${list}`,
            ],
            [
                "arn:aws:appsync:us-east-1:222222222222:apis/abc/types/Query",
                '"arn:aws:appsync:us-east-1:222222222222:apis/abc/types/Query" is not a valid AppSync GraphQL API ARN',
                "use arn:aws:appsync:<region>:<account-id>:apis/<api-id>",
            ],
            [
                "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/prod",
                "the API Gateway REST API stage is in 222222222222/eu-west-1 but this stack deploys to 222222222222/us-east-1",
                "protect it from the resource stack of its own account and Region",
            ],
            [
                "arn:aws:cognito-idp:us-east-1:444444444444:userpool/us-east-1_AbCdEf123",
                "the Cognito user pool is in 444444444444/us-east-1 but this stack deploys to 222222222222/us-east-1",
                "protect it from the resource stack of its own account and Region",
            ],
            [
                "arn:aws-us-gov:elasticloadbalancing:us-east-1:222222222222:loadbalancer/app/shop/0123456789abcdef",
                "the Application Load Balancer is in partition aws-us-gov but this stack deploys to aws",
                "correct the ARN, or protect the resource from a stack in its own partition",
            ],
            [
                "arn:amazon:elasticloadbalancing:us-east-1:222222222222:loadbalancer/app/shop/0123456789abcdef",
                '"arn:amazon:elasticloadbalancing:us-east-1:222222222222:loadbalancer/app/shop/0123456789abcdef" has partition "amazon", which is not an AWS partition',
                "use arn:aws:..., arn:aws-cn:... or arn:aws-us-gov:...",
            ],
            ["storefront", '"storefront" is not an ARN', `give the ARN of ${list}`],
        ];
        for (const [arn, what, fix] of cases) {
            assert.strictEqual(
                await fails(stack, { [key]: JSON.stringify([arn]) }),
                problem(stack, "protectedResourceArns[0]", what, fix),
                arn,
            );
        }
    });
});

describe("adoption: the global (CloudFront) resource stack", () => {
    let global: ProgramRun;
    let logging: ProgramRun;
    before(async () => {
        global = await committedRun("resource-global");
        logging = await committedRun("logging");
    });

    it("deploys through a us-east-1 provider pinned to its account", () => {
        const provider = only(global, "pulumi:providers:aws");
        assert.strictEqual(provider.inputs.region, "us-east-1");
        assert.deepStrictEqual(provider.inputs.allowedAccountIds, ["222222222222"]);
        assert.deepStrictEqual(
            [global.outputs.region, global.outputs.awsRegion, global.outputs.wafScope],
            ["global", "us-east-1", "CLOUDFRONT"],
        );
    });

    it("logs its adopted CloudFront web ACLs to aws-waf-logs-central-global, into <account>/global/ of the central layout", () => {
        const stream = only(global, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
        assert.strictEqual(stream.inputs.name, "aws-waf-logs-central-global");
        assert.deepStrictEqual(
            ofType(global, LOGGING_CONFIGURATION).map((c) => [c.inputs.resourceArn, c.inputs.logDestinationConfigs]),
            [
                [CDN_ACL, [stream.state.arn]],
                [FMS_ACL, [stream.state.arn]],
            ],
        );
        assert.strictEqual(ofType(global, "aws:wafv2/webAcl:WebAcl").length, 0, "CloudFront web ACLs are adopted");
        assert.strictEqual(ofType(global, ASSOCIATION).length, 0);
        assert.strictEqual(global.outputs.centralPrefix, "222222222222/global/aws-waf-logs-central-global/");
        const functions = ofType(global, "aws:lambda/function:Function");
        assert.deepStrictEqual(functions.map((f) => f.inputs.name).sort(), [
            "central-waf-logs-blocklist-applier-global",
            "central-waf-logs-copier-global",
        ]);
        const copier = functions.find((f) => f.inputs.name === "central-waf-logs-copier-global")!;
        assert.strictEqual(copier.inputs.environment.variables.SOURCE_REGION, "global");
        // Only the entry without replaceLoggingConfiguration is read first.
        assert.deepStrictEqual(
            global.invokes.map((i) => i.inputs.identifier),
            [CDN_ACL],
        );
    });

    it("creates CLOUDFRONT-scope blocklist IP sets and rule group, an applier in us-east-1 that writes them, and a sync role of its own", () => {
        assert.deepStrictEqual(
            ofType(global, "aws:wafv2/ipSet:IpSet").map((s) => [
                s.inputs.name,
                s.inputs.scope,
                s.inputs.ipAddressVersion,
            ]),
            [
                ["central-waf-logs-blocklist-ipv4", "CLOUDFRONT", "IPV4"],
                ["central-waf-logs-blocklist-ipv6", "CLOUDFRONT", "IPV6"],
            ],
        );
        assert.strictEqual(only(global, "aws:wafv2/ruleGroup:RuleGroup").inputs.scope, "CLOUDFRONT");
        assert.strictEqual(
            only(global, "aws:iam/role:Role", "blocklist-sync-role").inputs.name,
            "central-waf-logs-blocklist-sync-global",
        );
        // The applier (in us-east-1, the stack's provider Region) writes the sets with scope CLOUDFRONT.
        const applier = only(global, "aws:lambda/function:Function", "blocklist-applier-function");
        assert.strictEqual(applier.inputs.name, "central-waf-logs-blocklist-applier-global");
        assert.strictEqual(global.outputs.blocklistApplierArn, applier.state.arn);
        assert.match(applier.state.arn, /^arn:aws:lambda:us-east-1:222222222222:function:/);
    });

    it("forwards its own alarms from us-east-1 under a rule name of its own", () => {
        const rule = only(global, "aws:cloudwatch/eventRule:EventRule", "health-forwarder");
        assert.strictEqual(rule.inputs.name, "central-waf-logs-alarm-forwarder-global");
        assert.deepStrictEqual(JSON.parse(rule.inputs.eventPattern).resources, [
            { prefix: "arn:aws:cloudwatch:us-east-1:222222222222:alarm:central-waf-logs-firehose-global-" },
            { prefix: "arn:aws:cloudwatch:us-east-1:222222222222:alarm:central-waf-logs-copier-global" },
            { prefix: "arn:aws:cloudwatch:us-east-1:222222222222:alarm:central-waf-logs-blocklist-refused-global" },
            { prefix: "arn:aws:cloudwatch:us-east-1:222222222222:alarm:central-waf-logs-blocklist-applier-global-" },
        ]);
        assert.deepStrictEqual(
            ofType(global, "aws:cloudwatch/metricAlarm:MetricAlarm")
                .map((a) => a.inputs.name)
                .sort(),
            [
                "central-waf-logs-blocklist-applier-global-errors",
                "central-waf-logs-blocklist-refused-global",
                "central-waf-logs-copier-global-errors",
                "central-waf-logs-copier-global-failures",
                "central-waf-logs-firehose-global-failing",
                "central-waf-logs-firehose-global-stale",
            ],
        );
    });

    it("is admitted by the logging stack like any Region: bucket prefix, Glue projection, alert bus, publisher", () => {
        assert.deepStrictEqual(logging.outputs.allowedAccounts["222222222222"], [
            "us-east-1",
            "ap-southeast-2",
            "global",
        ]);
        const statements = ofType(logging, "aws:s3/bucketPolicy:BucketPolicy").flatMap(
            (p) => policyDocument(p.inputs.policy).Statement,
        );
        assert.ok(
            statements.some(
                (s) =>
                    String(s.Resource).endsWith("/222222222222/global/*") &&
                    s.Condition?.ArnEquals?.["aws:PrincipalArn"] ===
                        "arn:aws:iam::222222222222:role/central-waf-logs-copier-global",
            ),
            "the global copier writes under 222222222222/global/",
        );
        const table = only(logging, "aws:glue/catalogTable:CatalogTable").inputs.parameters;
        assert.ok(table["projection.region.values"].split(",").includes("global"));
        assert.ok(table["projection.stream_name.values"].split(",").includes("aws-waf-logs-central-global"));
        const bus = policyDocument(only(logging, "aws:cloudwatch/eventBusPolicy:EventBusPolicy").inputs.policy);
        const forwarders = bus.Statement.find((s) => s.Sid === "AlarmForwarders222222222222").Condition.ArnEquals[
            "aws:SourceArn"
        ];
        assert.ok(
            forwarders.includes("arn:aws:events:us-east-1:222222222222:rule/central-waf-logs-alarm-forwarder-global"),
        );
    });

    it("refuses protectedResourceArns and the demo application, and requires existingWebAcls", async () => {
        const stack = "resource-global";
        const fix = "remove it; set the web ACL on the distribution and list that web ACL under existingWebAcls";
        const what =
            "is not available in a global (CloudFront) stack: a CloudFront distribution takes its web ACL in its own settings, not by association";
        assert.strictEqual(
            await fails(stack, {
                [`${P}:protectedResourceArns`]: JSON.stringify([
                    "arn:aws:elasticloadbalancing:us-east-1:222222222222:loadbalancer/app/shop/0123456789abcdef",
                ]),
                [`${P}:demoApplication`]: "true",
            }),
            [problem(stack, "protectedResourceArns", what, fix), problem(stack, "demoApplication", what, fix)].join(
                "\n",
            ),
        );
        assert.strictEqual(
            await fails(stack, { [`${P}:existingWebAcls`]: JSON.stringify([PAYMENTS_ACL]) }),
            problem(
                stack,
                "existingWebAcls[0]",
                "is a regional web ACL (us-east-1), but this is a global (CloudFront) stack",
                "adopt it from the resource stack of us-east-1",
            ),
        );
        assert.strictEqual(
            await fails(stack, { [`${P}:existingWebAcls`]: undefined }),
            problem(
                stack,
                "existingWebAcls",
                "is required in a global (CloudFront) stack: it logs the account's CloudFront web ACLs",
                "list their ARNs, e.g. [arn:aws:wafv2:us-east-1:<account-id>:global/webacl/<name>/<id>]",
            ),
        );
    });

    it("stops when the logging stack does not admit global for the account", async () => {
        const outputs = { ...logging.outputs, allowedAccounts: { "222222222222": ["us-east-1"] } };
        const failure = await failureOf("resource-global", {
            stackOutputs: { [qualifiedStackName("logging")]: outputs },
        });
        assert.match(failure, /^Region global \(central-waf-logs:region\) is not allowed for account 222222222222/);
    });
});

describe("adoption: the blocklist rule group for web ACLs the platform does not own", () => {
    let usEast: ProgramRun;
    before(async () => {
        usEast = await committedRun("resource-us-east-1");
    });

    it("holds one IP set reference rule per address family, blocking and labelling in mode block", () => {
        const group = only(usEast, "aws:wafv2/ruleGroup:RuleGroup").inputs;
        const [ipv4, ipv6] = ofType(usEast, "aws:wafv2/ipSet:IpSet").map((s) => s.state.arn);
        assert.strictEqual(group.name, "central-waf-logs-blocklist");
        assert.strictEqual(group.scope, "REGIONAL");
        const visibility = (metricName: string) => ({
            cloudwatchMetricsEnabled: true,
            sampledRequestsEnabled: true,
            metricName,
        });
        assert.deepStrictEqual(group.rules, [
            {
                name: "central-blocklist-ipv4",
                priority: 0,
                action: { block: {} },
                ruleLabels: [{ name: "central-waf-logs:blocklisted" }],
                statement: { ipSetReferenceStatement: { arn: ipv4 } },
                visibilityConfig: visibility("central-blocklist-ipv4"),
            },
            {
                name: "central-blocklist-ipv6",
                priority: 1,
                action: { block: {} },
                ruleLabels: [{ name: "central-waf-logs:blocklisted" }],
                statement: { ipSetReferenceStatement: { arn: ipv6 } },
                visibilityConfig: visibility("central-blocklist-ipv6"),
            },
        ]);
        assert.strictEqual(
            usEast.outputs.blocklistRuleGroupArn,
            only(usEast, "aws:wafv2/ruleGroup:RuleGroup").state.arn,
        );
    });

    it("declares a fixed capacity covering its rules at 1 WCU per IP set reference statement", () => {
        const group = only(usEast, "aws:wafv2/ruleGroup:RuleGroup").inputs;
        // AWS WAF Developer Guide, "IP set match rule statement": 1 WCU (without forwarded-IP position ANY).
        const used = group.rules.filter((r: any) => r.statement.ipSetReferenceStatement).length;
        assert.strictEqual(used, BLOCKLIST_RULE_GROUP_USED_WCU);
        assert.strictEqual(group.capacity, BLOCKLIST_RULE_GROUP_CAPACITY);
        assert.strictEqual(group.capacity, 10);
        assert.ok(used <= group.capacity);
    });

    it("counts instead of blocking when the response mode is count, and is absent when it is off", async () => {
        const logging = await committedRun("logging");
        const counting = await runWith("resource-us-east-1", {
            stackOutputs: { [qualifiedStackName("logging")]: { ...logging.outputs, responseMode: "count" } },
        });
        assert.deepStrictEqual(
            only(counting, "aws:wafv2/ruleGroup:RuleGroup").inputs.rules.map((r: any) => r.action),
            [{ count: {} }, { count: {} }],
        );
        const off = await runWith("resource-us-east-1", {
            stackOutputs: { [qualifiedStackName("logging")]: { ...logging.outputs, responseMode: "off" } },
        });
        assert.strictEqual(ofType(off, "aws:wafv2/ruleGroup:RuleGroup").length, 0);
        assert.strictEqual(off.outputs.blocklistRuleGroupArn, undefined);
    });
});

describe("adoption: the global location in the central layout", () => {
    it("parses a global key like any Region's, and places its WAF resources in us-east-1, scope CLOUDFRONT", () => {
        const key = "222222222222/global/aws-waf-logs-central-global/2026/12/07/16/aws-waf-logs-central-global-1-x.gz";
        assert.deepStrictEqual(parseCentralKey(key), {
            accountId: "222222222222",
            region: "global",
            streamName: "aws-waf-logs-central-global",
            year: "2026",
            month: "12",
            day: "07",
            hour: "16",
            file: "aws-waf-logs-central-global-1-x.gz",
        });
        assert.deepStrictEqual(wafHomeOf("global"), { region: "us-east-1", scope: "CLOUDFRONT" });
        assert.deepStrictEqual(wafHomeOf("eu-west-1"), { region: "eu-west-1", scope: "REGIONAL" });
    });
});
