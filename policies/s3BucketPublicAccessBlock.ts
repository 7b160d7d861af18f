import { StackValidationPolicy } from "@pulumi/policy";
import { bucketsIn, configurationsOf, describeBucket } from "./lib/buckets";
import { TYPES } from "./lib/resources";

const FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const s3BucketPublicAccessBlock: StackValidationPolicy = {
    name: "s3-bucket-public-access-block",
    description: "Every S3 bucket must have all four public-access blocks turned on.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const bucket of bucketsIn(args.resources)) {
            const blocks = configurationsOf(bucket, args.resources, TYPES.bucketPublicAccessBlock);
            if (blocks.length === 0) {
                report(
                    `${describeBucket(bucket)} has no public-access block; add an aws.s3.BucketPublicAccessBlock with all four settings true.`,
                    bucket.urn,
                );
                continue;
            }
            const off = FLAGS.filter((flag) => !blocks.some((b) => b.props[flag] === true));
            if (off.length > 0) {
                report(
                    `${describeBucket(bucket)} has public-access settings turned off: ${off.join(", ")}; set them to true.`,
                    bucket.urn,
                );
            }
        }
    },
};
