/** Builds the arguments CrossGuard hands a policy, so policies can be called as plain functions. */
import * as assert from "assert";
import type { Policy, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

const defaultsOf = (policy: Policy) =>
    Object.fromEntries(
        Object.entries(policy.configSchema?.properties ?? {}).map(([k, schema]) => [
            k,
            (schema as { default?: unknown }).default,
        ]),
    );

const common = (policy: Policy, config: Record<string, unknown>) => ({
    stackTags: new Map<string, string>(),
    getConfig: () => ({ ...defaultsOf(policy), ...config }),
    notApplicable: (): never => {
        throw new Error("not applicable");
    },
});

/** Runs a resource policy on one resource named `name` (default "r"); returns the violation messages. */
export function resourceViolations(
    policy: ResourceValidationPolicy,
    type: string,
    props: Record<string, any>,
    config: Record<string, unknown> = {},
    name = "r",
): string[] {
    const messages: string[] = [];
    const args = {
        ...common(policy, config),
        type,
        props,
        urn: `urn:pulumi:test::project::${type}::${name}`,
        name,
        opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
        isType: () => false,
        asType: () => undefined,
    };
    for (const validate of [policy.validateResource!].flat()) validate(args as any, (m) => messages.push(m));
    return messages;
}

export interface FixtureResource {
    type: string;
    name: string;
    props: Record<string, any>;
    provider?: { type: string; name: string };
    /** A component resource (no provider of its own); otherwise a resource without a provider uses the default one. */
    component?: boolean;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
}

/**
 * The provider CrossGuard hands a resource: every custom resource has one (the engine creates
 * `default` / `default_<version>` when the program names none, see pulumi/pulumi-policy's
 * provider integration test), with the provider's inputs as props. Providers, the stack and
 * components have none.
 */
function providerOf(f: FixtureResource, fixtures: readonly FixtureResource[]) {
    if (f.component || f.type.startsWith("pulumi:")) return undefined;
    const reference = f.provider ?? { type: `pulumi:providers:${f.type.split(":")[0]}`, name: "default" };
    const registered = fixtures.find((p) => p.type === reference.type && p.name === reference.name);
    return { ...reference, urn: `urn:${reference.type}::${reference.name}`, props: registered?.props ?? {} };
}

/**
 * Runs a stack policy on fixture resources (dependencies by name, providers as the engine
 * presents them); returns the violation messages.
 */
export function stackViolations(
    policy: StackValidationPolicy,
    fixtures: FixtureResource[],
    config: Record<string, unknown> = {},
): string[] {
    const resources = fixtures.map((f) => ({
        ...f,
        urn: `urn:${f.type}::${f.name}`,
        dependencies: [],
        propertyDependencies: {},
    })) as unknown as PolicyResource[];
    const byName = new Map(resources.map((r) => [r.name, r]));
    fixtures.forEach((f, i) => {
        const r = resources[i] as any;
        r.dependencies = (f.dependencies ?? []).map((n) => byName.get(n));
        r.propertyDependencies = Object.fromEntries(
            Object.entries(f.propertyDependencies ?? {}).map(([k, ns]) => [k, ns.map((n) => byName.get(n))]),
        );
        r.provider = providerOf(f, fixtures);
    });
    const messages: string[] = [];
    policy.validateStack!({ ...common(policy, config), resources } as any, (m) => messages.push(m));
    return messages;
}

/** One row of a table-driven policy test: what changed from the compliant baseline, and the exact messages. */
export interface Case<T> {
    readonly name: string;
    readonly input: T;
    readonly expected: readonly string[];
}

/** One mocha test per row; each asserts the exact list of messages. */
export function table<T>(cases: readonly Case<T>[], run: (input: T) => string[]): void {
    for (const c of cases) {
        it(c.name, () => assert.deepStrictEqual(run(c.input), c.expected));
    }
}
