/**
 * Reading IAM-style policy documents as resources carry them: JSON text or an object, a single
 * statement or a list, every element a string or a list, Principal as "*" or a map. Normalized
 * once here, so that no policy can be sidestepped by spelling.
 */

/** One principal entry: `key` is AWS, Service, Federated, CanonicalUser (or another map key); "*" for a bare "*". */
export interface PrincipalEntry {
    readonly key: string;
    readonly value: string;
}

/** One condition: `"<operator>": { "<key>": <values> }`. */
export interface ConditionEntry {
    readonly operator: string;
    readonly key: string;
    readonly values: readonly string[];
}

export interface Statement {
    /** Position in the document, from 0. */
    readonly index: number;
    readonly sid?: string;
    readonly effect: "Allow" | "Deny" | "Other";
    readonly principal?: readonly PrincipalEntry[];
    readonly notPrincipal?: readonly PrincipalEntry[];
    readonly action?: readonly string[];
    readonly notAction?: readonly string[];
    readonly resource?: readonly string[];
    readonly notResource?: readonly string[];
    /** The conditions, or "unreadable" when the Condition element is not a map of maps. */
    readonly conditions: readonly ConditionEntry[] | "unreadable";
}

/** A value as a list of strings: a string, a number or a boolean is one element. */
export function stringList(value: unknown): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    const list = Array.isArray(value) ? value : [value];
    return list.map((v) => (typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v)));
}

/** JSON text decoded, objects as they are; undefined for text that is not JSON. */
export function decodeJson(value: unknown): unknown {
    if (typeof value !== "string") return value;
    try {
        return JSON.parse(value);
    } catch {
        return undefined;
    }
}

function principalEntries(value: unknown): PrincipalEntry[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") return [{ key: value === "*" ? "*" : "AWS", value }];
    if (typeof value !== "object" || Array.isArray(value)) {
        return stringList(value)?.map((v) => ({ key: "AWS", value: v }));
    }
    return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) =>
        (stringList(v) ?? []).map((item) => ({ key, value: item })),
    );
}

function conditionEntries(value: unknown): ConditionEntry[] | "unreadable" {
    if (value === undefined || value === null) return [];
    if (typeof value !== "object" || Array.isArray(value)) return "unreadable";
    const entries: ConditionEntry[] = [];
    for (const [operator, block] of Object.entries(value as Record<string, unknown>)) {
        if (typeof block !== "object" || block === null || Array.isArray(block)) return "unreadable";
        for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
            entries.push({ operator, key, values: stringList(values) ?? [] });
        }
    }
    return entries;
}

function effectOf(value: unknown): Statement["effect"] {
    if (typeof value !== "string") return "Other";
    return /^allow$/i.test(value) ? "Allow" : /^deny$/i.test(value) ? "Deny" : "Other";
}

/**
 * The statements of a policy given as text or object; undefined when it cannot be read (not
 * JSON, not an object, or a Statement that is neither an object nor a list of objects).
 */
export function parsePolicy(policy: unknown): Statement[] | undefined {
    const doc = decodeJson(policy);
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return undefined;
    const raw = (doc as { Statement?: unknown }).Statement;
    if (raw === undefined) return [];
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.some((s) => typeof s !== "object" || s === null || Array.isArray(s))) return undefined;
    return list.map((s: Record<string, unknown>, index) => ({
        index,
        sid: typeof s.Sid === "string" && s.Sid !== "" ? s.Sid : undefined,
        effect: effectOf(s.Effect),
        principal: principalEntries(s.Principal),
        notPrincipal: principalEntries(s.NotPrincipal),
        action: stringList(s.Action),
        notAction: stringList(s.NotAction),
        resource: stringList(s.Resource),
        notResource: stringList(s.NotResource),
        conditions: conditionEntries(s.Condition),
    }));
}

/** How messages name a statement: its Sid, or its position. */
export const statementLabel = (s: Statement) => (s.sid ? `statement ${s.sid}` : `statement #${s.index + 1}`);
