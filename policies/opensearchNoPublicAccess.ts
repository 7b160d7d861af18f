import { ResourceValidationPolicy } from "@pulumi/policy";
import { Statement, conditionValues, isAllow, isWildcardPrincipal, principalsOf, statementsOf } from "./lib/policyJson";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export interface OpenSearchNoPublicAccessConfig {
    /** Source-IP ranges a wildcard principal may be limited to; empty means any range that is not open to the world. */
    allowedCidrs: string[];
    /** Accounts whose principals may be named in an access policy (admins, loaders); empty means any account. */
    allowedPrincipalAccounts: string[];
}

/** The account of a principal given as an account ID or an IAM ARN; undefined otherwise. */
const accountOf = (principal: string) =>
    /^\d{12}$/.test(principal) ? principal : /^arn:aws[\w-]*:iam::(\d{12}):/.exec(principal)?.[1];

/** Named AWS principals of allowing statements that belong to none of `accounts`. */
export function foreignPrincipals(policy: unknown, accounts: readonly string[]): string[] {
    if (accounts.length === 0) return [];
    return (statementsOf(policy) ?? [])
        .filter(isAllow)
        .flatMap((s) => principalsOf(s.Principal))
        .filter((p) => p !== "*" && !p.endsWith(".amazonaws.com"))
        .filter((p) => !accounts.includes(accountOf(p) ?? ""));
}

const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

/** Why a wildcard statement is still private, or undefined if nothing restricts it. */
export function restriction(statement: Statement, allowedCidrs: readonly string[]): string | undefined {
    const restricting = (key: string, operator = /^String(Equals|Like)/i) =>
        conditionValues(statement, key, operator).filter((v) => v !== "" && v !== "*");
    if (restricting("aws:SourceVpce").length > 0) return "a source VPC endpoint";
    if (restricting("aws:SourceVpc").length > 0) return "a source VPC";
    if (restricting("aws:PrincipalOrgID").length > 0) return "the organization";
    if (restricting("aws:PrincipalAccount").length > 0) return "an account";
    const cidrs = conditionValues(statement, "aws:SourceIp", /^IpAddress/i);
    if (
        cidrs.length > 0 &&
        cidrs.every((c) => !OPEN_CIDRS.has(c) && (allowedCidrs.length === 0 || allowedCidrs.includes(c)))
    ) {
        return "a source IP range";
    }
    return undefined;
}

/** The first statement that grants the world access, if any. */
export function publicStatement(policy: unknown, allowedCidrs: readonly string[]): Statement | undefined {
    const statements = statementsOf(policy);
    // A policy that cannot be read cannot be shown to be private.
    if (statements === undefined) return { Effect: "Allow", Principal: "*" };
    return statements.find((s) => isAllow(s) && isWildcardPrincipal(s) && restriction(s, allowedCidrs) === undefined);
}

const inVpc = (props: Record<string, any>) =>
    Array.isArray(props.vpcOptions?.subnetIds) && props.vpcOptions.subnetIds.length > 0;

export const opensearchNoPublicAccess: ResourceValidationPolicy = {
    name: "opensearch-no-public-access",
    description:
        "OpenSearch domains must never be reachable from the internet: they are placed in a VPC, or their access policy grants no wildcard principal without a restricting condition.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedCidrs: {
                type: "array",
                items: { type: "string" },
                default: [],
                description:
                    "Source-IP ranges a wildcard principal may be limited to; empty allows any range that is not open to the world.",
            },
        },
    },
    validateResource: forTypes([...TYPES.openSearchDomain, ...TYPES.openSearchDomainPolicy], (props, args, report) => {
        const { allowedCidrs, allowedPrincipalAccounts } = args.getConfig<OpenSearchNoPublicAccessConfig>();
        const isDomain = TYPES.openSearchDomain.includes(args.type);
        const foreign = foreignPrincipals(props.accessPolicies, allowedPrincipalAccounts ?? []);
        if (foreign.length > 0) {
            report(
                `The OpenSearch access policy names principals outside the allowed accounts (${foreign.join(", ")}); ` +
                    "name only roles of the accounts in allowedPrincipalAccounts.",
            );
        }
        if (isDomain && inVpc(props)) return;
        if (isDomain && props.accessPolicies === undefined) {
            report(
                "The OpenSearch domain is not in a VPC and has no access policy here; place it in a VPC (vpcOptions.subnetIds) so it is never public.",
            );
            return;
        }
        const open = publicStatement(props.accessPolicies, allowedCidrs ?? []);
        if (open) {
            report(
                `The ${isDomain ? "OpenSearch domain is not in a VPC and its" : "OpenSearch domain policy's"} access policy grants a wildcard principal` +
                    `${open.Sid ? ` (statement ${open.Sid})` : ""} without a restricting condition (source VPC endpoint, a source IP range that is not open to the world, or the organization); ` +
                    "place the domain in a VPC or name the principals.",
            );
        }
    }),
};
