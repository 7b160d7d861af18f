/**
 * Generic reading of raw Pulumi config (`<project>:<key>` → string; structured values as JSON
 * text): every check records a problem naming the full key and the fix, instead of throwing, so
 * one preview lists every mistake at once.
 */
import { PROJECT, StackRole } from "./types";

const ACCOUNT_ID = /^\d{12}$/;
const REGION =
    /^(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso|-isob)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}$/;

export function isAccountId(value: unknown): value is string {
    return typeof value === "string" && ACCOUNT_ID.test(value);
}

export function isRegion(value: unknown): value is string {
    return typeof value === "string" && REGION.test(value);
}

/**
 * The known name closest to a mistyped one (a typo, a case slip, a missing letter), or undefined
 * when none is close: at most a third of the name's letters differ, counted case-insensitively.
 */
export function nearest(name: string, known: readonly string[]): string | undefined {
    let best: { name: string; distance: number } | undefined;
    for (const candidate of known) {
        const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
        if (distance <= Math.max(1, Math.floor(name.length / 3)) && (!best || distance < best.distance)) {
            best = { name: candidate, distance };
        }
    }
    return best?.name;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
            );
        }
        previous = current;
    }
    return previous[b.length];
}

/** The file a stack's configuration lives in, as Pulumi names it. */
export function stackFile(stack: string): string {
    return `Pulumi.${stack}.yaml`;
}

/** Collects problems instead of stopping at the first, so one preview shows them all. */
export class ConfigReader {
    readonly problems: string[] = [];

    constructor(
        protected readonly stack: string,
        private readonly raw: Readonly<Record<string, string>>,
    ) {}

    /**
     * Records a problem as one line naming the full key and the stack file it belongs in, e.g.
     * `Invalid config central-waf-logs:region in Pulumi.logging.yaml: ... Fix: ...`: with several
     * stacks in one project, the key alone does not say which file to open.
     */
    problem(key: string, what: string, fix: string): undefined {
        this.problems.push(`Invalid config ${PROJECT}:${key} in ${stackFile(this.stack)}: ${what}. Fix: ${fix}.`);
        return undefined;
    }

    protected setCommand(key: string, example: string): string {
        return `run \`pulumi config set ${key} ${example} -s ${this.stack}\``;
    }

    protected value(key: string): string | undefined {
        return this.raw[`${PROJECT}:${key}`];
    }

    string(key: string, example: string): string | undefined {
        const value = this.value(key);
        if (value === undefined || value === "") {
            return this.problem(key, "is required but not set", this.setCommand(key, example));
        }
        return value;
    }

    /** Parses a structured (YAML object or list) value; Pulumi passes these as JSON text. */
    json(key: string, fix: string): unknown {
        const value = this.value(key);
        if (value === undefined) return undefined;
        try {
            return JSON.parse(value);
        } catch {
            return this.problem(key, "is not a structured value", fix);
        }
    }

    /** Whether an object-valued key sets `field` (settings() already reported an unreadable value). */
    isSet(key: string, field: string): boolean {
        try {
            const given = JSON.parse(this.value(key) ?? "null");
            return typeof given === "object" && given !== null && given[field] !== undefined;
        } catch {
            return false;
        }
    }

    rejectUnknownKeys(known: readonly string[], role: StackRole): void {
        const prefix = `${PROJECT}:`;
        for (const fullKey of Object.keys(this.raw).sort()) {
            if (!fullKey.startsWith(prefix)) continue;
            const key = fullKey.slice(prefix.length);
            if (!known.includes(key)) {
                const near = nearest(key, known);
                this.problem(
                    key,
                    `is not a setting of a ${role} stack`,
                    `${near ? `did you mean ${PROJECT}:${near}? ` : ""}remove it or correct its spelling (known keys: ${known.join(", ")})`,
                );
            }
        }
    }

    accountId(key: string, value: unknown): string | undefined {
        if (value === undefined) return undefined;
        if (isAccountId(value)) return value;
        return this.problem(
            key,
            `${JSON.stringify(value)} is not a 12-digit AWS account ID`,
            'write the ID as a quoted 12-digit string, e.g. "123456789012"',
        );
    }

    region(key: string, value: unknown): string | undefined {
        if (value === undefined) return undefined;
        if (isRegion(value)) return value;
        return this.problem(
            key,
            `${JSON.stringify(value)} is not an AWS Region`,
            "use a Region code such as us-east-1 or eu-west-1",
        );
    }

    /** An optional whole number within [min, max]; structured values arrive as JSON text. */
    integer(key: string, min: number, max: number): number | undefined {
        const value = this.json(key, `use a whole number from ${min} to ${max}`);
        if (value === undefined) return undefined;
        return this.checkInteger(key, value, min, max);
    }

    checkInteger(key: string, value: unknown, min: number, max: number): number | undefined {
        if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
        return this.problem(
            key,
            `${JSON.stringify(value)} is not a whole number from ${min} to ${max}`,
            `use a value in that range`,
        );
    }

    /**
     * Reads an optional object whose fields each have a default and a check; unknown fields are
     * problems (a typo must not silently fall back to a default).
     */
    settings<T extends object>(
        key: string,
        defaults: T,
        checks: { [K in keyof T]-?: (value: unknown, at: string) => T[K] | undefined },
    ): T {
        const given = this.json(key, `give an object with ${Object.keys(checks).join(", ")}`);
        if (given === undefined) return defaults;
        if (typeof given !== "object" || given === null || Array.isArray(given)) {
            this.problem(key, "must be an object", `give an object with ${Object.keys(checks).join(", ")}`);
            return defaults;
        }
        const result = { ...defaults } as Record<string, unknown>;
        for (const [field, value] of Object.entries(given)) {
            const check = (checks as Record<string, (v: unknown, at: string) => unknown>)[field];
            if (!check) {
                const near = nearest(field, Object.keys(checks));
                this.problem(
                    `${key}.${field}`,
                    "is not a known setting",
                    `${near ? `did you mean ${key}.${near}? ` : ""}use one of ${Object.keys(checks).join(", ")}`,
                );
                continue;
            }
            const checked = check(value, `${key}.${field}`);
            if (checked !== undefined) result[field] = checked;
        }
        return result as T;
    }

    stringList(at: string, value: unknown, pattern: RegExp, fix: string): string[] | undefined {
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || !pattern.test(v))) {
            return this.problem(at, `${JSON.stringify(value)} is not a list of valid values`, fix);
        }
        return value as string[];
    }
}
