import { ResourceValidationPolicy } from "@pulumi/policy";
import { ALLOWED_CIDRS_SCHEMA } from "./lib/findings";
import { resourcePolicyValidation } from "./lib/resourcePolicy";

/** The alert topic's policy is one the program writes: a publisher outside it could raise or drown alerts. */
export const snsTopicNoPublicAccess: ResourceValidationPolicy = {
    name: "sns-topic-no-public-access",
    description:
        "No SNS topic policy may let anyone outside the organization publish, subscribe or manage the topic: principals of any account, or a service acting for any account.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: resourcePolicyValidation({
        noun: "SNS topic policy",
        documents: {
            "aws:sns/topicPolicy:TopicPolicy": ["policy"],
            "aws:sns/topic:Topic": ["policy"],
            "aws-native:sns:TopicPolicy": ["policyDocument"],
            "aws-native:sns:TopicInlinePolicy": ["policyDocument"],
        },
        actionScope: "sns:*",
        signedOnly: true,
    }),
};
