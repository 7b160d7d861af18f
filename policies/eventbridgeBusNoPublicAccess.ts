import { ResourceValidationPolicy } from "@pulumi/policy";
import { ALLOWED_CIDRS_SCHEMA } from "./lib/findings";
import { objectProperty } from "./lib/props";
import { principalEntry, resourcePolicyValidation } from "./lib/resourcePolicy";

/**
 * The statement EventBridge writes into the bus policy for a permission: the principal (an
 * account ID or "*"), the action, and its one condition (`{key, type, value}`, e.g. StringEquals
 * aws:PrincipalOrgID).
 */
export function eventPermissionStatement(props: Record<string, any>): Record<string, unknown> {
    const condition = objectProperty(props.condition);
    return {
        Version: "2012-10-17",
        Statement: {
            Effect: "Allow",
            Principal: principalEntry(String(props.principal ?? "")),
            Action: String(props.action ?? "events:PutEvents"),
            Resource: "*",
            ...(condition?.key
                ? { Condition: { [String(condition.type ?? "StringEquals")]: { [condition.key]: condition.value } } }
                : {}),
        },
    };
}

/** aws-native's EventBusPolicy carries either a whole `statement` or a permission's fields. */
const nativeBusPolicy = (props: Record<string, any>) =>
    props.statement !== undefined
        ? { Version: "2012-10-17", Statement: objectProperty(props.statement) ?? props.statement }
        : eventPermissionStatement(props);

/** Anyone who can put events on the alert bus can raise false alerts or hide real ones among them. */
export const eventbridgeBusNoPublicAccess: ResourceValidationPolicy = {
    name: "eventbridge-bus-no-public-access",
    description:
        "No EventBridge bus policy or permission may let anyone outside the organization put events on the bus: principals of any account, or a service acting for any account.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: resourcePolicyValidation({
        noun: "EventBridge bus policy",
        documents: {
            "aws:cloudwatch/eventBusPolicy:EventBusPolicy": ["policy"],
            "aws-native:events:EventBus": ["policy"],
        },
        statements: {
            "aws:cloudwatch/eventPermission:EventPermission": eventPermissionStatement,
            "aws-native:events:EventBusPolicy": nativeBusPolicy,
        },
        actionScope: "events:*",
        signedOnly: true,
        principalsFix: "name the accounts, or limit a wildcard principal with an aws:PrincipalOrgID condition",
    }),
};
