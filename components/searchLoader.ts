import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LOADER_ENVIRONMENT, loaderHandlerFactory } from "../handlers/loaderLambda";
import { CENTRAL_SERVICE_PREFIXES } from "../layout";
import { SEARCH_LOADER_FUNCTION } from "../names";
import { bucketTriggeredFunction } from "./bucketTriggeredFunction";
import { PolicyStatement } from "./policyDocuments";
import { SearchDomain } from "./searchDomain";

export interface SearchLoaderArgs {
    readonly accountId: string;
    /** The central bucket whose new objects are indexed. */
    readonly bucket: aws.s3.Bucket;
    readonly keyArn: pulumi.Input<string>;
    readonly search: SearchDomain;
    /** Daily indices `<indexPrefix>-YYYY.MM.DD`. */
    readonly indexPrefix: string;
    /** Upper bound of one bulk request, bytes. */
    readonly bulkMaxBytes: number;
    /** Told when the failure-queue alarm goes into ALARM and back to OK (the alert topic). Default: none. */
    readonly alarmActions?: pulumi.Input<string>[];
}

/** Ephemeral storage (/tmp) of the loader, MiB: room for the largest report of parked lines. */
export const LOADER_EPHEMERAL_STORAGE_MIB = 10240;

/**
 * Read the logs; write, find and delete reports of parked lines under `_errors/` (a later clean
 * run of an object deletes its stale report); use the central key; post `_bulk`; nothing else.
 */
export function loaderStatements(p: { bucketArn: string; keyArn: string; domainArn: string }): PolicyStatement[] {
    const errors = CENTRAL_SERVICE_PREFIXES[0];
    return [
        { Sid: "ReadCentralLogs", Effect: "Allow", Action: "s3:GetObject", Resource: `${p.bucketArn}/*` },
        { Sid: "ParkRejectedRecords", Effect: "Allow", Action: "s3:PutObject", Resource: `${p.bucketArn}/${errors}*` },
        { Sid: "UseCentralKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: p.keyArn },
        { Sid: "BulkIndex", Effect: "Allow", Action: "es:ESHttpPost", Resource: `${p.domainArn}/_bulk` },
        // Listing only under _errors/, which also makes a missing report a 404 rather than a 403.
        {
            Sid: "FindStaleReports",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: p.bucketArn,
            Condition: { StringLike: { "s3:prefix": `${errors}*` } },
        },
        {
            Sid: "RemoveStaleReports",
            Effect: "Allow",
            Action: "s3:DeleteObject",
            Resource: `${p.bucketArn}/${errors}*`,
        },
    ];
}

/** inlineFunction has no ephemeral-storage argument: this sets it on the loader's own function. */
const withLoaderEphemeralStorage: pulumi.ResourceTransformation = (resource) =>
    resource.type === "aws:lambda/function:Function"
        ? {
              props: { ...resource.props, ephemeralStorage: { size: LOADER_EPHEMERAL_STORAGE_MIB } },
              opts: resource.opts,
          }
        : undefined;

/**
 * Indexes every object that lands in the central bucket into OpenSearch, from inside the
 * domain's VPC. Objects under service prefixes (`_errors/`) are skipped by the handler: S3
 * notifications cannot exclude a prefix.
 */
export class SearchLoader extends pulumi.ComponentResource {
    readonly function: aws.lambda.CallbackFunction<any, any>;
    readonly failureQueue: aws.sqs.Queue;

    constructor(name: string, args: SearchLoaderArgs, opts: pulumi.ComponentResourceOptions) {
        super(
            "central-waf-logs:index:SearchLoader",
            name,
            {},
            {
                ...opts,
                transformations: [...(opts.transformations ?? []), withLoaderEphemeralStorage],
            },
        );
        const loader = bucketTriggeredFunction(
            name,
            {
                functionName: SEARCH_LOADER_FUNCTION,
                description: "Streams central WAF log objects into OpenSearch with bounded _bulk requests",
                role: args.search.loaderRole,
                // Its policy names the domain by ARN.
                after: [args.search.domain],
                statements: () =>
                    pulumi
                        .all([args.bucket.arn, args.keyArn])
                        .apply(([bucketArn, keyArn]) =>
                            loaderStatements({ bucketArn, keyArn, domainArn: args.search.domainArn }),
                        ),
                callbackFactory: loaderHandlerFactory,
                packages: ["@opensearch-project/opensearch"],
                environment: {
                    [LOADER_ENVIRONMENT.endpoint]: args.search.endpoint,
                    [LOADER_ENVIRONMENT.centralKeyArn]: args.keyArn,
                    [LOADER_ENVIRONMENT.indexPrefix]: args.indexPrefix,
                    [LOADER_ENVIRONMENT.maxBytes]: String(args.bulkMaxBytes),
                },
                vpcConfig: args.search.clientVpc,
                bucket: args.bucket,
                bucketAccountId: args.accountId,
                // A 128 MiB Firehose object takes well under a minute; the maximum leaves room for
                // backoff. The loader stops 30 s before it (a safety margin) to fail cleanly.
                timeoutSec: 900,
                memoryMiB: 1024,
                alarmActions: args.alarmActions,
            },
            this,
        );
        this.function = loader.function;
        this.failureQueue = loader.failureQueue;
        this.registerOutputs({ functionName: this.function.name, failureQueueUrl: this.failureQueue.url });
    }
}
