import { ResourceValidationPolicy } from "@pulumi/policy";
import { ALLOWED_CIDRS_SCHEMA } from "./lib/findings";
import { principalEntry, resourcePolicyValidation } from "./lib/resourcePolicy";

/**
 * The statement Lambda writes into a layer version's policy for a permission: the principal (an
 * account ID or "*") and, with organizationId, StringEquals aws:PrincipalOrgID.
 */
export function layerPermissionStatement(props: Record<string, any>): Record<string, unknown> {
    const org = props.organizationId;
    return {
        Version: "2012-10-17",
        Statement: {
            Effect: "Allow",
            Principal: principalEntry(String(props.principal ?? "")),
            Action: String(props.action ?? "lambda:GetLayerVersion"),
            Resource: "*",
            ...(typeof org === "string" && org !== ""
                ? { Condition: { StringEquals: { "aws:PrincipalOrgID": org } } }
                : {}),
        },
    };
}

/** A layer is code that runs inside functions: anyone who can read it reads what it carries. */
export const lambdaLayerNoPublicAccess: ResourceValidationPolicy = {
    name: "lambda-layer-no-public-access",
    description:
        "No Lambda layer version permission may let principals of any account get the layer; name the accounts or the organization.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: resourcePolicyValidation({
        noun: "Lambda layer permission",
        documents: {},
        statements: {
            "aws:lambda/layerVersionPermission:LayerVersionPermission": layerPermissionStatement,
            "aws-native:lambda:LayerVersionPermission": layerPermissionStatement,
        },
        actionScope: "lambda:*",
        signedOnly: true,
        principalsFix: "name the account in principal, or set organizationId to your organization",
    }),
};
