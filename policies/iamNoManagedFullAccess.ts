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
    // IAM Identity Center permission sets: every user assigned the set gets the policy in every account.
    "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive": "managedPolicyArns",
    "aws-native:sso:PermissionSet": "managedPolicies",
};

export const iamNoManagedFullAccess: ResourceValidationPolicy = {
    name: "iam-no-managed-full-access",
    description:
        "No AWS-managed FullAccess, AdministratorAccess, PowerUserAccess or SystemAdministrator policy may be attached, by any attachment resource, to roles, users, groups or IAM Identity Center permission sets.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        // policyArn: RolePolicyAttachment, UserPolicyAttachment, GroupPolicyAttachment, PolicyAttachment;
        // managedPolicyArn: an IAM Identity Center permission set's ManagedPolicyAttachment.
        const attached = [
            args.props.policyArn,
            args.type === "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"
                ? args.props.managedPolicyArn
                : undefined,
            ...(LISTS[args.type] ? (listProperty(args.props[LISTS[args.type]]) ?? []) : []),
        ];
        for (const arn of attached.filter(isBroadManagedPolicy)) {
            report(
                `${args.type} ${args.name} attaches the AWS-managed policy ${arn}; grant the specific actions in an inline policy instead.`,
            );
        }
    },
};
