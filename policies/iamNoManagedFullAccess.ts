import { ResourceValidationPolicy } from "@pulumi/policy";
import { asList } from "./lib/policyJson";

/** AWS-managed policies that grant a whole service or the whole account. */
export const isBroadManagedPolicy = (arn: unknown) =>
    typeof arn === "string" &&
    /^arn:aws[\w-]*:iam::aws:policy\/(.*FullAccess.*|AdministratorAccess|PowerUserAccess)$/.test(arn);

export const iamNoManagedFullAccess: ResourceValidationPolicy = {
    name: "iam-no-managed-full-access",
    description: "No AWS-managed FullAccess, AdministratorAccess or PowerUserAccess policy may be attached.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const attached = [
            args.props.policyArn,
            ...(args.type === "aws:iam/role:Role" ? asList(args.props.managedPolicyArns) : []),
        ];
        for (const arn of attached.filter(isBroadManagedPolicy)) {
            report(
                `${args.type} ${args.name} attaches the AWS-managed policy ${arn}; grant the specific actions in an inline policy instead.`,
            );
        }
    },
};
