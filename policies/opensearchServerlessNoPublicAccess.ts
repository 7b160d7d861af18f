import { ResourceValidationPolicy } from "@pulumi/policy";
import { decodeJson, stringList } from "./lib/document";
import { patternMatchesTemplate, template } from "./lib/glob";
import { isTrue } from "./lib/props";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

/**
 * Principals of a data access policy that could be someone else's: "*", or a pattern whose
 * account (or SAML / IAM Identity Center owner) part is a wildcard. A named role is not public.
 */
const FOREIGN_PRINCIPALS = [
    template("arn:{any^:}:iam::{owned^:}:{any}"),
    template("arn:{any^:}:sts::{owned^:}:{any}"),
    template("saml/{owned^/}/{any}"),
    template("iamidentitycenter/{owned^/}/{any}"),
];

const isForeignPrincipal = (p: string) => p === "*" || FOREIGN_PRINCIPALS.some((t) => patternMatchesTemplate(p, t));

/** OpenSearch Serverless policies are a list of rules (a single rule object is read as a list of one). */
function rulesOf(policy: unknown): Record<string, any>[] | undefined {
    const doc = decodeJson(policy);
    const list = Array.isArray(doc) ? doc : typeof doc === "object" && doc !== null ? [doc] : undefined;
    if (!list || list.some((r) => typeof r !== "object" || r === null || Array.isArray(r))) return undefined;
    return list as Record<string, any>[];
}

const resourcesOf = (rule: Record<string, any>) =>
    (Array.isArray(rule.Rules) ? rule.Rules : []).flatMap((r: any) => stringList(r?.Resource) ?? []);

const permissionsOf = (rule: Record<string, any>) =>
    (Array.isArray(rule.Rules) ? rule.Rules : []).flatMap((r: any) => stringList(r?.Permission) ?? []);

export const opensearchServerlessNoPublicAccess: ResourceValidationPolicy = {
    name: "opensearch-serverless-no-public-access",
    description:
        "OpenSearch Serverless collections must not be reachable from the internet (no AllowFromPublic network rule) nor grant data access to principals of any account.",
    enforcementLevel: "mandatory",
    validateResource: [
        forTypes(TYPES.serverlessSecurityPolicy, (props, args, report) => {
            if (String(props.type).toLowerCase() !== "network") return;
            const rules = rulesOf(props.policy);
            if (!rules) {
                report(
                    `OpenSearch Serverless network policy ${args.name} cannot be read as a list of rules, so it cannot be shown to be private; give a JSON list of rules with AllowFromPublic false.`,
                );
                return;
            }
            rules.forEach((rule, i) => {
                if (!isTrue(rule.AllowFromPublic)) return;
                const resources = resourcesOf(rule);
                report(
                    `OpenSearch Serverless network policy ${args.name} (rule #${i + 1}) allows public access (AllowFromPublic) to ${resources.length > 0 ? resources.join(", ") : "its collections"}; set AllowFromPublic to false and list SourceVPCEs instead.`,
                );
            });
        }),
        forTypes(TYPES.serverlessAccessPolicy, (props, args, report) => {
            if (String(props.type).toLowerCase() !== "data") return;
            const rules = rulesOf(props.policy);
            if (!rules) {
                report(
                    `OpenSearch Serverless data access policy ${args.name} cannot be read as a list of rules, so it cannot be shown to be private; give a JSON list of rules naming principals.`,
                );
                return;
            }
            rules.forEach((rule, i) => {
                const foreign = (stringList(rule.Principal) ?? []).filter(isForeignPrincipal);
                if (foreign.length === 0) return;
                report(
                    `OpenSearch Serverless data access policy ${args.name} (rule #${i + 1}) grants ${permissionsOf(rule).join(", ") || "access"} to principals of any account (${foreign.join(", ")}); name roles of your own accounts.`,
                );
            });
        }),
    ],
};
