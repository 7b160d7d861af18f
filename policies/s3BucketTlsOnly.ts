import { StackValidationPolicy } from "@pulumi/policy";
import { bucketsIn, configurationsOf, describeBucket } from "./lib/buckets";
import { conditionValues, statementsOf } from "./lib/policyJson";
import { TYPES } from "./lib/resources";

/** A Deny for everyone on every request made without TLS. */
export function deniesInsecureTransport(policy: unknown): boolean {
    return (statementsOf(policy) ?? []).some(
        (s) =>
            s.Effect === "Deny" &&
            (s.Principal === "*" || (s.Principal as any)?.AWS === "*") &&
            conditionValues(s, "aws:SecureTransport", /^Bool$/i).includes("false"),
    );
}

export const s3BucketTlsOnly: StackValidationPolicy = {
    name: "s3-bucket-tls-only",
    description: "Every S3 bucket of this project holds logs and must refuse requests that do not use TLS.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const bucket of bucketsIn(args.resources)) {
            const policies = configurationsOf(bucket, args.resources, TYPES.bucketPolicy).map((p) => p.props.policy);
            if (!policies.some(deniesInsecureTransport)) {
                report(
                    `${describeBucket(bucket)} accepts requests without TLS; add a bucket policy statement denying s3:* to "*" when aws:SecureTransport is false.`,
                    bucket.urn,
                );
            }
        }
    },
};
