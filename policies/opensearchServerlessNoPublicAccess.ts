import { ResourceValidationPolicy } from "@pulumi/policy";
import { stringList } from "./lib/document";
import { readJson } from "./lib/json";
import { patternMatchesTemplate, template } from "./lib/glob";
import { isTrue } from "./lib/props";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

/**
 * Principals of a data access policy that could be someone else's: "*", or a pattern whose
 * account (or SAML / IAM Identity Center owner) part is a wildcard. A named role is not public.
 */
const FOREIGN_PRINCIPALS = [
    template("arn:{any^:}:iam::{account}:{any}"),
    template("arn:{any^:}:sts::{account}:{any}"),
    template("saml/{owned^/}/{any}"),
    template("iamidentitycenter/{owned^/}/{any}"),
];

const isForeignPrincipal = (p: string) => p === "*" || FOREIGN_PRINCIPALS.some((t) => patternMatchesTemplate(p, t));

/** The keys of the rule grammar, as AWS spells them. */
const GRAMMAR = [
    "Rules",
    "AllowFromPublic",
    "SourceVPCEs",
    "SourceServices",
    "Description",
    "Principal",
    "ResourceType",
    "Resource",
    "Permission",
];

/** A key of one object that is a grammar key spelled in another case, or two keys that differ only in case. */
function caseProblem(value: unknown, where: string): string | undefined {
    if (Array.isArray(value)) {
        return value.map((item) => caseProblem(item, where)).find(Boolean);
    }
    if (typeof value !== "object" || value === null) return undefined;
    const seen = new Map<string, string>();
    for (const [key, inner] of Object.entries(value)) {
        const proper = GRAMMAR.find((g) => g.toLowerCase() === key.toLowerCase());
        if (proper && proper !== key) return `${where} spells ${proper} as ${key}`;
        const twin = seen.get(key.toLowerCase());
        if (twin !== undefined) return `${where} has the keys ${twin} and ${key}`;
        seen.set(key.toLowerCase(), key);
        const problem = caseProblem(inner, where);
        if (problem) return problem;
    }
    return undefined;
}

type Rules = { readonly rules: Record<string, any>[] } | { readonly unreadable: true } | { readonly ambiguity: string };

/**
 * OpenSearch Serverless policies are a list of rules (a single rule object is read as a list of
 * one). A key written twice, or spelled in another case than the grammar (`allowFromPublic`),
 * could be read differently by AWS: refused as ambiguous rather than read one way.
 */
function rulesOf(policy: unknown): Rules {
    let doc: unknown = policy;
    if (typeof policy === "string") {
        const reading = readJson(policy);
        if (!reading) return { unreadable: true };
        const [duplicate] = reading.duplicates;
        if (duplicate) return { ambiguity: `a rule has the key ${duplicate.key} twice` };
        doc = reading.value;
    }
    const list = Array.isArray(doc) ? doc : typeof doc === "object" && doc !== null ? [doc] : undefined;
    if (!list || list.some((r) => typeof r !== "object" || r === null || Array.isArray(r))) return { unreadable: true };
    for (const [i, rule] of list.entries()) {
        const problem = caseProblem(rule, `rule #${i + 1}`);
        if (problem) return { ambiguity: problem };
    }
    return { rules: list as Record<string, any>[] };
}

const ambiguous = (subject: string, reason: string) =>
    `${subject} is ambiguous: ${reason}. AWS and this pack could read it differently, so it cannot be shown to be private; write each key once, spelled as AWS spells it.`;

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
            const subject = `OpenSearch Serverless network policy ${args.name}`;
            const read = rulesOf(props.policy);
            if ("ambiguity" in read) return report(ambiguous(subject, read.ambiguity));
            if ("unreadable" in read) {
                report(
                    `${subject} cannot be read as a list of rules, so it cannot be shown to be private; give a JSON list of rules with AllowFromPublic false.`,
                );
                return;
            }
            read.rules.forEach((rule, i) => {
                if (!isTrue(rule.AllowFromPublic)) return;
                const resources = resourcesOf(rule);
                report(
                    `OpenSearch Serverless network policy ${args.name} (rule #${i + 1}) allows public access (AllowFromPublic) to ${resources.length > 0 ? resources.join(", ") : "its collections"}; set AllowFromPublic to false and list SourceVPCEs instead.`,
                );
            });
        }),
        forTypes(TYPES.serverlessAccessPolicy, (props, args, report) => {
            if (String(props.type).toLowerCase() !== "data") return;
            const subject = `OpenSearch Serverless data access policy ${args.name}`;
            const read = rulesOf(props.policy);
            if ("ambiguity" in read) return report(ambiguous(subject, read.ambiguity));
            if ("unreadable" in read) {
                report(
                    `${subject} cannot be read as a list of rules, so it cannot be shown to be private; give a JSON list of rules naming principals.`,
                );
                return;
            }
            read.rules.forEach((rule, i) => {
                const foreign = (stringList(rule.Principal) ?? []).filter(isForeignPrincipal);
                if (foreign.length === 0) return;
                report(
                    `OpenSearch Serverless data access policy ${args.name} (rule #${i + 1}) grants ${permissionsOf(rule).join(", ") || "access"} to principals of any account (${foreign.join(", ")}); name roles of your own accounts.`,
                );
            });
        }),
    ],
};
