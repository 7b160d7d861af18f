/**
 * The central bucket's bucket policy and KMS key policy, as plain functions of their inputs so
 * that tests and policy reviewers can read exactly who may do what.
 */
import { ResourceAccount } from "../config";
import { centralRegionPrefix } from "../layout";
import { copierRoleArn } from "../names";

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Principal: "*" | { AWS: string | string[] } | { Service: string | string[] };
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

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

export function centralBucketPolicy(p: CentralPolicyInputs): PolicyDocument {
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
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [p.bucketArn, objects],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
                Sid: "DenyReadsOutsideLoggingAccount",
                Effect: "Deny",
                Principal: "*",
                Action: READ_ACTIONS,
                Resource: [p.bucketArn, objects],
                Condition: { StringNotEquals: { "aws:PrincipalAccount": p.loggingAccountId } },
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
        ],
    };
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

export type KeyPolicyInputs = Omit<CentralPolicyInputs, "keyArn">;

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
            // With S3 Bucket Keys the context is the bucket ARN; without, the object ARN.
            StringLike: {
                "kms:EncryptionContext:aws:s3:arn": [p.bucketArn, `${p.bucketArn}/${account.accountId}/*`],
            },
        },
    }));
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "LoggingAccountOwnsKey",
                Effect: "Allow",
                Principal: { AWS: accountRoot(p.partition, p.loggingAccountId) },
                Action: KEY_OWNER_ACTIONS,
                Resource: "*",
            },
            ...writers,
        ],
    };
}
