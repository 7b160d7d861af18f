import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ResourceAccount } from "../config";
import { COVERAGE_METRICS, CoverageSettings, CoverageTarget } from "../handlers/coverage";
import { coverageCallbackFactory } from "../handlers/coverageLambda";
import { METRICS_NAMESPACE } from "../handlers/metrics";
import {
    BLOCKLIST_IP_SETS,
    BLOCKLIST_RULE_GROUP_PREFIX,
    COVERAGE_FUNCTION,
    PLATFORM_STREAM_PREFIX,
    coverageRoleArn,
} from "../names";
import { coverageAlarmName } from "./deliveryMetrics";
import { inlineFunction, lambdaRole } from "./inlineFunction";
import { lambdaErrorsAlarm } from "./lambdaErrorsAlarm";
import { PolicyStatement } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

export interface CoverageScanArgs {
    readonly accountId: string;
    readonly partition: string;
    /** Admitted accounts and Regions: each one's web ACLs are scanned through its inventory role. */
    readonly targets: readonly ResourceAccount[];
    /** Whether every web ACL must carry the blocklist: the response loop is on (count or block). */
    readonly requireBlocklist: boolean;
    /** Told when a coverage alarm goes into ALARM and back to OK: the alert topic. */
    readonly alarmActions: pulumi.Input<string>[];
}

/** How often the scan runs; each alarm watches two of these periods. */
export const COVERAGE_SCHEDULE = "rate(1 hour)";
const PERIOD_SECONDS = 3600;

/** Every admitted account and Region, with the inventory role the scan assumes there. */
export function coverageTargets(partition: string, accounts: readonly ResourceAccount[]): CoverageTarget[] {
    return accounts.flatMap((a) =>
        a.regions.map((region) => ({
            accountId: a.accountId,
            region,
            roleArn: coverageRoleArn(partition, a.accountId, region),
        })),
    );
}

export function coverageSettings(requireBlocklist: boolean): CoverageSettings {
    return {
        requireBlocklist,
        platformStreamPrefix: PLATFORM_STREAM_PREFIX,
        blocklistRuleGroupPrefix: BLOCKLIST_RULE_GROUP_PREFIX,
        blocklistIpSetNames: [BLOCKLIST_IP_SETS.ipv4, BLOCKLIST_IP_SETS.ipv6],
        concurrency: 4,
    };
}

/**
 * The coverage scan in the logging account: every hour, a Lambda assumes each resource stack's
 * read-only inventory role, lists every web ACL there and reports, per account and Region, the web
 * ACLs that do not log to the platform or lack its blocklist (EMF metrics, one alarm each).
 */
export class CoverageScan extends pulumi.ComponentResource {
    readonly function: aws.lambda.CallbackFunction<any, any>;
    /** The coverage alarm of each account/Region (the delivery dashboard shows them). */
    readonly alarms: aws.cloudwatch.MetricAlarm[] = [];

    constructor(name: string, args: CoverageScanArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:CoverageScan", name, {}, opts);
        requireProvider("CoverageScan", name, opts, "logging");
        if (args.targets.length === 0) {
            throw new Error(`CoverageScan ${name}: args.targets is empty; list the admitted accounts and Regions.`);
        }
        const parent = { parent: this };
        const targets = coverageTargets(args.partition, args.targets);
        const role = lambdaRole(`${name}-role`, args.accountId, this, {
            // Fixed: every resource stack's inventory role trusts exactly this ARN.
            name: COVERAGE_FUNCTION,
            description: "Lists the web ACLs of every admitted account and Region through their inventory roles",
        });
        this.function = inlineFunction(
            name,
            {
                functionName: COVERAGE_FUNCTION,
                description: "Reports web ACLs that do not log to the platform or lack its blocklist",
                role,
                statements: (): PolicyStatement[] => [
                    {
                        Sid: "AssumeInventoryRoles",
                        Effect: "Allow",
                        Action: "sts:AssumeRole",
                        Resource: targets.map((t) => t.roleArn),
                    },
                ],
                callbackFactory: coverageCallbackFactory(coverageSettings(args.requireBlocklist), targets),
                packages: [],
                environment: {},
                timeoutSec: 300,
                memoryMiB: 256,
            },
            this,
        );
        const schedule = new aws.cloudwatch.EventRule(
            `${name}-schedule`,
            { description: "Starts the web ACL coverage scan", scheduleExpression: COVERAGE_SCHEDULE },
            parent,
        );
        new aws.lambda.Permission(
            `${name}-invoke`,
            {
                function: this.function.name,
                action: "lambda:InvokeFunction",
                principal: "events.amazonaws.com",
                sourceArn: schedule.arn,
            },
            parent,
        );
        new aws.cloudwatch.EventTarget(`${name}-target`, { rule: schedule.name, arn: this.function.arn }, parent);
        // A failed scan is not retried: the next one, within the hour, covers it.
        new aws.lambda.FunctionEventInvokeConfig(
            `${name}-async`,
            { functionName: this.function.name, maximumRetryAttempts: 0 },
            parent,
        );

        for (const target of targets) {
            const gaps = new aws.cloudwatch.MetricAlarm(
                `${name}-${target.accountId}-${target.region}`,
                {
                    name: coverageAlarmName(target.accountId, target.region),
                    alarmDescription: `A web ACL in ${target.accountId}/${target.region} does not log to the platform or lacks the central blocklist, or it could not be scanned (no data: the scan stopped). Run npm run coverage for the table.`,
                    namespace: METRICS_NAMESPACE,
                    metricName: COVERAGE_METRICS.gaps,
                    dimensions: { TargetAccount: target.accountId, TargetRegion: target.region },
                    statistic: "Maximum",
                    period: PERIOD_SECONDS,
                    evaluationPeriods: 2,
                    datapointsToAlarm: 2,
                    comparisonOperator: "GreaterThanOrEqualToThreshold",
                    threshold: 1,
                    // No scan result for two hours: coverage is unknown, which is a gap too.
                    treatMissingData: "breaching",
                    alarmActions: args.alarmActions,
                    okActions: args.alarmActions,
                },
                parent,
            );
            this.alarms.push(gaps);
        }
        lambdaErrorsAlarm(
            `${name}-errors`,
            { functionName: COVERAGE_FUNCTION, threshold: 1, actions: args.alarmActions },
            { parent: this, dependsOn: [this.function] },
        );
        this.registerOutputs({ functionName: this.function.name, roleArn: role.arn });
    }
}
