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
import { readLoggingStack } from "./loggingReference";

/** An application account in one Region: WAF on its load balancers, logs shipped to the central bucket. */
export async function resourceStack(config: ResourceStackConfig): Promise<Record<string, unknown>> {
    const provider = stackProvider(config);
    const logging = await readLoggingStack(config);
    const streamName = firehoseStreamName(config.region);

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
                      partition: config.partition,
                      publisherRoleArn: logging.blocklistPublisherRoleArn,
                      limits: config.response,
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
            region: config.region,
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
            partition: config.partition,
            streamName,
            copierFunctionName: copierFunctionName(config.region),
            alertBusArn: logging.alertBusArn,
            thresholds: config.alerts,
            after: [waf.stream, copier.function],
        },
        { provider },
    );
    // Read-only: the logging account's coverage scan lists this Region's web ACLs through it.
    const inventory = new CoverageInventory(
        "coverage",
        {
            accountId: config.accountId,
            region: config.region,
            partition: config.partition,
            loggingAccountId: logging.loggingAccountId,
            scannerRoleArn: coverageScannerRoleArn(logging.partition, logging.loggingAccountId),
        },
        { provider },
    );
    return {
        accountId: config.accountId,
        region: config.region,
        webAclArn: waf.webAcl.arn,
        firehoseStreamName: waf.stream.name,
        stagingBucketName: waf.stagingBucket.bucket,
        copierFunctionName: copier.function.name,
        copierFailureQueueUrl: copier.failureQueue.url,
        centralBucketName: logging.centralBucketName,
        centralPrefix: `${centralRegionPrefix(config.accountId, config.region)}${streamName}/`,
        responseMode: logging.responseMode,
        coverageInventoryRoleArn: inventory.role.arn,
        ...(blocklist
            ? {
                  blocklistIpSetArns: [blocklist.ipv4.arn, blocklist.ipv6.arn],
                  blocklistSyncRoleArn: blocklist.syncRole.arn,
                  blocklistApplierArn: blocklist.applier.arn,
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
    return {
        // The ALB's name is the `app/<name>/` part of its ARN; stable across reorderings of the list.
        resources: config.protection.loadBalancerArns.map((arn) => ({ name: arn.split("/")[2], arn })),
        demoUrl: undefined,
    };
}
