import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PACK_NAME, POLICIES } from "../../policies/pack";

describe("the policy pack", () => {
    const dir = path.join(__dirname, "..", "..", "policies");

    it("names every policy in kebab case with a service prefix, uniquely", () => {
        const names = POLICIES.map((p) => p.name);
        assert.strictEqual(new Set(names).size, names.length);
        for (const name of names) {
            assert.match(
                name,
                /^(opensearch|s3|kms|waf|iam|lambda|pulumi|sns|eventbridge|logs|sqs|secretsmanager)-[a-z0-9]+(-[a-z0-9]+)*$/,
            );
        }
    });

    it("describes every policy in a full sentence and makes each mandatory", () => {
        for (const policy of POLICIES) {
            assert.match(policy.description, /^[A-Z].{20,}\.$/, policy.name);
            assert.strictEqual(policy.enforcementLevel, "mandatory", policy.name);
        }
    });

    it("covers every rule the pack promises", () => {
        assert.deepStrictEqual(POLICIES.map((p) => p.name).sort(), [
            "eventbridge-bus-no-public-access",
            "iam-no-managed-full-access",
            "iam-no-wildcard-allow",
            "iam-role-trust-no-public-assume",
            "kms-key-no-public-access",
            "lambda-function-url-auth",
            "lambda-layer-no-public-access",
            "lambda-permission-no-public-invoke",
            "logs-resource-policy-no-public-access",
            "opensearch-encryption-at-rest",
            "opensearch-fine-grained-access-control",
            "opensearch-https-tls12",
            "opensearch-no-public-access",
            "opensearch-node-to-node-encryption",
            "opensearch-serverless-no-public-access",
            "pulumi-explicit-provider",
            "pulumi-provider-allowed-account-ids",
            "s3-access-point-no-public-policy",
            "s3-bucket-no-public-acl",
            "s3-bucket-no-public-policy",
            "s3-bucket-public-access-block",
            "s3-bucket-server-side-encryption",
            "s3-bucket-tls-only",
            "s3-object-lock-denies-bypass",
            "secretsmanager-secret-no-public-access",
            "sns-topic-no-public-access",
            "sqs-queue-no-public-access",
            "waf-logging-destination-prefix",
        ]);
    });

    it("lists every policy in docs/security.md, each with what it catches and what it allows", () => {
        const page = fs.readFileSync(path.join(dir, "..", "docs", "security.md"), "utf8");
        const section = page.slice(page.indexOf("# Security: what the policy pack refuses"));
        const next = section.indexOf("\n## ", 3);
        const text = next > 0 ? section.slice(0, next) : section;
        for (const policy of POLICIES) {
            const row = text.split("\n").find((line) => line.startsWith(`| \`${policy.name}\``));
            assert.ok(row, `docs/security.md has no row for ${policy.name}`);
            const cells = row
                .split("|")
                .map((c) => c.trim())
                .filter(Boolean);
            assert.strictEqual(cells.length, 3, `${policy.name}: policy, what it catches, what it allows`);
        }
    });

    it("is a publishable pack: PulumiPolicy.yaml, a versioned package.json with a lock file, an index.ts that builds the pack", () => {
        assert.match(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
        assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
        assert.ok(pkg.dependencies["@pulumi/policy"]);
        assert.ok(pkg.dependencies["ipaddr.js"], "the pack reads CIDRs with ipaddr.js, so it must depend on it itself");
        const lock = JSON.parse(fs.readFileSync(path.join(dir, "package-lock.json"), "utf8"));
        assert.strictEqual(lock.packages[""].dependencies["ipaddr.js"], pkg.dependencies["ipaddr.js"]);
        assert.match(
            fs.readFileSync(path.join(dir, "index.ts"), "utf8"),
            /new PolicyPack\(PACK_NAME, \{ policies: POLICIES/,
        );
        assert.strictEqual(PACK_NAME, "central-waf-logs");
    });
});
