/**
 * The callers a resource policy must keep out, and what each can put in a request's context.
 *
 * Every condition key is, for a given adversary, one of:
 * - absent (an anonymous caller has no aws:PrincipalAccount; a caller from the internet has no
 *   aws:SourceVpce);
 * - chosen by the adversary, any value (aws:UserAgent, aws:Referer, sts:ExternalId, s3:prefix,
 *   kms:ViaService, tags they set, and every key this file does not name);
 * - fixed by who the adversary is but unknown to us: an `{owned}` run in a template (their
 *   account ID, their organization, their VPC endpoint's ID, their bucket's name). A condition
 *   that names a value outright keeps them out; a wildcard over that part lets them in;
 * - a set of addresses (aws:SourceIp: every public address outside the configured allowedCidrs).
 * Treating an unnamed key as "any value, or absent" is what makes the evaluation sound: it never
 * restricts an adversary more than AWS would.
 */
import { AddressSet, PUBLIC_ADDRESSES } from "./cidr";
import { Template, template } from "./glob";
import { identityProvider, identityProviderHost } from "./identityProviders";

export type ValueDomain =
    | { readonly kind: "string"; readonly templates: readonly Template[] }
    | { readonly kind: "ip"; readonly addresses: AddressSet }
    | { readonly kind: "bool"; readonly values: readonly boolean[] }
    /** Numbers, dates, binary: the adversary can make any comparison come out either way. */
    | { readonly kind: "free" };

export interface KeyDomain {
    /** The request may lack the key. */
    readonly absent: boolean;
    /** The values it may carry; undefined when it is always absent. */
    readonly values?: ValueDomain;
    /** A multivalued key (a set the adversary can choose, e.g. aws:TagKeys). */
    readonly multi?: boolean;
}

export type AdversaryPrincipal =
    | { readonly kind: "anonymous" }
    /** Any account we do not know (its ID owned), or one account a policy names (`account`). */
    | { readonly kind: "account"; readonly account?: string }
    | { readonly kind: "service"; readonly name: string }
    | { readonly kind: "federated"; readonly provider: string };

export interface Adversary {
    /** Stable id, e.g. "anonymous-internet". */
    readonly id: string;
    /** Who it is, for messages: "anonymous callers from the internet". */
    readonly description: string;
    readonly principal: AdversaryPrincipal;
    /** The domain of a condition key (any case). */
    domain(key: string): KeyDomain;
}

const ANY_STRING: ValueDomain = { kind: "string", templates: [template("{any}")] };
const CHOSEN: KeyDomain = { absent: true, values: ANY_STRING };
const ABSENT: KeyDomain = { absent: true };
const strings = (...texts: string[]): ValueDomain => ({ kind: "string", templates: texts.map(template) });
const present = (values: ValueDomain): KeyDomain => ({ absent: false, values });
const maybe = (values: ValueDomain): KeyDomain => ({ absent: true, values });
const bools = (...values: boolean[]): ValueDomain => ({ kind: "bool", values });

/** An ARN of the adversary's own account (IAM, STS or any regional service); accounts are 12 digits. */
const ACCOUNT_ARNS = ["arn:{any^:}:{any^:}:{any^:}:{account}:{any}"];
/** S3 ARNs carry no account; a bucket name is the adversary's (or can be claimed once freed). */
const BUCKET_ARNS = ["arn:{any^:}:s3:::{owned^/:}", "arn:{any^:}:s3:::{owned^/:}/{any}"];
/** The principals of an account: its IAM and STS ARNs. `account` is a template part ("{account}") or an ID. */
export const principalArns = (account: string) => [
    `arn:{any^:}:iam::${account}:{any}`,
    `arn:{any^:}:sts::${account}:{any}`,
];
const PRINCIPAL_ARNS = principalArns("{account}");
const ORG_ID = "o-{owned^/}";
const ORG_PATH = "o-{owned^/}/{any}";

type Network = "internet" | "vpce";

/** Keys that depend on where the request comes from. */
function networkKeys(network: Network, sourceIps: AddressSet): Record<string, KeyDomain> {
    return network === "internet"
        ? {
              "aws:sourceip": present({ kind: "ip", addresses: sourceIps }),
              "aws:sourcevpce": ABSENT,
              "aws:sourcevpc": ABSENT,
              "aws:vpcsourceip": ABSENT,
          }
        : {
              // Through a VPC endpoint in the adversary's own VPC: aws:SourceIp is absent.
              "aws:sourceip": ABSENT,
              "aws:sourcevpce": present(strings("vpce-{owned}")),
              "aws:sourcevpc": present(strings("vpc-{owned}")),
              "aws:vpcsourceip": present({ kind: "ip", addresses: AddressSet.ALL }),
          };
}

const NO_PRINCIPAL_KEYS: Record<string, KeyDomain> = {
    "aws:principalaccount": ABSENT,
    "aws:principalarn": ABSENT,
    "aws:principalorgid": ABSENT,
    "aws:principalorgpaths": ABSENT,
    "aws:principalisawsservice": present(bools(false)),
    "aws:principalservicename": ABSENT,
    "aws:principalservicenameslist": ABSENT,
    "kms:calleraccount": ABSENT,
    "aws:sourceaccount": ABSENT,
    "aws:sourcearn": ABSENT,
    "aws:sourceorgid": ABSENT,
    "aws:sourceorgpaths": ABSENT,
    "aws:username": ABSENT,
    "aws:multifactorauthpresent": ABSENT,
    "aws:multifactorauthage": ABSENT,
    "aws:calledvia": ABSENT,
    "aws:calledviafirst": ABSENT,
    "aws:calledvialast": ABSENT,
    "aws:viaawsservice": present(bools(false)),
};

const ACCOUNT_KEYS: Record<string, KeyDomain> = {
    ...NO_PRINCIPAL_KEYS,
    "aws:principalaccount": present(strings("{account}")),
    "kms:calleraccount": present(strings("{account}")),
    "aws:principalarn": present(strings(...PRINCIPAL_ARNS)),
    // Outside our organization: in none, or in one of their own.
    "aws:principalorgid": maybe(strings(ORG_ID)),
    "aws:principalorgpaths": { absent: true, values: strings(ORG_PATH), multi: true },
    "aws:userid": present(strings("{owned^:}", "{owned^:}:{any}")),
    "aws:username": CHOSEN,
    "aws:principaltype": CHOSEN,
    "aws:multifactorauthpresent": maybe(bools(true, false)),
    "aws:multifactorauthage": maybe({ kind: "free" }),
    "aws:calledvia": { absent: true, values: ANY_STRING, multi: true },
    "aws:calledviafirst": CHOSEN,
    "aws:calledvialast": CHOSEN,
    "aws:viaawsservice": present(bools(true, false)),
};

const ANONYMOUS_KEYS: Record<string, KeyDomain> = {
    ...NO_PRINCIPAL_KEYS,
    "aws:userid": present(strings("anonymous")),
    "aws:principaltype": present(strings("Anonymous")),
    "aws:principaltag": ABSENT,
};

/** Multivalued keys the adversary fills as it likes. */
const MULTI_CHOSEN = new Set(["aws:tagkeys", "aws:principalservicenameslist", "aws:calledvia"]);

function serviceKeys(name: string, sourceIps: AddressSet): Record<string, KeyDomain> {
    return {
        ...NO_PRINCIPAL_KEYS,
        "aws:principalisawsservice": present(bools(true)),
        "aws:principalservicename": present(strings(name)),
        // The confused deputy: the service acts for a resource of another account.
        "aws:sourceaccount": present(strings("{account}")),
        "aws:sourcearn": present(strings(...ACCOUNT_ARNS, "arn:{any^:}:s3:::{any}")),
        "aws:sourceorgid": maybe(strings(ORG_ID)),
        "aws:sourceorgpaths": { absent: true, values: strings(ORG_PATH), multi: true },
        // A service's own address (if the request carries one) is AWS's, not the organization's.
        "aws:sourceip": maybe({ kind: "ip", addresses: sourceIps }),
        "aws:sourcevpce": ABSENT,
        "aws:sourcevpc": ABSENT,
        "aws:vpcsourceip": ABSENT,
        "aws:securetransport": present(bools(true)),
    };
}

/** Well-known keys every adversary with a principal may set or that are the resource's own. */
function commonDomain(key: string, specific: Record<string, KeyDomain>): KeyDomain {
    const k = key.toLowerCase();
    if (k in specific) return specific[k];
    if (k.startsWith("aws:principaltag/") && "aws:principaltag" in specific) return specific["aws:principaltag"];
    if (k === "aws:securetransport") return present(bools(true, false));
    if (k === "aws:currenttime" || k === "aws:epochtime" || k === "aws:tokenissuetime")
        return present({ kind: "free" });
    if (k.startsWith("kms:encryptioncontext:aws:") && k.endsWith(":arn")) {
        // Encryption context a service sets for the caller's own resource (S3, Logs, ...).
        return maybe(strings(...ACCOUNT_ARNS, ...BUCKET_ARNS));
    }
    if (MULTI_CHOSEN.has(k)) return { absent: true, values: ANY_STRING, multi: true };
    return CHOSEN;
}

function adversary(
    id: string,
    description: string,
    principal: AdversaryPrincipal,
    keys: Record<string, KeyDomain>,
): Adversary {
    return { id, description, principal, domain: (key) => commonDomain(key, keys) };
}

export interface AdversaryOptions {
    /** Public ranges the organization owns (its egress): callers from there are not adversaries. */
    readonly allowedCidrs?: AddressSet;
}

export function anonymousCallers(network: Network, options: AdversaryOptions = {}): Adversary {
    const ips = PUBLIC_ADDRESSES.subtract(options.allowedCidrs ?? AddressSet.EMPTY);
    return adversary(
        `anonymous-${network}`,
        network === "internet"
            ? "anonymous callers from the internet"
            : "anonymous callers through a VPC endpoint of their own",
        { kind: "anonymous" },
        { ...ANONYMOUS_KEYS, ...networkKeys(network, ips) },
    );
}

/**
 * The principals of one account a policy names, when that account is not among the trusted ones
 * (opensearch-no-public-access's allowedPrincipalAccounts). Its organization is unknown: it may
 * even be ours, so an organization condition does not keep it out.
 */
export function namedAccount(account: string, options: AdversaryOptions = {}): Adversary {
    const ips = PUBLIC_ADDRESSES.subtract(options.allowedCidrs ?? AddressSet.EMPTY);
    return adversary(
        `account:${account}`,
        `principals of account ${account}`,
        { kind: "account", account },
        {
            ...ACCOUNT_KEYS,
            "aws:principalaccount": present(strings(account)),
            "kms:calleraccount": present(strings(account)),
            "aws:principalarn": present(strings(...principalArns(account))),
            "aws:principalorgid": CHOSEN,
            "aws:principalorgpaths": { absent: true, values: ANY_STRING, multi: true },
            ...networkKeys("internet", ips),
        },
    );
}

export function foreignAccounts(network: Network, options: AdversaryOptions = {}): Adversary {
    const ips = PUBLIC_ADDRESSES.subtract(options.allowedCidrs ?? AddressSet.EMPTY);
    return adversary(
        `account-${network}`,
        network === "internet"
            ? "principals of any AWS account"
            : "principals of any AWS account through a VPC endpoint of their own",
        { kind: "account" },
        { ...ACCOUNT_KEYS, ...networkKeys(network, ips) },
    );
}

/** A service principal acting for a resource of any account; name "*" for any service a wildcard admits. */
export function serviceForAnyAccount(name: string, options: AdversaryOptions = {}): Adversary {
    const anyService = name === "*";
    const ips = PUBLIC_ADDRESSES.subtract(options.allowedCidrs ?? AddressSet.EMPTY);
    return adversary(
        `service:${name}`,
        anyService ? "any AWS service acting for any account" : `the service ${name} acting for any account`,
        { kind: "service", name },
        { ...serviceKeys(name, ips), ...(anyService ? { "aws:principalservicename": present(ANY_STRING) } : {}) },
    );
}

export function webIdentity(provider: string, options: AdversaryOptions = {}): Adversary {
    const host = identityProviderHost(provider);
    const claims = Object.fromEntries(
        Object.entries(identityProvider(host).claims).map(([claim, templates]) => [
            `${host}:${claim}`,
            present(strings(...templates)),
        ]),
    );
    const ips = PUBLIC_ADDRESSES.subtract(options.allowedCidrs ?? AddressSet.EMPTY);
    return adversary(
        `federated:${host}`,
        `any identity of ${host}`,
        { kind: "federated", provider },
        { ...NO_PRINCIPAL_KEYS, ...networkKeys("internet", ips), ...claims },
    );
}
