import { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, isAllow, statementsOf } from "./lib/policyJson";

/** Resource types and the properties that hold an IAM-style policy document. */
const POLICY_PROPERTIES: Record<string, string[]> = {
    "aws:iam/policy:Policy": ["policy"],
    "aws:iam/rolePolicy:RolePolicy": ["policy"],
    "aws:iam/userPolicy:UserPolicy": ["policy"],
    "aws:iam/groupPolicy:GroupPolicy": ["policy"],
    "aws:kms/key:Key": ["policy"],
    "aws:s3/bucketPolicy:BucketPolicy": ["policy"],
    "aws:sqs/queuePolicy:QueuePolicy": ["policy"],
};

/** `*` or `service:*`: every action, or every action of a service. */
export const isWildcardAction = (action: unknown) =>
    action === "*" || (typeof action === "string" && /^[\w-]+:\*$/.test(action));

export const iamNoWildcardAllow: ResourceValidationPolicy = {
    name: "iam-no-wildcard-allow",
    description:
        'No policy statement may allow every action ("*") or every action of a service ("service:*") on every resource.',
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const documents = [
            ...(POLICY_PROPERTIES[args.type] ?? []).map((p) => args.props[p]),
            ...(args.type === "aws:iam/role:Role" ? asList(args.props.inlinePolicies).map((p: any) => p?.policy) : []),
        ];
        for (const statement of documents.flatMap((d) => statementsOf(d) ?? [])) {
            const everyResource = asList(statement.Resource).includes("*") || statement.NotResource !== undefined;
            const wildcard = asList(statement.Action).filter(isWildcardAction);
            if (isAllow(statement) && everyResource && (wildcard.length > 0 || statement.NotAction !== undefined)) {
                report(
                    `Statement ${statement.Sid ?? "(no Sid)"} allows ${wildcard.length > 0 ? wildcard.join(", ") : "NotAction"} on every resource; list the actions the principal needs and the resources they apply to.`,
                );
            }
        }
    },
};
