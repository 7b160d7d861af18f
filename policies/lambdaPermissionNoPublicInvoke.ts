import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export const lambdaPermissionNoPublicInvoke: ResourceValidationPolicy = {
    name: "lambda-permission-no-public-invoke",
    description:
        "No Lambda permission may let a wildcard principal, or an AWS service on anyone's behalf, invoke a function without a source account or source ARN.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TYPES.lambdaPermission, (props, args, report) => {
        const principal = String(props.principal ?? "");
        const scoped = Boolean(props.sourceAccount) || Boolean(props.sourceArn) || Boolean(props.principalOrgId);
        if (principal === "*" && !scoped) {
            report(
                `Lambda permission ${args.name} lets anyone invoke the function; name the principal, or set sourceAccount or sourceArn.`,
            );
        } else if (principal.endsWith(".amazonaws.com") && !scoped) {
            report(
                `Lambda permission ${args.name} lets ${principal} invoke the function for any account's resources; set sourceArn and sourceAccount.`,
            );
        }
    }),
};
