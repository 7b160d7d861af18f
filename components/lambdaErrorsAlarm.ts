import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { errorsAlarmName } from "./deliveryMetrics";

export interface LambdaErrorsAlarmArgs {
    /** The function whose failed invocations are counted. */
    readonly functionName: string;
    /** Failed invocations within 5 minutes that raise the alarm. */
    readonly threshold: number;
    /** Told when the alarm goes into ALARM and back to OK; none where alarms are forwarded instead. */
    readonly actions?: pulumi.Input<string>[];
}

/**
 * An alarm on a function's failed invocations (each one is retried twice by Lambda, then parked
 * in its failure queue), named `errorsAlarmName(functionName)`.
 */
export function lambdaErrorsAlarm(
    resourceName: string,
    args: LambdaErrorsAlarmArgs,
    opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(
        resourceName,
        {
            name: errorsAlarmName(args.functionName),
            alarmDescription: `${args.functionName} failed ${args.threshold} or more invocations within 5 minutes; Lambda retries each event twice, then parks it in the failure queue.`,
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: args.functionName },
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: args.threshold,
            treatMissingData: "notBreaching",
            ...(args.actions ? { alarmActions: args.actions, okActions: args.actions } : {}),
        },
        opts,
    );
}
