import { ResourceValidationPolicy } from "@pulumi/policy";
import { Statement, parsePolicy } from "./lib/document";
import { globMatch } from "./lib/glob";
import { listProperty } from "./lib/props";
import { coversEveryAction, isEveryResource, isEveryRole } from "./lib/wildcards";

/** Resource types and the properties that hold an IAM-style policy document. */
const POLICY_PROPERTIES: Record<string, string[]> = {
    "aws:iam/policy:Policy": ["policy"],
    "aws:iam/rolePolicy:RolePolicy": ["policy"],
    "aws:iam/userPolicy:UserPolicy": ["policy"],
    "aws:iam/groupPolicy:GroupPolicy": ["policy"],
    "aws:kms/key:Key": ["policy"],
    "aws:kms/keyPolicy:KeyPolicy": ["policy"],
    "aws:s3/bucketPolicy:BucketPolicy": ["policy"],
    "aws:sqs/queuePolicy:QueuePolicy": ["policy"],
    "aws-native:iam:ManagedPolicy": ["policyDocument"],
    "aws-native:iam:RolePolicy": ["policyDocument"],
    "aws-native:iam:UserPolicy": ["policyDocument"],
    "aws-native:iam:GroupPolicy": ["policyDocument"],
};

/** Inline policy lists: classic Role.inlinePolicies[].policy, aws-native Role/User/Group.policies[].policyDocument. */
const INLINE_LISTS: Record<string, [string, string]> = {
    "aws:iam/role:Role": ["inlinePolicies", "policy"],
    "aws-native:iam:Role": ["policies", "policyDocument"],
    "aws-native:iam:User": ["policies", "policyDocument"],
    "aws-native:iam:Group": ["policies", "policyDocument"],
};

const label = (s: Statement) => `Statement ${s.sid ?? "(no Sid)"}`;

/** Violations of one Allow statement: every action (of a service) on every resource, or PassRole on every role. */
function violations(s: Statement): string[] {
    const resources = s.resource ?? [];
    const everyResource = s.notResource !== undefined || resources.some(isEveryResource);
    const wildcards = (s.action ?? []).filter((a) => coversEveryAction(a));
    const out: string[] = [];
    const broad = everyResource && (wildcards.length > 0 || s.notAction !== undefined);
    if (broad) {
        out.push(
            `${label(s)} allows ${wildcards.length > 0 ? wildcards.join(", ") : "NotAction"} on every resource; list the actions the principal needs and the resources they apply to.`,
        );
    }
    // Already reported above when the statement allows everything on every resource.
    const passRole = (s.action ?? []).filter(
        (a) => globMatch(a, "iam:PassRole", true) && !(broad && wildcards.includes(a)),
    );
    const everyRole = s.notResource !== undefined || resources.some(isEveryRole);
    if (passRole.length > 0 && everyRole) {
        out.push(`${label(s)} allows ${passRole.join(", ")} on every role; name the roles the principal may pass.`);
    }
    return out;
}

export const iamNoWildcardAllow: ResourceValidationPolicy = {
    name: "iam-no-wildcard-allow",
    description:
        'No policy statement may allow every action ("*", "*:*") or every action of a service ("s3:*", "s3:?*") on every resource, nor iam:PassRole on every role.',
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const [list, field] = INLINE_LISTS[args.type] ?? [];
        const documents = [
            ...(POLICY_PROPERTIES[args.type] ?? []).map((p) => args.props[p]),
            ...(list ? (listProperty(args.props[list]) ?? []).map((p: any) => p?.[field]) : []),
        ];
        for (const statement of documents.flatMap((d) => parsePolicy(d) ?? [])) {
            if (statement.effect === "Allow") violations(statement).forEach((m) => report(m));
        }
    },
};
