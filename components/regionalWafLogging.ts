import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FirehoseSettings, WafSettings } from "../config";
import { FIREHOSE_ERROR_PREFIX, FIREHOSE_PREFIX } from "../layout";
import { BLOCKLIST_LABEL } from "../names";
import { KEY_OWNER_ACTIONS } from "./centralBucketPolicies";
import { policyDocument, s3KeyUseCondition, serviceTrustPolicy } from "./policyDocuments";
import { privateBucket } from "./privateBucket";
import { requireProvider } from "./requireProvider";

/** A Regional resource the stack's web ACL protects (an ALB, API Gateway stage, AppSync API, ...). */
export interface ProtectedResource {
    /** Short name, used in the association's resource name. */
    readonly name: string;
    readonly arn: pulumi.Input<string>;
}

export interface RegionalWafLoggingArgs {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    /** Firehose stream name; WAF requires the `aws-waf-logs-` prefix. */
    readonly streamName: string;
    /** Resources the stack's own web ACL is associated with. Empty: the stack creates no web ACL. */
    readonly protectedResources: readonly ProtectedResource[];
    /**
     * Existing web ACLs (owned by application teams or Firewall Manager) that log to the stream too.
     * The caller has checked none of them logs elsewhere, or that replacing that is wanted. Default none.
     */
    readonly existingWebAclArns?: readonly string[];
    readonly waf: WafSettings;
    readonly firehose: FirehoseSettings;
    /** Days the staging bucket keeps delivered objects (the copier moves them within seconds). */
    readonly stagingExpireAfterDays: number;
    /** Retention of Firehose delivery-error logs. Default 30 days. */
    readonly logRetentionDays?: number;
    /**
     * The central blocklist's IP sets, checked first of all rules: `count` labels and counts
     * matching requests (a dry run), `block` blocks them. Default: no blocklist rule.
     */
    readonly blocklist?: {
        readonly ipv4SetArn: pulumi.Input<string>;
        readonly ipv6SetArn: pulumi.Input<string>;
        readonly action: "count" | "block";
    };
}

const WAF_LOG_PREFIX = "aws-waf-logs-";

/**
 * WAF in one account and Region (or CloudFront), and the path of its logs to a private staging
 * bucket: the stack's own web ACL (managed rule groups + a per-client-IP rate limit) on its
 * resources, and existing web ACLs adopted as they are → logging configurations → Firehose
 * (Direct PUT, GZIP, hourly prefixes) → staging bucket.
 */
export class RegionalWafLogging extends pulumi.ComponentResource {
    /** The stack's own web ACL; absent when it only adopts existing ones. */
    readonly webAcl?: aws.wafv2.WebAcl;
    readonly stream: aws.kinesis.FirehoseDeliveryStream;
    readonly stagingBucket: aws.s3.Bucket;
    /** The staging bucket's key (this account's): Firehose encrypts with it, the copier decrypts, both only through S3. */
    readonly stagingKey: aws.kms.Key;

    constructor(name: string, args: RegionalWafLoggingArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:RegionalWafLogging", name, {}, opts);
        requireProvider("RegionalWafLogging", name, opts, "resource");
        if (!args.streamName.startsWith(WAF_LOG_PREFIX) || args.streamName.length > 64) {
            throw new Error(
                `RegionalWafLogging ${name}: args.streamName "${args.streamName}" must start with ${WAF_LOG_PREFIX} and have at most 64 characters; WAF rejects any other logging destination.`,
            );
        }
        const adopted = args.existingWebAclArns ?? [];
        if (args.protectedResources.length === 0 && adopted.length === 0) {
            throw new Error(
                `RegionalWafLogging ${name}: args.protectedResources and args.existingWebAclArns are both empty; give a resource to protect or a web ACL to adopt.`,
            );
        }
        const parent = { parent: this };

        this.stagingKey = new aws.kms.Key(
            `${name}-staging-key`,
            {
                description: `Encrypts the WAF logs staged in ${args.region} before the copier moves them`,
                enableKeyRotation: true,
                deletionWindowInDays: 7,
                // Administration stays with this account's IAM; use is granted per role, through S3 only.
                policy: JSON.stringify(
                    policyDocument([
                        {
                            Sid: "AccountAdministersKey",
                            Effect: "Allow",
                            Principal: { AWS: `arn:${args.partition}:iam::${args.accountId}:root` },
                            Action: KEY_OWNER_ACTIONS,
                            Resource: "*",
                        },
                    ]),
                ),
            },
            parent,
        );
        this.stagingBucket = privateBucket(
            `${name}-staging`,
            {
                // SSE-KMS with S3 Bucket Keys (privateBucket turns them on with a key).
                kmsKeyArn: this.stagingKey.arn,
                lifecycleRules: [
                    {
                        id: "staging-expiry",
                        status: "Enabled",
                        filter: { prefix: "" },
                        expiration: { days: args.stagingExpireAfterDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
            this,
        ).bucket;

        this.stream = this.deliveryStream(name, args);
        this.webAcl = args.protectedResources.length > 0 ? this.webAclFor(name, args) : undefined;

        // One logging configuration per web ACL (WAF allows one), all to the stack's stream.
        const logTo = (resourceName: string, webAclArn: pulumi.Input<string>) =>
            new aws.wafv2.WebAclLoggingConfiguration(
                resourceName,
                {
                    resourceArn: webAclArn,
                    logDestinationConfigs: [this.stream.arn],
                    redactedFields: args.waf.redactedHeaders.map((header) => ({ singleHeader: { name: header } })),
                    loggingFilter: args.waf.logActions
                        ? {
                              defaultBehavior: "DROP",
                              filters: [
                                  {
                                      behavior: "KEEP",
                                      requirement: "MEETS_ANY",
                                      conditions: args.waf.logActions.map((action) => ({
                                          actionCondition: { action },
                                      })),
                                  },
                              ],
                          }
                        : undefined,
                },
                parent,
            );
        if (this.webAcl) logTo(`${name}-logging`, this.webAcl.arn);
        for (const arn of adopted) {
            // Web ACL names are unique in an account, Region and scope: the `<name>` of `.../webacl/<name>/<id>`.
            logTo(`${name}-adopts-${arn.split("/")[2]}`, arn);
        }

        for (const resource of args.protectedResources) {
            new aws.wafv2.WebAclAssociation(
                `${name}-protects-${resource.name}`,
                { resourceArn: resource.arn, webAclArn: this.webAcl!.arn },
                parent,
            );
        }

        this.registerOutputs({
            webAclArn: this.webAcl?.arn,
            existingWebAclArns: adopted,
            streamArn: this.stream.arn,
            stagingBucketName: this.stagingBucket.bucket,
        });
    }

    private deliveryStream(name: string, args: RegionalWafLoggingArgs): aws.kinesis.FirehoseDeliveryStream {
        const parent = { parent: this };
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-firehose-logs`,
            { name: `/aws/kinesisfirehose/${args.streamName}`, retentionInDays: args.logRetentionDays ?? 30 },
            parent,
        );
        const logStream = new aws.cloudwatch.LogStream(
            `${name}-firehose-delivery-errors`,
            { logGroupName: logGroup.name, name: "DestinationDelivery" },
            parent,
        );
        const role = new aws.iam.Role(
            `${name}-firehose-role`,
            {
                description: `Firehose ${args.streamName} writes WAF logs to its staging bucket`,
                assumeRolePolicy: JSON.stringify(
                    serviceTrustPolicy(
                        "firehose.amazonaws.com",
                        args.accountId,
                        `arn:${args.partition}:firehose:${args.region}:${args.accountId}:deliverystream/${args.streamName}`,
                    ),
                ),
            },
            parent,
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-firehose-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([this.stagingBucket.arn, logGroup.arn, logStream.name, this.stagingKey.arn])
                    .apply(([bucketArn, logGroupArn, streamName, keyArn]) =>
                        JSON.stringify(
                            policyDocument([
                                {
                                    Sid: "WriteStagingBucket",
                                    Effect: "Allow",
                                    Action: [
                                        "s3:AbortMultipartUpload",
                                        "s3:GetBucketLocation",
                                        "s3:GetObject",
                                        "s3:ListBucket",
                                        "s3:ListBucketMultipartUploads",
                                        "s3:PutObject",
                                    ],
                                    Resource: [bucketArn, `${bucketArn}/*`],
                                },
                                {
                                    // Multipart uploads read the data key back: Decrypt too.
                                    Sid: "EncryptStagedLogs",
                                    Effect: "Allow",
                                    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                                    Resource: keyArn,
                                    Condition: s3KeyUseCondition(bucketArn, args.region),
                                },
                                {
                                    Sid: "LogDeliveryErrors",
                                    Effect: "Allow",
                                    Action: "logs:PutLogEvents",
                                    Resource: `${logGroupArn.replace(/:\*$/, "")}:log-stream:${streamName}`,
                                },
                            ]),
                        ),
                    ),
            },
            parent,
        );
        return new aws.kinesis.FirehoseDeliveryStream(
            `${name}-stream`,
            {
                name: args.streamName,
                destination: "extended_s3",
                serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
                extendedS3Configuration: {
                    roleArn: role.arn,
                    bucketArn: this.stagingBucket.arn,
                    prefix: FIREHOSE_PREFIX,
                    errorOutputPrefix: FIREHOSE_ERROR_PREFIX,
                    bufferingSize: args.firehose.bufferSizeMiB,
                    bufferingInterval: args.firehose.bufferIntervalSec,
                    compressionFormat: "GZIP",
                    // Athena and DuckDB recognize GZIP by the extension.
                    fileExtension: ".gz",
                    cloudwatchLoggingOptions: {
                        enabled: true,
                        logGroupName: logGroup.name,
                        logStreamName: logStream.name,
                    },
                },
            },
            // The stream checks its role on creation; without the policy in place it fails.
            { parent: this, dependsOn: [rolePolicy] },
        );
    }

    private webAclFor(name: string, args: RegionalWafLoggingArgs): aws.wafv2.WebAcl {
        const visibility = (metricName: string) => ({
            cloudwatchMetricsEnabled: true,
            sampledRequestsEnabled: true,
            metricName,
        });
        // The blocklist first (a known attacker costs no further evaluation), then the rate limit.
        const first = args.blocklist ? 1 : 0;
        const blocklistRules = args.blocklist
            ? [
                  {
                      name: "central-blocklist",
                      priority: 0,
                      action: args.blocklist.action === "block" ? { block: {} } : { count: {} },
                      ruleLabels: [{ name: BLOCKLIST_LABEL }],
                      statement: {
                          orStatement: {
                              statements: [
                                  { ipSetReferenceStatement: { arn: args.blocklist.ipv4SetArn } },
                                  { ipSetReferenceStatement: { arn: args.blocklist.ipv6SetArn } },
                              ],
                          },
                      },
                      visibilityConfig: visibility("central-blocklist"),
                  },
              ]
            : [];
        const managedRules = args.waf.managedRuleGroups.map((group, i) => ({
            name: group,
            priority: first + i + 1,
            overrideAction: { none: {} },
            statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
            visibilityConfig: visibility(group),
        }));
        return new aws.wafv2.WebAcl(
            `${name}-acl`,
            {
                description: `Protects the configured resources of ${args.accountId}/${args.region}; logs to ${args.streamName}`,
                scope: "REGIONAL",
                defaultAction: { allow: {} },
                rules: [
                    ...blocklistRules,
                    {
                        // Before the managed groups: a flood is cut before they spend capacity on it.
                        name: "rate-limit-per-client-ip",
                        priority: first,
                        action: { block: {} },
                        statement: {
                            rateBasedStatement: {
                                limit: args.waf.rateLimit,
                                evaluationWindowSec: args.waf.rateEvaluationWindowSec,
                                aggregateKeyType: "IP",
                            },
                        },
                        visibilityConfig: visibility("rate-limit-per-client-ip"),
                    },
                    ...managedRules,
                ],
                visibilityConfig: visibility(`${name}-acl`),
            },
            { parent: this },
        );
    }
}
