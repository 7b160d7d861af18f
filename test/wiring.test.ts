import * as assert from "assert";
import { wafHomeOf } from "../layout";
import * as path from "path";
import { describeError } from "../tools/cli/shell";
import { runProgram } from "../tools/local/mockEngine";
import { committedRuns, failureOf, runWith } from "./support/program";

const P = "central-waf-logs";

describe("stack wiring and providers", () => {
    it("plans the committed stacks once per process, even after the mock engine reloads the project's modules", async () => {
        const first = await committedRuns();
        // What the mock engine does on every run, and what a parallel mocha worker sees per file.
        const file = require.resolve("./support/program");
        delete require.cache[file];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const reloaded = require(file) as typeof import("./support/program");
        assert.strictEqual(await reloaded.committedRuns(), first);
    });

    it("fails a program run whose Lambda callback cannot be serialized, naming the cause, instead of hanging", async () => {
        await assert.rejects(
            runProgram("logging", { entrypoint: path.join(__dirname, "fixtures", "unserializableCallback.ts") }),
            /Error serializing function 'handlerFactory'[\s\S]*Unexpected missing variable in closure environment: answer/,
        );
    });

    it("creates every AWS resource through the stack's own account-pinned provider", async () => {
        for (const run of await committedRuns()) {
            const [provider] = run.resources.filter((r) => r.type === "pulumi:providers:aws");
            assert.ok(provider, `${run.stack} has no explicit aws provider`);
            assert.deepStrictEqual(provider.inputs.allowedAccountIds, [run.config[`${P}:accountId`]]);
            // A `global` (CloudFront) stack deploys to us-east-1.
            assert.strictEqual(provider.inputs.region, wafHomeOf(run.config[`${P}:region`]).region);
            const awsResources = run.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
            for (const resource of awsResources) {
                assert.ok(
                    resource.provider?.startsWith(`${provider.urn}::`),
                    `${run.stack}: ${resource.type} ${resource.name} uses ${resource.provider ?? "the default provider"}`,
                );
            }
        }
    });

    it("sends every invoke through the explicit provider (and none is left unmocked)", async () => {
        for (const run of await committedRuns()) {
            for (const invoke of run.invokes) {
                assert.ok(invoke.provider?.includes("pulumi:providers:aws::central-waf-logs-"), `${invoke.token}`);
            }
        }
    });

    it("assumes the configured deployment role and tags every resource with project and stack", async () => {
        const [logging, , euWest, , usEast] = await committedRuns();
        const providerOf = (stack: typeof logging) => stack.resources.find((r) => r.type === "pulumi:providers:aws")!;
        assert.deepStrictEqual(providerOf(logging).inputs.assumeRoles, [
            {
                roleArn: "arn:aws:iam::111111111111:role/central-waf-logs-deployer",
                sessionName: "central-waf-logs-logging",
            },
        ]);
        assert.strictEqual(providerOf(euWest).inputs.assumeRoles, undefined, "no role configured: ambient credentials");
        assert.deepStrictEqual(providerOf(usEast).inputs.defaultTags, {
            tags: { project: "central-waf-logs", stack: "resource-us-east-1", "managed-by": "pulumi" },
        });
    });

    it("has each resource stack read the logging stack's recorded outputs", async () => {
        const runs = await committedRuns();
        assert.deepStrictEqual(
            runs.map((r) => [r.stack, r.references]),
            [
                ["logging", []],
                ["resource-ap-southeast-2", ["organization/central-waf-logs/logging"]],
                ["resource-eu-west-1", ["organization/central-waf-logs/logging"]],
                ["resource-global", ["organization/central-waf-logs/logging"]],
                ["resource-us-east-1", ["organization/central-waf-logs/logging"]],
            ],
        );
        const logging = runs[0];
        for (const run of runs.slice(1)) {
            assert.strictEqual(run.outputs.centralBucketName, logging.outputs.centralBucketName);
        }
    });

    it("fails with the name of a logging output that is missing", async () => {
        const logging = (await committedRuns())[0];
        const { centralKeyArn: _dropped, ...outputs } = logging.outputs;
        const message = await failureOf("resource-us-east-1", {
            stackOutputs: { "organization/central-waf-logs/logging": outputs },
        });
        assert.strictEqual(
            message,
            `Logging stack organization/central-waf-logs/logging has no output "centralKeyArn" (read by ${P}:loggingStack). Fix: run \`pulumi up -s logging\` with this version of the program, then retry.`,
        );
    });

    it("refuses an account the logging stack does not admit", async () => {
        const message = await failureOf("resource-eu-west-1", {
            configOverrides: { [`${P}:accountId`]: "444444444444" },
        });
        assert.strictEqual(
            message,
            `Account 444444444444 (${P}:accountId) is not a resource account of logging stack organization/central-waf-logs/logging, which admits 222222222222, 333333333333. Fix: add it to ${P}:resourceAccounts in Pulumi.logging.yaml and run \`pulumi up -s logging\`, or correct ${P}:accountId.`,
        );
    });

    it("refuses a Region the logging stack does not admit for the account, as a config error (no stack trace)", async () => {
        const error = await runWith("resource-eu-west-1", { configOverrides: { [`${P}:region`]: "us-east-1" } }).then(
            () => assert.fail("the run should fail"),
            (err: Error) => err,
        );
        const message = describeError(error, "npm start -- --help");
        assert.strictEqual(
            message,
            `Region us-east-1 (${P}:region) is not allowed for account 333333333333 by logging stack organization/central-waf-logs/logging, which admits eu-west-1. Fix: add us-east-1 to that account's regions in ${P}:resourceAccounts in Pulumi.logging.yaml and run \`pulumi up -s logging\`, or correct ${P}:region.`,
        );
    });

    it("accepts a Region once the logging stack admits it", async () => {
        const logging = (await committedRuns())[0];
        const outputs = { ...logging.outputs, allowedAccounts: { "333333333333": ["eu-west-1", "us-east-1"] } };
        const run = await runWith("resource-eu-west-1", {
            configOverrides: { [`${P}:region`]: "us-east-1" },
            stackOutputs: { "organization/central-waf-logs/logging": outputs },
        });
        assert.strictEqual(run.outputs.region, "us-east-1");
    });
});
