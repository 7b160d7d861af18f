import * as assert from "assert";
import * as path from "path";
import { blocks, evaluatePolicies, policyResources, renderViolations } from "../tools/local/gate";
import { ProgramRun, qualifiedStackName } from "../tools/local/mockEngine";
import { POLICIES } from "../policies/pack";
import { committedRun, committedRuns, runWith } from "./support/program";

describe("offline policy gate", () => {
    let unsafe: ProgramRun;
    before(async () => {
        const logging = await committedRun("logging");
        unsafe = await runWith("logging", {
            entrypoint: path.join(__dirname, "fixtures", "unsafeProgram.ts"),
            stackOutputs: { [qualifiedStackName("logging")]: logging.outputs },
        });
    });

    it("passes every committed stack", async () => {
        for (const run of await committedRuns()) assert.deepStrictEqual(evaluatePolicies(run), [], run.stack);
    });

    it("stops a program change that adds a public domain, an open bucket, a role anyone may assume and an unauthenticated URL", () => {
        const violations = evaluatePolicies(unsafe);
        assert.ok(blocks(violations));
        assert.deepStrictEqual(
            violations.map((v) => [v.policy, v.resource?.name]),
            [
                ["opensearch-no-public-access", "quick-search"],
                ["opensearch-encryption-at-rest", "quick-search"],
                ["opensearch-node-to-node-encryption", "quick-search"],
                ["opensearch-https-tls12", "quick-search"],
                ["opensearch-https-tls12", "quick-search"],
                ["opensearch-fine-grained-access-control", "quick-search"],
                ["s3-bucket-public-access-block", "exports"],
                ["s3-bucket-server-side-encryption", "exports"],
                ["s3-bucket-tls-only", "exports"],
                ["s3-bucket-no-public-policy", "exports-policy"],
                ["iam-role-trust-no-public-assume", "quick-role"],
                ["lambda-function-url-auth", "quick-url"],
                ["pulumi-provider-allowed-account-ids", "quick-unpinned"],
            ],
        );
    });

    it("judges providers as preview hands them over: allowedAccountIds as JSON text", async () => {
        const run = await committedRun("resource-us-east-1");
        const provider = policyResources(run).find((r) => r.type === "pulumi:providers:aws");
        assert.strictEqual(provider?.props.allowedAccountIds, '["222222222222"]');
        const unpinned = {
            ...run,
            resources: run.resources.map((r) =>
                r.type === "pulumi:providers:aws" ? { ...r, state: { ...r.state, allowedAccountIds: "[]" } } : r,
            ),
        };
        assert.deepStrictEqual(
            evaluatePolicies(unpinned).map((v) => v.message),
            [
                "Provider central-waf-logs-resource-us-east-1 (pulumi:providers:aws) does not pin allowedAccountIds; set allowedAccountIds to the stack's account.",
            ],
        );
    });

    it("stops a configuration change that lets another account's role into the search domain", async () => {
        const contractor = "arn:aws:iam::999999999999:role/contractor";
        const run = await runWith("logging", {
            configOverrides: { "central-waf-logs:search": JSON.stringify({ adminRoleArns: [contractor] }) },
        });
        const violations = evaluatePolicies(run);
        assert.ok(blocks(violations));
        assert.deepStrictEqual(
            // The admins are admitted as their account's root with an aws:PrincipalArn condition.
            violations.map((v) => [v.policy, v.resource?.name, v.message.includes("arn:aws:iam::999999999999:root")]),
            [["opensearch-no-public-access", "search-domain", true]],
        );
    });

    it("judges the resource policies the program writes besides buckets, keys and domains (alert topic and bus, log delivery)", async () => {
        const run = await committedRun("logging");
        const open = (action: string) =>
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Sid: "Open", Effect: "Allow", Principal: "*", Action: action, Resource: "*" }],
            });
        const opened: Record<string, [string, string]> = {
            "alerts-topic-policy": ["policy", open("sns:Publish")],
            "alerts-bus-policy": ["policy", open("events:PutEvents")],
            "search-log-delivery": ["policyDocument", open("logs:PutLogEvents")],
        };
        const changed = {
            ...run,
            resources: run.resources.map((r) =>
                opened[r.name] ? { ...r, state: { ...r.state, [opened[r.name][0]]: opened[r.name][1] } } : r,
            ),
        };
        assert.deepStrictEqual(
            evaluatePolicies(changed).map((v) => [v.policy, v.resource?.name, v.message.split(";")[0]]),
            [
                [
                    "sns-topic-no-public-access",
                    "alerts-topic-policy",
                    "SNS topic policy alerts-topic-policy: statement Open allows sns:Publish to principals of any AWS account",
                ],
                [
                    "eventbridge-bus-no-public-access",
                    "alerts-bus-policy",
                    "EventBridge bus policy alerts-bus-policy: statement Open allows events:PutEvents to principals of any AWS account",
                ],
                [
                    "logs-resource-policy-no-public-access",
                    "search-log-delivery",
                    "CloudWatch Logs resource policy search-log-delivery: statement Open allows logs:PutLogEvents to principals of any AWS account",
                ],
            ],
        );
    });

    it("applies policy config as the CLI would: an advisory level reports without blocking", () => {
        const advisory = Object.fromEntries(POLICIES.map((p) => [p.name, "advisory" as const]));
        const violations = evaluatePolicies(unsafe, undefined, advisory);
        assert.strictEqual(violations.length, 13);
        assert.ok(!blocks(violations));
        assert.deepStrictEqual(
            evaluatePolicies(unsafe, undefined, { ...advisory, "opensearch-no-public-access": "disabled" }).length,
            12,
        );
    });

    it("prints violations the way pulumi preview lists them", () => {
        const text = renderViolations("logging", evaluatePolicies(unsafe).slice(0, 1));
        assert.strictEqual(
            text,
            [
                "Policies for stack logging:",
                "    ❌ central-waf-logs@v0.3.0 (local: policies)",
                "        - [mandatory]  opensearch-no-public-access  (aws:opensearch/domain:Domain: quick-search)",
                "          OpenSearch domains must never be reachable from the internet: they run in a VPC, without anonymous access, and no access policy opens them to callers outside the organization.",
                "          The OpenSearch domain is not in a VPC. This product runs search domains in a VPC only, whatever their access policy says (a public endpoint is one policy edit away from the internet); set vpcOptions.subnetIds and vpcOptions.securityGroupIds.",
            ].join("\n"),
        );
    });

    it("treats a resource without a provider as using the default provider", async () => {
        const run = await committedRun("resource-eu-west-1");
        const stripped = {
            ...run,
            resources: run.resources.map((r) => (r.name === "copier-failures" ? { ...r, provider: undefined } : r)),
        };
        assert.deepStrictEqual(
            evaluatePolicies(stripped).map((v) => [v.policy, v.resource?.name]),
            [["pulumi-explicit-provider", "copier-failures"]],
        );
    });
});
