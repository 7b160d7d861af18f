/**
 * Reading IAM-style policy documents as resources carry them: JSON text or an object, a single
 * statement or a list, every element a string or a list, Principal as "*" or a map. Normalized
 * once here, so that no policy can be sidestepped by spelling.
 *
 * A document AWS and the pack could read differently is refused as ambiguous rather than read
 * one way: a key written twice in one object, two keys that differ only in case where AWS
 * compares them without case (element names, principal types, condition operators, condition
 * keys with different values), or an element name spelled in another case than AWS's grammar
 * (`effect`). Access Analyzer reports each of these as an error.
 */
import { readJson } from "./json";
import { VariableReading } from "./glob";

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
    /**
     * How policy variables read in this statement: AWS substitutes them only under
     * `"Version": "2012-10-17"`; under 2008-10-17 (the default when Version is missing) they
     * are plain text.
     */
    readonly variables: Exclude<VariableReading, "narrow">;
}

/** A document read, or why not: not a policy at all, or ambiguous (with the reason, for messages). */
export type PolicyReading =
    | { readonly kind: "read"; readonly statements: Statement[] }
    | { readonly kind: "unreadable" }
    | { readonly kind: "ambiguous"; readonly reason: string };

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

/** The element names of AWS's policy grammar, as AWS spells them. */
const DOCUMENT_ELEMENTS = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_TYPES = ["AWS", "Service", "Federated", "CanonicalUser"];

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where a key sits, for messages: "the document", "statement #2", "statement #2's Condition.StringLike". */
function describePath(path: readonly (string | number)[], single: boolean): string {
    if (path.length === 0) return "the document";
    if (path[0] !== "Statement") return `the document's ${path.join(".")}`;
    const index = single ? 0 : Number(path[1]);
    const rest = path.slice(single ? 1 : 2);
    const where = `statement #${index + 1}`;
    return rest.length === 0 ? where : `${where}'s ${rest.join(".")}`;
}

/** Two keys of one map that AWS reads as one (same name ignoring case). */
function caseTwin(map: Record<string, unknown>): [string, string] | undefined {
    const seen = new Map<string, string>();
    for (const key of Object.keys(map)) {
        const twin = seen.get(key.toLowerCase());
        if (twin !== undefined) return [twin, key];
        seen.set(key.toLowerCase(), key);
    }
    return undefined;
}

/** A key spelled in another case than the grammar spells it (`effect` for `Effect`). */
const misspelled = (map: Record<string, unknown>, names: readonly string[]) =>
    Object.keys(map)
        .map((key) => [key, names.find((n) => n.toLowerCase() === key.toLowerCase() && n !== key)] as const)
        .find(([, proper]) => proper !== undefined);

const sameValues = (a: unknown, b: unknown) => JSON.stringify(stringList(a)) === JSON.stringify(stringList(b));

/** Why a document (already decoded) is ambiguous, or undefined when it is not. */
function ambiguity(doc: Record<string, unknown>): string | undefined {
    const mapProblem = (map: Record<string, unknown>, where: string, names?: readonly string[]) => {
        const twin = caseTwin(map);
        if (twin) return `${where} has the keys ${twin[0]} and ${twin[1]}, which AWS reads as one`;
        const wrong = names ? misspelled(map, names) : undefined;
        return wrong ? `${where} spells ${wrong[1]} as ${wrong[0]}` : undefined;
    };
    const top = mapProblem(doc, "the document", DOCUMENT_ELEMENTS);
    if (top) return top;
    const raw = doc.Statement;
    const list = Array.isArray(raw) ? raw : [raw];
    for (const [index, s] of list.entries()) {
        if (!isMap(s)) continue;
        const where = `statement #${index + 1}`;
        const problem =
            mapProblem(s, where, STATEMENT_ELEMENTS) ??
            (isMap(s.Principal) ? mapProblem(s.Principal, `${where}'s Principal`, PRINCIPAL_TYPES) : undefined) ??
            (isMap(s.NotPrincipal)
                ? mapProblem(s.NotPrincipal, `${where}'s NotPrincipal`, PRINCIPAL_TYPES)
                : undefined) ??
            (isMap(s.Condition) ? conditionAmbiguity(s.Condition, where) : undefined);
        if (problem) return problem;
    }
    return undefined;
}

function conditionAmbiguity(condition: Record<string, unknown>, where: string): string | undefined {
    const twin = caseTwin(condition);
    if (twin) return `${where}'s Condition has the operators ${twin[0]} and ${twin[1]}, which AWS reads as one`;
    for (const [operator, block] of Object.entries(condition)) {
        if (!isMap(block)) continue;
        const seen = new Map<string, string>();
        for (const key of Object.keys(block)) {
            const other = seen.get(key.toLowerCase());
            // Condition keys are case-insensitive: the same key twice with different values is two readings.
            if (other !== undefined && !sameValues(block[other], block[key])) {
                return `${where}'s Condition.${operator} has the keys ${other} and ${key} with different values, which AWS reads as one key`;
            }
            seen.set(key.toLowerCase(), key);
        }
    }
    return undefined;
}

/**
 * Reads a policy given as text or object: its statements, or why it cannot be read (not JSON,
 * not an object, a Statement that is neither an object nor a list of objects) or is ambiguous.
 */
export function readPolicy(policy: unknown): PolicyReading {
    let doc: unknown = policy;
    if (typeof policy === "string") {
        const reading = readJson(policy);
        if (reading === undefined) return { kind: "unreadable" };
        const [duplicate] = reading.duplicates;
        if (duplicate) {
            const single = !Array.isArray((reading.value as { Statement?: unknown })?.Statement);
            return {
                kind: "ambiguous",
                reason: `${describePath(duplicate.path, single)} has the key ${duplicate.key} twice`,
            };
        }
        doc = reading.value;
    }
    if (!isMap(doc)) return { kind: "unreadable" };
    const problem = ambiguity(doc);
    if (problem) return { kind: "ambiguous", reason: problem };
    const raw = doc.Statement;
    if (raw === undefined) return { kind: "read", statements: [] };
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.some((s) => !isMap(s))) return { kind: "unreadable" };
    const variables = doc.Version === "2012-10-17" ? "wide" : "literal";
    return {
        kind: "read",
        statements: list.map((s: Record<string, unknown>, index) => statementOf(s, index, variables)),
    };
}

/**
 * The statements of a policy given as text or object; undefined when it cannot be read or is
 * ambiguous (see `readPolicy` for the reason).
 */
export function parsePolicy(policy: unknown): Statement[] | undefined {
    const reading = readPolicy(policy);
    return reading.kind === "read" ? reading.statements : undefined;
}

function statementOf(s: Record<string, unknown>, index: number, variables: Statement["variables"]): Statement {
    return {
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
        variables,
    };
}

/** How messages name a statement: its Sid, or its position. */
export const statementLabel = (s: Statement) => (s.sid ? `statement ${s.sid}` : `statement #${s.index + 1}`);
