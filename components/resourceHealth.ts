import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ResourceAlertSettings } from "../config";
import { ALARM_NAME_PREFIX, alarmForwarderRuleArn, alarmForwarderRuleName } from "../names";
import { forwardedAlarmsPattern } from "./alarmEvents";
import { alarmForwarderStatements } from "./alertPolicies";
import { lambdaErrorsAlarm } from "./lambdaErrorsAlarm";
import { policyDocument, serviceTrustPolicy } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

export interface ResourceHealthArgs {
    readonly accountId: string;
    /** The AWS Region the stack deploys to. */
    readonly region: string;
    /** The stack's Region name in the central layout: `global` for CloudFront. Default: the Region. */
    readonly location?: string;
    readonly partition: string;
    /** The Firehose stream whose delivery to the staging bucket is watched. */
    readonly streamName: string;
    /** The copier Lambda, whose invocation errors are watched. */
    readonly copierFunctionName: string;
    /** The logging account's alert bus (a logging stack output), where alarm state changes go. */
    readonly alertBusArn: string;
    /** firehoseFreshnessSeconds and copierErrors; defaults in ResourceAlertSettings. */
    readonly thresholds: ResourceAlertSettings;
    /** Resources its alarms name by a fixed name (the stream, the function): created first. Default none. */
    readonly after?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Delivery health in a resource account and Region: alarms on Firehose delivery (records waiting
 * too long, failed puts to the staging bucket) and on copier errors, and the forwarding of every
 * state change of this project's alarms here (these and the copier's failure-queue alarm) to the
 * logging account's alert bus. A CloudWatch alarm cannot publish to a topic in another account
 * or Region; an EventBridge rule can put the state change on a bus there, through a role.
 */
export class ResourceHealth extends pulumi.ComponentResource {
    constructor(name: string, args: ResourceHealthArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:ResourceHealth", name, {}, opts);
        requireProvider("ResourceHealth", name, opts, "resource");
        if (!/^arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.-]+$/.test(args.alertBusArn)) {
            throw new Error(
                `ResourceHealth ${name}: args.alertBusArn "${args.alertBusArn}" is not an event bus ARN; pass the logging stack's alertBusArn output.`,
            );
        }
        const alarmOpts = { parent: this, dependsOn: args.after };
        const stream = { DeliveryStreamName: args.streamName };
        const location = args.location ?? args.region;

        new aws.cloudwatch.MetricAlarm(
            `${name}-firehose-stale`,
            {
                name: `${ALARM_NAME_PREFIX}firehose-${location}-stale`,
                alarmDescription: `Firehose ${args.streamName} holds records older than ${args.thresholds.firehoseFreshnessSeconds} seconds: it cannot deliver to its staging bucket. See its DestinationDelivery error log.`,
                namespace: "AWS/Firehose",
                metricName: "DeliveryToS3.DataFreshness",
                dimensions: stream,
                statistic: "Maximum",
                period: 300,
                evaluationPeriods: 1,
                comparisonOperator: "GreaterThanThreshold",
                threshold: args.thresholds.firehoseFreshnessSeconds,
                // A stream with no traffic reports nothing: that is the silence alarm's business.
                treatMissingData: "notBreaching",
            },
            alarmOpts,
        );
        new aws.cloudwatch.MetricAlarm(
            `${name}-firehose-failing`,
            {
                name: `${ALARM_NAME_PREFIX}firehose-${location}-failing`,
                alarmDescription: `Firehose ${args.streamName} had puts to its staging bucket fail within 5 minutes; it retries for up to a day. See its DestinationDelivery error log.`,
                namespace: "AWS/Firehose",
                metricName: "DeliveryToS3.Success",
                dimensions: stream,
                // The ratio of successful puts: below 1 when any failed.
                statistic: "Average",
                period: 300,
                evaluationPeriods: 1,
                comparisonOperator: "LessThanThreshold",
                threshold: 1,
                treatMissingData: "notBreaching",
            },
            alarmOpts,
        );
        lambdaErrorsAlarm(
            `${name}-copier-errors`,
            { functionName: args.copierFunctionName, threshold: args.thresholds.copierErrors },
            alarmOpts,
        );
        this.forwardAlarms(name, args);
        this.registerOutputs({});
    }

    /** The default-bus rule sending this project's alarm state changes to the alert bus, and its role. */
    private forwardAlarms(name: string, args: ResourceHealthArgs): void {
        const parent = { parent: this };
        const location = args.location ?? args.region;
        const ruleArn = alarmForwarderRuleArn(args.partition, args.accountId, location);
        const role = new aws.iam.Role(
            `${name}-forwarder-role`,
            {
                description:
                    "EventBridge forwards this project's alarm state changes to the logging account's alert bus",
                assumeRolePolicy: JSON.stringify(serviceTrustPolicy("events.amazonaws.com", args.accountId, ruleArn)),
            },
            parent,
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-forwarder-policy`,
            { role: role.id, policy: JSON.stringify(policyDocument(alarmForwarderStatements(args.alertBusArn))) },
            parent,
        );
        const rule = new aws.cloudwatch.EventRule(
            `${name}-forwarder`,
            {
                // Named: the alert bus admits exactly this rule's ARN.
                name: alarmForwarderRuleName(location),
                description: "This project's alarms going into ALARM, or back to OK, sent to the logging account",
                eventPattern: JSON.stringify(forwardedAlarmsPattern(args.partition, args.accountId, location)),
            },
            // The pattern names alarms (the global stack's names the applier's): put it after them.
            { parent: this, dependsOn: args.after },
        );
        new aws.cloudwatch.EventTarget(
            `${name}-to-alert-bus`,
            { rule: rule.name, targetId: "alert-bus", arn: args.alertBusArn, roleArn: role.arn },
            { parent: this, dependsOn: [rolePolicy] },
        );
    }
}
