/**
 * The offline policy gate (`npm run gate`): evaluates the CrossGuard pack on what each committed
 * stack registers under the mock engine, with the pack's enforcement levels and the committed
 * policy config applied as `pulumi preview --policy-pack policies --policy-pack-config
 * policies/config.json` would, and fails on any mandatory violation. Needs no credentials.
 *
 * What it relies on, as the real CrossGuard does it (@pulumi/policy's server, and its provider
 * integration test): provider resources are ordinary entries of the stack's resources, typed
 * `pulumi:providers:<package>` and named as the program named them (`default_<version>` for a
 * default provider); they reach validateResource too. Their props are the inputs the engine
 * registered, where a provider's list and object settings are JSON text (allowedAccountIds:
 * '["111111111111"]'): the recorded state keeps that shape, and the policies read both.
 * Every custom resource carries its provider ({type, name, urn, props}); stack policies read the
 * provider's region and pinned account from those props (opensearch-no-public-access pairs a
 * DomainPolicy with the domain of the same account and Region). A custom resource the program
 * gave no provider is presented with the default one, as the engine does; components, providers
 * and the stack have none.
 * A policy may carry both validateResource and validateStack; each runs in its own phase.
 */
import * as fs from "fs";
import * as path from "path";
import type {
    EnforcementLevel,
    Policies,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "../../policies/pack";
import { runCli, usageError, userError } from "../cli/shell";
import { PROJECT_ROOT, ProgramRun, RecordedResource, runAllStacks } from "./mockEngine";

export interface Violation {
    readonly policy: string;
    readonly description: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly message: string;
    readonly resource?: { readonly type: string; readonly name: string; readonly urn: string };
}

type PolicyConfigFile = Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

const PACK_DIR = path.join(PROJECT_ROOT, "policies");
const PACK_VERSION: string = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8")).version;

export function readPolicyConfig(file = path.join(PACK_DIR, "config.json")): PolicyConfigFile {
    if (!fs.existsSync(file)) return {};
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw userError(
            `${path.relative(PROJECT_ROOT, file)} is not valid JSON (${(err as Error).message}); fix it: it is the policy config \`pulumi preview --policy-pack-config\` reads.`,
        );
    }
}

/** Thrown by `notApplicable`, as the policy runtime does, and treated as "no violation". */
class NotApplicable extends Error {}

/** Turns recorded registrations into what CrossGuard hands policies (props are inputs and outputs). */
export function policyResources(run: ProgramRun): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const urnOf = (reference: string | undefined) => reference?.split("::").slice(0, -1).join("::");
    const toPolicyResource = (r: RecordedResource): PolicyResource =>
        ({
            type: r.type,
            name: r.name,
            urn: r.urn,
            props: r.state,
            opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
            dependencies: [],
            propertyDependencies: {},
            isType: (cls: { __pulumiType?: string }) => cls.__pulumiType === r.type,
            asType: (cls: { __pulumiType?: string }) => (cls.__pulumiType === r.type ? r.state : undefined),
        }) as unknown as PolicyResource;
    for (const r of run.resources) byUrn.set(r.urn, toPolicyResource(r));
    for (const r of run.resources) {
        const resource = byUrn.get(r.urn) as any;
        resource.parent = r.parent ? byUrn.get(r.parent) : undefined;
        resource.dependencies = r.dependsOn.map((u) => byUrn.get(u)).filter(Boolean);
        resource.propertyDependencies = Object.fromEntries(
            Object.entries(r.propertyDependencies).map(([k, urns]) => [
                k,
                urns.map((u) => byUrn.get(u)).filter(Boolean),
            ]),
        );
        if (r.custom && !r.type.startsWith("pulumi:")) {
            const provider = byUrn.get(urnOf(r.provider) ?? "");
            // No provider reference means the engine would create a default one.
            resource.provider = provider
                ? { type: provider.type, name: provider.name, urn: provider.urn, props: provider.props }
                : { type: `pulumi:providers:${r.type.split(":")[0]}`, name: "default", urn: "", props: {} };
        }
    }
    return [...byUrn.values()];
}

/** Runs every policy of `policies` on one recorded program run. */
export function evaluatePolicies(
    run: ProgramRun,
    policies: Policies = POLICIES,
    config: PolicyConfigFile = readPolicyConfig(),
): Violation[] {
    const resources = policyResources(run);
    const violations: Violation[] = [];
    for (const policy of policies) {
        const configured = config[policy.name];
        const settings = typeof configured === "object" ? configured : {};
        const enforcementLevel: EnforcementLevel =
            (typeof configured === "string" ? configured : settings.enforcementLevel) ??
            policy.enforcementLevel ??
            "mandatory";
        if (enforcementLevel === "disabled") continue;
        const defaults = Object.fromEntries(
            Object.entries(policy.configSchema?.properties ?? {}).map(([k, schema]) => [
                k,
                (schema as { default?: unknown }).default,
            ]),
        );
        const common = {
            stackTags: new Map<string, string>(),
            getConfig: () => ({ ...defaults, ...settings }),
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        };
        const record = (message: string, resource?: PolicyResource) =>
            violations.push({
                policy: policy.name,
                description: policy.description,
                enforcementLevel,
                message,
                resource: resource && { type: resource.type, name: resource.name, urn: resource.urn },
            });
        const guard = (fn: () => void) => {
            try {
                fn();
            } catch (err) {
                if (!(err instanceof NotApplicable)) throw err;
            }
        };
        const resourcePolicy = policy as ResourceValidationPolicy;
        if (resourcePolicy.validateResource) {
            const validations = [resourcePolicy.validateResource].flat();
            for (const resource of resources) {
                const args = { ...common, ...resource };
                for (const validate of validations) {
                    guard(() => void validate(args as any, (message) => record(message, resource)));
                }
            }
        }
        const stackPolicy = policy as StackValidationPolicy;
        if (stackPolicy.validateStack) {
            guard(
                () =>
                    void stackPolicy.validateStack!({ ...common, resources } as any, (message, urn) =>
                        record(message, urn ? resources.find((r) => r.urn === urn) : undefined),
                    ),
            );
        }
    }
    return violations;
}

/** Renders violations the way `pulumi preview` lists them. */
export function renderViolations(stack: string, violations: readonly Violation[]): string {
    const mandatory = violations.some((v) => v.enforcementLevel === "mandatory");
    const lines = [
        `Policies for stack ${stack}:`,
        `    ${mandatory ? "❌" : "✅"} ${PACK_NAME}@v${PACK_VERSION} (local: policies)`,
    ];
    for (const v of violations) {
        const where = v.resource ? `  (${v.resource.type}: ${v.resource.name})` : "";
        lines.push(
            `        - [${v.enforcementLevel}]  ${v.policy}${where}`,
            `          ${v.description}`,
            `          ${v.message}`,
        );
    }
    if (violations.length === 0) lines.push("        no violations");
    return lines.join("\n");
}

export function blocks(violations: readonly Violation[]): boolean {
    return violations.some((v) => v.enforcementLevel === "mandatory");
}

export const GATE_USAGE = `usage: npm run gate

The offline policy gate: runs every committed Pulumi.<stack>.yaml under the mock engine and
evaluates the CrossGuard pack in policies/ on what each stack registers, with the enforcement
levels and policies/config.json applied as \`pulumi preview --policy-pack policies
--policy-pack-config policies/config.json\` would. Prints violations as pulumi preview does and
exits 1 on any mandatory one. Needs no credentials and takes no options (--help: this text).`;

export async function main(argv: readonly string[]): Promise<void> {
    if (argv.length > 0) throw usageError(`npm run gate takes no options, got ${argv.join(" ")}.`);
    let blocked = false;
    for (const run of await runAllStacks()) {
        const violations = evaluatePolicies(run);
        console.log(`${renderViolations(run.stack, violations)}\n`);
        blocked ||= blocks(violations);
    }
    console.log(blocked ? "Policy gate: FAILED (mandatory violations above)." : "Policy gate: passed for every stack.");
    process.exitCode = blocked ? 1 : 0;
}

if (require.main === module) runCli(main, { usage: GATE_USAGE, help: "npm run gate -- --help" });
