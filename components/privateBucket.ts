import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyStatement, denyInsecureTransport, policyDocument } from "./policyDocuments";

export interface PrivateBucketArgs {
    /** Customer-managed KMS key for default encryption. Default: SSE-S3 (AES256). */
    readonly kmsKeyArn?: pulumi.Input<string>;
    /** Keep every version of every object. Default false. */
    readonly versioned?: boolean;
    /** Lifecycle rules; every bucket here must expire what it stores. */
    readonly lifecycleRules: pulumi.Input<aws.types.input.s3.BucketLifecycleConfigurationRule>[];
    /**
     * S3 Object Lock on every new object version (needs `versioned`). Enabled through its own
     * configuration resource, which AWS accepts on new and existing buckets alike, so adding it
     * never replaces a bucket. Default: no lock.
     */
    readonly objectLock?: { readonly mode: "GOVERNANCE" | "COMPLIANCE"; readonly retentionDays: number };
    /** Statements added to the bucket policy after the mandatory TLS-only deny. */
    readonly policyStatements?: (bucketArn: string) => pulumi.Input<PolicyStatement[]>;
}

export interface PrivateBucket {
    readonly bucket: aws.s3.Bucket;
    readonly policy: aws.s3.BucketPolicy;
}

/**
 * A bucket nobody can make public: all four public-access blocks, ACLs disabled
 * (BucketOwnerEnforced), default encryption and a TLS-only policy are not options. Creates its
 * resources as children of `parent`, named from `name`.
 */
export function privateBucket(name: string, args: PrivateBucketArgs, parent: pulumi.Resource): PrivateBucket {
    if (args.objectLock && !args.versioned) {
        throw new Error(
            `privateBucket ${name}: args.objectLock needs args.versioned: true (S3 locks object versions).`,
        );
    }
    const opts = { parent };
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: false }, opts);
    const id = bucket.bucket;

    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access`,
        {
            bucket: id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        opts,
    );
    new aws.s3.BucketOwnershipControls(
        `${name}-ownership`,
        { bucket: id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        opts,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
            bucket: id,
            rules: [
                args.kmsKeyArn
                    ? {
                          applyServerSideEncryptionByDefault: {
                              sseAlgorithm: "aws:kms",
                              kmsMasterKeyId: args.kmsKeyArn,
                          },
                          // One data key per bucket per period instead of one KMS call per object.
                          bucketKeyEnabled: true,
                      }
                    : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
            ],
        },
        opts,
    );
    if (args.versioned) {
        const versioning = new aws.s3.BucketVersioning(
            `${name}-versioning`,
            { bucket: id, versioningConfiguration: { status: "Enabled" } },
            opts,
        );
        if (args.objectLock) {
            new aws.s3.BucketObjectLockConfiguration(
                `${name}-object-lock`,
                {
                    bucket: id,
                    objectLockEnabled: "Enabled",
                    rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.retentionDays } },
                },
                { parent, dependsOn: [versioning] },
            );
        }
    }
    new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { bucket: id, rules: args.lifecycleRules }, opts);

    const policy = new aws.s3.BucketPolicy(
        `${name}-policy`,
        {
            bucket: id,
            policy: bucket.arn.apply((arn) =>
                pulumi
                    .output(args.policyStatements?.(arn) ?? [])
                    .apply((extra) => JSON.stringify(policyDocument([denyInsecureTransport(arn), ...extra]))),
            ),
        },
        // A policy put before the public-access block exists can race it; order them.
        { parent, dependsOn: [publicAccessBlock] },
    );
    return { bucket, policy };
}
