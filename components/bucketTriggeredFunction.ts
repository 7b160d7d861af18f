import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FAILURE_QUEUE_RETENTION_DAYS } from "../config";
import { failureAlarmName } from "./deliveryMetrics";
import { InlineFunctionArgs, inlineFunction } from "./inlineFunction";
import { PolicyStatement } from "./policyDocuments";
import { queueDepthAlarm } from "./queueAlarm";

export interface BucketTriggeredFunctionArgs extends Omit<InlineFunctionArgs, "statements"> {
    /** What the function may do besides logging and parking failed events. */
    readonly statements: () => pulumi.Input<PolicyStatement[]>;
    readonly bucket: aws.s3.Bucket;
    /** Owner of the bucket: the only account S3 may invoke the function for. */
    readonly bucketAccountId: string;
    /** Only objects under this prefix trigger the function. Default: every object. */
    readonly filterPrefix?: string;
    /** Lambda's own retries before an event is parked (0-2). Default 2. */
    readonly maximumRetryAttempts?: number;
    /** Told when the failure-queue alarm goes into ALARM and back to OK (SNS topic ARNs). Default: none. */
    readonly alarmActions?: pulumi.Input<string>[];
}

export interface BucketTriggeredFunction {
    readonly function: aws.lambda.CallbackFunction<any, any>;
    readonly failureQueue: aws.sqs.Queue;
    readonly failureAlarm: aws.cloudwatch.MetricAlarm;
}

/**
 * An inline Lambda run for objects created in a bucket, with what makes that safe to operate:
 * S3 as its only invoker (source ARN and account pinned), Lambda retries, then an encrypted SQS
 * queue for events that still fail and a CloudWatch alarm on that queue's depth.
 */
export function bucketTriggeredFunction(
    name: string,
    args: BucketTriggeredFunctionArgs,
    parent: pulumi.Resource,
): BucketTriggeredFunction {
    const retries = args.maximumRetryAttempts ?? 2;
    if (!Number.isInteger(retries) || retries < 0 || retries > 2) {
        throw new Error(`${name}: maximumRetryAttempts must be 0, 1 or 2 (Lambda's limit), got ${retries}.`);
    }
    const opts = { parent };
    const failureQueue = new aws.sqs.Queue(
        `${name}-failures`,
        { sqsManagedSseEnabled: true, messageRetentionSeconds: FAILURE_QUEUE_RETENTION_DAYS * 24 * 3600 },
        opts,
    );
    const failureAlarm = queueDepthAlarm(
        `${name}-failures-alarm`,
        {
            // Named after the function, with the project prefix EventBridge rules match alarms by.
            name: failureAlarmName(args.functionName),
            description: `Events ${args.functionName} could not process after retries; replay them from the queue.`,
            queueName: failureQueue.name,
            actions: args.alarmActions,
        },
        opts,
    );
    const fn = inlineFunction(
        name,
        {
            ...args,
            statements: () =>
                pulumi.all([args.statements(), failureQueue.arn]).apply(([own, failureQueueArn]) => [
                    ...own,
                    {
                        Sid: "ParkFailedEvents",
                        Effect: "Allow" as const,
                        Action: "sqs:SendMessage",
                        Resource: failureQueueArn,
                    },
                ]),
        },
        parent,
    );
    new aws.lambda.FunctionEventInvokeConfig(
        `${name}-on-failure`,
        {
            functionName: fn.name,
            maximumRetryAttempts: retries,
            maximumEventAgeInSeconds: 6 * 3600,
            destinationConfig: { onFailure: { destination: failureQueue.arn } },
        },
        opts,
    );
    const permission = new aws.lambda.Permission(
        `${name}-invoked-by-s3`,
        {
            function: fn.name,
            action: "lambda:InvokeFunction",
            principal: "s3.amazonaws.com",
            sourceArn: args.bucket.arn,
            sourceAccount: args.bucketAccountId,
        },
        opts,
    );
    // S3 allows one notification configuration per bucket: this function owns it.
    new aws.s3.BucketNotification(
        `${name}-notification`,
        {
            bucket: args.bucket.bucket,
            lambdaFunctions: [
                { lambdaFunctionArn: fn.arn, events: ["s3:ObjectCreated:*"], filterPrefix: args.filterPrefix },
            ],
        },
        { parent, dependsOn: [permission] },
    );
    return { function: fn, failureQueue, failureAlarm };
}
