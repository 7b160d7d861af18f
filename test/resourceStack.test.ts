import * as assert from "assert";
import { ProgramRun } from "../tools/local/mockEngine";
import { committedRun, committedRuns, failureOf, ofType, only, policyDocument, runWith } from "./support/program";

const P = "central-waf-logs";

describe("resource stacks: RegionalWafLogging", () => {
    let usEast: ProgramRun;
    let euWest: ProgramRun;
    before(async () => {
        usEast = await committedRun("resource-us-east-1");
        euWest = await committedRun("resource-eu-west-1");
    });

    it("names each Firehose stream with the aws-waf-logs- prefix and writes GZIP hourly objects", () => {
        for (const [run, region] of [
            [usEast, "us-east-1"],
            [euWest, "eu-west-1"],
        ] as const) {
            const stream = only(run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
            assert.strictEqual(stream.inputs.name, `aws-waf-logs-central-${region}`);
            assert.strictEqual(stream.inputs.destination, "extended_s3");
            assert.strictEqual(stream.inputs.kinesisSourceConfiguration, undefined, "Direct PUT");
            const s3 = stream.inputs.extendedS3Configuration;
            assert.strictEqual(s3.prefix, "logs/!{timestamp:yyyy/MM/dd/HH}/");
            assert.strictEqual(
                s3.errorOutputPrefix,
                "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/",
            );
            assert.strictEqual(s3.compressionFormat, "GZIP");
            assert.strictEqual(s3.fileExtension, ".gz");
            assert.strictEqual(s3.bucketArn, only(run, "aws:s3/bucket:Bucket").state.arn);
            assert.strictEqual(s3.cloudwatchLoggingOptions.enabled, true);
        }
    });

    it("takes Firehose buffering from config, with defaults", () => {
        const buffering = (run: ProgramRun) => {
            const s3 = only(run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").inputs
                .extendedS3Configuration;
            return [s3.bufferingSize, s3.bufferingInterval];
        };
        assert.deepStrictEqual(buffering(usEast), [16, 120]);
        assert.deepStrictEqual(buffering(euWest), [5, 60]);
    });

    it("builds a REGIONAL web ACL: the central blocklist first, then the rate limit per client IP, then the managed rule groups", () => {
        const acl = only(usEast, "aws:wafv2/webAcl:WebAcl").inputs;
        assert.strictEqual(acl.scope, "REGIONAL");
        assert.deepStrictEqual(acl.defaultAction, { allow: {} });
        assert.deepStrictEqual(
            acl.rules.map((r: any) => [r.priority, r.name]),
            [
                [0, "central-blocklist"],
                [1, "rate-limit-per-client-ip"],
                [2, "AWSManagedRulesCommonRuleSet"],
                [3, "AWSManagedRulesKnownBadInputsRuleSet"],
                [4, "AWSManagedRulesAmazonIpReputationList"],
            ],
        );
        assert.deepStrictEqual(acl.rules[1].statement.rateBasedStatement, {
            limit: 1000,
            evaluationWindowSec: 120,
            aggregateKeyType: "IP",
        });
        assert.deepStrictEqual(acl.rules[1].action, { block: {} });
        assert.deepStrictEqual(acl.rules[2].statement, {
            managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" },
        });
        for (const visibility of [acl.visibilityConfig, ...acl.rules.map((r: any) => r.visibilityConfig)]) {
            assert.strictEqual(visibility.cloudwatchMetricsEnabled, true);
        }
        const defaults = only(euWest, "aws:wafv2/webAcl:WebAcl").inputs.rules[1].statement.rateBasedStatement;
        assert.deepStrictEqual([defaults.limit, defaults.evaluationWindowSec], [2000, 300]);
    });

    it("associates the web ACL with every configured resource", () => {
        const acl = only(usEast, "aws:wafv2/webAcl:WebAcl");
        assert.deepStrictEqual(
            ofType(usEast, "aws:wafv2/webAclAssociation:WebAclAssociation")
                .map((a) => [a.name, a.inputs.resourceArn, a.inputs.webAclArn])
                .sort(),
            [
                [
                    "waf-protects-apigw-a1b2c3d4e5-prod",
                    "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod",
                    acl.state.arn,
                ],
                [
                    "waf-protects-checkout",
                    "arn:aws:elasticloadbalancing:us-east-1:222222222222:loadbalancer/app/checkout/fedcba9876543210",
                    acl.state.arn,
                ],
                [
                    "waf-protects-storefront",
                    "arn:aws:elasticloadbalancing:us-east-1:222222222222:loadbalancer/app/storefront/0123456789abcdef",
                    acl.state.arn,
                ],
            ],
        );
        assert.strictEqual(ofType(usEast, "awsx:lb:ApplicationLoadBalancer").length, 0, "no demo app");
    });

    it("creates and protects a demo ALB (public subnets, no NAT) when the config asks for one", () => {
        const vpc = only(euWest, "awsx:ec2:Vpc");
        assert.deepStrictEqual(vpc.inputs.natGateways, { strategy: "None" });
        const alb = only(euWest, "awsx:lb:ApplicationLoadBalancer");
        assert.deepStrictEqual(alb.inputs.subnetIds, vpc.state.publicSubnetIds);
        assert.strictEqual(alb.inputs.listener.defaultActions[0].type, "fixed-response");
        assert.strictEqual(
            only(euWest, "aws:wafv2/webAclAssociation:WebAclAssociation").inputs.resourceArn,
            alb.state.loadBalancer.arn,
        );
        assert.strictEqual(euWest.outputs.demoApplicationUrl, `http://${alb.state.loadBalancer.dnsName}/`);
    });

    it("logs to the stream with the configured headers redacted and no filter by default", () => {
        const logging = only(
            usEast,
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            "waf-logging",
        ).inputs;
        assert.deepStrictEqual(logging.logDestinationConfigs, [
            only(usEast, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").state.arn,
        ]);
        assert.deepStrictEqual(logging.redactedFields, [
            { singleHeader: { name: "authorization" } },
            { singleHeader: { name: "cookie" } },
            { singleHeader: { name: "x-api-key" } },
        ]);
        assert.strictEqual(logging.loggingFilter, undefined);
        const defaults = only(euWest, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs;
        assert.deepStrictEqual(defaults.redactedFields, [
            { singleHeader: { name: "authorization" } },
            { singleHeader: { name: "cookie" } },
        ]);
    });

    it("applies a logging filter when waf.logActions is set", async () => {
        const run = await runWith("resource-eu-west-1", {
            configOverrides: { [`${P}:waf`]: JSON.stringify({ logActions: ["BLOCK", "COUNT"] }) },
        });
        assert.deepStrictEqual(
            only(run, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs.loggingFilter,
            {
                defaultBehavior: "DROP",
                filters: [
                    {
                        behavior: "KEEP",
                        requirement: "MEETS_ANY",
                        conditions: [
                            { actionCondition: { action: "BLOCK" } },
                            { actionCondition: { action: "COUNT" } },
                        ],
                    },
                ],
            },
        );
    });

    it("keeps the staging bucket private, SSE-KMS with this account's key, TLS-only, ACL-free and short-lived", () => {
        for (const [run, days] of [
            [usEast, 15],
            [euWest, 30],
        ] as const) {
            const bucket = only(run, "aws:s3/bucket:Bucket").state;
            const block = only(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
            assert.deepStrictEqual(
                [
                    block.bucket,
                    block.blockPublicAcls,
                    block.blockPublicPolicy,
                    block.ignorePublicAcls,
                    block.restrictPublicBuckets,
                ],
                [bucket.bucket, true, true, true, true],
            );
            assert.deepStrictEqual(
                only(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
                    .inputs.rules,
                [
                    {
                        applyServerSideEncryptionByDefault: {
                            sseAlgorithm: "aws:kms",
                            kmsMasterKeyId: only(run, "aws:kms/key:Key", "waf-staging-key").state.arn,
                        },
                        bucketKeyEnabled: true,
                    },
                ],
            );
            assert.deepStrictEqual(only(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule, {
                objectOwnership: "BucketOwnerEnforced",
            });
            const [rule] = only(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
            assert.deepStrictEqual(rule.expiration, { days });
            const policy = policyDocument(only(run, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
            assert.deepStrictEqual(policy.Statement, [
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [bucket.arn, `${bucket.arn}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ]);
        }
    });
});

describe("resource stacks: copier and least privilege", () => {
    let usEast: ProgramRun;
    before(async () => {
        usEast = await committedRun("resource-us-east-1");
    });

    const rolePolicy = (run: ProgramRun, name: string) =>
        policyDocument(only(run, "aws:iam/rolePolicy:RolePolicy", name).inputs.policy).Statement;

    it("allows no wildcard action in any policy of any stack", async () => {
        for (const run of await committedRuns()) {
            const documents = run.resources.flatMap((r) =>
                ["policy", "assumeRolePolicy"]
                    .filter((f) => typeof r.inputs[f] === "string")
                    .map((f) => [r, JSON.parse(r.inputs[f])]),
            );
            assert.ok(documents.length > 0);
            for (const [resource, doc] of documents) {
                for (const s of doc.Statement.filter((st: any) => st.Effect === "Allow")) {
                    for (const action of [s.Action].flat()) {
                        assert.ok(
                            !/(^\*$|:\*$)/.test(action),
                            `${run.stack} ${resource.name}: ${s.Sid ?? ""} allows ${action}`,
                        );
                    }
                }
            }
        }
    });

    it("gives the copier exactly: read staged logs, write its own central prefix, encrypt with the central key", () => {
        const staging = only(usEast, "aws:s3/bucket:Bucket").state.arn;
        const central = `arn:aws:s3:::${usEast.outputs.centralBucketName}`;
        const logGroup = only(usEast, "aws:cloudwatch/logGroup:LogGroup", "copier-logs").state.arn;
        const queue = only(usEast, "aws:sqs/queue:Queue").state.arn;
        assert.deepStrictEqual(rolePolicy(usEast, "copier-policy"), [
            { Sid: "ReadStagedLogs", Effect: "Allow", Action: "s3:GetObject", Resource: `${staging}/logs/*` },
            {
                Sid: "DecryptStagedLogs",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: only(usEast, "aws:kms/key:Key", "waf-staging-key").state.arn,
                Condition: {
                    StringEquals: {
                        "kms:ViaService": "s3.us-east-1.amazonaws.com",
                        "kms:EncryptionContext:aws:s3:arn": staging,
                    },
                },
            },
            {
                Sid: "WriteOwnCentralPrefix",
                Effect: "Allow",
                Action: "s3:PutObject",
                Resource: `${central}/222222222222/us-east-1/*`,
            },
            {
                Sid: "EncryptWithCentralKey",
                Effect: "Allow",
                Action: "kms:GenerateDataKey",
                Resource: "arn:aws:kms:us-east-1:111111111111:key/central-waf-logs-key-key-id",
                Condition: {
                    StringEquals: {
                        "kms:ViaService": "s3.us-east-1.amazonaws.com",
                        "kms:EncryptionContext:aws:s3:arn": central,
                    },
                },
            },
            { Sid: "ParkFailedEvents", Effect: "Allow", Action: "sqs:SendMessage", Resource: queue },
            {
                Sid: "WriteOwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: `${logGroup}:*`,
            },
        ]);
    });

    it("names the copier role exactly as the logging stack's bucket and key policies admit it", async () => {
        const logging = await committedRun("logging");
        const bucketPolicy = policyDocument(
            only(logging, "aws:s3/bucketPolicy:BucketPolicy", "central-waf-logs-policy").inputs.policy,
        );
        const keyPolicy = policyDocument(only(logging, "aws:kms/key:Key", "central-waf-logs-key").inputs.policy);
        for (const stack of ["resource-us-east-1", "resource-eu-west-1"]) {
            const run = await committedRun(stack);
            const role = only(run, "aws:iam/role:Role", "copier-role");
            const prefix = `arn:aws:s3:::${logging.outputs.centralBucketName}/${run.outputs.accountId}/${run.outputs.region}/*`;
            const write = bucketPolicy.Statement.find((s) => s.Resource === prefix);
            assert.ok(write, `no central write statement for ${prefix}`);
            assert.strictEqual(write.Condition.ArnEquals["aws:PrincipalArn"], role.state.arn);
            assert.ok(
                keyPolicy.Statement.some((s) => s.Condition?.ArnEquals?.["aws:PrincipalArn"]?.includes(role.state.arn)),
                `key policy does not admit ${role.state.arn}`,
            );
        }
    });

    it("lets only Lambda in this account assume the copier role", () => {
        const trust = JSON.parse(only(usEast, "aws:iam/role:Role", "copier-role").inputs.assumeRolePolicy);
        assert.deepStrictEqual(trust.Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "222222222222" } },
            },
        ]);
    });

    it("lets Firehose assume its role only for this account's stream (source account and ARN)", () => {
        const trust = JSON.parse(only(usEast, "aws:iam/role:Role", "waf-firehose-role").inputs.assumeRolePolicy);
        assert.deepStrictEqual(trust.Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "firehose.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": "222222222222" },
                    ArnEquals: {
                        "aws:SourceArn":
                            "arn:aws:firehose:us-east-1:222222222222:deliverystream/aws-waf-logs-central-us-east-1",
                    },
                },
            },
        ]);
    });

    it("limits the Firehose role to its staging bucket, that bucket's key through S3, and its error log stream", () => {
        const staging = only(usEast, "aws:s3/bucket:Bucket").state.arn;
        const statements = rolePolicy(usEast, "waf-firehose-policy");
        assert.deepStrictEqual(statements[0].Resource, [staging, `${staging}/*`]);
        assert.deepStrictEqual(statements[1], {
            Sid: "EncryptStagedLogs",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: only(usEast, "aws:kms/key:Key", "waf-staging-key").state.arn,
            Condition: {
                StringEquals: {
                    "kms:ViaService": "s3.us-east-1.amazonaws.com",
                    "kms:EncryptionContext:aws:s3:arn": staging,
                },
            },
        });
        const key = only(usEast, "aws:kms/key:Key", "waf-staging-key").inputs;
        assert.deepStrictEqual(
            [key.enableKeyRotation, JSON.parse(key.policy).Statement.map((st: any) => st.Principal)],
            [true, [{ AWS: "arn:aws:iam::222222222222:root" }]],
        );
        assert.strictEqual(
            statements[2].Resource,
            "arn:aws:logs:us-east-1:222222222222:log-group:/aws/kinesisfirehose/aws-waf-logs-central-us-east-1:log-stream:DestinationDelivery",
        );
    });

    it("runs the copier on Node.js 22 with its own role, retried, then parked in an encrypted queue with an alarm", () => {
        const fn = only(usEast, "aws:lambda/function:Function", "copier-function").inputs;
        assert.strictEqual(fn.runtime, "nodejs22.x");
        assert.strictEqual(fn.role, only(usEast, "aws:iam/role:Role", "copier-role").state.arn);
        const queue = only(usEast, "aws:sqs/queue:Queue");
        assert.strictEqual(queue.inputs.sqsManagedSseEnabled, true);
        const onFailure = only(usEast, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs;
        assert.strictEqual(onFailure.maximumRetryAttempts, 2);
        assert.deepStrictEqual(onFailure.destinationConfig, { onFailure: { destination: queue.state.arn } });
        const alarm = only(usEast, "aws:cloudwatch/metricAlarm:MetricAlarm", "copier-failures-alarm").inputs;
        assert.deepStrictEqual(
            [alarm.namespace, alarm.metricName, alarm.dimensions, alarm.threshold, alarm.comparisonOperator],
            [
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                { QueueName: queue.state.name },
                1,
                "GreaterThanOrEqualToThreshold",
            ],
        );
    });

    it("is invoked only by S3 for its own staging bucket, for objects under logs/", () => {
        const bucket = only(usEast, "aws:s3/bucket:Bucket").state;
        const fn = only(usEast, "aws:lambda/function:Function", "copier-function").state;
        const permission = only(usEast, "aws:lambda/permission:Permission").inputs;
        assert.deepStrictEqual(
            [permission.principal, permission.sourceArn, permission.sourceAccount, permission.action],
            ["s3.amazonaws.com", bucket.arn, "222222222222", "lambda:InvokeFunction"],
        );
        const notification = only(usEast, "aws:s3/bucketNotification:BucketNotification");
        assert.strictEqual(notification.inputs.bucket, bucket.bucket);
        assert.deepStrictEqual(notification.inputs.lambdaFunctions, [
            { lambdaFunctionArn: fn.arn, events: ["s3:ObjectCreated:*"], filterPrefix: "logs/" },
        ]);
        assert.ok(notification.dependsOn.includes(only(usEast, "aws:lambda/permission:Permission").urn));
    });

    it("ships only the serialized handler: the runtime provides the AWS SDK", async () => {
        const assets = await only(usEast, "aws:lambda/function:Function", "copier-function").inputs.code.assets;
        assert.deepStrictEqual(Object.keys(assets), ["__index.js"]);
    });
});

describe("resource stack configuration", () => {
    const fails = (stack: string, overrides: Record<string, string | undefined>) =>
        failureOf(stack, { configOverrides: overrides });

    it("rejects a load balancer of another account or Region", async () => {
        const arn = "arn:aws:elasticloadbalancing:eu-west-1:222222222222:loadbalancer/app/shop/0123456789abcdef";
        assert.strictEqual(
            await fails("resource-us-east-1", { [`${P}:protectedResourceArns`]: JSON.stringify([arn]) }),
            `Invalid config ${P}:protectedResourceArns[0] in Pulumi.resource-us-east-1.yaml: the Application Load Balancer is in 222222222222/eu-west-1 but this stack deploys to 222222222222/us-east-1. Fix: protect it from the resource stack of its own account and Region.`,
        );
    });

    it("rejects a Network Load Balancer ARN", async () => {
        const arn = "arn:aws:elasticloadbalancing:us-east-1:222222222222:loadbalancer/net/shop/0123456789abcdef";
        // Under its older name: loadBalancerArns is read as protectedResourceArns.
        assert.strictEqual(
            await fails("resource-us-east-1", {
                [`${P}:protectedResourceArns`]: undefined,
                [`${P}:loadBalancerArns`]: JSON.stringify([arn]),
            }),
            `Invalid config ${P}:loadBalancerArns[0] in Pulumi.resource-us-east-1.yaml: "${arn}" is a Network Load Balancer, which AWS WAF cannot protect (it protects Application Load Balancers only). Fix: remove it; to filter its web traffic, put an Application Load Balancer or CloudFront in front of it.`,
        );
    });

    it("requires something to protect", async () => {
        assert.strictEqual(
            await fails("resource-eu-west-1", { [`${P}:demoApplication`]: undefined }),
            `Invalid config ${P}:protectedResourceArns in Pulumi.resource-eu-west-1.yaml: is required: the stack must log at least one web ACL. Fix: set protectedResourceArns to the resources a web ACL of this stack should protect, existingWebAcls to web ACLs that already exist, or demoApplication to true.`,
        );
    });

    it("rejects a demo application next to real load balancers", async () => {
        assert.strictEqual(
            await fails("resource-us-east-1", { [`${P}:demoApplication`]: "true" }),
            `Invalid config ${P}:protectedResourceArns in Pulumi.resource-us-east-1.yaml: is set together with demoApplication: true. Fix: keep only one of the two.`,
        );
    });

    it("rejects a rate window WAF does not offer and an unknown WAF setting", async () => {
        assert.strictEqual(
            await fails("resource-eu-west-1", {
                [`${P}:waf`]: JSON.stringify({ rateEvaluationWindowSec: 30, rateLimt: 100 }),
            }),
            [
                `Invalid config ${P}:waf.rateEvaluationWindowSec in Pulumi.resource-eu-west-1.yaml: 30 is not a WAF evaluation window. Fix: use 60, 120, 300 or 600.`,
                `Invalid config ${P}:waf.rateLimt in Pulumi.resource-eu-west-1.yaml: is not a known setting. Fix: did you mean waf.rateLimit? use one of managedRuleGroups, rateLimit, rateEvaluationWindowSec, redactedHeaders, logActions.`,
            ].join("\n"),
        );
    });

    it("rejects Firehose buffering outside its limits", async () => {
        assert.strictEqual(
            await fails("resource-eu-west-1", { [`${P}:firehose`]: JSON.stringify({ bufferSizeMiB: 256 }) }),
            `Invalid config ${P}:firehose.bufferSizeMiB in Pulumi.resource-eu-west-1.yaml: 256 is not a whole number from 1 to 128. Fix: use a value in that range.`,
        );
    });
});
