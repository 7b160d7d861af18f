/**
 * IAM condition operators, as AWS evaluates them (IAM User Guide, "Condition operators" and
 * "Conditions with multiple context keys or values"):
 * - several values for one key are ORed; for a negated operator (StringNotEquals, NotIpAddress,
 *   ArnNotLike...) they are NORed;
 * - a key missing from the request makes a positive operator false and a negated one TRUE;
 * - `...IfExists` is true when the key is missing;
 * - `Null: true` is true exactly when the key is missing;
 * - `ForAnyValue:` is false and `ForAllValues:` is TRUE when the key is missing or empty.
 */

export type ValueKind = "string" | "arn" | "ip" | "bool" | "numeric" | "date" | "binary";

export interface Operator {
    readonly name: string;
    readonly kind: ValueKind | "null";
    /** StringNotEquals, ArnNotLike, NotIpAddress, NumericNotEquals, DateNotEquals. */
    readonly negated: boolean;
    /** Values are wildcard patterns (StringLike, Arn*). */
    readonly wildcards: boolean;
    readonly ignoreCase: boolean;
    readonly ifExists: boolean;
    readonly qualifier?: "ForAnyValue" | "ForAllValues";
}

interface Base {
    readonly kind: Operator["kind"];
    readonly negated?: boolean;
    readonly wildcards?: boolean;
    readonly ignoreCase?: boolean;
}

const BASES: Record<string, Base> = {
    stringequals: { kind: "string" },
    stringnotequals: { kind: "string", negated: true },
    stringequalsignorecase: { kind: "string", ignoreCase: true },
    stringnotequalsignorecase: { kind: "string", negated: true, ignoreCase: true },
    stringlike: { kind: "string", wildcards: true },
    stringnotlike: { kind: "string", negated: true, wildcards: true },
    // ArnEquals and ArnLike behave alike: both take wildcards, case-sensitively.
    arnequals: { kind: "arn", wildcards: true },
    arnlike: { kind: "arn", wildcards: true },
    arnnotequals: { kind: "arn", negated: true, wildcards: true },
    arnnotlike: { kind: "arn", negated: true, wildcards: true },
    ipaddress: { kind: "ip" },
    notipaddress: { kind: "ip", negated: true },
    bool: { kind: "bool" },
    binaryequals: { kind: "binary" },
    numericequals: { kind: "numeric" },
    numericnotequals: { kind: "numeric", negated: true },
    numericlessthan: { kind: "numeric" },
    numericlessthanequals: { kind: "numeric" },
    numericgreaterthan: { kind: "numeric" },
    numericgreaterthanequals: { kind: "numeric" },
    dateequals: { kind: "date" },
    datenotequals: { kind: "date", negated: true },
    datelessthan: { kind: "date" },
    datelessthanequals: { kind: "date" },
    dategreaterthan: { kind: "date" },
    dategreaterthanequals: { kind: "date" },
    null: { kind: "null" },
};

/** The operator a condition names, or undefined for one AWS does not define (treated as not restricting). */
export function parseOperator(name: string): Operator | undefined {
    const m = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/i.exec(name);
    if (!m) return undefined;
    const base = BASES[m[2].toLowerCase()];
    if (!base || (base.kind === "null" && (m[3] || m[1]))) return undefined;
    const qualifier = m[1] ? (m[1].toLowerCase() === "foranyvalue" ? "ForAnyValue" : "ForAllValues") : undefined;
    return {
        name,
        kind: base.kind,
        negated: base.negated ?? false,
        wildcards: base.wildcards ?? false,
        ignoreCase: base.ignoreCase ?? false,
        ifExists: Boolean(m[3]),
        qualifier,
    };
}

/** The operator's value when the key is missing from the request (or is an empty list). */
export function truthWhenAbsent(op: Operator, values: readonly string[]): boolean {
    if (op.kind === "null") return values.some((v) => v.toLowerCase() === "true");
    if (op.ifExists) return true;
    if (op.qualifier === "ForAllValues") return true;
    if (op.qualifier === "ForAnyValue") return false;
    return op.negated;
}

/** For Null: its value when the key is present. */
export const nullTruthWhenPresent = (values: readonly string[]) => values.some((v) => v.toLowerCase() === "false");
