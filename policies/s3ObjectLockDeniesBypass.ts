import { StackValidationPolicy } from "@pulumi/policy";
import { bucketsIn, configurationsOf, describeBucket } from "./lib/buckets";
import { parsePolicy } from "./lib/document";
import { globCovers } from "./lib/glob";
import { TYPES } from "./lib/resources";

/** Object Lock configuration resources (the separate resource of AWS provider v7). */
const OBJECT_LOCK = [
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
];
/** What undoes a lock from inside the account: both must be denied. */
const MUST_DENY = ["s3:BypassGovernanceRetention", "s3:DeleteObjectVersion"];

/** A Deny to everyone ("*" or {"AWS": "*"}) of `action` (exactly or by a wildcard) in the document. */
function deniesToEveryone(policy: unknown, action: string): boolean {
    return (parsePolicy(policy) ?? []).some(
        (s) =>
            s.effect === "Deny" &&
            !s.notPrincipal &&
            (s.principal ?? []).some((e) => e.value === "*" && (e.key === "*" || e.key.toLowerCase() === "aws")) &&
            (s.action ?? []).some((a) => globCovers(a.toLowerCase(), action.toLowerCase())),
    );
}

export const s3ObjectLockDeniesBypass: StackValidationPolicy = {
    name: "s3-object-lock-denies-bypass",
    description:
        "A bucket under S3 Object Lock (the log archive) must deny s3:BypassGovernanceRetention and s3:DeleteObjectVersion to everyone but named roles, or its own administrators can delete what the lock keeps.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const bucket of bucketsIn(args.resources)) {
            if (configurationsOf(bucket, args.resources, OBJECT_LOCK).length === 0) continue;
            const policies = configurationsOf(bucket, args.resources, TYPES.bucketPolicy);
            const missing = MUST_DENY.filter(
                (action) =>
                    policies.length === 0 ||
                    !policies.every((p) => deniesToEveryone(p.props.policy ?? p.props.policyDocument, action)),
            );
            if (missing.length > 0) {
                report(
                    `${describeBucket(bucket)} is under S3 Object Lock but its bucket policy does not deny ${missing.join(" and ")} to "*"; add a Deny of them to "*" with an aws:PrincipalArn condition exempting only the break-glass and deployment roles.`,
                    bucket.urn,
                );
            }
        }
    },
};
