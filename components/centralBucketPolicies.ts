/**
 * The central bucket's bucket policy and KMS key policy, as plain functions of their inputs so
 * that tests and policy reviewers can read exactly who may do what.
 */
import { ResourceAccount } from "../config";
import { centralRegionPrefix } from "../layout";
import { copierRoleArn } from "../names";
import { PolicyDocument, PolicyStatement, policyDocument } from "./policyDocuments";

export interface CentralPolicyInputs {
    readonly bucketArn: string;
    readonly keyArn: string;
    readonly loggingAccountId: string;
    readonly loggingRegion: string;
    readonly partition: string;
    /** Accounts and Regions whose copier roles may write. */
    readonly writers: readonly ResourceAccount[];
}

const accountRoot = (partition: string, accountId: string) => `arn:${partition}:iam::${accountId}:root`;
const sidPart = (text: string) => text.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** Objects a copier may read back: none. Listed here so the deny below is explicit. */
const READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"];

/** Statements of the central bucket policy beyond the TLS-only deny every private bucket has. */
export function centralBucketStatements(p: CentralPolicyInputs): PolicyStatement[] {
    const objects = `${p.bucketArn}/*`;
    const writes: PolicyStatement[] = p.writers.flatMap((account) =>
        account.regions.map((region) => ({
            Sid: `CopierWrites${account.accountId}${sidPart(region)}`,
            Effect: "Allow" as const,
            // The account root as principal plus the exact role ARN as a condition: S3 rejects a
            // policy naming a role that does not exist yet, and copier roles come later.
            Principal: { AWS: accountRoot(p.partition, account.accountId) },
            Action: "s3:PutObject",
            Resource: `${p.bucketArn}/${centralRegionPrefix(account.accountId, region)}*`,
            Condition: {
                ArnEquals: { "aws:PrincipalArn": copierRoleArn(p.partition, account.accountId, region) },
            },
        })),
    );
    return [
        {
            Sid: "DenyReadsOutsideLoggingAccount",
            Effect: "Deny",
            Principal: "*",
            Action: READ_ACTIONS,
            Resource: [p.bucketArn, objects],
            Condition: { StringNotEquals: { "aws:PrincipalAccount": p.loggingAccountId } },
        },
        {
            // A delivered object is never replaced: writers from other accounts may only create new
            // keys (S3 answers 412 to a conditional write on an existing key).
            Sid: "DenyOverwritesFromOtherAccounts",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: objects,
            Condition: {
                Null: { "s3:if-none-match": "true" },
                StringNotEquals: { "aws:PrincipalAccount": p.loggingAccountId },
            },
        },
        {
            Sid: "DenyEncryptionOtherThanKms",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: objects,
            Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
        },
        {
            Sid: "DenyOtherKmsKeys",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: objects,
            Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": p.keyArn } },
        },
        ...writes,
    ];
}

/** Key administration and use by the logging account; no `kms:*`, so the key stays auditable. */
export const KEY_OWNER_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
];

export type KeyPolicyInputs = Omit<CentralPolicyInputs, "keyArn" | "bucketArn">;

export function centralKeyPolicy(p: KeyPolicyInputs): PolicyDocument {
    const writers: PolicyStatement[] = p.writers.map((account) => ({
        Sid: `CopierEncrypts${account.accountId}`,
        Effect: "Allow",
        Principal: { AWS: accountRoot(p.partition, account.accountId) },
        Action: "kms:GenerateDataKey",
        Resource: "*",
        Condition: {
            StringEquals: { "kms:ViaService": `s3.${p.loggingRegion}.amazonaws.com` },
            ArnEquals: {
                "aws:PrincipalArn": account.regions.map((region) =>
                    copierRoleArn(p.partition, account.accountId, region),
                ),
            },
        },
    }));
    return policyDocument([
        {
            Sid: "LoggingAccountOwnsKey",
            Effect: "Allow",
            Principal: { AWS: accountRoot(p.partition, p.loggingAccountId) },
            Action: KEY_OWNER_ACTIONS,
            Resource: "*",
        },
        ...writers,
    ]);
}
