/**
 * Text rendering of what a stack would create, as `pulumi preview` would list it: a tree of
 * resources by parent, then the stack's outputs and the stacks it reads.
 */
import { ProgramRun, RecordedResource } from "./mockEngine";

export function renderResourceTree(resources: readonly RecordedResource[]): string[] {
    const children = new Map<string | undefined, RecordedResource[]>();
    const known = new Set(resources.map((r) => r.urn));
    for (const resource of resources) {
        // A parent that was never registered (the implicit Stack) counts as the root.
        const parent = resource.parent && known.has(resource.parent) ? resource.parent : undefined;
        children.set(parent, [...(children.get(parent) ?? []), resource]);
    }
    const lines: string[] = [];
    const walk = (parent: string | undefined, indent: string) => {
        // Registration order depends on promise timing; sort so the plan is stable to diff.
        const level = [...(children.get(parent) ?? [])].sort(
            (a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
        );
        level.forEach((resource, i) => {
            const last = i === level.length - 1;
            lines.push(`${indent}${last ? "└─" : "├─"} ${resource.type}  ${resource.name}`);
            walk(resource.urn, `${indent}${last ? "   " : "│  "}`);
        });
    };
    walk(undefined, "");
    return lines;
}

function summarize(value: unknown): string {
    const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
    return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

export function renderPlan(run: ProgramRun): string {
    const lines = [`Stack ${run.stack}: ${run.resources.length} resources`, ...renderResourceTree(run.resources)];
    lines.push("  outputs:");
    for (const [name, value] of Object.entries(run.outputs)) lines.push(`    ${name}: ${summarize(value)}`);
    return lines.join("\n");
}

/** How stacks are wired: who reads whom, in deploy order. */
export function renderWiring(runs: readonly ProgramRun[]): string {
    const lines = ["Stack wiring (deploy in this order):"];
    for (const run of runs) {
        lines.push(
            run.references.length === 0
                ? `  ${run.stack}: reads no other stack`
                : `  ${run.stack}: reads ${run.references.join(", ")} through a StackReference`,
        );
    }
    return lines.join("\n");
}
