import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LoggingAlertSettings, PROJECT, ResourceAccount } from "../config";
import { deliveryDashboardBody } from "./deliveryDashboard";
import { LOADER_METRICS, sourceAlarmName, sourceDimensions } from "./deliveryMetrics";
import { lambdaErrorsAlarm } from "./lambdaErrorsAlarm";
import { requireProvider } from "./requireProvider";

/** Period and number of periods of a silence alarm watching `minutes` (validated by config). */
export function silenceWindow(minutes: number): { period: number; evaluationPeriods: number } {
    // CloudWatch evaluates at most one day of periods shorter than an hour, and seven days in all.
    if (Number.isInteger(minutes) && minutes >= 15 && minutes <= 1440 && minutes % 5 === 0) {
        return { period: 300, evaluationPeriods: minutes / 5 };
    }
    if (Number.isInteger(minutes) && minutes > 1440 && minutes <= 10_080 && minutes % 60 === 0) {
        return { period: 3600, evaluationPeriods: minutes / 60 };
    }
    throw new Error(
        `silenceWindow: ${minutes} minutes cannot be watched by one alarm; use 15-1440 in steps of 5, or whole hours up to 10080.`,
    );
}

export interface DeliveryHealthArgs {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    /** Admitted accounts and Regions: a silence, a parked-lines and an unreadable-objects alarm each, and a dashboard line each. */
    readonly sources: readonly ResourceAccount[];
    /** Told when an alarm goes into ALARM and back to OK: the alert topic. */
    readonly alarmActions: pulumi.Input<string>[];
    /** The loader Lambda, whose errors are watched. */
    readonly loaderFunctionName: string;
    /** The loader's failure queue, shown on the dashboard (its depth alarm comes with the loader). */
    readonly loaderFailureQueueName: pulumi.Input<string>;
    /** silenceMinutes (N), loaderErrors and parkedLines; defaults in LoggingAlertSettings. */
    readonly thresholds: Pick<LoggingAlertSettings, "silenceMinutes" | "loaderErrors" | "parkedLines">;
    /** Resources its alarms name by a fixed name (the loader function): created first. Default none. */
    readonly after?: pulumi.Input<pulumi.Resource>[];
    /** Alarms of other components the dashboard shows (the coverage alarms): it is put after them. */
    readonly shownAlarms?: readonly aws.cloudwatch.MetricAlarm[];
}

/** Physical name of the delivery dashboard. */
export const DELIVERY_DASHBOARD = `${PROJECT}-delivery`;

/** Where an operator opens the dashboard. */
export function dashboardUrl(region: string, dashboardName: string): string {
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${dashboardName}`;
}

/**
 * Delivery health in the logging account: per admitted account and Region, an alarm when nothing
 * was indexed from it for N minutes (missing data counts as silence: a source that never delivered
 * is silent too), when too many of its lines are parked, and when one of its objects is unreadable;
 * an alarm on loader errors; and the dashboard of the whole path.
 */
export class DeliveryHealth extends pulumi.ComponentResource {
    readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, args: DeliveryHealthArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:DeliveryHealth", name, {}, opts);
        requireProvider("DeliveryHealth", name, opts, "logging");
        if (args.sources.length === 0) {
            throw new Error(`DeliveryHealth ${name}: args.sources is empty; list the admitted accounts and Regions.`);
        }
        const silence = silenceWindow(args.thresholds.silenceMinutes);
        const actions = { alarmActions: args.alarmActions, okActions: args.alarmActions };
        const parent = { parent: this };
        // The dashboard's alarm widgets name these alarms: it is put after them.
        const shown: aws.cloudwatch.MetricAlarm[] = [...(args.shownAlarms ?? [])];

        for (const { accountId, regions } of args.sources) {
            for (const region of regions) {
                const source = `${accountId}/${region}`;
                const dimensions = sourceDimensions(accountId, region);
                const silent = new aws.cloudwatch.MetricAlarm(
                    `${name}-silent-${accountId}-${region}`,
                    {
                        name: sourceAlarmName("silent", accountId, region),
                        alarmDescription: `No WAF log record from ${source} was indexed for ${args.thresholds.silenceMinutes} minutes. Check that account's web ACL logging, Firehose stream and copier, then the loader.`,
                        namespace: LOADER_METRICS.namespace,
                        metricName: LOADER_METRICS.records,
                        dimensions,
                        statistic: "Sum",
                        period: silence.period,
                        evaluationPeriods: silence.evaluationPeriods,
                        datapointsToAlarm: silence.evaluationPeriods,
                        comparisonOperator: "LessThanThreshold",
                        threshold: 1,
                        // No data is the failure this alarm exists for.
                        treatMissingData: "breaching",
                        ...actions,
                    },
                    parent,
                );
                shown.push(silent);
                new aws.cloudwatch.MetricAlarm(
                    `${name}-parked-${accountId}-${region}`,
                    {
                        name: sourceAlarmName("parked", accountId, region),
                        alarmDescription: `More than ${args.thresholds.parkedLines} lines from ${source} were parked instead of indexed within 5 minutes; each is kept with its reason under _errors/ in the central bucket.`,
                        namespace: LOADER_METRICS.namespace,
                        metricName: LOADER_METRICS.parked,
                        dimensions,
                        statistic: "Sum",
                        period: 300,
                        evaluationPeriods: 1,
                        comparisonOperator: "GreaterThanThreshold",
                        threshold: args.thresholds.parkedLines,
                        treatMissingData: "notBreaching",
                        ...actions,
                    },
                    parent,
                );
                new aws.cloudwatch.MetricAlarm(
                    `${name}-unreadable-${accountId}-${region}`,
                    {
                        name: sourceAlarmName("unreadable", accountId, region),
                        alarmDescription: `An object from ${source} could not be read to its end (corrupt or truncated); the loader reported where under _errors/ in the central bucket.`,
                        namespace: LOADER_METRICS.namespace,
                        metricName: LOADER_METRICS.unreadable,
                        dimensions,
                        statistic: "Sum",
                        period: 300,
                        evaluationPeriods: 1,
                        comparisonOperator: "GreaterThanOrEqualToThreshold",
                        threshold: 1,
                        treatMissingData: "notBreaching",
                        ...actions,
                    },
                    parent,
                );
            }
        }
        lambdaErrorsAlarm(
            `${name}-loader-errors`,
            {
                functionName: args.loaderFunctionName,
                threshold: args.thresholds.loaderErrors,
                actions: args.alarmActions,
            },
            { parent: this, dependsOn: args.after },
        );

        const dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: DELIVERY_DASHBOARD,
                dashboardBody: pulumi.output(args.loaderFailureQueueName).apply((loaderFailureQueueName) =>
                    JSON.stringify(
                        deliveryDashboardBody({
                            accountId: args.accountId,
                            region: args.region,
                            partition: args.partition,
                            sources: args.sources,
                            loaderFunctionName: args.loaderFunctionName,
                            loaderFailureQueueName,
                            silenceMinutes: args.thresholds.silenceMinutes,
                        }),
                    ),
                ),
            },
            { parent: this, dependsOn: shown },
        );
        this.dashboardName = dashboard.dashboardName;
        this.registerOutputs({ dashboardName: this.dashboardName });
    }
}
