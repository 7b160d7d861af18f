import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CentralBucketSettings, ResourceAccount } from "../config";
import { centralBucketStatements, centralKeyPolicy } from "./centralBucketPolicies";
import { COMPACTED_PREFIX, LOADER_REJECTS_PREFIX } from "../layout";
import { privateBucket } from "./privateBucket";
import { requireProvider } from "./requireProvider";

export interface CentralLogBucketArgs {
    /** The logging account that owns the bucket, its key, and alone may read the logs. */
    readonly loggingAccountId: string;
    /** Region of the bucket; the key admits S3 in this Region only. */
    readonly region: string;
    /** ARN partition (`aws`, `aws-cn`, `aws-us-gov`). */
    readonly partition: string;
    /** Resource accounts and Regions whose copier roles may write under `<account_id>/<region>/`. */
    readonly writers: readonly ResourceAccount[];
    /** Storage-class transitions, expiry and the Object Lock retention of every version. */
    readonly lifecycle: CentralBucketSettings;
    /** The deployment role (config `deploymentRoleArn`): it must keep changing the bucket and key at deploy. */
    readonly deploymentRoleArn?: string;
    /** Days a replaced (noncurrent) object version is kept. Default 30. */
    readonly noncurrentVersionExpireAfterDays?: number;
}

/**
 * The central bucket's lifecycle. Everything a table reads stays where Athena reads it: raw logs (one
 * rule per writer account's prefix, since a rule cannot exclude a prefix) go to Standard-IA, then
 * Glacier Instant Retrieval (Athena skips Glacier Flexible Retrieval and Deep Archive), then expire.
 * The Iceberg table's files under `_compacted/` are never transitioned or expired here: Iceberg
 * retires them itself (DELETE, OPTIMIZE, VACUUM on a schedule); only the versions it deleted go.
 */
export function centralLifecycleRules(args: {
    writers: readonly ResourceAccount[];
    lifecycle: CentralBucketSettings;
    noncurrentVersionExpireAfterDays?: number;
}): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    const noncurrentVersionExpiration = { noncurrentDays: args.noncurrentVersionExpireAfterDays ?? 30 };
    const abortIncompleteMultipartUpload = { daysAfterInitiation: 7 };
    const retention = (id: string, prefix: string) => ({
        id,
        status: "Enabled",
        filter: { prefix },
        transitions: [
            { days: args.lifecycle.infrequentAccessAfterDays, storageClass: "STANDARD_IA" },
            { days: args.lifecycle.glacierAfterDays, storageClass: "GLACIER_IR" },
        ],
        expiration: { days: args.lifecycle.expireAfterDays },
        noncurrentVersionExpiration,
        abortIncompleteMultipartUpload,
    });
    return [
        ...args.writers.map((w) => retention(`waf-logs-${w.accountId}`, `${w.accountId}/`)),
        retention("loader-rejects", LOADER_REJECTS_PREFIX),
        {
            id: "compacted-deleted-versions",
            status: "Enabled",
            filter: { prefix: COMPACTED_PREFIX },
            noncurrentVersionExpiration,
            abortIncompleteMultipartUpload,
        },
    ];
}

/**
 * The central store of every WAF log object: private, KMS-encrypted with a rotating customer-
 * managed key, versioned, TLS-only, ACLs disabled, every version under S3 Object Lock. Each
 * resource account may only put new objects (conditional writes) under its own
 * `<account_id>/<region>/` prefixes, with its copier role, so it can add its logs but never rewrite
 * or delete what it delivered; no one outside the logging account may read or list.
 */
export class CentralLogBucket extends pulumi.ComponentResource {
    readonly bucket: aws.s3.Bucket;
    readonly key: aws.kms.Key;
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    readonly keyArn: pulumi.Output<string>;

    constructor(name: string, args: CentralLogBucketArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:CentralLogBucket", name, {}, opts);
        requireProvider("CentralLogBucket", name, opts, "logging");
        if (args.writers.length === 0) {
            throw new Error(
                `CentralLogBucket ${name}: args.writers is empty; list at least one resource account and Region.`,
            );
        }
        const guardians = [args.lifecycle.breakGlassRoleArn, args.deploymentRoleArn].filter(
            (arn): arn is string => arn !== undefined,
        );
        if (guardians.length === 0) {
            throw new Error(
                `CentralLogBucket ${name}: name args.lifecycle.breakGlassRoleArn or args.deploymentRoleArn; the archive's policies deny changes to everyone else.`,
            );
        }
        const policyInputs = {
            loggingAccountId: args.loggingAccountId,
            loggingRegion: args.region,
            partition: args.partition,
            writers: args.writers,
            guardianRoleArns: guardians,
            breakGlassRoleArn: args.lifecycle.breakGlassRoleArn,
        };

        this.key = new aws.kms.Key(
            `${name}-key`,
            {
                description: `Encrypts the central WAF logs of ${name}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: JSON.stringify(centralKeyPolicy(policyInputs)),
            },
            { parent: this },
        );
        new aws.kms.Alias(
            `${name}-key-alias`,
            { name: `alias/${name}`, targetKeyId: this.key.keyId },
            { parent: this },
        );

        const { bucket } = privateBucket(
            name,
            {
                kmsKeyArn: this.key.arn,
                versioned: true,
                // Every delivered version survives: no one deletes it before its retention ends.
                objectLock: {
                    mode: args.lifecycle.objectLockMode,
                    retentionDays: args.lifecycle.objectLockRetentionDays,
                },
                lifecycleRules: centralLifecycleRules(args),
                policyStatements: (bucketArn) =>
                    this.key.arn.apply((keyArn) => centralBucketStatements({ ...policyInputs, bucketArn, keyArn })),
            },
            this,
        );
        this.bucket = bucket;
        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.keyArn = this.key.arn;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, keyArn: this.keyArn });
    }
}
