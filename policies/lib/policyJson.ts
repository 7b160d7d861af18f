/**
 * Reading IAM-style policy documents as resources carry them: JSON text or an object, a single
 * statement or a list, Principal as "*", {AWS: "*"} or a list. Normalized once here so that no
 * policy can be sidestepped by spelling.
 */

export interface Statement {
    Sid?: string;
    Effect?: string;
    Principal?: unknown;
    NotPrincipal?: unknown;
    Action?: unknown;
    NotAction?: unknown;
    Resource?: unknown;
    NotResource?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy given as text or object; undefined if it is unknown or unreadable. */
export function statementsOf(policy: unknown): Statement[] | undefined {
    let doc = policy;
    if (typeof policy === "string") {
        try {
            doc = JSON.parse(policy);
        } catch {
            return undefined;
        }
    }
    if (typeof doc !== "object" || doc === null) return undefined;
    const statement = (doc as { Statement?: unknown }).Statement;
    if (statement === undefined) return [];
    return (Array.isArray(statement) ? statement : [statement]).filter(
        (s): s is Statement => typeof s === "object" && s !== null,
    );
}

export const asList = (value: unknown): unknown[] =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every principal string a statement names, across `AWS`, `Service`, `Federated` and bare strings. */
export function principalsOf(principal: unknown): string[] {
    if (typeof principal === "string") return [principal];
    if (typeof principal === "object" && principal !== null) {
        return Object.values(principal).flatMap((v) => asList(v).map(String));
    }
    return [];
}

/** True when a statement lets anyone in: Principal "*" in any form, or NotPrincipal. */
export function isWildcardPrincipal(statement: Statement): boolean {
    if (statement.NotPrincipal !== undefined) return true;
    return principalsOf(statement.Principal).some((p) => p === "*" || /^arn:aws[\w-]*:iam::\*:root$/.test(p));
}

export const isAllow = (statement: Statement) => statement.Effect === "Allow";

/** The values a condition gives a key under any operator matching `operator`, e.g. /^IpAddress/. */
export function conditionValues(statement: Statement, key: string, operator: RegExp = /.*/): string[] {
    return Object.entries(statement.Condition ?? {})
        .filter(([op]) => operator.test(op))
        .flatMap(([, conditions]) =>
            Object.entries(conditions ?? {})
                .filter(([k]) => k.toLowerCase() === key.toLowerCase())
                .flatMap(([, v]) => asList(v).map(String)),
        );
}
