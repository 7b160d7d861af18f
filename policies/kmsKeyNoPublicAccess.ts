import { ResourceValidationPolicy } from "@pulumi/policy";
import { ALLOWED_CIDRS_SCHEMA } from "./lib/findings";
import { resourcePolicyValidation } from "./lib/resourcePolicy";

/**
 * Every kind of KMS key carries a key policy: classic keys and their separate KeyPolicy, replica,
 * external (imported material) and replica external keys, and aws-native keys and replicas. KMS
 * takes only signed requests, so the outsiders are principals of any account and services acting
 * for any account; a service is kept to our resources by the encryption context it sets.
 */
export const kmsKeyNoPublicAccess: ResourceValidationPolicy = {
    name: "kms-key-no-public-access",
    description:
        "No KMS key policy may let anyone outside the organization use or manage the key: principals of any account, or a service acting for any account.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: resourcePolicyValidation({
        noun: "KMS key policy",
        documents: {
            "aws:kms/key:Key": ["policy"],
            "aws:kms/keyPolicy:KeyPolicy": ["policy"],
            "aws:kms/replicaKey:ReplicaKey": ["policy"],
            "aws:kms/externalKey:ExternalKey": ["policy"],
            "aws:kms/replicaExternalKey:ReplicaExternalKey": ["policy"],
            "aws-native:kms:Key": ["keyPolicy"],
            "aws-native:kms:ReplicaKey": ["keyPolicy"],
        },
        actionScope: "kms:*",
        signedOnly: true,
        serviceFix:
            "limit it to your own resources with the encryption context the service sets (kms:EncryptionContext:aws:<service>:arn naming your own resources), or with aws:SourceAccount naming your own account",
    }),
};
