/**
 * IAM wildcard patterns (`*` any run, `?` one character) and the questions the pack asks of
 * them: does a pattern match a value, does one pattern cover another, and can a pattern match
 * a value an attacker controls (a template such as "an ARN in an account that is not ours").
 *
 * Policy variables (`${aws:username}`) are not known here. Where a variable could widen what a
 * pattern admits, callers choose: "wide" reads it as `*` (the safe reading of an Allow), "narrow"
 * reads it as matching nothing (the safe reading of a Deny). `${*}`, `${?}` and `${$}` are the
 * escaped literal characters. Two exceptions:
 * - the resource's own identity (`${aws:ResourceAccount}`, `${aws:ResourceOrgID}`,
 *   `${aws:ResourceOrgPaths}`) is one value, ours: it reads as a literal no adversary's own account,
 *   organization or path can equal (AWS's data-perimeter pattern relies on exactly that);
 * - under `"Version": "2008-10-17"` (or no Version) AWS does not substitute variables at all:
 *   "literal" reads `${...}` as the plain text it is.
 */

export type GlobToken =
    | { readonly kind: "star" }
    | { readonly kind: "one" }
    | { readonly kind: "char"; readonly ch: string }
    | { readonly kind: "never" };

/** How unknown policy variables read: as `*` ("wide"), as nothing ("narrow"), or not at all ("literal"). */
export type VariableReading = "wide" | "narrow" | "literal";

/**
 * Variables that name the resource's own account, organization or organization path, and the
 * literal text each reads as: control characters, so no value an adversary owns (an account ID,
 * an `o-` organization ID) can equal it, while a value the adversary chooses freely still can.
 */
const RESOURCE_OWN: Record<string, string> = {
    "aws:resourceaccount": "\u0002ResourceAccount\u0003",
    "aws:resourceorgid": "\u0002ResourceOrgID\u0003",
    "aws:resourceorgpaths": "\u0002ResourceOrgPaths\u0003",
};

export interface PatternOptions {
    /** `*` and `?` are wildcards (StringLike, ArnLike, Action, Resource) or plain characters (StringEquals). */
    readonly wildcards: boolean;
    readonly variables: VariableReading;
}

const GLOB: PatternOptions = { wildcards: true, variables: "wide" };

export function parsePattern(pattern: string, options: PatternOptions = GLOB): GlobToken[] {
    const tokens: GlobToken[] = [];
    for (let i = 0; i < pattern.length; i++) {
        const ch = pattern[i];
        if (ch === "$" && pattern[i + 1] === "{" && options.variables !== "literal") {
            const end = pattern.indexOf("}", i + 2);
            if (end > 0) {
                const name = pattern.slice(i + 2, end);
                const own = RESOURCE_OWN[name.toLowerCase()];
                if (name === "*" || name === "?" || name === "$") tokens.push({ kind: "char", ch: name });
                else if (own) tokens.push(...[...own].map((c) => ({ kind: "char", ch: c }) as const));
                else tokens.push(options.variables === "wide" ? { kind: "star" } : { kind: "never" });
                i = end;
                continue;
            }
        }
        if (options.wildcards && ch === "*") tokens.push({ kind: "star" });
        else if (options.wildcards && ch === "?") tokens.push({ kind: "one" });
        else tokens.push({ kind: "char", ch });
    }
    return tokens;
}

/** True when the pattern has a wildcard (or an unknown variable): it names more than one value. */
export const hasWildcard = (pattern: string, options: PatternOptions = GLOB) =>
    parsePattern(pattern, options).some((t) => t.kind !== "char");

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

/** Marks a `*` (any run) and a `?` (one character) of an inner pattern when testing coverage. */
const RUN_MARK = "\u0000";
const ONE_MARK = "\u0001";

function toRegExp(tokens: readonly GlobToken[], ignoreCase: boolean): RegExp {
    const body = tokens
        .map((t) =>
            t.kind === "star"
                ? "[\\s\\S]*"
                : t.kind === "one"
                  ? `[^${RUN_MARK}]`
                  : t.kind === "never"
                    ? "(?!)"
                    : escapeRegExp(t.ch),
        )
        .join("");
    return new RegExp(`^${body}$`, ignoreCase ? "i" : "");
}

/** Does `pattern` match the concrete `value`? */
export function globMatch(pattern: string, value: string, ignoreCase = false, options: PatternOptions = GLOB): boolean {
    return toRegExp(parsePattern(pattern, options), ignoreCase).test(value);
}

/**
 * Does `outer` match every value `inner` matches? Sound but not complete: a "true" is always
 * right, a "false" may miss an exotic equivalence (e.g. `a*` covers `a**`, which is found; `?*`
 * covering `*` minus the empty string is not). Inner variables read wide, outer ones narrow
 * unless `outerOptions` says otherwise (a StringEquals value has no wildcards; a 2008-10-17
 * document no variables).
 */
export function globCovers(
    outer: string,
    inner: string,
    ignoreCase = false,
    outerOptions: PatternOptions = { wildcards: true, variables: "narrow" },
): boolean {
    const innerTokens = parsePattern(inner, { wildcards: true, variables: "wide" });
    const sample = innerTokens
        .map((t) => (t.kind === "star" ? RUN_MARK : t.kind === "one" ? ONE_MARK : t.kind === "char" ? t.ch : ""))
        .join("");
    return toRegExp(parsePattern(outer, outerOptions), ignoreCase).test(sample);
}

// ---------------------------------------------------------------------------------------------
// Templates: the shape of a value an adversary controls.

/**
 * A template token: a literal character; `any` (a run the adversary chooses freely, possibly
 * empty); `one` (one character the adversary chooses); `owned` (a non-empty run that is the
 * adversary's own, e.g. their account ID or bucket name: it can differ from every value a policy
 * names, so only a wildcard can match it). `exclude` lists characters the run cannot contain.
 * `account` is an owned run of exactly 12 digits (an AWS account ID): a pattern that spells all
 * twelve (`arn:aws:iam::111111111111*`) names one account, whatever follows.
 */
export type TemplateToken =
    | { readonly kind: "char"; readonly ch: string }
    | { readonly kind: "any"; readonly exclude: string }
    | { readonly kind: "one"; readonly exclude: string }
    | { readonly kind: "owned"; readonly exclude: string }
    | { readonly kind: "account" };

export type Template = readonly TemplateToken[];

/**
 * Parses a template written as text: `{any}`, `{one}`, `{owned}`, each optionally with excluded
 * characters after `^` (`{owned^:}`: a run without colons), and `{account}`. Everything else is
 * literal.
 */
export function template(text: string): Template {
    const tokens: TemplateToken[] = [];
    const re = /\{(any|one|owned|account)(?:\^([^}]*))?\}/y;
    for (let i = 0; i < text.length;) {
        re.lastIndex = i;
        const m = re.exec(text);
        if (m?.[1] === "account") {
            tokens.push({ kind: "account" });
            i = re.lastIndex;
        } else if (m) {
            tokens.push({ kind: m[1] as "any" | "one" | "owned", exclude: m[2] ?? "" });
            i = re.lastIndex;
        } else {
            tokens.push({ kind: "char", ch: text[i] });
            i++;
        }
    }
    return tokens;
}

/** A literal value as a template (a value the adversary cannot change). */
export const literalTemplate = (value: string): Template => [...value].map((ch) => ({ kind: "char", ch }) as const);

/** A pattern read as the set of values it matches, e.g. to intersect two patterns. */
export function patternTemplate(pattern: string, options: PatternOptions = GLOB): Template | undefined {
    const tokens: TemplateToken[] = [];
    for (const t of parsePattern(pattern, options)) {
        if (t.kind === "never") return undefined;
        tokens.push(
            t.kind === "star"
                ? { kind: "any", exclude: "" }
                : t.kind === "one"
                  ? { kind: "one", exclude: "" }
                  : { kind: "char", ch: t.ch },
        );
    }
    return tokens;
}

/** A pattern that a template value must match, with its case rule. */
export interface Matcher {
    readonly tokens: readonly GlobToken[];
    readonly ignoreCase: boolean;
}

export const matcher = (pattern: string, ignoreCase = false, options: PatternOptions = GLOB): Matcher => ({
    tokens: parsePattern(pattern, options),
    ignoreCase,
});

/**
 * Internal template token: `owned` splits into its first character and the rest; `account` into
 * twelve owned digits.
 */
type Step =
    | { kind: "char"; ch: string }
    | { kind: "any"; exclude: string }
    | { kind: "one"; exclude: string }
    | { kind: "owned1"; exclude: string }
    | { kind: "ownedRun"; exclude: string }
    | { kind: "ownedDigit" };

const ACCOUNT_DIGITS = 12;

function steps(t: Template): Step[] {
    return t.flatMap((token): Step[] => {
        if (token.kind === "owned") {
            return [
                { kind: "owned1", exclude: token.exclude },
                { kind: "ownedRun", exclude: token.exclude },
            ];
        }
        if (token.kind === "account") return Array.from({ length: ACCOUNT_DIGITS }, () => ({ kind: "ownedDigit" }));
        return [token];
    });
}

const isDigit = (ch: string) => ch >= "0" && ch <= "9";

const same = (a: string, b: string, ignoreCase: boolean) =>
    ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b;

/**
 * Is there one value of `t` that every matcher matches? When `t` has an owned run, each matcher
 * must cover some of it with a wildcard: a matcher that spells the run out names a value the
 * policy's author knows (theirs), not the adversary's. With no matchers, any value of `t` will do.
 */
export function jointlyMatchable(t: Template, matchers: readonly Matcher[]): boolean {
    if (matchers.length === 0) return true;
    const tt = steps(t);
    const owned = tt.some((s) => s.kind === "owned1" || s.kind === "ownedDigit");
    const allFlags = (1 << matchers.length) - 1;
    const start = { j: 0, is: matchers.map(() => 0), flags: 0 };
    const seen = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
        const state = queue.pop()!;
        const key = `${state.j}|${state.is.join(",")}|${state.flags}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (
            state.j === tt.length &&
            state.is.every((i, m) => i === matchers[m].tokens.length) &&
            (!owned || state.flags === allFlags)
        ) {
            return true;
        }
        const here = tt[state.j];
        // Empty moves: a template run may end, a `*` may match nothing.
        if (here && (here.kind === "any" || here.kind === "ownedRun")) queue.push({ ...state, j: state.j + 1 });
        matchers.forEach((m, index) => {
            if (m.tokens[state.is[index]]?.kind === "star") {
                const is = [...state.is];
                is[index]++;
                queue.push({ ...state, is });
            }
        });
        // Consuming one character, together.
        if (!here) continue;
        const tokens = matchers.map((m, index) => m.tokens[state.is[index]]);
        if (tokens.some((g) => g === undefined || g.kind === "never")) continue;
        const literals = tokens.flatMap((g, index) =>
            g!.kind === "char" ? [{ ch: g!.ch, ignoreCase: matchers[index].ignoreCase }] : [],
        );
        const accepts = (ch: string) => literals.every((l) => same(l.ch, ch, l.ignoreCase));
        let possible: boolean;
        if (here.kind === "char") {
            possible = accepts(here.ch);
        } else {
            const allowed = (ch: string) => (here.kind === "ownedDigit" ? isDigit(ch) : !here.exclude.includes(ch));
            const candidates = literals.flatMap((l) => [l.ch, l.ch.toLowerCase(), l.ch.toUpperCase()]);
            possible = literals.length === 0 ? true : candidates.some((ch) => allowed(ch) && accepts(ch));
        }
        if (!possible) continue;
        const ownedChar = here.kind === "owned1" || here.kind === "ownedRun" || here.kind === "ownedDigit";
        let flags = state.flags;
        const is = tokens.map((g, index) => {
            if (ownedChar && g!.kind !== "char") flags |= 1 << index;
            return g!.kind === "star" ? state.is[index] : state.is[index] + 1;
        });
        const j = here.kind === "any" || here.kind === "ownedRun" ? state.j : state.j + 1;
        queue.push({ j, is, flags });
    }
    return false;
}

/** Can `pattern` match some value of the template (with the owned-run rule above)? */
export const patternMatchesTemplate = (pattern: string, t: Template, ignoreCase = false, options = GLOB) =>
    jointlyMatchable(t, [matcher(pattern, ignoreCase, options)]);

/** Do two wildcard patterns share a value? */
export function patternsIntersect(a: string, b: string, ignoreCase = false): boolean {
    const t = patternTemplate(a);
    return t !== undefined && jointlyMatchable(t, [matcher(b, ignoreCase)]);
}

/** The pattern read back as a wildcard pattern (templates' runs as `*`), to test coverage. */
export const templateAsPattern = (t: Template) =>
    t
        .map((token) =>
            token.kind === "char"
                ? token.ch
                : token.kind === "one"
                  ? "?"
                  : token.kind === "account"
                    ? "?".repeat(ACCOUNT_DIGITS)
                    : "*",
        )
        .join("");
