import * as aws from "@pulumi/aws";
import { BlocklistEnforcement } from "../components/blocklistEnforcement";
import { CoverageInventory } from "../components/coverageInventory";
import { DemoApplication } from "../components/demoApplication";
import { LogCopier } from "../components/logCopier";
import { ProtectedResource, RegionalWafLogging } from "../components/regionalWafLogging";
import { ResourceHealth } from "../components/resourceHealth";
import { ResourceStackConfig } from "../config";
import { centralRegionPrefix } from "../layout";
import { copierFunctionName, coverageScannerRoleArn, firehoseStreamName } from "../names";
import { stackProvider } from "../provider";
import { ProtectedArn, parseProtectedArn } from "../config/wafArns";
import { checkAdoptedLogging } from "./adoptedWebAcls";
import { readLoggingStack } from "./loggingReference";

/**
 * An application account in one Region (or its CloudFront web ACLs, location `global`): WAF on its
 * resources and the web ACLs it adopts, logs shipped to the central bucket.
 */
export async function resourceStack(config: ResourceStackConfig): Promise<Record<string, unknown>> {
    const provider = stackProvider(config);
    const logging = await readLoggingStack(config);
    const streamName = firehoseStreamName(config.location);
    await checkAdoptedLogging(
        config,
        provider,
        `arn:${config.partition}:firehose:${config.region}:${config.accountId}:deliverystream/${streamName}`,
    );

    const protectedResources = protectedResourcesOf(config, provider);
    // The logging stack's response mode decides whether this stack enforces the blocklist, and how.
    const blocklist =
        logging.responseMode === "off"
            ? undefined
            : new BlocklistEnforcement(
                  "blocklist",
                  {
                      accountId: config.accountId,
                      region: config.region,
                      location: config.location,
                      scope: config.scope,
                      partition: config.partition,
                      publisherRoleArn: logging.blocklistPublisherRoleArn,
                      limits: config.response,
                      action: logging.responseMode === "block" ? "block" : "count",
                  },
                  { provider },
              );
    const waf = new RegionalWafLogging(
        "waf",
        {
            accountId: config.accountId,
            region: config.region,
            partition: config.partition,
            streamName,
            protectedResources: protectedResources.resources,
            existingWebAclArns: config.existingWebAcls.map((acl) => acl.arn),
            waf: config.waf,
            firehose: config.firehose,
            stagingExpireAfterDays: config.stagingExpireAfterDays,
            blocklist: blocklist && {
                ipv4SetArn: blocklist.ipv4.arn,
                ipv6SetArn: blocklist.ipv6.arn,
                action: logging.responseMode === "block" ? "block" : "count",
            },
        },
        { provider },
    );
    const copier = new LogCopier(
        "copier",
        {
            accountId: config.accountId,
            // The copier writes under the location's prefix (`global` for CloudFront) and is named for it.
            region: config.location,
            sourceBucket: waf.stagingBucket,
            sourceKeyArn: waf.stagingKey.arn,
            streamName,
            central: {
                accountId: logging.loggingAccountId,
                region: logging.loggingRegion,
                bucketName: logging.centralBucketName,
                bucketArn: logging.centralBucketArn,
                keyArn: logging.centralKeyArn,
            },
            after: [waf.stream],
        },
        { provider },
    );
    new ResourceHealth(
        "health",
        {
            accountId: config.accountId,
            region: config.region,
            location: config.location,
            partition: config.partition,
            streamName,
            copierFunctionName: copierFunctionName(config.location),
            alertBusArn: logging.alertBusArn,
            thresholds: config.alerts,
            after: [waf.stream, copier.function, ...(blocklist?.alarmResources ?? [])],
        },
        { provider },
    );
    // Read-only: the logging account's coverage scan lists this Region's web ACLs through it.
    const inventory = new CoverageInventory(
        "coverage",
        {
            accountId: config.accountId,
            // `global`: the account's CloudFront web ACLs (us-east-1, CLOUDFRONT scope).
            region: config.location,
            partition: config.partition,
            loggingAccountId: logging.loggingAccountId,
            scannerRoleArn: coverageScannerRoleArn(logging.partition, logging.loggingAccountId),
        },
        { provider },
    );
    return {
        accountId: config.accountId,
        // The Region name of the central layout: `global` for CloudFront.
        region: config.location,
        awsRegion: config.region,
        wafScope: config.scope,
        ...(waf.webAcl ? { webAclArn: waf.webAcl.arn } : {}),
        existingWebAclArns: config.existingWebAcls.map((acl) => acl.arn),
        firehoseStreamName: waf.stream.name,
        stagingBucketName: waf.stagingBucket.bucket,
        copierFunctionName: copier.function.name,
        copierFailureQueueUrl: copier.failureQueue.url,
        centralBucketName: logging.centralBucketName,
        centralPrefix: `${centralRegionPrefix(config.accountId, config.location)}${streamName}/`,
        responseMode: logging.responseMode,
        coverageInventoryRoleArn: inventory.role.arn,
        ...(blocklist
            ? {
                  blocklistIpSetArns: [blocklist.ipv4.arn, blocklist.ipv6.arn],
                  blocklistSyncRoleArn: blocklist.syncRole.arn,
                  blocklistApplierArn: blocklist.applier.arn,
                  // For web ACLs the platform does not own: reference it first (see docs/adoption.md).
                  blocklistRuleGroupArn: blocklist.ruleGroup.arn,
              }
            : {}),
        ...(protectedResources.demoUrl ? { demoApplicationUrl: protectedResources.demoUrl } : {}),
    };
}

function protectedResourcesOf(config: ResourceStackConfig, provider: aws.Provider) {
    if (config.protection.kind === "demoApplication") {
        const demo = new DemoApplication("demo", {}, { provider });
        return {
            resources: [{ name: "demo", arn: demo.loadBalancerArn }] as ProtectedResource[],
            demoUrl: demo.dnsName.apply((dns) => `http://${dns}/`),
        };
    }
    const arns = config.protection.kind === "resources" ? config.protection.resourceArns : [];
    return {
        // Named from the ARN (an ALB by its `app/<name>/` part, as before): stable across reorderings.
        resources: arns.map((arn) => ({ name: (parseProtectedArn(arn) as ProtectedArn).name, arn })),
        demoUrl: undefined,
    };
}
