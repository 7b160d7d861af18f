/**
 * What a resource policy ALLOWS, decided by evaluation rather than by spelling: for each
 * adversary (see adversaries.ts), is there an allowed action it can get, with a request context
 * it can produce, that no Deny of the same policy takes away?
 *
 * AWS's decision for one request is: an explicit Deny wins, then an Allow, else the implicit
 * deny. So an Allow statement is reachable by an adversary when
 *   - its Principal (or NotPrincipal) admits the adversary,
 *   - and some value of every condition key satisfies its conditions
 *   - while, for every Deny that surely applies to that adversary, action and resource, at
 *     least one of the Deny's conditions is false for the same values.
 * A Deny counts only when it surely applies (its principal, action and resource cover the
 * request whatever the adversary chooses); an Allow counts whenever it might. Both choices err
 * towards "reachable", so a policy is never called private when an adversary can get in.
 */
import { AddressSet, parseCidrs } from "./cidr";
import {
    Adversary,
    anonymousCallers,
    foreignAccounts,
    namedAccount,
    principalArns,
    serviceForAnyAccount,
    webIdentity,
} from "./adversaries";
import { ConditionEntry, PrincipalEntry, Statement, readPolicy } from "./document";
import { isSharedIdentityProvider } from "./identityProviders";
import { globCovers, globMatch, patternMatchesTemplate, patternsIntersect, template, templateAsPattern } from "./glob";
import { Operator, parseOperator } from "./operators";
import { Requirement, cartesian, satisfiable } from "./solver";

/** Resource policies (buckets, keys, domains, functions) or role trust policies. */
export type PolicyKind = "resource" | "trust";

export interface AccessOptions {
    readonly kind?: PolicyKind;
    /** Public source ranges the organization owns; callers from there are not adversaries. */
    readonly allowedCidrs?: readonly string[];
    /**
     * The resources the policy governs (e.g. a bucket and its objects). An Allow on `*` in a
     * bucket policy only ever means this bucket: with a scope, Denies on the bucket's ARNs cover it.
     */
    readonly scope?: readonly string[];
    /**
     * The actions the resource answers to, e.g. `s3:*` for a bucket: an Allow of `*` or a
     * NotAction then means those, and a Deny of `s3:*` covers it.
     */
    readonly actionScope?: string;
    /**
     * The service takes only signed requests (KMS, SNS, EventBridge, Lambda's API...): there are
     * no anonymous callers, and `"*"` means principals of any AWS account.
     */
    readonly signedOnly?: boolean;
    /**
     * When given, accounts the policy names (12-digit IDs anywhere in it) that are not in this
     * list are adversaries too: a grant to them is not deliberate but outside the allowed set.
     */
    readonly trustedAccounts?: readonly string[];
    /** Judge only the named accounts outside `trustedAccounts` (e.g. a domain already in a VPC). */
    readonly namedAccountsOnly?: boolean;
}

export interface Finding {
    readonly statement: Statement;
    readonly adversary: Adversary;
    /** The allowed action the adversary gets, as the policy writes it. */
    readonly action: string;
    readonly resource: string;
}

export type AccessResult =
    /** `ambiguity` says why a document that parses could be read two ways; absent when it is not a policy at all. */
    | { readonly readable: false; readonly ambiguity?: string }
    | { readonly readable: true; readonly findings: Finding[] };

/** A principal is a service principal only as a bare `<name>.amazonaws.com` string under `Service`. */
export const isServicePrincipal = (value: string) => /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/i.test(value);

const keyIs = (entry: PrincipalEntry, key: string) => entry.key.toLowerCase() === key.toLowerCase();

/** Principal templates of an account: its IAM and STS ARNs and its bare ID. */
const accountPrincipals = (account: string) => [...principalArns(account), account].map(template);
/** "An IAM principal of some account that is not named." */
const ACCOUNT_PRINCIPALS = accountPrincipals("{account}");
const principalsOf = (p: { account?: string }) => (p.account ? accountPrincipals(p.account) : ACCOUNT_PRINCIPALS);

/** Entries read as account principals: AWS, unknown keys, and Service values that are not bare service names. */
const asAccountPrincipal = (entry: PrincipalEntry) =>
    !keyIs(entry, "Federated") &&
    !keyIs(entry, "CanonicalUser") &&
    !(keyIs(entry, "Service") && isServicePrincipal(entry.value));

/** Could this principal entry name (part of) the adversary? Wildcards read wide. */
function entryMayMatch(entry: PrincipalEntry, adversary: Adversary): boolean {
    if (entry.value === "*") return true;
    const p = adversary.principal;
    switch (p.kind) {
        case "anonymous":
            return false;
        case "account":
            return asAccountPrincipal(entry) && principalsOf(p).some((t) => patternMatchesTemplate(entry.value, t));
        case "service":
            return keyIs(entry, "Service") && globMatch(entry.value, p.name, true);
        case "federated":
            return keyIs(entry, "Federated") && entry.value === p.provider;
    }
}

/** Does this entry name the adversary whatever it chooses? Only "*", or the exact service or provider. */
function entryCovers(entry: PrincipalEntry, adversary: Adversary): boolean {
    const p = adversary.principal;
    if (entry.value === "*" && (entry.key === "*" || p.kind === "anonymous" || p.kind === "account")) {
        return entry.key === "*" || keyIs(entry, "AWS");
    }
    switch (p.kind) {
        case "account":
            return (
                asAccountPrincipal(entry) && principalsOf(p).every((t) => globCovers(entry.value, templateAsPattern(t)))
            );
        case "service":
            return keyIs(entry, "Service") && entry.value.toLowerCase() === p.name.toLowerCase();
        case "federated":
            return keyIs(entry, "Federated") && entry.value === p.provider;
        default:
            return false;
    }
}

function allowAdmits(s: Statement, adversary: Adversary): boolean {
    if (s.principal) return s.principal.some((e) => entryMayMatch(e, adversary));
    if (s.notPrincipal) return !s.notPrincipal.some((e) => entryCovers(e, adversary));
    return false;
}

function denySurelyApplies(s: Statement, adversary: Adversary): boolean {
    if (s.principal) return s.principal.some((e) => entryCovers(e, adversary));
    if (s.notPrincipal) return !s.notPrincipal.some((e) => entryMayMatch(e, adversary));
    return false;
}

function denyCoversAction(s: Statement, action: string): boolean {
    if (s.action) return s.action.some((a) => globCovers(a, action, true));
    if (s.notAction) return !s.notAction.some((a) => patternsIntersect(action, a, true));
    return false;
}

function denyCoversResource(s: Statement, resource: string): boolean {
    if (s.resource) return s.resource.some((r) => globCovers(r, resource));
    if (s.notResource) return !s.notResource.some((r) => patternsIntersect(resource, r));
    // Trust policies have no Resource: the statement is about the role itself.
    return true;
}

/** The actions an Allow grants, narrowed to the resource's service. */
function allowedActions(s: Statement, actionScope: string | undefined): string[] {
    const granted = s.action ?? ["*"];
    const excluded = s.notAction ?? [];
    if (!actionScope) return s.action ? [...granted] : ["*"];
    const out = new Set<string>();
    for (const a of granted) {
        if (excluded.some((n) => globCovers(n, actionScope, true))) continue;
        if (globCovers(a, actionScope, true)) out.add(actionScope);
        else if (patternsIntersect(a, actionScope, true)) out.add(a);
    }
    return [...out];
}

/** The resources an Allow grants, narrowed to the policy's scope. */
function allowedResources(s: Statement, scope: readonly string[] | undefined): string[] {
    const granted = s.resource ?? ["*"];
    const excluded = s.notResource ?? [];
    const within = scope ?? granted;
    const out = new Set<string>();
    for (const r of granted) {
        for (const target of within) {
            if (excluded.some((n) => globCovers(n, target))) continue;
            if (globCovers(r, target)) out.add(target);
            else if (patternsIntersect(r, target)) out.add(r);
        }
    }
    return [...out];
}

interface ParsedEntry {
    readonly key: string;
    readonly operator: Operator;
    readonly values: readonly string[];
    readonly variables: Statement["variables"];
}

/** Parsed conditions; entries with an operator AWS does not define restrict nothing and are dropped. */
function parsedEntries(conditions: readonly ConditionEntry[], s: Statement): ParsedEntry[] {
    return conditions.flatMap((c) => {
        const operator = parseOperator(c.operator);
        return operator ? [{ key: c.key.toLowerCase(), operator, values: c.values, variables: s.variables }] : [];
    });
}

/** Account IDs a document names anywhere (principals, conditions), outside `trusted`. */
function namedAccounts(statements: readonly Statement[], trusted: readonly string[]): string[] {
    const texts = statements.flatMap((s) => [
        ...[...(s.principal ?? []), ...(s.notPrincipal ?? [])].map((e) => e.value),
        ...(s.conditions === "unreadable" ? [] : s.conditions.flatMap((c) => c.values)),
    ]);
    const ids = texts.flatMap((t) => t.match(/(?<!\d)\d{12}(?!\d)/g) ?? []);
    return [...new Set(ids)].filter((id) => !trusted.includes(id)).sort();
}

/** Can the adversary satisfy the Allow's conditions while escaping every one of the Denies? */
function reachable(allow: Statement, denies: readonly Statement[], adversary: Adversary): boolean {
    const allowEntries = allow.conditions === "unreadable" ? [] : parsedEntries(allow.conditions, allow);
    const escapes: ParsedEntry[][] = [];
    for (const d of denies) {
        if (d.conditions === "unreadable") continue; // cannot be shown to apply
        // An operator AWS does not define can always be made false: the Deny can be escaped.
        if (d.conditions.some((c) => parseOperator(c.operator) === undefined)) continue;
        const entries = parsedEntries(d.conditions, d);
        if (entries.length === 0) return false; // unconditional Deny
        escapes.push(entries);
    }
    const combos = cartesian(escapes, 4096);
    if (combos === undefined) return true;
    return combos.some((combo) => {
        const byKey = new Map<string, Requirement[]>();
        const add = (e: ParsedEntry, required: boolean) =>
            byKey.set(e.key, [
                ...(byKey.get(e.key) ?? []),
                { operator: e.operator, values: e.values, required, variables: e.variables },
            ]);
        allowEntries.forEach((e) => add(e, true));
        combo.forEach((e) => add(e, false));
        return [...byKey].every(([key, requirements]) => satisfiable(adversary.domain(key), requirements));
    });
}

function adversariesFor(statements: readonly Statement[], options: AccessOptions): Adversary[] {
    const invalid: string[] = [];
    const allowed: AddressSet = parseCidrs(options.allowedCidrs ?? [], invalid);
    if (invalid.length > 0) {
        // A typo here would silently widen or narrow who counts as outside: refuse to guess.
        throw new Error(
            `Policy config allowedCidrs has entries that are not CIDR ranges (${invalid.join(", ")}); list ranges such as 52.94.0.0/16 or 2600:1f00::/24 in policies/config.json.`,
        );
    }
    const adversaryOptions = { allowedCidrs: allowed };
    const named = options.trustedAccounts
        ? namedAccounts(statements, options.trustedAccounts).map((a) => namedAccount(a, adversaryOptions))
        : [];
    if (options.namedAccountsOnly) return named;
    const entries = statements.filter((s) => s.effect === "Allow").flatMap((s) => s.principal ?? []);
    const distinct = (values: string[]) => [...new Set(values)];
    if (options.kind === "trust") {
        const providers = distinct(
            entries.filter((e) => keyIs(e, "Federated") && isSharedIdentityProvider(e.value)).map((e) => e.value),
        );
        return [
            foreignAccounts("internet", adversaryOptions),
            foreignAccounts("vpce", adversaryOptions),
            ...providers.map((p) => webIdentity(p, adversaryOptions)),
            ...named,
        ];
    }
    const services = distinct(entries.filter((e) => keyIs(e, "Service")).map((e) => e.value.toLowerCase()));
    // A wildcard principal admits services too: one acting for another account's resource.
    const wildcard = statements.some(
        (s) => s.effect === "Allow" && (s.notPrincipal || (s.principal ?? []).some((e) => e.value === "*")),
    );
    if (wildcard && !services.includes("*")) services.push("*");
    return [
        ...(options.signedOnly
            ? []
            : [anonymousCallers("internet", adversaryOptions), anonymousCallers("vpce", adversaryOptions)]),
        foreignAccounts("internet", adversaryOptions),
        foreignAccounts("vpce", adversaryOptions),
        ...services.map((s) => serviceForAnyAccount(s, adversaryOptions)),
        ...named,
    ];
}

/**
 * Who outside can get what through `policy`: at most one finding per Allow statement (the first
 * adversary, in the order anonymous, any account, services, identity providers, and its first
 * action and resource). `readable: false` when the document cannot be read at all.
 */
export function publicAccess(policy: unknown, options: AccessOptions = {}): AccessResult {
    const reading = readPolicy(policy);
    if (reading.kind === "unreadable") return { readable: false };
    if (reading.kind === "ambiguous") return { readable: false, ambiguity: reading.reason };
    const statements = reading.statements;
    const adversaries = adversariesFor(statements, options);
    const findings: Finding[] = [];
    for (const allow of statements.filter((s) => s.effect === "Allow")) {
        const actions = allowedActions(allow, options.actionScope);
        const resources = allowedResources(allow, options.scope);
        search: for (const adversary of adversaries) {
            if (!allowAdmits(allow, adversary)) continue;
            const denies = statements.filter((s) => s.effect === "Deny" && denySurelyApplies(s, adversary));
            for (const action of actions) {
                for (const resource of resources) {
                    const applicable = denies.filter(
                        (d) => denyCoversAction(d, action) && denyCoversResource(d, resource),
                    );
                    if (reachable(allow, applicable, adversary)) {
                        findings.push({ statement: allow, adversary, action, resource });
                        break search;
                    }
                }
            }
        }
    }
    return { readable: true, findings };
}

/** The allowed actions of a finding, for messages: the action, or "every action except ..." for NotAction. */
export function describeActions(f: Finding): string {
    if (!f.statement.action && f.statement.notAction) return `every action except ${f.statement.notAction.join(", ")}`;
    return f.action === "*" ? "every action (*)" : f.action;
}
