/**
 * Can an adversary give one condition key a value (or leave it out) so that a set of condition
 * entries come out as required? Entries come from the Allow being tested (each must be true)
 * and from the Deny statements being escaped (each chosen entry must be false).
 *
 * The answer is sound: "no" only when no value works. It may say "yes" where a cleverer
 * solver would say "no" (e.g. two negated wildcards that together exclude everything), which
 * can only make a policy look more open than it is, never more private.
 */
import { AddressSet, parseCidrs } from "./cidr";
import { KeyDomain, ValueDomain } from "./adversaries";
import {
    Matcher,
    PatternOptions,
    Template,
    VariableReading,
    globCovers,
    globMatch,
    jointlyMatchable,
    matcher,
    parsePattern,
    templateAsPattern,
} from "./glob";
import { Operator, nullTruthWhenPresent, truthWhenAbsent } from "./operators";

export interface Requirement {
    readonly operator: Operator;
    readonly values: readonly string[];
    /** The value the entry must take: true for an Allow's conditions, false to escape a Deny. */
    readonly required: boolean;
    /** How policy variables in the values read: "wide" (2012-10-17) or "literal" (2008-10-17). */
    readonly variables?: VariableReading;
}

/** A constraint on one present value: it must (or must not) match one of `values`. */
interface ValueConstraint {
    readonly operator: Operator;
    readonly values: readonly string[];
    /** True: the value must match one of the values; false: it must match none. */
    readonly match: boolean;
    readonly variables: VariableReading;
}

function valueConstraint(r: Requirement): ValueConstraint {
    // For a negated operator the entry is true when the value matches none of the values.
    return {
        operator: r.operator,
        values: r.values,
        match: r.required !== r.operator.negated,
        variables: r.variables ?? "wide",
    };
}

/** Whether the key's presence alone decides a Null requirement, for a present key. */
function presenceOk(r: Requirement): boolean {
    return nullTruthWhenPresent(r.values) === r.required;
}

export function satisfiable(domain: KeyDomain, requirements: readonly Requirement[]): boolean {
    if (requirements.length === 0) return true;
    if (domain.absent && requirements.every((r) => truthWhenAbsent(r.operator, r.values) === r.required)) return true;
    if (!domain.values) return false;
    if (!requirements.filter((r) => r.operator.kind === "null").every(presenceOk)) return false;
    const onValue = requirements.filter((r) => r.operator.kind !== "null");
    const constraints = onValue.map(valueConstraint);
    const multi = domain.multi || onValue.some((r) => r.operator.qualifier !== undefined);
    if (!multi) return valueExists(domain.values, constraints);
    // A set of values: each requirement is met by some element, independently (over-approximates
    // the adversary's freedom, which keeps the answer sound). ForAllValues true and ForAnyValue
    // false hold for an empty set when the adversary may send one.
    return onValue.every((r) => {
        const holdsForEmpty = truthWhenAbsent(r.operator, r.values) === r.required;
        if (holdsForEmpty && (domain.absent || domain.multi)) return true;
        return valueExists(domain.values!, [valueConstraint(r)]);
    });
}

function valueExists(domain: ValueDomain, constraints: readonly ValueConstraint[]): boolean {
    switch (domain.kind) {
        case "free":
            return true;
        case "bool":
            return domain.values.some((v) => constraints.every((c) => boolConstraintHolds(c, v)));
        case "ip":
            return ipValueExists(domain.addresses, constraints);
        case "string":
            return domain.templates.some((t) => stringValueExists(t, constraints));
    }
}

function boolConstraintHolds(c: ValueConstraint, value: boolean): boolean {
    if (c.operator.kind === "numeric" || c.operator.kind === "date" || c.operator.kind === "binary") return true;
    if (c.operator.kind === "ip") return true;
    const text = String(value);
    const matches = c.values.some((v) =>
        c.operator.wildcards ? globMatch(v, text, true) : v.toLowerCase() === text.toLowerCase(),
    );
    return matches === c.match;
}

function ipValueExists(addresses: AddressSet, constraints: readonly ValueConstraint[]): boolean {
    let set = addresses;
    for (const c of constraints) {
        if (c.operator.kind !== "ip") continue; // string, numeric... on an address: not judged, not restricting
        const invalid: string[] = [];
        const ranges = parseCidrs(c.values, invalid);
        if (c.match) {
            // An unreadable range cannot be shown to exclude anyone.
            if (invalid.length === 0) set = set.intersect(ranges);
        } else {
            set = set.subtract(ranges);
        }
        if (set.isEmpty()) return false;
    }
    return !set.isEmpty();
}

/** String, ARN and Bool operators compare text; the others cannot restrict a text value here. */
const comparesText = (op: Operator) => op.kind === "string" || op.kind === "arn" || op.kind === "bool";

function stringValueExists(t: Template, constraints: readonly ValueConstraint[]): boolean {
    const judged = constraints.filter((c) => comparesText(c.operator));
    const positives = judged.filter((c) => c.match);
    const negatives = judged.filter((c) => !c.match);
    const ignoreCase = (c: ValueConstraint) => c.operator.ignoreCase || c.operator.kind === "bool";
    /** A value as the operator reads it: with or without wildcards; variables wide, or as plain text. */
    const options = (c: ValueConstraint): PatternOptions => ({
        wildcards: c.operator.wildcards,
        variables: c.variables,
    });
    const isLiteral = (value: string, c: ValueConstraint) =>
        parsePattern(value, options(c)).every((t) => t.kind === "char");
    const text = (value: string, c: ValueConstraint) =>
        parsePattern(value, options(c))
            .map((t) => (t.kind === "char" ? t.ch : ""))
            .join("");
    // One value per positive constraint (they are ORed); try every combination (usually one).
    const choices = positives.map((c) => c.values);
    if (choices.some((values) => values.length === 0)) return false;
    const combos = cartesian(choices, 256);
    if (combos === undefined) return true; // too many to try: cannot show it is impossible
    return combos.some((combo) => {
        const matchers: Matcher[] = combo.map((value, i) =>
            matcher(value, ignoreCase(positives[i]), options(positives[i])),
        );
        if (!jointlyMatchable(t, matchers)) return false;
        const literal = combo.findIndex((value, i) => isLiteral(value, positives[i]));
        if (literal >= 0) {
            // The value is that literal: check every other constraint on it exactly.
            const value = text(combo[literal], positives[literal]);
            // A variable may match (a "must match" holds) and may not (a "must not match" holds too).
            const reading = (c: ValueConstraint): PatternOptions =>
                c.match || c.variables === "literal" ? options(c) : { ...options(c), variables: "narrow" };
            const ok = (c: ValueConstraint) =>
                c.values.some((v) => globMatch(v, value, ignoreCase(c), reading(c))) === c.match;
            return judged.every(ok);
        }
        // Excluded entirely when a negated value covers the template or one of the chosen patterns.
        const wholeSets = [
            templateAsPattern(t),
            ...combo.filter((_, i) => positives[i].operator.wildcards && positives[i].variables !== "literal"),
        ];
        return !negatives.some((c) => c.values.some((v) => wholeSets.some((s) => coversAsPattern(c, v, s))));
    });
}

function coversAsPattern(c: ValueConstraint, value: string, set: string): boolean {
    const ignoreCase = c.operator.ignoreCase || c.operator.kind === "bool";
    // A literal (StringEquals) covers a set only if the set is that one value; variables read
    // narrow here (the value must surely cover the set), or as plain text under 2008-10-17.
    return globCovers(value, set, ignoreCase, {
        wildcards: c.operator.wildcards,
        variables: c.variables === "literal" ? "literal" : "narrow",
    });
}

/** Every way to pick one element of each list, or undefined if there are more than `limit`. */
export function cartesian<T>(lists: readonly (readonly T[])[], limit: number): T[][] | undefined {
    const size = lists.reduce((n, l) => n * l.length, 1);
    if (size > limit) return undefined;
    let out: T[][] = [[]];
    for (const list of lists) out = out.flatMap((prefix) => list.map((item) => [...prefix, item]));
    return out;
}
