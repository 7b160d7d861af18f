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
    /**
     * The only principals that may change the archive's protections (bucket policy, lifecycle,
     * versioning, Object Lock, retention bypass, version deletes) and administer its key: the
     * break-glass role and the deployment role. At least one.
     */
    readonly guardianRoleArns: readonly string[];
    /** The break-glass role alone may disable the key or schedule its deletion. Absent: no one may. */
    readonly breakGlassRoleArn?: string;
}

/**
 * What would shorten, delete or unprotect the archive from inside the logging account. IAM's
 * action for the PutObjectLockConfiguration API is `s3:PutBucketObjectLockConfiguration`;
 * DeleteBucketLifecycle is authorized by `s3:PutLifecycleConfiguration`.
 */
export const ARCHIVE_TAMPERING_ACTIONS = [
    "s3:BypassGovernanceRetention",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObjectVersion",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
];

/** What destroys every log under the key, COMPLIANCE mode or not. */
export const KEY_DESTRUCTION_ACTIONS = ["kms:DisableKey", "kms:ScheduleKeyDeletion"];

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
        {
            // Principal "*" with the exempt roles as a condition: IAM refuses a policy naming a
            // role that does not exist, and this deny must hold for every principal of every
            // account. The account's root user can still replace a bucket policy (S3 always lets
            // it): the organization's SCP (components/archiveGuardrails.ts) closes that.
            Sid: "DenyArchiveTamperingButGuardians",
            Effect: "Deny",
            Principal: "*",
            Action: ARCHIVE_TAMPERING_ACTIONS,
            Resource: [p.bucketArn, objects],
            Condition: { ArnNotEquals: { "aws:PrincipalArn": [...p.guardianRoleArns] } },
        },
        ...writes,
    ];
}

/** Key use the logging account delegates to its IAM policies (the roles that read and write the logs). */
export const KEY_USER_ACTIONS = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
];

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

/** Administration, for the guardian roles only: everything the owner may do except encrypt and decrypt. */
export const KEY_ADMIN_ACTIONS = KEY_OWNER_ACTIONS.filter(
    (a) => !KEY_USER_ACTIONS.includes(a) || a === "kms:DescribeKey",
);

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
    const root = accountRoot(p.partition, p.loggingAccountId);
    return policyDocument([
        {
            // Named administrators instead of the whole account: the deployer (which must pass
            // KMS's lockout safety check on every PutKeyPolicy) and the break-glass role.
            Sid: "GuardiansAdministerKey",
            Effect: "Allow",
            Principal: { AWS: root },
            Action: KEY_ADMIN_ACTIONS,
            Resource: "*",
            Condition: { ArnEquals: { "aws:PrincipalArn": [...p.guardianRoleArns] } },
        },
        {
            // Use only, delegated to IAM: the loader, detector, Athena users and operators have it
            // through their own policies. No administration through IAM.
            Sid: "LoggingAccountUsesKey",
            Effect: "Allow",
            Principal: { AWS: root },
            Action: KEY_USER_ACTIONS,
            Resource: "*",
        },
        {
            // Disabling or deleting the key destroys every log, COMPLIANCE mode or not.
            Sid: "DenyKeyDestructionButBreakGlass",
            Effect: "Deny",
            Principal: "*",
            Action: KEY_DESTRUCTION_ACTIONS,
            Resource: "*",
            ...(p.breakGlassRoleArn
                ? { Condition: { ArnNotEquals: { "aws:PrincipalArn": p.breakGlassRoleArn } } }
                : {}),
        },
        ...writers,
    ]);
}
