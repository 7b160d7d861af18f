import { ResourceValidationPolicy } from "@pulumi/policy";
import { ALLOWED_CIDRS_SCHEMA } from "./lib/findings";
import { resourcePolicyValidation } from "./lib/resourcePolicy";

export const secretsmanagerSecretNoPublicAccess: ResourceValidationPolicy = {
    name: "secretsmanager-secret-no-public-access",
    description:
        "No Secrets Manager secret policy may let anyone outside the organization read or manage the secret: principals of any account, or a service acting for any account.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: resourcePolicyValidation({
        noun: "Secrets Manager secret policy",
        documents: {
            "aws:secretsmanager/secretPolicy:SecretPolicy": ["policy"],
            "aws:secretsmanager/secret:Secret": ["policy"],
            "aws-native:secretsmanager:ResourcePolicy": ["resourcePolicy"],
        },
        actionScope: "secretsmanager:*",
        signedOnly: true,
    }),
};
