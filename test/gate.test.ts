import * as assert from "assert";
import * as path from "path";
import { blocks, evaluatePolicies, renderViolations } from "../tools/gate";
import { ProgramRun, qualifiedStackName } from "../tools/mockEngine";
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

    it("stops a program change that adds a public OpenSearch domain and an unguarded bucket", () => {
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
            violations.map((v) => [v.policy, v.resource?.name, v.message.includes(contractor)]),
            [["opensearch-no-public-access", "search-domain", true]],
        );
    });

    it("applies policy config as the CLI would: an advisory level reports without blocking", () => {
        const advisory = Object.fromEntries(
            [
                "opensearch-no-public-access",
                "opensearch-encryption-at-rest",
                "opensearch-node-to-node-encryption",
                "opensearch-https-tls12",
                "opensearch-fine-grained-access-control",
                "s3-bucket-public-access-block",
                "s3-bucket-server-side-encryption",
                "s3-bucket-tls-only",
            ].map((name) => [name, "advisory" as const]),
        );
        const violations = evaluatePolicies(unsafe, undefined, advisory);
        assert.strictEqual(violations.length, 9);
        assert.ok(!blocks(violations));
        assert.deepStrictEqual(
            evaluatePolicies(unsafe, undefined, { ...advisory, "opensearch-no-public-access": "disabled" }).length,
            8,
        );
    });

    it("prints violations the way pulumi preview lists them", () => {
        const text = renderViolations("logging", evaluatePolicies(unsafe).slice(0, 1));
        assert.strictEqual(
            text,
            [
                "Policies for stack logging:",
                "    ❌ central-waf-logs@v0.1.0 (local: policies)",
                "        - [mandatory]  opensearch-no-public-access  (aws:opensearch/domain:Domain: quick-search)",
                "          OpenSearch domains must never be reachable from the internet: they are placed in a VPC, or their access policy grants no wildcard principal without a restricting condition.",
                "          The OpenSearch domain is not in a VPC and its access policy grants a wildcard principal without a restricting condition (source VPC endpoint, a source IP range that is not open to the world, or the organization); place the domain in a VPC or name the principals.",
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
