import { ResourceValidationPolicy } from "@pulumi/policy";
import { isServicePrincipal, publicAccess } from "./lib/access";
import { ALLOWED_CIDRS_SCHEMA, AllowedCidrsConfig } from "./lib/findings";
import { globMatch, hasWildcard } from "./lib/glob";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

/**
 * The statement Lambda adds to the function's resource policy for a permission: the principal,
 * the action, and a condition for each of sourceAccount, sourceArn, principalOrgId and
 * functionUrlAuthType (the same keys Lambda writes). Judging that statement, rather than which
 * fields are set, is what tells a scoped service permission from an open one.
 */
export function permissionStatement(props: Record<string, any>): Record<string, unknown> {
    const principal = String(props.principal ?? "");
    const condition: Record<string, Record<string, string>> = {};
    const add = (operator: string, key: string, value: unknown) => {
        if (typeof value === "string" && value !== "") condition[operator] = { ...condition[operator], [key]: value };
    };
    add("StringEquals", "AWS:SourceAccount", props.sourceAccount);
    add("ArnLike", "AWS:SourceArn", props.sourceArn);
    add("StringEquals", "aws:PrincipalOrgID", props.principalOrgId ?? props.principalOrgID);
    add("StringEquals", "lambda:FunctionUrlAuthType", props.functionUrlAuthType);
    return {
        Effect: "Allow",
        Principal:
            principal === "*" ? "*" : isServicePrincipal(principal) ? { Service: principal } : { AWS: principal },
        Action: String(props.action ?? "lambda:InvokeFunction"),
        Resource: "*",
        Condition: condition,
    };
}

const SERVICE_FIX = "set sourceAccount to your own account, and sourceArn to the exact source";
const PRINCIPAL_FIX = "name the principal, or set sourceAccount, sourceArn or principalOrgId";
const URL_PRINCIPAL_FIX = "name the principal, or set principalOrgId";
const URL_NONE_FIX =
    "a function URL without authentication is open to anyone; set functionUrlAuthType to AWS_IAM (with the URL's authorizationType AWS_IAM) and name the principal";

/**
 * Lambda's API takes only signed requests; the one anonymous way in is a function URL whose
 * auth type is NONE, which a permission for lambda:InvokeFunctionUrl opens unless it pins
 * functionUrlAuthType to AWS_IAM.
 */
function opensUnauthenticatedUrl(props: Record<string, any>): boolean {
    const action = String(props.action ?? "lambda:InvokeFunction");
    return globMatch(action, "lambda:InvokeFunctionUrl", true) && props.functionUrlAuthType !== "AWS_IAM";
}

export const lambdaPermissionNoPublicInvoke: ResourceValidationPolicy = {
    name: "lambda-permission-no-public-invoke",
    description:
        "No Lambda permission may let anyone, any account, or an AWS service acting for any account invoke a function; a service permission names its exact source.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: forTypes(TYPES.lambdaPermission, (props, args, report) => {
        const principal = String(props.principal ?? "");
        const statement = permissionStatement(props);
        const { allowedCidrs } = args.getConfig<AllowedCidrsConfig>();
        const url = opensUnauthenticatedUrl(props);
        const result = publicAccess({ Statement: [statement] }, { allowedCidrs, signedOnly: !url });
        const invokesUrl = globMatch(String(props.action ?? ""), "lambda:InvokeFunctionUrl", true);
        for (const f of result.readable ? result.findings : []) {
            const kind = f.adversary.principal.kind;
            const fix =
                kind === "service"
                    ? SERVICE_FIX
                    : kind === "anonymous"
                      ? URL_NONE_FIX
                      : invokesUrl
                        ? URL_PRINCIPAL_FIX
                        : PRINCIPAL_FIX;
            report(
                `Lambda permission ${args.name} lets ${f.adversary.description} call ${f.action} on the function; ${fix}.`,
            );
        }
        // S3 bucket names are global: a wildcard source matches buckets anyone can create.
        const sourceArn = props.sourceArn;
        const fromS3 = principal.toLowerCase() === "s3.amazonaws.com" || /^arn:[^:]*:s3:/.test(String(sourceArn));
        if (isServicePrincipal(principal) && fromS3 && typeof sourceArn === "string" && hasWildcard(sourceArn)) {
            report(
                `Lambda permission ${args.name} accepts ${principal} events from any bucket matching ${sourceArn}, and bucket names are global; name the exact bucket in sourceArn.`,
            );
        }
    }),
};
