import { StackValidationPolicy } from "@pulumi/policy";
import { bucketsIn, configurationsOf, describeBucket } from "./lib/buckets";
import { isTrue, objectProperty } from "./lib/props";
import { TYPES } from "./lib/resources";

const FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const s3BucketPublicAccessBlock: StackValidationPolicy = {
    name: "s3-bucket-public-access-block",
    description: "Every S3 bucket must have all four public-access blocks turned on, in every block that names it.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const bucket of bucketsIn(args.resources)) {
            // AWS keeps one block per bucket and the last one written wins, so every block
            // that names the bucket must be complete, not just one of them.
            const settings = configurationsOf(bucket, args.resources, TYPES.bucketPublicAccessBlock).map((b) => ({
                where: `public-access block ${b.name}`,
                props: b.props,
            }));
            const inline = objectProperty(bucket.props.publicAccessBlockConfiguration);
            if (inline) settings.push({ where: "publicAccessBlockConfiguration", props: inline });
            if (settings.length === 0) {
                const fix =
                    bucket.type === TYPES.nativeBucket
                        ? "set publicAccessBlockConfiguration"
                        : "add an aws.s3.BucketPublicAccessBlock";
                report(
                    `${describeBucket(bucket)} has no public-access block; ${fix} with all four settings true.`,
                    bucket.urn,
                );
                continue;
            }
            for (const { where, props } of settings) {
                const off = FLAGS.filter((flag) => !isTrue(props[flag]));
                if (off.length > 0) {
                    report(
                        `${describeBucket(bucket)} has public-access settings turned off in ${where}: ${off.join(", ")}; set them to true.`,
                        bucket.urn,
                    );
                }
            }
        }
    },
};
