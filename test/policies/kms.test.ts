import { kmsKeyNoPublicAccess } from "../../policies/kmsKeyNoPublicAccess";
import { Case, resourceViolations, table } from "../support/policyArgs";
import { ANONYMOUS, ANY_ACCOUNT, FIX_PRINCIPALS, FIX_SERVICE, UNREADABLE, doc, text } from "./fixtures";

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
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects kms:ViaService as the only restriction (any account can call through S3)",
            input: { Principal: "*", Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } },
            expected: [message(ANONYMOUS)],
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
            expected: [message(ANONYMOUS)],
        },
        {
            name: "rejects a service principal without a source condition",
            input: { Principal: { Service: "logs.us-east-1.amazonaws.com" }, Condition: undefined },
            expected: [
                message(
                    "the service logs.us-east-1.amazonaws.com acting for any account",
                    "kms:GenerateDataKey",
                    FIX_SERVICE,
                ),
            ],
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

    table<[string, Record<string, unknown>]>(
        [
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
                expected: [message(ANONYMOUS)],
            },
            {
                name: "reads aws-native keyPolicy given as an object",
                input: [
                    "aws-native:kms:Key",
                    { keyPolicy: doc(OWNER, { ...USE, Principal: { AWS: ["*"] }, Condition: undefined }) },
                ],
                expected: [message(ANONYMOUS)],
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
