import {
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { AccessResult, Finding, publicAccess } from "./lib/access";
import { parsePolicy } from "./lib/document";
import { ALLOWED_CIDRS_SCHEMA, findingSentence, fixFor, unreadableMessage } from "./lib/findings";
import { isTrue, listProperty, objectProperty } from "./lib/props";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export interface OpenSearchNoPublicAccessConfig {
    /** Public source ranges the organization owns; a wildcard principal limited to these is not public. */
    allowedCidrs?: string[];
    /**
     * Accounts whose principals may reach a domain (named in an access policy, admitted by a
     * condition, its master user, or authorized to create a VPC endpoint); empty means any account.
     */
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

/** A domain is in a VPC when it names subnets, every one a real ID (classic and aws-native spell it alike). */
function inVpc(props: Record<string, any>): boolean {
    const subnets = listProperty(objectProperty(props.vpcOptions)?.subnetIds) ?? [];
    return subnets.length > 0 && subnets.every((s) => typeof s === "string" && s.trim() !== "");
}

const ONLY_ALLOWED = "name only roles of the accounts in allowedPrincipalAccounts";

const foreignMessage = (subject: string, foreign: readonly string[]) =>
    `${subject} names principals outside the allowed accounts (${foreign.join(", ")}); ${ONLY_ALLOWED}.`;

const NOT_IN_VPC =
    "The OpenSearch domain is not in a VPC. This product runs search domains in a VPC only, whatever their access policy says (a public endpoint is one policy edit away from the internet); set vpcOptions.subnetIds and vpcOptions.securityGroupIds.";

const ANONYMOUS_AUTH =
    "The OpenSearch domain lets anonymous users in (advancedSecurityOptions.anonymousAuthEnabled is true); set it to false.";

/**
 * What an access policy lets the accounts outside allowedPrincipalAccounts do, beyond naming
 * their principals outright (`foreignPrincipals` reports those): a wildcard principal that a
 * condition limits to such an account is still that account.
 */
function outsideAccounts(subject: string, policy: unknown, config: OpenSearchNoPublicAccessConfig): string[] {
    const allowed = config.allowedPrincipalAccounts ?? [];
    if (allowed.length === 0 || policy === undefined || policy === null || policy === "") return [];
    const result = publicAccess(policy, {
        allowedCidrs: config.allowedCidrs,
        actionScope: "es:*",
        trustedAccounts: allowed,
        namedAccountsOnly: true,
    });
    if (!result.readable) return [unreadableMessage(subject, result)];
    const accountIn = (f: Finding) => (f.adversary.principal.kind === "account" ? f.adversary.principal.account : "");
    const namedOutright = (f: Finding) =>
        (f.statement.principal ?? []).some((e) => e.key.toLowerCase() === "aws" && accountOf(e.value) === accountIn(f));
    const foreign = foreignPrincipals(policy, allowed);
    return [
        ...(foreign.length > 0 ? [foreignMessage(subject, foreign)] : []),
        ...result.findings
            .filter((f) => f.adversary.principal.kind === "account" && !namedOutright(f))
            .map(
                (f) =>
                    `${subject}: ${findingSentence(f)}, an account outside allowedPrincipalAccounts; ${ONLY_ALLOWED}.`,
            ),
    ];
}

function validateDomain(args: ResourceValidationArgs, report: (message: string) => void) {
    const config = args.getConfig<OpenSearchNoPublicAccessConfig>();
    const props = args.props;
    if (!inVpc(props)) report(NOT_IN_VPC);
    const security = objectProperty(props.advancedSecurityOptions);
    if (isTrue(security?.anonymousAuthEnabled)) report(ANONYMOUS_AUTH);
    const master = objectProperty(security?.masterUserOptions)?.masterUserArn;
    const allowed = config.allowedPrincipalAccounts ?? [];
    if (typeof master === "string" && allowed.length > 0 && !allowed.includes(accountOf(master) ?? "")) {
        report(
            `The OpenSearch domain's master user ${master} is outside the allowed accounts; make a role of an account in allowedPrincipalAccounts the master user.`,
        );
    }
    outsideAccounts("The OpenSearch access policy", props.accessPolicies, config).forEach((m) => report(m));
}

/**
 * Where a resource lives: its own `region` input (AWS provider v7) or its provider's, and the
 * account its provider is pinned to. Providers reach stack policies with their inputs (props),
 * and are resources of the stack themselves.
 */
interface Location {
    readonly provider: string;
    readonly ownRegion?: string;
    readonly region?: string;
    readonly account?: string;
}

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

function locationOf(r: PolicyResource, resources: readonly PolicyResource[]): Location {
    const p = r.provider;
    const registered = p
        ? resources.find((x) => x.type === p.type && (p.urn ? x.urn === p.urn : x.name === p.name))
        : undefined;
    const props = { ...registered?.props, ...p?.props };
    const accounts = listProperty(props.allowedAccountIds);
    return {
        provider: p ? p.urn || `${p.type}::${p.name}` : "",
        ownRegion: text(r.props.region),
        region: text(r.props.region) ?? text(props.region),
        account: accounts?.length === 1 ? String(accounts[0]) : undefined,
    };
}

/**
 * Are two resources in the same account and Region for sure? The same provider and the same
 * region override, or Regions and pinned accounts known on both sides and equal. When it cannot
 * be told, they are not paired: a policy judged on its own errs towards refusing.
 */
const sameLocation = (a: Location, b: Location) =>
    (a.provider === b.provider && a.ownRegion === b.ownRegion) ||
    (a.region !== undefined && a.region === b.region && a.account !== undefined && a.account === b.account);

/** The domains a domain policy attaches to: by name in the same account and Region, or by where its domainName came from. */
function domainsOf(policy: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    const domains = resources.filter((r) => TYPES.openSearchDomain.includes(r.type));
    const from = new Set((policy.propertyDependencies?.domainName ?? []).map((d) => d.urn));
    const name = policy.props.domainName;
    const here = locationOf(policy, resources);
    return domains.filter(
        (d) =>
            from.has(d.urn) ||
            (typeof name === "string" && d.props.domainName === name && sameLocation(locationOf(d, resources), here)),
    );
}

function validateDomainPolicy(
    policy: PolicyResource,
    resources: readonly PolicyResource[],
    config: OpenSearchNoPublicAccessConfig,
    report: (message: string, urn: string) => void,
) {
    const subject = `The OpenSearch domain policy ${policy.name}`;
    outsideAccounts(subject, policy.props.accessPolicies, config).forEach((m) => report(m, policy.urn));
    const domains = domainsOf(policy, resources);
    const open = domains.find((d) => !inVpc(d.props));
    // A domain in a VPC is reachable only from inside it; its domain's own violation covers the rest.
    if (domains.length > 0 && !open) return;
    const where = open
        ? `the domain ${open.name} is not in a VPC`
        : "its domain is not in this stack (in the same account and Region), so it cannot be shown to be in a VPC";
    const result: AccessResult = publicAccess(policy.props.accessPolicies, {
        allowedCidrs: config.allowedCidrs,
        actionScope: "es:*",
    });
    if (!result.readable) {
        report(unreadableMessage(subject, result, where), policy.urn);
        return;
    }
    for (const f of result.findings) {
        report(`${subject}: ${findingSentence(f)}, and ${where}; ${fixFor(f)}.`, policy.urn);
    }
}

/** Another account's VPC endpoint into a VPC-only domain is that account's way in. */
function validateEndpointAccess(args: ResourceValidationArgs, report: (message: string) => void) {
    const { allowedPrincipalAccounts } = args.getConfig<OpenSearchNoPublicAccessConfig>();
    const account = String(args.props.account ?? "");
    const subject = `OpenSearch VPC endpoint access ${args.name} (domain ${args.props.domainName ?? "unknown"})`;
    if (!/^\d{12}$/.test(account)) {
        report(
            `${subject} authorizes "${account}", which is not one account ID; authorize one account of allowedPrincipalAccounts.`,
        );
    } else if ((allowedPrincipalAccounts ?? []).length > 0 && !allowedPrincipalAccounts!.includes(account)) {
        report(
            `${subject} lets account ${account} create VPC endpoints into the domain, and it is outside the allowed accounts; authorize only accounts in allowedPrincipalAccounts.`,
        );
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
                    "Accounts whose principals may reach a domain (in its access policy, as its master user, or through a VPC endpoint of theirs); empty allows any named account.",
            },
        },
    },
    validateResource: [
        forTypes(TYPES.openSearchDomain, (_props, args, report) => validateDomain(args, report)),
        forTypes(TYPES.openSearchEndpointAccess, (_props, args, report) => validateEndpointAccess(args, report)),
    ],
    validateStack: (args, report) => {
        const config = args.getConfig<OpenSearchNoPublicAccessConfig>();
        for (const policy of args.resources.filter((r) => TYPES.openSearchDomainPolicy.includes(r.type))) {
            validateDomainPolicy(policy, args.resources, config, report);
        }
    },
};
