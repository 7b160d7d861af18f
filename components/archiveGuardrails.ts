import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ARCHIVE_TAMPERING_ACTIONS, KEY_DESTRUCTION_ACTIONS } from "./centralBucketPolicies";
import { PolicyDocument, policyDocument } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

/** What the service control policy protects, and who is exempt. */
export interface ArchiveGuardrailsInputs {
    readonly partition: string;
    /** The central bucket's name (a logging stack output, `centralBucketName`). */
    readonly bucketName: string;
    /** The central key's ARN (a logging stack output, `centralKeyArn`). */
    readonly keyArn: string;
    /** The logging account's break-glass role: exempt from every statement. */
    readonly breakGlassRoleArn: string;
    /** The logging stack's deployment role: exempt from the bucket and key-policy statements, so `pulumi up` works. */
    readonly deploymentRoleArn?: string;
}

/**
 * The service control policy of the Control Tower log-archive pattern, for the logging account:
 * what its bucket and key policies deny, denied once more by the organization, where the logging
 * account's own administrators (and its root user, whom S3 always lets replace a bucket policy)
 * cannot lift it. SCPs never grant; the exemptions only leave those roles to their own policies.
 */
export function archiveGuardrailsDocument(p: ArchiveGuardrailsInputs): PolicyDocument {
    const bucketArn = `arn:${p.partition}:s3:::${p.bucketName}`;
    const guardians = [p.breakGlassRoleArn, ...(p.deploymentRoleArn ? [p.deploymentRoleArn] : [])];
    return policyDocument([
        {
            Sid: "DenyArchiveTampering",
            Effect: "Deny",
            Action: [...ARCHIVE_TAMPERING_ACTIONS, "s3:DeleteBucket"],
            Resource: [bucketArn, `${bucketArn}/*`],
            Condition: { ArnNotLike: { "aws:PrincipalArn": guardians } },
        },
        {
            Sid: "DenyKeyPolicyChanges",
            Effect: "Deny",
            Action: "kms:PutKeyPolicy",
            Resource: p.keyArn,
            Condition: { ArnNotLike: { "aws:PrincipalArn": guardians } },
        },
        {
            Sid: "DenyKeyDestruction",
            Effect: "Deny",
            Action: KEY_DESTRUCTION_ACTIONS,
            Resource: p.keyArn,
            Condition: { ArnNotLike: { "aws:PrincipalArn": p.breakGlassRoleArn } },
        },
    ]);
}

/** AWS Organizations' limit on a service control policy document, characters. */
export const SCP_MAX_CHARACTERS = 5120;

export interface ArchiveGuardrailsArgs extends ArchiveGuardrailsInputs {
    /** The logging account: the policy is attached to it alone. */
    readonly loggingAccountId: string;
}

/**
 * Optional, for the organization's management account (or a delegated administrator for
 * Organizations policies): the guardrails SCP, attached to the logging account. Not part of the
 * logging or resource stacks, which deploy into member accounts; see docs/security.md for the
 * stack to run it from.
 */
export class ArchiveGuardrails extends pulumi.ComponentResource {
    readonly policy: aws.organizations.Policy;

    constructor(name: string, args: ArchiveGuardrailsArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:ArchiveGuardrails", name, {}, opts);
        requireProvider("ArchiveGuardrails", name, opts, "management");
        const content = JSON.stringify(archiveGuardrailsDocument(args));
        if (content.length > SCP_MAX_CHARACTERS) {
            throw new Error(
                `ArchiveGuardrails ${name}: the policy is ${content.length} characters, above the ${SCP_MAX_CHARACTERS} AWS Organizations allows; shorten the role ARNs.`,
            );
        }
        this.policy = new aws.organizations.Policy(
            `${name}-scp`,
            {
                name: "central-waf-logs-archive-guardrails",
                description:
                    "Only the break-glass and deployment roles may unprotect or destroy the central WAF log archive",
                type: "SERVICE_CONTROL_POLICY",
                content,
            },
            { parent: this },
        );
        new aws.organizations.PolicyAttachment(
            `${name}-logging-account`,
            { policyId: this.policy.id, targetId: args.loggingAccountId },
            { parent: this },
        );
        this.registerOutputs({ policyId: this.policy.id });
    }
}
