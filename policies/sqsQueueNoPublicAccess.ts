import { ResourceValidationPolicy } from "@pulumi/policy";
import { ALLOWED_CIDRS_SCHEMA } from "./lib/findings";
import { resourcePolicyValidation } from "./lib/resourcePolicy";

/**
 * The program's queues hold failed events (copier, loader, response loop): a reader outside the
 * organization would see them, a sender could fill them. SQS accepts anonymous requests where a
 * policy grants "*", so anonymous callers are adversaries here.
 */
export const sqsQueueNoPublicAccess: ResourceValidationPolicy = {
    name: "sqs-queue-no-public-access",
    description:
        "No SQS queue policy may let anyone outside the organization send, receive or manage messages: anonymous callers, principals of any account, or a service acting for any account.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: resourcePolicyValidation({
        noun: "SQS queue policy",
        documents: {
            "aws:sqs/queuePolicy:QueuePolicy": ["policy"],
            "aws:sqs/queue:Queue": ["policy"],
            "aws-native:sqs:QueuePolicy": ["policyDocument"],
            "aws-native:sqs:QueueInlinePolicy": ["policyDocument"],
        },
        actionScope: "sqs:*",
        signedOnly: false,
    }),
};
