import { ResourceValidationPolicy } from "@pulumi/policy";
import { ALLOWED_CIDRS_SCHEMA } from "./lib/findings";
import { resourcePolicyValidation } from "./lib/resourcePolicy";

/**
 * CloudWatch Logs resource policies let services deliver logs (the search domain's logs) and
 * destinations accept subscriptions: a delivery service without a source condition writes for
 * any account, into our log groups.
 */
export const logsResourcePolicyNoPublicAccess: ResourceValidationPolicy = {
    name: "logs-resource-policy-no-public-access",
    description:
        "No CloudWatch Logs resource policy or destination policy may let anyone outside the organization write or read logs: principals of any account, or a service acting for any account.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: resourcePolicyValidation({
        noun: "CloudWatch Logs resource policy",
        documents: {
            "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ["policyDocument"],
            "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": ["accessPolicy"],
            "aws-native:logs:ResourcePolicy": ["policyDocument"],
            "aws-native:logs:Destination": ["destinationPolicy"],
        },
        actionScope: "logs:*",
        signedOnly: true,
    }),
};
