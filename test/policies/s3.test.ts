import * as assert from "assert";
import { s3BucketEncryption } from "../../policies/s3BucketEncryption";
import { s3BucketNoPublicAcl } from "../../policies/s3BucketNoPublicAcl";
import { s3BucketNoPublicPolicy } from "../../policies/s3BucketNoPublicPolicy";
import { s3BucketPublicAccessBlock } from "../../policies/s3BucketPublicAccessBlock";
import { s3BucketTlsOnly } from "../../policies/s3BucketTlsOnly";
import { Case, FixtureResource, resourceViolations, stackViolations, table } from "../support/policyArgs";
import {
    AMBIGUOUS_FIX,
    ANONYMOUS,
    ANONYMOUS_VPCE,
    ANY_ACCOUNT,
    ANY_SERVICE,
    FIX_PRINCIPALS,
    FIX_SERVICE,
    UNREADABLE,
    doc,
    text,
} from "./fixtures";

const BUCKET = "logs-123";
/** The message of an ambiguous bucket policy. */
const AMB = (reason: string) =>
    `Bucket policy r (bucket ${BUCKET}) is ambiguous: ${reason}. AWS and this pack could read it differently, so it cannot be shown to be private; ${AMBIGUOUS_FIX}.`;
const TLS_DENY = {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
};
/** The statement each case changes: as committed, a copier role of a named account writing its prefix. */
const OPEN = {
    Sid: "Open",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "s3:GetObject",
    Resource: `arn:aws:s3:::${BUCKET}/*`,
    Condition: { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/copier" } },
};

describe("policy s3-bucket-no-public-policy", () => {
    const bucketPolicy = (open: Record<string, unknown>, ...more: Record<string, unknown>[]) => ({
        bucket: BUCKET,
        policy: text(TLS_DENY, { ...OPEN, ...open }, ...more),
    });
    const message = (who: string, fix = FIX_PRINCIPALS, action = "s3:GetObject") =>
        `Bucket policy r (bucket ${BUCKET}): statement Open allows ${action} to ${who}; ${fix}.`;
    const check = (props: Record<string, unknown>, config = {}, type = "aws:s3/bucketPolicy:BucketPolicy") =>
        resourceViolations(s3BucketNoPublicPolicy, type, props, config);
    const cases: Case<Record<string, unknown>>[] = [
        { name: "accepts the baseline: a named account's role, pinned by aws:PrincipalArn", input: {}, expected: [] },
        {
            name: 'rejects Principal "*"',
            input: { Principal: "*", Condition: undefined },
            expected: [message(ANONYMOUS)],
        },
        {
            name: 'rejects {"AWS": "*"}',
            input: { Principal: { AWS: "*" }, Condition: undefined },
            expected: [message(ANONYMOUS)],
        },
        {
            name: 'rejects "*" hidden in a principal list',
            input: { Principal: { AWS: ["arn:aws:iam::222222222222:role/copier", "*"] }, Condition: undefined },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects NotPrincipal with Allow (everyone but the named role)",
            input: {
                Principal: undefined,
                NotPrincipal: { AWS: "arn:aws:iam::222222222222:role/copier" },
                Condition: undefined,
            },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects an account wildcard in the principal ARN",
            input: { Principal: { AWS: "arn:aws:iam::*:root" }, Condition: undefined },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects aws:PrincipalArn matched with an account wildcard",
            input: { Principal: "*", Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/copier" } } },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects aws:PrincipalOrgID with StringLike o-*",
            input: { Principal: "*", Condition: { StringLike: { "aws:PrincipalOrgID": "o-*" } } },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects a list of organizations that also holds *",
            input: { Principal: "*", Condition: { StringLike: { "aws:PrincipalOrgID": ["o-abc123", "*"] } } },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects StringEqualsIfExists on aws:PrincipalOrgID (anonymous callers have none)",
            input: { Principal: "*", Condition: { StringEqualsIfExists: { "aws:PrincipalOrgID": "o-abc123" } } },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects ForAllValues on aws:PrincipalOrgPaths (true when the key is missing)",
            input: {
                Principal: "*",
                Condition: { "ForAllValues:StringLike": { "aws:PrincipalOrgPaths": "o-abc123/*" } },
            },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects Null aws:PrincipalOrgID false (any organization will do)",
            input: { Principal: "*", Condition: { Null: { "aws:PrincipalOrgID": "false" } } },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects two halves of the IPv4 internet (0.0.0.0/1 and 128.0.0.0/1)",
            input: { Principal: "*", Condition: { IpAddress: { "aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"] } } },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects the IPv6 internet (::/0) beside a private IPv4 range",
            input: { Principal: "*", Condition: { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "::/0"] } } },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects a public range outside allowedCidrs",
            input: { Principal: "*", Condition: { IpAddress: { "aws:SourceIp": "52.94.0.0/16" } } },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects NotIpAddress of a private range in the Allow (everyone else is let in)",
            input: { Principal: "*", Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } } },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects aws:SourceVpce matched with vpce-* (an adversary's own endpoint matches)",
            input: { Principal: "*", Condition: { StringLike: { "aws:SourceVpce": "vpce-*" } } },
            expected: [message(ANONYMOUS_VPCE)],
        },
        {
            name: "rejects aws:SecureTransport alone (the caller chooses TLS)",
            input: { Principal: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects aws:Referer (the caller writes the header)",
            input: { Principal: "*", Condition: { StringEquals: { "aws:Referer": "https://example.com/" } } },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects a condition operator AWS does not define (it restricts nothing)",
            input: { Principal: "*", Condition: { StringEqualsAnyCase: { "aws:PrincipalOrgID": "o-abc123" } } },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects a service principal without aws:SourceAccount",
            input: { Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject", Condition: undefined },
            expected: [
                message("the service logging.s3.amazonaws.com acting for any account", FIX_SERVICE, "s3:PutObject"),
            ],
        },
        {
            name: "rejects a service principal pinned only by a bucket ARN (bucket names can be claimed)",
            input: {
                Principal: { Service: "logging.s3.amazonaws.com" },
                Action: "s3:PutObject",
                Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::source-bucket" } },
            },
            expected: [
                message("the service logging.s3.amazonaws.com acting for any account", FIX_SERVICE, "s3:PutObject"),
            ],
        },
        {
            name: 'rejects "*" pinned only by aws:SourceArn (any service acting for another account)',
            input: { Principal: "*", Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:s3:::source-bucket" } } },
            expected: [message(ANY_SERVICE, FIX_SERVICE)],
        },
        {
            name: "rejects a Deny that does not cover the allowed action",
            input: { Principal: "*", Condition: undefined },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects a Deny that names one role only (it does not apply to everyone else)",
            input: { Principal: "*", Condition: undefined },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "accepts aws:PrincipalOrgID equal to ${aws:ResourceOrgID} (AWS's data-perimeter pattern)",
            input: { Principal: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "${aws:ResourceOrgID}" } } },
            expected: [],
        },
        {
            name: "accepts aws:PrincipalAccount equal to ${aws:ResourceAccount} (the bucket's own account)",
            input: {
                Principal: "*",
                Condition: { StringEquals: { "aws:PrincipalAccount": "${aws:ResourceAccount}" } },
            },
            expected: [],
        },
        {
            name: "accepts aws:PrincipalOrgPaths under ${aws:ResourceOrgPaths}",
            input: {
                Principal: "*",
                Condition: { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "${aws:ResourceOrgPaths}*" } },
            },
            expected: [],
        },
        {
            name: "rejects ${aws:ResourceAccount} in a key the caller writes (aws:Referer can carry any text)",
            input: { Principal: "*", Condition: { StringEquals: { "aws:Referer": "${aws:ResourceAccount}" } } },
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects a variable that is not the resource's own in aws:PrincipalAccount (it may equal anyone's)",
            input: { Principal: "*", Condition: { StringEquals: { "aws:PrincipalAccount": "${aws:username}" } } },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "accepts aws:PrincipalArn arn:aws:iam::111111111111* (all twelve digits fix the account)",
            input: { Principal: "*", Condition: { StringLike: { "aws:PrincipalArn": "arn:aws:iam::111111111111*" } } },
            expected: [],
        },
        {
            name: "rejects aws:PrincipalArn arn:aws:iam::11111111111* (eleven digits: ten accounts)",
            input: { Principal: "*", Condition: { StringLike: { "aws:PrincipalArn": "arn:aws:iam::11111111111*" } } },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "accepts a wildcard principal limited to the organization",
            input: { Principal: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } } },
            expected: [],
        },
        {
            name: "accepts a wildcard principal limited to an organization path",
            input: {
                Principal: "*",
                Condition: {
                    "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-11111111/*" },
                },
            },
            expected: [],
        },
        {
            name: "accepts a wildcard principal limited to named roles by aws:PrincipalArn",
            input: {
                Principal: "*",
                Condition: {
                    ArnEquals: {
                        "aws:PrincipalArn": ["arn:aws:iam::111111111111:role/a", "arn:aws:iam::222222222222:role/b"],
                    },
                },
            },
            expected: [],
        },
        {
            name: "accepts a wildcard principal limited to the roles of one account (role/*)",
            input: {
                Principal: "*",
                Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::111111111111:role/*" } },
            },
            expected: [],
        },
        {
            name: "accepts a wildcard principal limited to one VPC endpoint",
            input: { Principal: "*", Condition: { StringEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } } },
            expected: [],
        },
        {
            name: "accepts a wildcard principal limited to private ranges (RFC 1918, CGNAT, ULA)",
            input: {
                Principal: "*",
                Condition: { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "100.64.0.0/10", "fd00::/8"] } },
            },
            expected: [],
        },
        {
            name: "accepts a wildcard principal limited to an account by aws:PrincipalAccount",
            input: { Principal: "*", Condition: { StringEquals: { "aws:PrincipalAccount": "111111111111" } } },
            expected: [],
        },
        {
            name: "accepts a role whose name ends in .amazonaws.com (an account principal, named)",
            input: { Principal: { AWS: "arn:aws:iam::222222222222:role/logs.amazonaws.com" }, Condition: undefined },
            expected: [],
        },
        {
            name: "accepts a service principal pinned by aws:SourceAccount",
            input: {
                Principal: { Service: "logging.s3.amazonaws.com" },
                Action: "s3:PutObject",
                Condition: { StringEquals: { "aws:SourceAccount": "111111111111" } },
            },
            expected: [],
        },
        {
            name: "accepts an account named by its ID",
            input: { Principal: { AWS: "222222222222" }, Condition: undefined },
            expected: [],
        },
    ];
    // Two rows above are about the Deny, not the Allow: give them their Deny.
    const denies: Record<string, Record<string, unknown>> = {
        "rejects a Deny that does not cover the allowed action": {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: `arn:aws:s3:::${BUCKET}/*`,
            Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
        },
        "rejects a Deny that names one role only (it does not apply to everyone else)": {
            Effect: "Deny",
            Principal: { AWS: "arn:aws:iam::111111111111:role/x" },
            Action: "s3:*",
            Resource: `arn:aws:s3:::${BUCKET}/*`,
        },
    };
    table(
        cases.map((c) => ({ ...c, input: { open: c.input, deny: denies[c.name] } })),
        ({ open, deny }) => check(bucketPolicy(open, ...(deny ? [deny] : []))),
    );

    table(
        [
            {
                name: "accepts Allow * with a Deny of everything outside a private range (explicit Deny wins)",
                input: doc(
                    TLS_DENY,
                    { Sid: "Open", Effect: "Allow", Principal: "*", Action: "*", Resource: "*" },
                    {
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
                        Condition: { NotIpAddress: { "aws:SourceIp": ["10.0.0.0/8", "fd00::/8"] } },
                    },
                ),
                expected: [],
            },
            {
                name: "accepts Allow * with a Deny to everyone outside the organization",
                input: doc(
                    {
                        Sid: "Open",
                        Effect: "Allow",
                        Principal: { AWS: "*" },
                        Action: "s3:GetObject",
                        Resource: `arn:aws:s3:::${BUCKET}/*`,
                    },
                    {
                        Effect: "Deny",
                        Principal: "*",
                        Action: "*",
                        Resource: "*",
                        Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": "o-abc123" } },
                    },
                ),
                expected: [],
            },
            {
                name: "accepts Allow * with a Deny to every account but the bucket's own (StringNotEquals ${aws:ResourceAccount})",
                input: doc(
                    { Sid: "Open", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
                    {
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
                        Condition: { StringNotEquals: { "aws:PrincipalAccount": "${aws:ResourceAccount}" } },
                    },
                ),
                expected: [],
            },
            {
                name: "accepts Allow * with a Deny outside the bucket's own organization (StringNotEqualsIfExists ${aws:ResourceOrgID})",
                input: doc(
                    { Sid: "Open", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
                    {
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
                        Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": "${aws:ResourceOrgID}" } },
                    },
                ),
                expected: [],
            },
            {
                name: "rejects Allow * when the Deny compares with a variable the caller may match (${aws:username})",
                input: doc(
                    { Sid: "Open", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
                    {
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: "*",
                        Condition: { StringNotEquals: { "aws:PrincipalAccount": "${aws:username}" } },
                    },
                ),
                expected: [
                    `Bucket policy r (bucket ${BUCKET}): statement Open allows s3:GetObject to ${ANY_ACCOUNT}; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "accepts under Version 2008-10-17 a literal ${aws:ResourceAccount} (no variables: no account has that ID)",
                input: {
                    Version: "2008-10-17",
                    Statement: [
                        {
                            Sid: "Open",
                            Effect: "Allow",
                            Principal: "*",
                            Action: "s3:GetObject",
                            Resource: `arn:aws:s3:::${BUCKET}/*`,
                            Condition: { StringEquals: { "aws:PrincipalAccount": "${aws:ResourceAccount}" } },
                        },
                    ],
                },
                expected: [],
            },
            {
                name: "rejects under Version 2008-10-17 a ${aws:username} that is plain text in a StringLike (the * after it still matches)",
                input: {
                    Version: "2008-10-17",
                    Statement: [
                        {
                            Sid: "Open",
                            Effect: "Allow",
                            Principal: "*",
                            Action: "s3:GetObject",
                            Resource: `arn:aws:s3:::${BUCKET}/*`,
                            Condition: { StringLike: { "aws:Referer": "${aws:username}*" } },
                        },
                    ],
                },
                expected: [
                    `Bucket policy r (bucket ${BUCKET}): statement Open allows s3:GetObject to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "rejects Allow * when the Deny of other addresses covers another bucket only",
                input: doc(
                    { Sid: "Open", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
                    {
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: "arn:aws:s3:::another-bucket/*",
                        Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
                    },
                ),
                expected: [
                    `Bucket policy r (bucket ${BUCKET}): statement Open allows s3:GetObject to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "rejects every action but one (NotAction), naming what it allows",
                input: doc({
                    Sid: "Open",
                    Effect: "Allow",
                    Principal: "*",
                    NotAction: "s3:DeleteObject",
                    Resource: "*",
                }),
                expected: [
                    `Bucket policy r (bucket ${BUCKET}): statement Open allows every action except s3:DeleteObject to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
        ],
        (policy) => check({ bucket: BUCKET, policy }),
    );

    it("accepts a public range listed in allowedCidrs (the organization's egress)", () => {
        const props = bucketPolicy({ Principal: "*", Condition: { IpAddress: { "aws:SourceIp": "52.94.0.0/16" } } });
        assert.deepStrictEqual(check(props, { allowedCidrs: ["52.94.0.0/16"] }), []);
    });

    table(
        [
            {
                name: "reads a bucket's inline policy too",
                input: [
                    "aws:s3/bucket:Bucket",
                    { bucket: BUCKET, policy: text({ ...OPEN, Principal: "*", Condition: undefined }) },
                ],
                expected: [
                    `Bucket r's inline policy (bucket ${BUCKET}): statement Open allows s3:GetObject to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "reads aws-native bucket policies (policyDocument as an object)",
                input: [
                    "aws-native:s3:BucketPolicy",
                    { bucket: BUCKET, policyDocument: doc({ ...OPEN, Principal: { AWS: "*" }, Condition: undefined }) },
                ],
                expected: [
                    `Bucket policy r (bucket ${BUCKET}): statement Open allows s3:GetObject to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "rejects a policy that cannot be read",
                input: ["aws:s3/bucketPolicy:BucketPolicy", { bucket: BUCKET, policy: "{not json" }],
                expected: [
                    `Bucket policy r (bucket ${BUCKET}) cannot be read as a policy document, so it cannot be shown to be private; ${UNREADABLE}.`,
                ],
            },
            {
                name: "rejects a statement with two Condition keys (JSON.parse keeps the last; AWS may not)",
                input: [
                    "aws:s3/bucketPolicy:BucketPolicy",
                    {
                        bucket: BUCKET,
                        policy: `{"Version":"2012-10-17","Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::${BUCKET}/*","Condition":{"StringLike":{"aws:UserAgent":"*"}},"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4"}}}]}`,
                    },
                ],
                expected: [AMB("statement #1 has the key Condition twice")],
            },
            {
                name: "rejects condition keys equal ignoring case with different values (o-* and an exact organization)",
                input: [
                    "aws:s3/bucketPolicy:BucketPolicy",
                    {
                        bucket: BUCKET,
                        policy: text({
                            ...OPEN,
                            Principal: "*",
                            Condition: {
                                StringLike: { "aws:PrincipalOrgID": "o-*", "aws:principalorgid": "o-abc123def4" },
                            },
                        }),
                    },
                ],
                expected: [
                    AMB(
                        "statement #1's Condition.StringLike has the keys aws:PrincipalOrgID and aws:principalorgid with different values, which AWS reads as one key",
                    ),
                ],
            },
            {
                name: "rejects a principal given as AWS and aws",
                input: [
                    "aws:s3/bucketPolicy:BucketPolicy",
                    {
                        bucket: BUCKET,
                        policy: text({
                            ...OPEN,
                            Principal: { AWS: "arn:aws:iam::222222222222:root", aws: "*" },
                            Condition: undefined,
                        }),
                    },
                ],
                expected: [AMB("statement #1's Principal has the keys AWS and aws, which AWS reads as one")],
            },
            {
                name: "rejects lower-case element names instead of skipping the statement",
                input: [
                    "aws:s3/bucketPolicy:BucketPolicy",
                    {
                        bucket: BUCKET,
                        policy: doc({
                            effect: "Allow",
                            principal: "*",
                            action: "s3:GetObject",
                            resource: `arn:aws:s3:::${BUCKET}/*`,
                        }),
                    },
                ],
                expected: [AMB("statement #1 spells Effect as effect")],
            },
            {
                name: "names the statement by position when it has no Sid",
                input: [
                    "aws:s3/bucketPolicy:BucketPolicy",
                    {
                        bucket: BUCKET,
                        policy: {
                            Statement: {
                                Effect: "Allow",
                                Principal: "*",
                                Action: "s3:ListBucket",
                                Resource: `arn:aws:s3:::${BUCKET}`,
                            },
                        },
                    },
                ],
                expected: [
                    `Bucket policy r (bucket ${BUCKET}): statement #1 allows s3:ListBucket to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
        ],
        ([type, props]: [string, Record<string, unknown>]) => check(props, {}, type),
    );
});

describe("policy s3-bucket-no-public-acl", () => {
    const check = ([type, props]: [string, Record<string, unknown>]) =>
        resourceViolations(s3BucketNoPublicAcl, type, props);
    table<[string, Record<string, unknown>]>(
        [
            { name: "accepts a bucket with no ACL", input: ["aws:s3/bucket:Bucket", { bucket: BUCKET }], expected: [] },
            {
                name: "accepts the private canned ACL",
                input: ["aws:s3/bucketAcl:BucketAcl", { bucket: BUCKET, acl: "private" }],
                expected: [],
            },
            {
                name: "accepts log-delivery-write (a service group, not the public)",
                input: ["aws:s3/bucketAclV2:BucketAclV2", { bucket: BUCKET, acl: "log-delivery-write" }],
                expected: [],
            },
            {
                name: "rejects an inline public-read ACL",
                input: ["aws:s3/bucket:Bucket", { bucket: BUCKET, acl: "public-read" }],
                expected: [
                    "aws:s3/bucket:Bucket r uses the canned ACL public-read, which grants access to AllUsers; drop the ACL (object ownership BucketOwnerEnforced disables ACLs).",
                ],
            },
            {
                name: "rejects authenticated-read on a BucketAcl (every AWS account)",
                input: ["aws:s3/bucketAcl:BucketAcl", { bucket: BUCKET, acl: "authenticated-read" }],
                expected: [
                    "aws:s3/bucketAcl:BucketAcl r uses the canned ACL authenticated-read, which grants access to AuthenticatedUsers; drop the ACL (object ownership BucketOwnerEnforced disables ACLs).",
                ],
            },
            {
                name: "rejects an explicit grant to AllUsers on a BucketAclV2",
                input: [
                    "aws:s3/bucketAclV2:BucketAclV2",
                    {
                        bucket: BUCKET,
                        accessControlPolicy: {
                            owner: { id: "owner" },
                            grants: [
                                { grantee: { type: "CanonicalUser", id: "owner" }, permission: "FULL_CONTROL" },
                                {
                                    grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" },
                                    permission: "READ",
                                },
                            ],
                        },
                    },
                ],
                expected: ["aws:s3/bucketAclV2:BucketAclV2 r grants READ to AllUsers; remove the grant."],
            },
            {
                name: "rejects inline grants to AuthenticatedUsers",
                input: [
                    "aws:s3/bucket:Bucket",
                    {
                        bucket: BUCKET,
                        grants: [
                            {
                                type: "Group",
                                uri: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                                permissions: ["READ", "WRITE"],
                            },
                        ],
                    },
                ],
                expected: ["aws:s3/bucket:Bucket r grants READ, WRITE to AuthenticatedUsers; remove the grant."],
            },
            {
                name: "rejects an aws-native bucket with AccessControl PublicReadWrite",
                input: ["aws-native:s3:Bucket", { bucketName: BUCKET, accessControl: "PublicReadWrite" }],
                expected: [
                    "aws-native:s3:Bucket r uses the canned ACL PublicReadWrite, which grants access to AllUsers; drop the ACL (object ownership BucketOwnerEnforced disables ACLs).",
                ],
            },
            {
                name: "rejects an object copy with the canned ACL public-read",
                input: [
                    "aws:s3/objectCopy:ObjectCopy",
                    { bucket: BUCKET, key: "k", source: "src/k", acl: "public-read" },
                ],
                expected: [
                    "aws:s3/objectCopy:ObjectCopy r uses the canned ACL public-read, which grants access to AllUsers; drop the ACL (object ownership BucketOwnerEnforced disables ACLs).",
                ],
            },
            {
                name: "rejects an object copy granting READ to AllUsers",
                input: [
                    "aws:s3/objectCopy:ObjectCopy",
                    {
                        bucket: BUCKET,
                        key: "k",
                        source: "src/k",
                        grants: [
                            {
                                type: "Group",
                                uri: "http://acs.amazonaws.com/groups/global/AllUsers",
                                permissions: ["READ"],
                            },
                        ],
                    },
                ],
                expected: ["aws:s3/objectCopy:ObjectCopy r grants READ to AllUsers; remove the grant."],
            },
            {
                name: "accepts an object copy with bucket-owner-full-control",
                input: [
                    "aws:s3/objectCopy:ObjectCopy",
                    { bucket: BUCKET, key: "k", source: "src/k", acl: "bucket-owner-full-control" },
                ],
                expected: [],
            },
            {
                name: "rejects a public-read object",
                input: ["aws:s3/bucketObjectv2:BucketObjectv2", { bucket: BUCKET, key: "x", acl: "public-read" }],
                expected: [
                    "aws:s3/bucketObjectv2:BucketObjectv2 r uses the canned ACL public-read, which grants access to AllUsers; drop the ACL (object ownership BucketOwnerEnforced disables ACLs).",
                ],
            },
        ],
        check,
    );
});

describe("S3 bucket stack policies", () => {
    const bucket = (name: string): FixtureResource => ({
        type: "aws:s3/bucket:Bucket",
        name,
        props: { bucket: `${name}-123` },
    });
    const tlsPolicy = (name: string, statement: Record<string, unknown> = {}) =>
        text({
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [`arn:aws:s3:::${name}-123`, `arn:aws:s3:::${name}-123/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
            ...statement,
        });
    const guards = (name: string): FixtureResource[] => [
        {
            type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            name: `${name}-block`,
            props: {
                bucket: `${name}-123`,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            },
        },
        {
            type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            name: `${name}-sse`,
            props: {
                bucket: `${name}-123`,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
            },
        },
        {
            type: "aws:s3/bucketPolicy:BucketPolicy",
            name: `${name}-policy`,
            props: { bucket: `${name}-123`, policy: tlsPolicy(name) },
        },
    ];
    /** The guards of `logs` with one resource's props changed (by name), or extra resources added. */
    const changed = (name: string, props: Record<string, unknown>) =>
        guards("logs").map((g) => (g.name === name ? { ...g, props: { ...g.props, ...props } } : g));
    const all = (fixtures: FixtureResource[]) =>
        [s3BucketPublicAccessBlock, s3BucketEncryption, s3BucketTlsOnly].flatMap((p) => stackViolations(p, fixtures));

    table<FixtureResource[]>(
        [
            { name: "accept a bucket with all guards", input: [bucket("logs"), ...guards("logs")], expected: [] },
            {
                name: "pair a bucket with its guards through the bucket property when its name is not known yet",
                input: [
                    { ...bucket("logs"), props: {} },
                    ...guards("logs").map((g) => ({
                        ...g,
                        props: { ...g.props, bucket: undefined },
                        propertyDependencies: { bucket: ["logs"] },
                    })),
                ],
                expected: [],
            },
            {
                name: "reject a bucket with no guards at all, one message per policy",
                input: [bucket("exports")],
                expected: [
                    "Bucket exports (exports-123) has no public-access block; add an aws.s3.BucketPublicAccessBlock with all four settings true.",
                    "Bucket exports (exports-123) declares no default encryption; add an aws.s3.BucketServerSideEncryptionConfiguration (aws:kms with a customer-managed key for logs).",
                    'Bucket exports (exports-123) accepts requests without TLS; add a bucket policy statement denying s3:* to "*" when aws:SecureTransport is false.',
                ],
            },
            {
                name: "reject a public-access block with one setting off",
                input: [bucket("logs"), ...changed("logs-block", { restrictPublicBuckets: false })],
                expected: [
                    "Bucket logs (logs-123) has public-access settings turned off in public-access block logs-block: restrictPublicBuckets; set them to true.",
                ],
            },
            {
                name: "reject a second, permissive public-access block for the same bucket (the last one written wins)",
                input: [
                    bucket("logs"),
                    ...guards("logs"),
                    {
                        type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                        name: "late-block",
                        props: { bucket: "logs-123", blockPublicAcls: true },
                    },
                ],
                expected: [
                    "Bucket logs (logs-123) has public-access settings turned off in public-access block late-block: blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets; set them to true.",
                ],
            },
            {
                name: "do not count a block that merely depends on the bucket but names another",
                input: [
                    bucket("logs"),
                    bucket("exports"),
                    ...guards("logs"),
                    ...guards("exports").filter((g) => !g.name.endsWith("-block")),
                    {
                        ...guards("logs")[0],
                        name: "misnamed-block",
                        props: { ...guards("logs")[0].props, bucket: "other-bucket" },
                        dependencies: ["exports"],
                        propertyDependencies: { bucket: ["exports"] },
                    },
                ],
                expected: [
                    "Bucket exports (exports-123) has no public-access block; add an aws.s3.BucketPublicAccessBlock with all four settings true.",
                ],
            },
            {
                name: "accept an aws-native bucket with its inline public-access block and encryption",
                input: [
                    {
                        type: "aws-native:s3:Bucket",
                        name: "native",
                        props: {
                            bucketName: "native-123",
                            publicAccessBlockConfiguration: {
                                blockPublicAcls: true,
                                blockPublicPolicy: true,
                                ignorePublicAcls: true,
                                restrictPublicBuckets: true,
                            },
                            bucketEncryption: {
                                serverSideEncryptionConfiguration: [
                                    { serverSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } },
                                ],
                            },
                        },
                    },
                    {
                        type: "aws-native:s3:BucketPolicy",
                        name: "native-policy",
                        props: { bucket: "native-123", policyDocument: JSON.parse(tlsPolicy("native")) },
                    },
                ],
                expected: [],
            },
            {
                name: "reject an aws-native bucket without an inline public-access block",
                input: [
                    {
                        type: "aws-native:s3:Bucket",
                        name: "native",
                        props: {
                            bucketName: "native-123",
                            bucketEncryption: {
                                serverSideEncryptionConfiguration: [
                                    { serverSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
                                ],
                            },
                        },
                    },
                    {
                        type: "aws-native:s3:BucketPolicy",
                        name: "native-policy",
                        props: { bucket: "native-123", policyDocument: JSON.parse(tlsPolicy("native")) },
                    },
                ],
                expected: [
                    "Bucket native (native-123) has no public-access block; set publicAccessBlockConfiguration with all four settings true.",
                ],
            },
            {
                name: "reject an encryption configuration without a default algorithm",
                input: [bucket("logs"), ...changed("logs-sse", { rules: [{ bucketKeyEnabled: true }] })],
                expected: [
                    "Bucket logs (logs-123) has encryption configuration logs-sse without a default algorithm (aws:kms, aws:kms:dsse or AES256); set applyServerSideEncryptionByDefault.sseAlgorithm.",
                ],
            },
            {
                name: 'accept the TLS Deny to {"AWS": "*"} on s3:?*',
                input: [
                    bucket("logs"),
                    ...changed("logs-policy", {
                        policy: tlsPolicy("logs", { Principal: { AWS: "*" }, Action: "s3:?*" }),
                    }),
                ],
                expected: [],
            },
            {
                name: "reject a TLS Deny of s3:GetObject only",
                input: [
                    bucket("logs"),
                    ...changed("logs-policy", { policy: tlsPolicy("logs", { Action: "s3:GetObject" }) }),
                ],
                expected: [
                    'Bucket logs (logs-123) has bucket policy logs-policy without a Deny of s3:* to "*" on the bucket and its objects when aws:SecureTransport is false; add that statement.',
                ],
            },
            {
                name: "reject a TLS Deny that covers the objects but not the bucket",
                input: [
                    bucket("logs"),
                    ...changed("logs-policy", { policy: tlsPolicy("logs", { Resource: "arn:aws:s3:::logs-123/*" }) }),
                ],
                expected: [
                    'Bucket logs (logs-123) has bucket policy logs-policy without a Deny of s3:* to "*" on the bucket and its objects when aws:SecureTransport is false; add that statement.',
                ],
            },
            {
                name: "accept a TLS Deny split in two statements, one for the bucket and one for its objects (AWS applies both)",
                input: [
                    bucket("logs"),
                    ...changed("logs-policy", {
                        policy: text(
                            { ...JSON.parse(tlsPolicy("logs")).Statement[0], Resource: "arn:aws:s3:::logs-123" },
                            { ...JSON.parse(tlsPolicy("logs")).Statement[0], Resource: "arn:aws:s3:::logs-123/*" },
                        ),
                    }),
                ],
                expected: [],
            },
            {
                name: "reject a TLS Deny split in two statements when the objects' half denies s3:GetObject only",
                input: [
                    bucket("logs"),
                    ...changed("logs-policy", {
                        policy: text(
                            { ...JSON.parse(tlsPolicy("logs")).Statement[0], Resource: "arn:aws:s3:::logs-123" },
                            {
                                ...JSON.parse(tlsPolicy("logs")).Statement[0],
                                Resource: "arn:aws:s3:::logs-123/*",
                                Action: "s3:GetObject",
                            },
                        ),
                    }),
                ],
                expected: [
                    'Bucket logs (logs-123) has bucket policy logs-policy without a Deny of s3:* to "*" on the bucket and its objects when aws:SecureTransport is false; add that statement.',
                ],
            },
            {
                name: "reject a TLS Deny limited by a further condition (it no longer covers every plain-HTTP request)",
                input: [
                    bucket("logs"),
                    ...changed("logs-policy", {
                        policy: tlsPolicy("logs", {
                            Condition: {
                                Bool: { "aws:SecureTransport": "false" },
                                StringEquals: { "aws:PrincipalAccount": "111111111111" },
                            },
                        }),
                    }),
                ],
                expected: [
                    'Bucket logs (logs-123) has bucket policy logs-policy without a Deny of s3:* to "*" on the bucket and its objects when aws:SecureTransport is false; add that statement.',
                ],
            },
            {
                name: "reject a bucket policy whose only Deny is not about TLS",
                input: [
                    bucket("logs"),
                    ...changed("logs-policy", {
                        policy: text({ Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "*" }),
                    }),
                ],
                expected: [
                    'Bucket logs (logs-123) has bucket policy logs-policy without a Deny of s3:* to "*" on the bucket and its objects when aws:SecureTransport is false; add that statement.',
                ],
            },
            {
                name: "reject a second bucket policy without the TLS Deny, even beside a compliant one",
                input: [
                    bucket("logs"),
                    ...guards("logs"),
                    {
                        type: "aws:s3/bucketPolicy:BucketPolicy",
                        name: "late-policy",
                        props: {
                            bucket: "logs-123",
                            policy: text({
                                Effect: "Allow",
                                Principal: { AWS: "111111111111" },
                                Action: "s3:GetObject",
                                Resource: "arn:aws:s3:::logs-123/*",
                            }),
                        },
                    },
                ],
                expected: [
                    'Bucket logs (logs-123) has bucket policy late-policy without a Deny of s3:* to "*" on the bucket and its objects when aws:SecureTransport is false; add that statement.',
                ],
            },
            {
                name: "accept the TLS Deny in the bucket's inline policy",
                input: [
                    { ...bucket("logs"), props: { bucket: "logs-123", policy: tlsPolicy("logs") } },
                    ...guards("logs").filter((g) => !g.name.endsWith("-policy")),
                ],
                expected: [],
            },
            {
                name: "reject an inline policy without the Deny beside a compliant bucket policy",
                input: [
                    {
                        ...bucket("logs"),
                        props: {
                            bucket: "logs-123",
                            policy: text({
                                Effect: "Allow",
                                Principal: { AWS: "111111111111" },
                                Action: "s3:GetObject",
                                Resource: "arn:aws:s3:::logs-123/*",
                            }),
                        },
                    },
                    ...guards("logs"),
                ],
                expected: [
                    'Bucket logs (logs-123) has its inline policy without a Deny of s3:* to "*" on the bucket and its objects when aws:SecureTransport is false; add that statement.',
                ],
            },
        ],
        all,
    );
});
