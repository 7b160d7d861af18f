import * as pulumi from "@pulumi/pulumi";
import { AlertTopic } from "../components/alertTopic";
import { CentralLogBucket } from "../components/centralLogBucket";
import { CoverageScan } from "../components/coverageScan";
import { DELIVERY_DASHBOARD, DeliveryHealth, dashboardUrl } from "../components/deliveryHealth";
import { LogAnalytics } from "../components/logAnalytics";
import { ResponseLoop } from "../components/responseLoop";
import { SearchBootstrap } from "../components/searchBootstrap";
import { SearchDomain } from "../components/searchDomain";
import { SearchLoader } from "../components/searchLoader";
import { LoggingStackConfig } from "../config";
import { CENTRAL_LAYOUT } from "../layout";
import {
    ATHENA_COMPACTION_WORKGROUP,
    ATHENA_WORKGROUP,
    COVERAGE_FUNCTION,
    DETECTION_WORKGROUP,
    SEARCH_LOADER_FUNCTION,
    blocklistPublisherRoleArn,
    coverageScannerRoleArn,
} from "../names";
import { stackProvider } from "../provider";
import { LoggingStackOutputs } from "./contract";

type Exported<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The central logging account: the bucket every Region ships into. */
export async function loggingStack(
    config: LoggingStackConfig,
): Promise<Exported<LoggingStackOutputs> & Record<string, pulumi.Input<unknown>>> {
    const provider = stackProvider(config);
    const central = new CentralLogBucket(
        "central-waf-logs",
        {
            loggingAccountId: config.accountId,
            region: config.region,
            partition: config.partition,
            writers: config.resourceAccounts,
            lifecycle: config.centralBucket,
            deploymentRoleArn: config.deploymentRoleArn,
        },
        { provider },
    );

    const settings = config.search;
    const search = new SearchDomain(
        "search",
        {
            accountId: config.accountId,
            region: config.region,
            partition: config.partition,
            domainName: settings.domainName,
            engineVersion: settings.engineVersion,
            instanceType: settings.instanceType,
            instanceCount: settings.instanceCount,
            volumeSizeGiB: settings.volumeSizeGiB,
            network:
                settings.subnetIds && settings.securityGroupIds
                    ? { kind: "existing", subnetIds: settings.subnetIds, securityGroupIds: settings.securityGroupIds }
                    : { kind: "create", availabilityZones: settings.availabilityZones },
            kmsKeyArn: central.keyArn,
            adminRoleArns: settings.adminRoleArns,
        },
        { provider },
    );
    const alerts = new AlertTopic(
        "alerts",
        {
            accountId: config.accountId,
            region: config.region,
            partition: config.partition,
            sources: config.resourceAccounts,
            emails: config.alerts.emails,
            subscriptions: config.alerts.subscriptions,
            athenaWorkgroups: [ATHENA_WORKGROUP, ATHENA_COMPACTION_WORKGROUP, DETECTION_WORKGROUP],
        },
        { provider },
    );
    const loader = new SearchLoader(
        "search-loader",
        {
            accountId: config.accountId,
            bucket: central.bucket,
            keyArn: central.keyArn,
            search,
            indexPrefix: settings.indexPrefix,
            bulkMaxBytes: settings.bulkMaxBytes,
            alarmActions: [alerts.topicArn],
        },
        { provider },
    );
    const coverage = new CoverageScan(
        "coverage",
        {
            accountId: config.accountId,
            partition: config.partition,
            targets: config.resourceAccounts,
            requireBlocklist: config.response.mode !== "off",
            alarmActions: [alerts.topicArn],
        },
        { provider },
    );

    new DeliveryHealth(
        "delivery-health",
        {
            accountId: config.accountId,
            region: config.region,
            partition: config.partition,
            sources: config.resourceAccounts,
            alarmActions: [alerts.topicArn],
            loaderFunctionName: SEARCH_LOADER_FUNCTION,
            loaderFailureQueueName: loader.failureQueue.name,
            thresholds: config.alerts,
            after: [loader.function],
            shownAlarms: coverage.alarms,
        },
        { provider },
    );
    new SearchBootstrap(
        "search-bootstrap",
        {
            search,
            indexPrefix: settings.indexPrefix,
            retentionDays: settings.retentionDays,
            adminRoleArns: settings.adminRoleArns,
        },
        { provider },
    );

    const analytics = new LogAnalytics(
        "analytics",
        {
            accountId: config.accountId,
            region: config.region,
            partition: config.partition,
            bucket: central.bucket,
            keyArn: central.keyArn,
            writers: config.resourceAccounts,
            settings: config.analytics,
            alarmActions: [alerts.topicArn],
            retentionDays: config.centralBucket.expireAfterDays,
        },
        { provider },
    );

    const response = new ResponseLoop(
        "response",
        {
            accountId: config.accountId,
            region: config.region,
            partition: config.partition,
            settings: config.response,
            targets: config.resourceAccounts,
            bucketArn: central.bucketArn,
            keyArn: central.keyArn,
            resultsBucketArn: analytics.resultsBucket.arn,
            resultsBucketName: analytics.resultsBucket.bucket,
            alarmActions: [alerts.topicArn],
            analyticsReady: analytics.ready,
        },
        { provider },
    );

    return {
        loggingAccountId: config.accountId,
        loggingRegion: config.region,
        partition: config.partition,
        centralBucketName: central.bucketName,
        centralBucketArn: central.bucketArn,
        centralKeyArn: central.keyArn,
        objectKeyLayout: CENTRAL_LAYOUT,
        // For operators: the domain answers only inside its VPC (VPN, bastion or Client VPN).
        searchEndpoint: search.endpoint,
        dashboardsUrl: search.endpoint.apply((endpoint) => `${endpoint}/_dashboards`),
        athenaWorkgroup: analytics.workgroup.name,
        allowedAccounts: Object.fromEntries(config.resourceAccounts.map((a) => [a.accountId, [...a.regions]])),
        responseMode: config.response.mode,
        blocklistPublisherRoleArn: blocklistPublisherRoleArn(config.partition, config.accountId),
        blocklistTableName: response.table.name,
        blocklistAuditTableName: response.auditTable.name,
        blocklistOperatorPolicyArn: response.operatorPolicy.arn,
        alertBusArn: alerts.busArn,
        alertTopicArn: alerts.topicArn,
        healthDashboardUrl: dashboardUrl(config.region, DELIVERY_DASHBOARD),
        // For `npm run coverage` and the inventory roles' trust.
        coverageFunctionName: COVERAGE_FUNCTION,
        coverageScannerRoleArn: coverageScannerRoleArn(config.partition, config.accountId),
        // For `npm run replay`: the loader's dead-lettered events.
        loaderFailureQueueUrl: loader.failureQueue.url,
    };
}
