import { pulumiExplicitProvider } from "../../policies/pulumiExplicitProvider";
import { pulumiProviderAllowedAccountIds } from "../../policies/pulumiProviderAllowedAccountIds";
import { FixtureResource, resourceViolations, stackViolations, table } from "../support/policyArgs";

describe("policy pulumi-explicit-provider", () => {
    const bucket = (name: string, provider: string): FixtureResource => ({
        type: "aws:s3/bucket:Bucket",
        name,
        props: {},
        provider: { type: "pulumi:providers:aws", name: provider },
    });
    table<FixtureResource[]>(
        [
            {
                name: "accepts resources created through an explicit provider",
                input: [bucket("a", "central-waf-logs-logging")],
                expected: [],
            },
            {
                name: "accepts a component resource, which has no provider of its own",
                input: [
                    bucket("a", "central-waf-logs-logging"),
                    { type: "central-waf-logs:index:CentralLogBucket", name: "c", props: {}, component: true },
                ],
                expected: [],
            },
            {
                name: "rejects a custom resource the program gave no provider (the engine presents it with default_<version>)",
                input: [{ type: "aws:s3/bucket:Bucket", name: "x", props: {} }],
                expected: [
                    "aws:s3/bucket:Bucket x uses the default aws provider; pass the stack's provider (opts.provider or a parent's providers).",
                ],
            },
            {
                name: "rejects a resource created through a default provider",
                input: [bucket("a", "central-waf-logs-logging"), bucket("b", "default_7_12_0")],
                expected: [
                    "aws:s3/bucket:Bucket b uses the default aws provider; pass the stack's provider (opts.provider or a parent's providers).",
                ],
            },
        ],
        (fixtures) => stackViolations(pulumiExplicitProvider, fixtures),
    );
});

describe("policy pulumi-provider-allowed-account-ids", () => {
    const check = ([type, name, props]: [string, string, Record<string, unknown>]) =>
        resourceViolations(pulumiProviderAllowedAccountIds, type, props, {}, name);
    table<[string, string, Record<string, unknown>]>(
        [
            {
                name: "accepts a provider pinned to its account, as JSON text (how preview hands provider inputs over)",
                input: [
                    "pulumi:providers:aws",
                    "logging",
                    { region: "us-east-1", allowedAccountIds: '["111111111111"]' },
                ],
                expected: [],
            },
            {
                name: "accepts a provider pinned to its account, as a list",
                input: ["pulumi:providers:aws", "logging", { allowedAccountIds: ["111111111111"] }],
                expected: [],
            },
            {
                name: "rejects an explicit provider without allowedAccountIds",
                input: ["pulumi:providers:aws", "quick", { region: "us-east-1" }],
                expected: [
                    "Provider quick (pulumi:providers:aws) does not pin allowedAccountIds; set allowedAccountIds to the stack's account.",
                ],
            },
            {
                name: "rejects an empty list given as JSON text",
                input: ["pulumi:providers:aws", "quick", { allowedAccountIds: "[]" }],
                expected: [
                    "Provider quick (pulumi:providers:aws) does not pin allowedAccountIds; set allowedAccountIds to the stack's account.",
                ],
            },
            {
                name: "rejects entries that are not account IDs",
                input: ["pulumi:providers:aws", "quick", { allowedAccountIds: '["111111111111","*"]' }],
                expected: [
                    "Provider quick (pulumi:providers:aws) lists allowedAccountIds that are not 12-digit account IDs (*); list the stack's account ID.",
                ],
            },
            {
                name: "checks aws-native providers too",
                input: ["pulumi:providers:aws-native", "native", { region: "us-east-1" }],
                expected: [
                    "Provider native (pulumi:providers:aws-native) does not pin allowedAccountIds; set allowedAccountIds to the stack's account.",
                ],
            },
            {
                name: "leaves default providers to pulumi-explicit-provider",
                input: ["pulumi:providers:aws", "default_7_48_0", { version: "7.48.0" }],
                expected: [],
            },
            { name: "ignores other providers", input: ["pulumi:providers:random", "r", {}], expected: [] },
        ],
        check,
    );
});
