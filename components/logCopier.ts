import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { copierEnvironment } from "../handlers/copier";
import { copierHandlerFactory } from "../handlers/copierLambda";
import { REGIONAL_LOG_PREFIX, centralRegionPrefix } from "../layout";
import { copierFunctionName, copierRoleName } from "../names";
import { packagesFor } from "./lambdaPackaging";
import { PolicyStatement, policyDocument, serviceTrustPolicy } from "./policyDocuments";

/** Where the copier writes: the logging stack's outputs. */
export interface CentralDestination {
    readonly accountId: string;
    readonly bucketName: string;
    readonly bucketArn: string;
    readonly keyArn: string;
}

export interface LogCopierArgs {
    readonly accountId: string;
    readonly region: string;
    /** The staging bucket Firehose writes to. */
    readonly sourceBucket: aws.s3.Bucket;
    /** The Firehose stream whose objects are copied; part of the central key. */
    readonly streamName: string;
    readonly central: CentralDestination;
    /** Lambda's own retries of a failed event before it goes to the failure queue (0-2). Default 2. */
    readonly maximumRetryAttempts?: number;
    /** Retention of the function's logs. Default 30 days. */
    readonly logRetentionDays?: number;
}

/** The copier's IAM permissions: read its staging objects, write its own central prefix, log. */
export function copierStatements(p: {
    sourceBucketArn: string;
    central: CentralDestination;
    accountId: string;
    region: string;
    logGroupArn: string;
    failureQueueArn: string;
}): PolicyStatement[] {
    return [
        {
            Sid: "ReadStagedLogs",
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: `${p.sourceBucketArn}/${REGIONAL_LOG_PREFIX}*`,
        },
        {
            Sid: "WriteOwnCentralPrefix",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: `${p.central.bucketArn}/${centralRegionPrefix(p.accountId, p.region)}*`,
        },
        { Sid: "EncryptWithCentralKey", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: p.central.keyArn },
        {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${p.logGroupArn.replace(/:\*$/, "")}:*`,
        },
        { Sid: "ParkFailedEvents", Effect: "Allow", Action: "sqs:SendMessage", Resource: p.failureQueueArn },
    ];
}

/**
 * Moves every object Firehose delivers to the staging bucket into the central bucket, under
 * `<account_id>/<region>/<stream>/yyyy/MM/dd/HH/<file>`. A failed event is retried by Lambda,
 * then parked in an encrypted SQS queue whose depth raises a CloudWatch alarm.
 */
export class LogCopier extends pulumi.ComponentResource {
    readonly function: aws.lambda.CallbackFunction<unknown, unknown>;
    readonly failureQueue: aws.sqs.Queue;
    readonly failureAlarm: aws.cloudwatch.MetricAlarm;

    constructor(name: string, args: LogCopierArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:LogCopier", name, {}, opts);
        if (!opts.provider) {
            throw new Error(`LogCopier ${name}: opts.provider is required; pass the resource account's aws.Provider.`);
        }
        const retries = args.maximumRetryAttempts ?? 2;
        if (!Number.isInteger(retries) || retries < 0 || retries > 2) {
            throw new Error(
                `LogCopier ${name}: args.maximumRetryAttempts must be 0, 1 or 2 (Lambda's limit), got ${retries}.`,
            );
        }
        const parent = { parent: this };
        const functionName = copierFunctionName(args.region);

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays ?? 30 },
            parent,
        );
        this.failureQueue = new aws.sqs.Queue(
            `${name}-failures`,
            { sqsManagedSseEnabled: true, messageRetentionSeconds: 14 * 24 * 3600 },
            parent,
        );
        this.failureAlarm = new aws.cloudwatch.MetricAlarm(
            `${name}-failures-alarm`,
            {
                alarmDescription: `WAF log objects the copier ${functionName} could not copy after retries; replay them from the queue.`,
                namespace: "AWS/SQS",
                metricName: "ApproximateNumberOfMessagesVisible",
                dimensions: { QueueName: this.failureQueue.name },
                statistic: "Maximum",
                period: 300,
                evaluationPeriods: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                threshold: 1,
                treatMissingData: "notBreaching",
            },
            parent,
        );

        // Named, not auto-named: the logging stack admits this exact role ARN before it exists.
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                name: copierRoleName(args.region),
                description: `Copies WAF logs of ${args.accountId}/${args.region} into the central bucket`,
                assumeRolePolicy: JSON.stringify(serviceTrustPolicy("lambda.amazonaws.com", args.accountId)),
            },
            parent,
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([args.sourceBucket.arn, logGroup.arn, this.failureQueue.arn])
                    .apply(([sourceBucketArn, logGroupArn, failureQueueArn]) =>
                        JSON.stringify(
                            policyDocument(
                                copierStatements({
                                    sourceBucketArn,
                                    logGroupArn,
                                    failureQueueArn,
                                    central: args.central,
                                    accountId: args.accountId,
                                    region: args.region,
                                }),
                            ),
                        ),
                    ),
            },
            parent,
        );

        this.function = new aws.lambda.CallbackFunction(
            `${name}-function`,
            {
                name: functionName,
                description: "Copies WAF log objects from the staging bucket into the central layout",
                role,
                runtime: aws.lambda.Runtime.NodeJS22dX,
                timeout: 120,
                memorySize: 256,
                callbackFactory: copierHandlerFactory,
                codePathOptions: packagesFor([]),
                environment: {
                    variables: copierEnvironment({
                        centralBucket: args.central.bucketName,
                        centralKeyArn: args.central.keyArn,
                        centralAccountId: args.central.accountId,
                        accountId: args.accountId,
                        region: args.region,
                        streamName: args.streamName,
                    }),
                },
                loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
            },
            { parent: this, dependsOn: [rolePolicy, logGroup] },
        );

        new aws.lambda.FunctionEventInvokeConfig(
            `${name}-on-failure`,
            {
                functionName: this.function.name,
                maximumRetryAttempts: retries,
                maximumEventAgeInSeconds: 6 * 3600,
                destinationConfig: { onFailure: { destination: this.failureQueue.arn } },
            },
            parent,
        );
        const permission = new aws.lambda.Permission(
            `${name}-invoked-by-s3`,
            {
                function: this.function.name,
                action: "lambda:InvokeFunction",
                principal: "s3.amazonaws.com",
                sourceArn: args.sourceBucket.arn,
                sourceAccount: args.accountId,
            },
            parent,
        );
        new aws.s3.BucketNotification(
            `${name}-notification`,
            {
                bucket: args.sourceBucket.bucket,
                lambdaFunctions: [
                    {
                        lambdaFunctionArn: this.function.arn,
                        events: ["s3:ObjectCreated:*"],
                        filterPrefix: REGIONAL_LOG_PREFIX,
                    },
                ],
            },
            { parent: this, dependsOn: [permission] },
        );

        this.registerOutputs({
            functionName: this.function.name,
            failureQueueUrl: this.failureQueue.url,
            failureAlarmName: this.failureAlarm.name,
        });
    }
}
