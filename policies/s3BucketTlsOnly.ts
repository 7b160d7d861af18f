import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { bucketsIn, configurationsOf, describeBucket } from "./lib/buckets";
import { Statement, parsePolicy } from "./lib/document";
import { globCovers } from "./lib/glob";
import { parseOperator } from "./lib/operators";
import { TYPES, bucketNameOf } from "./lib/resources";
import { coversEveryAction } from "./lib/wildcards";

const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"];

/** Bucket names a policy's resources name outright (used when the bucket's own name is not known yet). */
const namesIn = (statements: readonly Statement[]) =>
    statements.flatMap((s) => (s.resource ?? []).flatMap((r) => /^arn:[^:]+:s3:::([^/*?$]+)$/.exec(r)?.[1] ?? []));

/**
 * Do the statements' Resources, together, cover the bucket and every object in it, in some
 * partition? A Deny split in two statements (one for the bucket, one for its objects) counts:
 * AWS applies both.
 */
function coverBucketAndObjects(statements: readonly Statement[], bucketName: string | undefined): boolean {
    const resources = statements.flatMap((s) => s.resource ?? []);
    const names = bucketName !== undefined ? [bucketName] : namesIn(statements);
    if (names.length === 0 && resources.some((r) => globCovers(r, "arn:*:s3:::*"))) return true;
    return names.some((name) =>
        PARTITIONS.some((partition) =>
            [`arn:${partition}:s3:::${name}`, `arn:${partition}:s3:::${name}/*`].every((target) =>
                resources.some((r) => globCovers(r, target)),
            ),
        ),
    );
}

/** The only condition is `Bool` (or `BoolIfExists`) aws:SecureTransport "false": it holds for every plain-HTTP request. */
function onlyWhenInsecure(s: Statement): boolean {
    if (s.conditions === "unreadable" || s.conditions.length === 0) return false;
    return s.conditions.every((c) => {
        const op = parseOperator(c.operator);
        return (
            op?.kind === "bool" &&
            !op.qualifier &&
            c.key.toLowerCase() === "aws:securetransport" &&
            c.values.some((v) => v.toLowerCase() === "false")
        );
    });
}

/**
 * Denies, to everyone ("*" or {"AWS": "*"}), of every S3 action (s3:*) whenever
 * aws:SecureTransport is false, that together cover the bucket and its objects.
 */
export function deniesInsecureTransport(policy: unknown, bucketName?: string): boolean {
    const denies = (parsePolicy(policy) ?? []).filter(
        (s) =>
            s.effect === "Deny" &&
            !s.notPrincipal &&
            (s.principal ?? []).some((e) => e.value === "*" && (e.key === "*" || e.key.toLowerCase() === "aws")) &&
            (s.action ?? []).some((a) => coversEveryAction(a, "s3")) &&
            onlyWhenInsecure(s),
    );
    return coverBucketAndObjects(denies, bucketName);
}

/** Every policy document that applies to the bucket: inline on the bucket, or a bucket-policy resource. */
function policiesOf(bucket: PolicyResource, resources: readonly PolicyResource[]) {
    const standalone = configurationsOf(bucket, resources, TYPES.bucketPolicy).map((p) => ({
        where: `bucket policy ${p.name}`,
        policy: p.props.policy ?? p.props.policyDocument,
    }));
    const inline = bucket.props.policy;
    return [
        ...(inline !== undefined && inline !== "" ? [{ where: "its inline policy", policy: inline }] : []),
        ...standalone,
    ];
}

export const s3BucketTlsOnly: StackValidationPolicy = {
    name: "s3-bucket-tls-only",
    description:
        "Every S3 bucket of this project holds logs and must refuse requests that do not use TLS, in every policy that applies to it.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const bucket of bucketsIn(args.resources)) {
            const policies = policiesOf(bucket, args.resources);
            if (policies.length === 0) {
                report(
                    `${describeBucket(bucket)} accepts requests without TLS; add a bucket policy statement denying s3:* to "*" when aws:SecureTransport is false.`,
                    bucket.urn,
                );
                continue;
            }
            // AWS keeps one policy per bucket: whichever is written last must still carry the Deny.
            for (const { where, policy } of policies) {
                if (!deniesInsecureTransport(policy, bucketNameOf(bucket.type, bucket.props))) {
                    report(
                        `${describeBucket(bucket)} has ${where} without a Deny of s3:* to "*" on the bucket and its objects when aws:SecureTransport is false; add that statement.`,
                        bucket.urn,
                    );
                }
            }
        }
    },
};
