/**
 * The committed stack files, Pulumi.<stack>.yaml, read as Pulumi hands them to the program: every
 * tool that takes `--stack` and the mock engine read them here.
 */
import * as fs from "fs";
import * as path from "path";
import { YAMLError, parse as parseYaml } from "yaml";
import type { StackConfig } from "../../config";
import { ConfigError, PROJECT } from "../../config";
import { userError } from "./shell";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
/** The organization part of stack names on a self-managed backend (and in the committed files). */
export const ORGANIZATION = "organization";

/** Stacks with a committed Pulumi.<stack>.yaml, the logging stack first (deploy order). */
export function committedStacks(): string[] {
    return fs
        .readdirSync(PROJECT_ROOT)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort((a, b) => (a === "logging" ? -1 : b === "logging" ? 1 : a.localeCompare(b)));
}

export function qualifiedStackName(stack: string): string {
    return `${ORGANIZATION}/${PROJECT}/${stack}`;
}

/**
 * Reads a stack file into the `<namespace>:<key>` → string map Pulumi hands a program:
 * structured values become JSON text, scalars their string form.
 */
export function readStackConfig(stack: string): Record<string, string> {
    return parseStackFile(stack, fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
}

/** `readStackConfig` on the file's text; a YAML syntax error is a ConfigError naming the place. */
export function parseStackFile(stack: string, text: string): Record<string, string> {
    let doc: { config?: Record<string, unknown> };
    try {
        doc = (parseYaml(text) ?? {}) as typeof doc;
    } catch (error) {
        if (!(error instanceof YAMLError)) throw error;
        // A config error, not a bug: name the file and the place, as Pulumi would refuse it too.
        const where = error.linePos ? ` at line ${error.linePos[0].line}` : "";
        const what = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        throw new ConfigError([
            `Pulumi.${stack}.yaml is not valid YAML${where}: ${what}. Fix: correct that line (every key under config: indented by the same number of spaces, no tabs).`,
        ]);
    }
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return config;
}

/** The typed config of a committed stack, or a user error naming the missing file. */
export async function committedConfig(stack: string): Promise<StackConfig> {
    const { parseStackConfig } = await import("../../config");
    if (!/^[A-Za-z0-9_.-]+$/.test(stack) || !fs.existsSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`))) {
        throw userError(`No stack file Pulumi.${stack}.yaml in ${PROJECT_ROOT}. Fix: pass a committed stack's name.`);
    }
    return parseStackConfig(stack, readStackConfig(stack));
}
