/**
 * The committed stack files, Pulumi.<stack>.yaml, read as Pulumi hands them to the program: every
 * tool that takes `--stack` and the mock engine read them here.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import type { StackConfig } from "../../config";
import { PROJECT } from "../../config";
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
    const file = path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
    const doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
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
