import { ResourceValidationPolicy } from "@pulumi/policy";
import { Statement, readPolicy } from "./lib/document";
import { AMBIGUOUS_FIX } from "./lib/findings";
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
    "aws:kms/replicaKey:ReplicaKey": ["policy"],
    "aws:kms/externalKey:ExternalKey": ["policy"],
    "aws:kms/replicaExternalKey:ReplicaExternalKey": ["policy"],
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": ["inlinePolicy"],
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
        const what = wildcards.length > 0 ? wildcards.join(", ") : `every action except ${s.notAction!.join(", ")}`;
        out.push(
            `${label(s)} allows ${what} on every resource; list the actions the principal needs and the resources they apply to.`,
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
        for (const document of documents) {
            const reading = readPolicy(document);
            if (reading.kind === "ambiguous") {
                // Two readings: the one AWS applies could be the wildcard this policy looks for.
                report(
                    `The policy document of ${args.type} ${args.name} is ambiguous: ${reading.reason}; ${AMBIGUOUS_FIX}.`,
                );
            }
            for (const statement of reading.kind === "read" ? reading.statements : []) {
                if (statement.effect === "Allow") violations(statement).forEach((m) => report(m));
            }
        }
    },
};
