import { kmsKeyNoPublicAccess } from "../../policies/kmsKeyNoPublicAccess";
import { Case, resourceViolations, table } from "../support/policyArgs";
import { AMBIGUOUS_FIX, ANY_ACCOUNT, FIX_PRINCIPALS, UNREADABLE, doc, text } from "./fixtures";

/** KMS keeps a service to our resources through the encryption context it sets, not aws:SourceAccount alone. */
const FIX_KMS_SERVICE =
    "limit it to your own resources with the encryption context the service sets (kms:EncryptionContext:aws:<service>:arn naming your own resources), or with aws:SourceAccount naming your own account";

/** As committed: the key's account administers it; a copier role of another account encrypts through S3. */
const OWNER = {
    Sid: "Owner",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::111111111111:root" },
    Action: "kms:*",
    Resource: "*",
};
const USE = {
    Sid: "Use",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "kms:GenerateDataKey",
    Resource: "*",
    Condition: {
        StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
        ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/copier" },
    },
};

describe("policy kms-key-no-public-access", () => {
    const message = (who: string, action = "kms:GenerateDataKey", fix = FIX_PRINCIPALS) =>
        `KMS key policy r: statement Use allows ${action} to ${who}; ${fix}.`;
    const cases: Case<Record<string, unknown>>[] = [
        { name: "accepts the baseline: own account, and a named role through S3", input: {}, expected: [] },
        {
            name: "rejects the use statement opened to every principal",
            input: { Principal: { AWS: "*" }, Condition: undefined },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects kms:ViaService as the only restriction (any account can call through S3)",
            input: { Principal: "*", Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects kms:CallerAccount matched with a wildcard",
            input: { Principal: "*", Condition: { StringLike: { "kms:CallerAccount": "*" } } },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects an encryption context that matches any bucket",
            input: {
                Principal: "*",
                Condition: { StringLike: { "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::*" } },
            },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects a service principal without a source condition",
            input: { Principal: { Service: "logs.us-east-1.amazonaws.com" }, Condition: undefined },
            expected: [
                message(
                    "the service logs.us-east-1.amazonaws.com acting for any account",
                    "kms:GenerateDataKey",
                    FIX_KMS_SERVICE,
                ),
            ],
        },
        {
            name: "rejects a service principal whose encryption context names log groups of any account",
            input: {
                Principal: { Service: "logs.us-east-1.amazonaws.com" },
                Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:*:*" } },
            },
            expected: [
                message(
                    "the service logs.us-east-1.amazonaws.com acting for any account",
                    "kms:GenerateDataKey",
                    FIX_KMS_SERVICE,
                ),
            ],
        },
        {
            name: "rejects CreateGrant for any account when the grant is for an AWS resource (any account's resource)",
            input: {
                Principal: "*",
                Action: "kms:CreateGrant",
                Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
            },
            expected: [message(ANY_ACCOUNT, "kms:CreateGrant")],
        },
        {
            name: "accepts kms:CallerAccount naming the account",
            input: {
                Principal: "*",
                Condition: {
                    StringEquals: {
                        "kms:CallerAccount": "222222222222",
                        "kms:ViaService": "s3.us-east-1.amazonaws.com",
                    },
                },
            },
            expected: [],
        },
        {
            name: "accepts a service principal whose encryption context names our own log groups",
            input: {
                Principal: { Service: "logs.us-east-1.amazonaws.com" },
                Condition: {
                    ArnLike: {
                        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111111111111:log-group:*",
                    },
                },
            },
            expected: [],
        },
        {
            name: "accepts a wildcard principal limited to the organization",
            input: { Principal: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } } },
            expected: [],
        },
    ];
    table(cases, (use) =>
        resourceViolations(kmsKeyNoPublicAccess, "aws:kms/key:Key", { policy: text(OWNER, { ...USE, ...use }) }),
    );

    const open = (keyPolicy: "policy" | "keyPolicy" = "policy") => ({
        [keyPolicy]: text(OWNER, { ...USE, Principal: "*", Condition: undefined }),
        primaryKeyArn: "arn:aws:kms:us-east-1:111111111111:key/mrk-1",
    });
    table<[string, Record<string, unknown>]>(
        [
            {
                name: "reads replica keys",
                input: ["aws:kms/replicaKey:ReplicaKey", open()],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "reads external keys (imported key material)",
                input: ["aws:kms/externalKey:ExternalKey", open()],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "reads replica external keys",
                input: ["aws:kms/replicaExternalKey:ReplicaExternalKey", open()],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "reads aws-native replica keys (keyPolicy)",
                input: ["aws-native:kms:ReplicaKey", open("keyPolicy")],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "accepts a replica key with the baseline policy",
                input: ["aws:kms/replicaKey:ReplicaKey", { ...open(), policy: text(OWNER, USE) }],
                expected: [],
            },
            {
                name: "rejects a key policy that is ambiguous (Effect written twice)",
                input: [
                    "aws:kms/key:Key",
                    {
                        policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}',
                    },
                ],
                expected: [
                    `KMS key policy r is ambiguous: statement #1 has the key Effect twice. AWS and this pack could read it differently, so it cannot be shown to be private; ${AMBIGUOUS_FIX}.`,
                ],
            },
            {
                name: "accepts a key with AWS's default policy (none given)",
                input: ["aws:kms/key:Key", {}],
                expected: [],
            },
            {
                name: "reads aws.kms.KeyPolicy",
                input: [
                    "aws:kms/keyPolicy:KeyPolicy",
                    { keyId: "k", policy: text(OWNER, { ...USE, Principal: "*", Condition: undefined }) },
                ],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "reads aws-native keyPolicy given as an object",
                input: [
                    "aws-native:kms:Key",
                    { keyPolicy: doc(OWNER, { ...USE, Principal: { AWS: ["*"] }, Condition: undefined }) },
                ],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "rejects a key policy that is not a policy document",
                input: ["aws:kms/key:Key", { policy: JSON.stringify(["not", "a", "policy"]) }],
                expected: [
                    `KMS key policy r cannot be read as a policy document, so it cannot be shown to be private; ${UNREADABLE}.`,
                ],
            },
        ],
        ([type, props]) => resourceViolations(kmsKeyNoPublicAccess, type, props),
    );
});
