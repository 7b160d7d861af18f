import { ResourceValidationPolicy } from "@pulumi/policy";
import { listProperty, objectProperty } from "./lib/props";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

/** Canned ACLs that grant to everyone (AllUsers) or to every AWS account (AuthenticatedUsers). */
const PUBLIC_CANNED: Record<string, string> = {
    "public-read": "AllUsers",
    "public-read-write": "AllUsers",
    "authenticated-read": "AuthenticatedUsers",
    // aws-native spells canned ACLs in PascalCase.
    publicread: "AllUsers",
    publicreadwrite: "AllUsers",
    authenticatedread: "AuthenticatedUsers",
};

const PUBLIC_GROUPS = ["AllUsers", "AuthenticatedUsers"];

const groupOf = (uri: unknown) =>
    typeof uri === "string" ? PUBLIC_GROUPS.find((g) => uri.replace(/\/+$/, "").endsWith(`/global/${g}`)) : undefined;

/** Grants to public groups, as "READ to AllUsers", in the bucket's (`grants`) and BucketAcl's shapes. */
function publicGrants(props: Record<string, any>): string[] {
    const inline = (listProperty(props.grants) ?? []).flatMap((g: any) => {
        const group = groupOf(g?.uri);
        return group ? [`${(listProperty(g?.permissions) ?? []).join(", ") || "access"} to ${group}`] : [];
    });
    const policyGrants = listProperty(objectProperty(props.accessControlPolicy)?.grants) ?? [];
    const acl = policyGrants.flatMap((g: any) => {
        const group = groupOf(g?.grantee?.uri);
        return group ? [`${g?.permission ?? "access"} to ${group}`] : [];
    });
    return [...inline, ...acl];
}

export const s3BucketNoPublicAcl: ResourceValidationPolicy = {
    name: "s3-bucket-no-public-acl",
    description:
        "No S3 bucket or object ACL (objects uploaded or copied) may grant access to AllUsers or AuthenticatedUsers, by a canned ACL or an explicit grant.",
    enforcementLevel: "mandatory",
    validateResource: forTypes([...TYPES.bucket, ...TYPES.bucketAcl, ...TYPES.bucketObject], (props, args, report) => {
        const canned = props.acl ?? props.accessControl;
        const group = typeof canned === "string" ? PUBLIC_CANNED[canned.toLowerCase()] : undefined;
        if (group) {
            report(
                `${args.type} ${args.name} uses the canned ACL ${canned}, which grants access to ${group}; drop the ACL (object ownership BucketOwnerEnforced disables ACLs).`,
            );
        }
        for (const grant of publicGrants(props)) {
            report(`${args.type} ${args.name} grants ${grant}; remove the grant.`);
        }
    }),
};
