import {
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { publicAccess } from "./lib/access";
import { parsePolicy } from "./lib/document";
import { ALLOWED_CIDRS_SCHEMA, findingSentence, fixFor, UNREADABLE_FIX } from "./lib/findings";
import { isTrue, listProperty, objectProperty } from "./lib/props";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export interface OpenSearchNoPublicAccessConfig {
    /** Public source ranges the organization owns; a wildcard principal limited to these is not public. */
    allowedCidrs?: string[];
    /** Accounts whose principals may be named in an access policy (admins, loaders); empty means any account. */
    allowedPrincipalAccounts?: string[];
}

/** The account of a principal given as an account ID or an IAM ARN; undefined otherwise. */
const accountOf = (principal: string) =>
    /^\d{12}$/.test(principal) ? principal : /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];

/** Principals named by allowing statements (AWS entries, not wildcards) that belong to none of `accounts`. */
export function foreignPrincipals(policy: unknown, accounts: readonly string[]): string[] {
    if (accounts.length === 0) return [];
    return (parsePolicy(policy) ?? [])
        .filter((s) => s.effect === "Allow")
        .flatMap((s) => s.principal ?? [])
        .filter((e) => e.key.toLowerCase() === "aws" && e.value !== "*")
        .map((e) => e.value)
        .filter((p) => !accounts.includes(accountOf(p) ?? ""));
}

/** A domain is in a VPC when it names subnets (classic and aws-native spell it alike). */
const inVpc = (props: Record<string, any>) =>
    (listProperty(objectProperty(props.vpcOptions)?.subnetIds) ?? []).length > 0;

const foreignMessage = (subject: string, foreign: readonly string[]) =>
    `${subject} names principals outside the allowed accounts (${foreign.join(", ")}); name only roles of the accounts in allowedPrincipalAccounts.`;

const NOT_IN_VPC =
    "The OpenSearch domain is not in a VPC. This product runs search domains in a VPC only, whatever their access policy says (a public endpoint is one policy edit away from the internet); set vpcOptions.subnetIds and vpcOptions.securityGroupIds.";

const ANONYMOUS_AUTH =
    "The OpenSearch domain lets anonymous users in (advancedSecurityOptions.anonymousAuthEnabled is true); set it to false.";

function validateDomain(args: ResourceValidationArgs, report: (message: string) => void) {
    const { allowedPrincipalAccounts } = args.getConfig<OpenSearchNoPublicAccessConfig>();
    const props = args.props;
    if (!inVpc(props)) report(NOT_IN_VPC);
    if (isTrue(objectProperty(props.advancedSecurityOptions)?.anonymousAuthEnabled)) report(ANONYMOUS_AUTH);
    const foreign = foreignPrincipals(props.accessPolicies, allowedPrincipalAccounts ?? []);
    if (foreign.length > 0) report(foreignMessage("The OpenSearch access policy", foreign));
}

/** The domain a domain policy attaches to: by name, or by where its domainName came from. */
function domainOf(policy: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
    const domains = resources.filter((r) => TYPES.openSearchDomain.includes(r.type));
    const name = policy.props.domainName;
    if (typeof name === "string") return domains.find((d) => d.props.domainName === name);
    const from = new Set((policy.propertyDependencies?.domainName ?? []).map((d) => d.urn));
    return domains.find((d) => from.has(d.urn));
}

function validateDomainPolicy(
    policy: PolicyResource,
    resources: readonly PolicyResource[],
    config: OpenSearchNoPublicAccessConfig,
    report: (message: string, urn: string) => void,
) {
    const subject = `The OpenSearch domain policy ${policy.name}`;
    const foreign = foreignPrincipals(policy.props.accessPolicies, config.allowedPrincipalAccounts ?? []);
    if (foreign.length > 0) report(foreignMessage(subject, foreign), policy.urn);
    const domain = domainOf(policy, resources);
    // A domain in a VPC is reachable only from inside it; its domain's own violation covers the rest.
    if (domain && inVpc(domain.props)) return;
    const where = domain
        ? `the domain ${domain.name} is not in a VPC`
        : "its domain is not in this stack, so it cannot be shown to be in a VPC";
    const result = publicAccess(policy.props.accessPolicies, {
        allowedCidrs: config.allowedCidrs,
        actionScope: "es:*",
    });
    if (!result.readable) {
        report(
            `${subject} cannot be read as a policy document and ${where}, so it cannot be shown to be private; ${UNREADABLE_FIX}.`,
            policy.urn,
        );
        return;
    }
    for (const f of result.findings) {
        report(`${subject}: ${findingSentence(f)}, and ${where}; ${fixFor(f)}.`, policy.urn);
    }
}

/**
 * Resource checks run before a domain is created; a separate domain policy is judged at stack
 * level, together with the domain it attaches to.
 */
export const opensearchNoPublicAccess: ResourceValidationPolicy & Pick<StackValidationPolicy, "validateStack"> = {
    name: "opensearch-no-public-access",
    description:
        "OpenSearch domains must never be reachable from the internet: they run in a VPC, without anonymous access, and no access policy opens them to callers outside the organization.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            ...ALLOWED_CIDRS_SCHEMA,
            allowedPrincipalAccounts: {
                type: "array",
                items: { type: "string" },
                default: [],
                description:
                    "Accounts whose principals may be named in a domain access policy; empty allows any named account.",
            },
        },
    },
    validateResource: forTypes(TYPES.openSearchDomain, (_props, args, report) => validateDomain(args, report)),
    validateStack: (args, report) => {
        const config = args.getConfig<OpenSearchNoPublicAccessConfig>();
        for (const policy of args.resources.filter((r) => TYPES.openSearchDomainPolicy.includes(r.type))) {
            validateDomainPolicy(policy, args.resources, config, report);
        }
    },
};
