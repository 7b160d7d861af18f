import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { copierEnvironment } from "../handlers/copier";
import { copierHandlerFactory } from "../handlers/copierLambda";
import { REGIONAL_LOG_PREFIX, centralRegionPrefix } from "../layout";
import { copierFunctionName, copierRoleName } from "../names";
import { bucketTriggeredFunction } from "./bucketTriggeredFunction";
import { lambdaRole } from "./inlineFunction";
import { PolicyStatement, s3KeyUseCondition } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

/** Where the copier writes: the logging stack's outputs. */
export interface CentralDestination {
    readonly accountId: string;
    /** Region of the central bucket (the logging stack's). */
    readonly region: string;
    readonly bucketName: string;
    readonly bucketArn: string;
    readonly keyArn: string;
}

export interface LogCopierArgs {
    readonly accountId: string;
    readonly region: string;
    /** The staging bucket Firehose writes to. */
    readonly sourceBucket: aws.s3.Bucket;
    /** The staging bucket's KMS key: the copier decrypts with it, through S3, for that bucket only. */
    readonly sourceKeyArn: pulumi.Input<string>;
    /** The Firehose stream whose objects are copied; part of the central key. */
    readonly streamName: string;
    readonly central: CentralDestination;
    /** Lambda's own retries of a failed event before it goes to the failure queue (0-2). Default 2. */
    readonly maximumRetryAttempts?: number;
    /** The stream itself: the function's environment names it, so it is created first. Default none. */
    readonly after?: pulumi.Input<pulumi.Resource>[];
}

/** What the copier may do besides logging and parking: read staged logs, write its own central prefix. */
export function copierStatements(p: {
    sourceBucketArn: string;
    sourceKeyArn: string;
    central: CentralDestination;
    accountId: string;
    region: string;
}): PolicyStatement[] {
    return [
        {
            Sid: "ReadStagedLogs",
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: `${p.sourceBucketArn}/${REGIONAL_LOG_PREFIX}*`,
        },
        {
            Sid: "DecryptStagedLogs",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: p.sourceKeyArn,
            Condition: s3KeyUseCondition(p.sourceBucketArn, p.region),
        },
        {
            Sid: "WriteOwnCentralPrefix",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: `${p.central.bucketArn}/${centralRegionPrefix(p.accountId, p.region)}*`,
        },
        {
            Sid: "EncryptWithCentralKey",
            Effect: "Allow",
            Action: "kms:GenerateDataKey",
            Resource: p.central.keyArn,
            // Only through S3, for the central bucket: the key cannot be used for anything else.
            Condition: s3KeyUseCondition(p.central.bucketArn, p.central.region),
        },
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

    constructor(name: string, args: LogCopierArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:LogCopier", name, {}, opts);
        requireProvider("LogCopier", name, opts, "resource");
        // Named, not auto-named: the logging stack admits this exact role ARN before it exists.
        const role = lambdaRole(`${name}-role`, args.accountId, this, {
            name: copierRoleName(args.region),
            description: `Copies WAF logs of ${args.accountId}/${args.region} into the central bucket`,
        });
        const copier = bucketTriggeredFunction(
            name,
            {
                functionName: copierFunctionName(args.region),
                description: "Copies WAF log objects from the staging bucket into the central layout",
                role,
                statements: () =>
                    pulumi.all([args.sourceBucket.arn, args.sourceKeyArn]).apply(([sourceBucketArn, sourceKeyArn]) =>
                        copierStatements({
                            sourceBucketArn,
                            sourceKeyArn,
                            central: args.central,
                            accountId: args.accountId,
                            region: args.region,
                        }),
                    ),
                callbackFactory: copierHandlerFactory,
                after: args.after,
                packages: [],
                environment: copierEnvironment({
                    centralBucket: args.central.bucketName,
                    centralKeyArn: args.central.keyArn,
                    centralAccountId: args.central.accountId,
                    accountId: args.accountId,
                    region: args.region,
                    streamName: args.streamName,
                }),
                bucket: args.sourceBucket,
                bucketAccountId: args.accountId,
                filterPrefix: REGIONAL_LOG_PREFIX,
                timeoutSec: 120,
                memoryMiB: 256,
                maximumRetryAttempts: args.maximumRetryAttempts,
            },
            this,
        );
        this.function = copier.function;
        this.failureQueue = copier.failureQueue;
        this.registerOutputs({ functionName: this.function.name, failureQueueUrl: this.failureQueue.url });
    }
}
