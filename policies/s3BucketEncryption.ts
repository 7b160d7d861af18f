import { StackValidationPolicy } from "@pulumi/policy";
import { bucketsIn, configurationsOf, describeBucket } from "./lib/buckets";
import { TYPES } from "./lib/resources";

const ALGORITHMS = ["aws:kms", "aws:kms:dsse", "AES256"];

export const s3BucketEncryption: StackValidationPolicy = {
    name: "s3-bucket-server-side-encryption",
    description: "Every S3 bucket must declare default server-side encryption.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const bucket of bucketsIn(args.resources)) {
            const inline =
                bucket.props.serverSideEncryptionConfiguration?.rule?.applyServerSideEncryptionByDefault?.sseAlgorithm;
            const rules = configurationsOf(bucket, args.resources, TYPES.bucketEncryption).flatMap(
                (c) => c.props.rules ?? [],
            );
            const algorithms = [
                inline,
                ...rules.map((r: any) => r?.applyServerSideEncryptionByDefault?.sseAlgorithm),
            ].filter(Boolean);
            if (!algorithms.some((a) => ALGORITHMS.includes(a))) {
                report(
                    `${describeBucket(bucket)} declares no default encryption; add an aws.s3.BucketServerSideEncryptionConfiguration (aws:kms with a customer-managed key for logs).`,
                    bucket.urn,
                );
            }
        }
    },
};
