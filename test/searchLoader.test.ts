import * as assert from "assert";
import { ConfigError, parseStackConfig, searchPayloadLimitBytes } from "../config";
import { SEARCH_LOADER_FUNCTION } from "../names";
import { deployedEnvironment } from "../tools/local/deployedCode";
import { readStackConfig } from "../tools/local/mockEngine";
import { committedRun, only, policyDocument } from "./support/program";

const P = "central-waf-logs";
const MIB = 1024 * 1024;

/** The problems of the committed logging config with `search` replaced, or [] when accepted. */
function searchProblems(search: Record<string, unknown>): readonly string[] {
    const raw = { ...readStackConfig("logging"), [`${P}:search`]: JSON.stringify(search) };
    try {
        parseStackConfig("logging", raw);
        return [];
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.problems;
    }
}

const admins = ["arn:aws:iam::111111111111:role/security-admin"];

describe("search loader: payload cap, deployment and least privilege", () => {
    it("knows each instance type's documented HTTP payload limit, and assumes 10 MiB for undocumented small types", () => {
        const limits = Object.fromEntries(
            [
                "t3.small.search",
                "m6g.large.search",
                "c5.large.search",
                "r6g.large.search",
                "r5.large.search",
                "or2.medium.search",
                "r7g.large.search",
                "r7g.xlarge.search",
                "m5.12xlarge.search",
                "i3.16xlarge.search",
            ].map((type) => [type, searchPayloadLimitBytes(type) / MIB]),
        );
        assert.deepStrictEqual(limits, {
            "t3.small.search": 10,
            "m6g.large.search": 10,
            "c5.large.search": 10,
            "r6g.large.search": 100,
            "r5.large.search": 100,
            "or2.medium.search": 100,
            "r7g.large.search": 10,
            "r7g.xlarge.search": 100,
            "m5.12xlarge.search": 100,
            "i3.16xlarge.search": 100,
        });
    });

    it("caps search.bulkMaxBytes at the instance type's limit, naming the key, the limit and the fix", () => {
        assert.deepStrictEqual(searchProblems({ adminRoleArns: admins, bulkMaxBytes: 20 * MIB }), [
            `Invalid config ${P}:search.bulkMaxBytes in Pulumi.logging.yaml: 20971520 exceeds 10485760 bytes (10 MiB), the HTTP payload limit of r7g.large.search domains. Fix: use at most 10485760, or an instance type with a larger limit (xlarge and larger: 104857600).`,
        ]);
        assert.deepStrictEqual(searchProblems({ adminRoleArns: admins, bulkMaxBytes: 10 * MIB }), []);
        assert.deepStrictEqual(
            searchProblems({ adminRoleArns: admins, instanceType: "r7g.xlarge.search", bulkMaxBytes: 20 * MIB }),
            [],
        );
        assert.deepStrictEqual(
            searchProblems({ adminRoleArns: admins, instanceType: "t3.small.search", bulkMaxBytes: 10 * MIB + 1 }),
            [
                `Invalid config ${P}:search.bulkMaxBytes in Pulumi.logging.yaml: 10485761 exceeds 10485760 bytes (10 MiB), the HTTP payload limit of t3.small.search domains. Fix: use at most 10485760, or an instance type with a larger limit (xlarge and larger: 104857600).`,
            ],
        );
    });

    it("deploys the loader with the central key for its reports, its bulk cap, 900 s and 10 GiB of /tmp", async () => {
        const run = await committedRun("logging");
        const fn = run.resources.find(
            (r) => r.type === "aws:lambda/function:Function" && r.inputs.name === SEARCH_LOADER_FUNCTION,
        )!;
        assert.deepStrictEqual(
            [fn.inputs.timeout, fn.inputs.memorySize, fn.inputs.ephemeralStorage, fn.inputs.runtime],
            [900, 1024, { size: 10240 }, "nodejs22.x"],
        );
        const environment = deployedEnvironment(run, SEARCH_LOADER_FUNCTION);
        assert.deepStrictEqual(
            [environment.CENTRAL_KEY_ARN, environment.BULK_MAX_BYTES, environment.INDEX_PREFIX],
            ["arn:aws:kms:us-east-1:111111111111:key/central-waf-logs-key-key-id", String(5 * MIB), "waf-logs"],
        );
        const others = run.resources.filter(
            (r) => r.type === "aws:lambda/function:Function" && r.inputs.name !== SEARCH_LOADER_FUNCTION,
        );
        assert.ok(others.length > 0 && others.every((r) => r.inputs.ephemeralStorage === undefined));
    });

    it("lets the loader find and delete stale reports under _errors/ only", async () => {
        const run = await committedRun("logging");
        const bucket = `arn:aws:s3:::${run.outputs.centralBucketName}`;
        const statements = policyDocument(
            only(run, "aws:iam/rolePolicy:RolePolicy", "search-loader-policy").inputs.policy,
        ).Statement;
        assert.deepStrictEqual(
            statements.filter((s) => ["FindStaleReports", "RemoveStaleReports"].includes(s.Sid)),
            [
                {
                    Sid: "FindStaleReports",
                    Effect: "Allow",
                    Action: "s3:ListBucket",
                    Resource: bucket,
                    Condition: { StringLike: { "s3:prefix": "_errors/*" } },
                },
                {
                    Sid: "RemoveStaleReports",
                    Effect: "Allow",
                    Action: "s3:DeleteObject",
                    Resource: `${bucket}/_errors/*`,
                },
            ],
        );
    });
});
