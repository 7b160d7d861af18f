import { ResourceValidationPolicy } from "@pulumi/policy";
import { publicAccess } from "./lib/access";
import { ALLOWED_CIDRS_SCHEMA, AllowedCidrsConfig, findingSentence, fixFor, unreadableMessage } from "./lib/findings";
import { parsePolicy } from "./lib/document";
import { TYPES, bucketNameOf } from "./lib/resources";
import { forTypes } from "./lib/validate";

/** The bucket and its objects, in the partition the policy itself uses (aws when it names none). */
function bucketScope(policy: unknown, bucket: string): string[] {
    const resources = (parsePolicy(policy) ?? []).flatMap((s) => [...(s.resource ?? []), ...(s.notResource ?? [])]);
    const partition = resources.map((r) => /^arn:(aws[\w-]*):s3:::/.exec(r)?.[1]).find(Boolean) ?? "aws";
    return [`arn:${partition}:s3:::${bucket}`, `arn:${partition}:s3:::${bucket}/*`];
}

export const s3BucketNoPublicPolicy: ResourceValidationPolicy = {
    name: "s3-bucket-no-public-policy",
    description:
        "No S3 bucket policy may let anyone outside the organization in: anonymous callers, principals of any account, or a service acting for any account.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: forTypes(
        [...TYPES.bucketPolicy, "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
        (props, args, report) => {
            const policy = props.policy ?? props.policyDocument;
            if (policy === undefined || policy === null || policy === "") return;
            const inline = TYPES.bucket.includes(args.type);
            const bucket = bucketNameOf(args.type, props);
            const subject = `${inline ? `Bucket ${args.name}'s inline policy` : `Bucket policy ${args.name}`}${bucket ? ` (bucket ${bucket})` : ""}`;
            const { allowedCidrs } = args.getConfig<AllowedCidrsConfig>();
            const result = publicAccess(policy, {
                allowedCidrs,
                actionScope: "s3:*",
                scope: bucket ? bucketScope(policy, bucket) : undefined,
            });
            if (!result.readable) {
                report(unreadableMessage(subject, result));
                return;
            }
            for (const f of result.findings) report(`${subject}: ${findingSentence(f)}; ${fixFor(f)}.`);
        },
    ),
};
