import { ResourceValidationPolicy } from "@pulumi/policy";
import { listProperty } from "./lib/props";

/** AWS-managed policies that grant a whole service or the whole account (any path, any partition). */
export const isBroadManagedPolicy = (arn: unknown) =>
    typeof arn === "string" &&
    /^arn:aws[\w-]*:iam::aws:policy\/(?:[\w+=,.@-]+\/)*(?:[\w+=,.@-]*FullAccess[\w+=,.@-]*|AdministratorAccess[\w+=,.@-]*|PowerUserAccess|SystemAdministrator)$/.test(
        arn,
    );

/** Where each resource type lists the managed policies it attaches. */
const LISTS: Record<string, string> = {
    "aws:iam/role:Role": "managedPolicyArns",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
    "aws-native:iam:Role": "managedPolicyArns",
    "aws-native:iam:User": "managedPolicyArns",
    "aws-native:iam:Group": "managedPolicyArns",
};

export const iamNoManagedFullAccess: ResourceValidationPolicy = {
    name: "iam-no-managed-full-access",
    description:
        "No AWS-managed FullAccess, AdministratorAccess, PowerUserAccess or SystemAdministrator policy may be attached, by any attachment resource.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        // policyArn: RolePolicyAttachment, UserPolicyAttachment, GroupPolicyAttachment, PolicyAttachment.
        const attached = [
            args.props.policyArn,
            ...(LISTS[args.type] ? (listProperty(args.props[LISTS[args.type]]) ?? []) : []),
        ];
        for (const arn of attached.filter(isBroadManagedPolicy)) {
            report(
                `${args.type} ${args.name} attaches the AWS-managed policy ${arn}; grant the specific actions in an inline policy instead.`,
            );
        }
    },
};
