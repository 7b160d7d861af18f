/** s3-object-lock-denies-bypass: a compliant baseline, then one changed property per failing case. */
import { s3ObjectLockDeniesBypass } from "../../policies/s3ObjectLockDeniesBypass";
import { FixtureResource, stackViolations, table } from "../support/policyArgs";

const BUCKET = "archive-123";
const DENY = {
    Sid: "DenyArchiveTamperingButGuardians",
    Effect: "Deny",
    Principal: "*",
    Action: ["s3:BypassGovernanceRetention", "s3:DeleteObjectVersion", "s3:PutBucketPolicy"],
    Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
    Condition: { ArnNotEquals: { "aws:PrincipalArn": ["arn:aws:iam::111111111111:role/break-glass"] } },
};
const bucket: FixtureResource = { type: "aws:s3/bucket:Bucket", name: "archive", props: { bucket: BUCKET } };
const lock: FixtureResource = {
    type: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    name: "archive-lock",
    props: { bucket: BUCKET, objectLockEnabled: "Enabled" },
};
const policy = (statements: unknown[]): FixtureResource => ({
    type: "aws:s3/bucketPolicy:BucketPolicy",
    name: "archive-policy",
    props: { bucket: BUCKET, policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
});
const message = (missing: string) =>
    `Bucket archive (${BUCKET}) is under S3 Object Lock but its bucket policy does not deny ${missing} to "*"; add a Deny of them to "*" with an aws:PrincipalArn condition exempting only the break-glass and deployment roles.`;

describe("policy s3-object-lock-denies-bypass", () => {
    table<FixtureResource[]>(
        [
            {
                name: "accept a locked bucket whose policy denies both to everyone but named roles",
                input: [bucket, lock, policy([DENY])],
                expected: [],
            },
            {
                name: "accept the Deny spelled with a wildcard action",
                input: [bucket, lock, policy([{ ...DENY, Action: "s3:*" }])],
                expected: [],
            },
            { name: "ignore a bucket without Object Lock", input: [bucket, policy([])], expected: [] },
            {
                name: "reject a locked bucket with no bucket policy",
                input: [bucket, lock],
                expected: [message("s3:BypassGovernanceRetention and s3:DeleteObjectVersion")],
            },
            {
                name: "reject a Deny missing s3:DeleteObjectVersion",
                input: [bucket, lock, policy([{ ...DENY, Action: "s3:BypassGovernanceRetention" }])],
                expected: [message("s3:DeleteObjectVersion")],
            },
            {
                name: "reject the actions denied to one account only, not to everyone",
                input: [bucket, lock, policy([{ ...DENY, Principal: { AWS: "arn:aws:iam::111111111111:root" } }])],
                expected: [message("s3:BypassGovernanceRetention and s3:DeleteObjectVersion")],
            },
            {
                name: "reject an Allow in place of the Deny",
                input: [bucket, lock, policy([{ ...DENY, Effect: "Allow" }])],
                expected: [message("s3:BypassGovernanceRetention and s3:DeleteObjectVersion")],
            },
        ],
        (fixtures) => stackViolations(s3ObjectLockDeniesBypass, fixtures),
    );
});
