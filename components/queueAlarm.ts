import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface QueueDepthAlarmArgs {
    /** Physical alarm name; starts with the project prefix so EventBridge rules can match it. */
    readonly name: string;
    readonly description: string;
    /** The queue whose messages are failures: one visible message is enough to alarm. */
    readonly queueName: pulumi.Input<string>;
    /** Told when the alarm goes into ALARM and back to OK. */
    readonly actions?: pulumi.Input<string>[];
}

/** An alarm that fires while a failure queue holds a message (each one is work someone must re-drive). */
export function queueDepthAlarm(
    resourceName: string,
    args: QueueDepthAlarmArgs,
    opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(
        resourceName,
        {
            name: args.name,
            alarmDescription: args.description,
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: args.queueName },
            statistic: "Maximum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            treatMissingData: "notBreaching",
            alarmActions: args.actions,
            okActions: args.actions,
        },
        opts,
    );
}
