import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, parseStackConfig } from "../config";
import { nearest } from "../config/reader";
import { readStackConfig } from "../tools/local/mockEngine";
import { failureOf } from "./support/program";

const P = "central-waf-logs";

function problemsOf(stack: string, overrides: Record<string, string | undefined>): readonly string[] {
    const raw: Record<string, string> = { ...readStackConfig(stack) };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete raw[key];
        else raw[key] = value;
    }
    try {
        parseStackConfig(stack, raw);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
        return err.problems;
    }
    return assert.fail("configuration was accepted");
}

describe("stack configuration", () => {
    it("parses the committed logging stack into a typed config", () => {
        const config = parseStackConfig("logging", readStackConfig("logging"));
        assert.deepStrictEqual(config, {
            stack: "logging",
            role: "logging",
            accountId: "111111111111",
            region: "us-east-1",
            partition: "aws",
            deploymentRoleArn: "arn:aws:iam::111111111111:role/central-waf-logs-deployer",
            resourceAccounts: [
                { accountId: "222222222222", regions: ["us-east-1", "ap-southeast-2", "global"] },
                { accountId: "333333333333", regions: ["eu-west-1"] },
            ],
            centralBucket: {
                infrequentAccessAfterDays: 30,
                glacierAfterDays: 90,
                expireAfterDays: 400,
                objectLockMode: "GOVERNANCE",
                objectLockRetentionDays: 90,
                breakGlassRoleArn: "arn:aws:iam::111111111111:role/central-waf-logs-break-glass",
            },
            search: {
                domainName: "central-waf-logs",
                engineVersion: "OpenSearch_2.19",
                instanceType: "r7g.large.search",
                instanceCount: 2,
                volumeSizeGiB: 100,
                availabilityZones: 2,
                adminRoleArns: ["arn:aws:iam::111111111111:role/security-admin"],
                retentionDays: 30,
                indexPrefix: "waf-logs",
                bulkMaxBytes: 5242880,
            },
            analytics: {
                bytesScannedCutoffMiB: 10240,
                resultsExpireAfterDays: 30,
                projectionStartHour: "2024/01/01/00",
                compactionSchedule: "cron(30 1 * * ? *)",
                compactionBytesScannedCutoffMiB: 1_048_576,
            },
            response: {
                mode: "block",
                threshold: 1000,
                detectionSchedule: "rate(5 minutes)",
                lookbackMinutes: 15,
                syncSchedule: "rate(5 minutes)",
                blockMinutes: 240,
                maxBlockMinutes: 10080,
                repeatWindowDays: 30,
                allowlist: ["192.0.2.0/24"],
                maxNewEntriesPerRun: 50,
                globalMinAccounts: 2,
                trustedEvidenceAccounts: [],
                timestampSlackMinutes: 15,
                bytesScannedCutoffMiB: 51_200,
                aggregatePrefixMinAddresses: 0,
            },
            alerts: {
                emails: ["waf-oncall@example.com"],
                subscriptions: [],
                silenceMinutes: 60,
                loaderErrors: 5,
                parkedLines: 100,
            },
        });
    });

    it("parses the committed resource stacks", () => {
        for (const [stack, accountId, region] of [
            ["resource-us-east-1", "222222222222", "us-east-1"],
            ["resource-eu-west-1", "333333333333", "eu-west-1"],
        ]) {
            const config = parseStackConfig(stack, readStackConfig(stack));
            assert.strictEqual(config.role, "resource");
            assert.strictEqual(config.accountId, accountId);
            assert.strictEqual(config.region, region);
            assert.strictEqual(
                config.role === "resource" && config.loggingStack,
                "organization/central-waf-logs/logging",
            );
        }
    });

    it("rejects an unknown role and says which roles exist", () => {
        assert.deepStrictEqual(problemsOf("logging", { [`${P}:role`]: "collector" }), [
            `Invalid config ${P}:role in Pulumi.logging.yaml: "collector" is not a known role. Fix: set it to "logging" (the central logging account) or "resource" (an application account).`,
        ]);
    });

    it("requires a role", () => {
        assert.deepStrictEqual(problemsOf("logging", { [`${P}:role`]: undefined }), [
            `Invalid config ${P}:role in Pulumi.logging.yaml: is required but not set. Fix: run \`pulumi config set role logging -s logging\`.`,
        ]);
    });

    it("rejects an account ID that is not 12 digits", () => {
        assert.deepStrictEqual(problemsOf("resource-eu-west-1", { [`${P}:accountId`]: "33333333333" }), [
            `Invalid config ${P}:accountId in Pulumi.resource-eu-west-1.yaml: "33333333333" is not a 12-digit AWS account ID. Fix: write the ID as a quoted 12-digit string, e.g. "123456789012".`,
        ]);
    });

    it("rejects a malformed Region", () => {
        assert.deepStrictEqual(problemsOf("resource-eu-west-1", { [`${P}:region`]: "europe-west1" }), [
            `Invalid config ${P}:region in Pulumi.resource-eu-west-1.yaml: "europe-west1" is not an AWS Region. Fix: use a Region code such as us-east-1 or eu-west-1.`,
        ]);
    });

    it("rejects a bad account and Region inside resourceAccounts, naming the item", () => {
        const accounts = JSON.stringify([{ accountId: "2222", regions: ["us-east-1", "moon-1"] }]);
        assert.deepStrictEqual(problemsOf("logging", { [`${P}:resourceAccounts`]: accounts }), [
            `Invalid config ${P}:resourceAccounts[0].accountId in Pulumi.logging.yaml: "2222" is not a 12-digit AWS account ID. Fix: write the ID as a quoted 12-digit string, e.g. "123456789012".`,
            `Invalid config ${P}:resourceAccounts[0].regions[1] in Pulumi.logging.yaml: "moon-1" is not an AWS Region. Fix: use a Region code such as us-east-1 or eu-west-1.`,
        ]);
    });

    it("rejects a duplicate resource account", () => {
        const accounts = JSON.stringify([
            { accountId: "222222222222", regions: ["us-east-1"] },
            { accountId: "222222222222", regions: ["eu-west-1"] },
        ]);
        assert.deepStrictEqual(problemsOf("logging", { [`${P}:resourceAccounts`]: accounts }), [
            `Invalid config ${P}:resourceAccounts[1].accountId in Pulumi.logging.yaml: account 222222222222 is listed twice. Fix: merge its Regions into one entry.`,
        ]);
    });

    it("requires resourceAccounts on the logging stack", () => {
        assert.deepStrictEqual(problemsOf("logging", { [`${P}:resourceAccounts`]: undefined }), [
            `Invalid config ${P}:resourceAccounts in Pulumi.logging.yaml: is required on the logging stack. Fix: list each application account with its Regions, e.g. [{accountId: "222222222222", regions: [eu-west-1]}].`,
        ]);
    });

    it("rejects keys that do not belong to the stack's role (typos included)", () => {
        assert.deepStrictEqual(problemsOf("resource-eu-west-1", { [`${P}:resourceAcounts`]: "[]" }), [
            `Invalid config ${P}:resourceAcounts in Pulumi.resource-eu-west-1.yaml: is not a setting of a resource stack. Fix: remove it or correct its spelling (known keys: role, accountId, region, deploymentRoleArn, loggingStack, protectedResourceArns, loadBalancerArns, existingWebAcls, demoApplication, waf, firehose, stagingExpireAfterDays, alerts, response).`,
        ]);
    });

    it("suggests the nearest known key for a misspelt one, and none when nothing is close", () => {
        const problems = problemsOf("logging", {
            [`${P}:resourceAcounts`]: "[]",
            [`${P}:Region`]: "us-east-1",
            [`${P}:colour`]: "1",
        });
        // The list of known keys that follows grows with the program; the suggestion is the point.
        assert.deepStrictEqual(
            problems.map((p) => p.replace(/ \(known keys: .*\)\.$/, "")),
            [
                `Invalid config ${P}:Region in Pulumi.logging.yaml: is not a setting of a logging stack. Fix: did you mean ${P}:region? remove it or correct its spelling`,
                `Invalid config ${P}:colour in Pulumi.logging.yaml: is not a setting of a logging stack. Fix: remove it or correct its spelling`,
                `Invalid config ${P}:resourceAcounts in Pulumi.logging.yaml: is not a setting of a logging stack. Fix: did you mean ${P}:resourceAccounts? remove it or correct its spelling`,
            ],
        );
        assert.deepStrictEqual(
            [
                nearest("analytic", ["alerts", "analytics"]),
                nearest("xyz", ["region"]),
                nearest("RATElimit", ["rateLimit"]),
            ],
            ["analytics", undefined, "rateLimit"],
        );
    });

    it("keeps staging objects longer than a failed delivery waits for its replay", () => {
        assert.deepStrictEqual(problemsOf("resource-eu-west-1", { [`${P}:stagingExpireAfterDays`]: "14" }), [
            `Invalid config ${P}:stagingExpireAfterDays in Pulumi.resource-eu-west-1.yaml: 14 days is shorter than a failed delivery waits for its replay (the copier's failure queue keeps it 14 days, and the replay copies from the staging bucket). Fix: use 15 or more.`,
        ]);
        const raw = { ...readStackConfig("resource-eu-west-1"), [`${P}:stagingExpireAfterDays`]: "15" };
        const config = parseStackConfig("resource-eu-west-1", raw);
        assert.strictEqual(config.role === "resource" && config.stagingExpireAfterDays, 15);
    });

    it("rejects a deployment role in another account", () => {
        assert.deepStrictEqual(
            problemsOf("resource-us-east-1", {
                [`${P}:deploymentRoleArn`]: "arn:aws:iam::999999999999:role/deployer",
            }),
            [
                `Invalid config ${P}:deploymentRoleArn in Pulumi.resource-us-east-1.yaml: the role is in account 999999999999 but this stack deploys to 222222222222. Fix: use a deployment role in the stack's own account.`,
            ],
        );
    });

    it("rejects a logging stack name that is not fully qualified", () => {
        assert.deepStrictEqual(problemsOf("resource-us-east-1", { [`${P}:loggingStack`]: "logging" }), [
            `Invalid config ${P}:loggingStack in Pulumi.resource-us-east-1.yaml: "logging" is not a fully qualified stack name. Fix: use <organization>/<project>/<stack>, e.g. organization/central-waf-logs/logging.`,
        ]);
    });

    it("keeps the default Object Lock retention within a shorter expiry", () => {
        const raw = {
            ...readStackConfig("logging"),
            [`${P}:centralBucket`]: JSON.stringify({ glacierAfterDays: 60, expireAfterDays: 70 }),
        };
        const config = parseStackConfig("logging", raw);
        assert.ok(config.role === "logging");
        assert.strictEqual(config.centralBucket.objectLockRetentionDays, 70);
    });

    it("rejects lifecycle days in the wrong order or below the S3 minimum", () => {
        const bucket = JSON.stringify({ infrequentAccessAfterDays: 10, glacierAfterDays: 90, expireAfterDays: 60 });
        assert.deepStrictEqual(problemsOf("logging", { [`${P}:centralBucket`]: bucket }), [
            `Invalid config ${P}:centralBucket.infrequentAccessAfterDays in Pulumi.logging.yaml: S3 moves objects to Standard-IA no sooner than 30 days, got 10. Fix: use 30 or more.`,
            `Invalid config ${P}:centralBucket.expireAfterDays in Pulumi.logging.yaml: must come after glacierAfterDays. Fix: use a larger number of days.`,
        ]);
    });

    it("names the stack file in every problem, as the configuration reference's example shows", () => {
        const search = JSON.parse(readStackConfig("logging")[`${P}:search`]);
        const problems = problemsOf("logging", {
            [`${P}:search`]: JSON.stringify({ ...search, instanceType: "r7g.large" }),
        });
        const example = `Invalid config ${P}:search.instanceType in Pulumi.logging.yaml: "r7g.large" is not an OpenSearch instance type. Fix: use a type such as r7g.large.search.`;
        assert.deepStrictEqual(problems, [example]);
        const readme = fs.readFileSync(path.join(__dirname, "..", "docs", "configuration.md"), "utf8");
        assert.ok(readme.includes(example), "docs/configuration.md shows the exact text");
    });

    it("derives the partition from the Region", () => {
        const config = parseStackConfig("logging", {
            ...readStackConfig("logging"),
            [`${P}:region`]: "cn-north-1",
            [`${P}:deploymentRoleArn`]: "arn:aws-cn:iam::111111111111:role/deployer",
        });
        assert.strictEqual(config.partition, "aws-cn");
    });

    it("reads response.allowlist with the detector's strict parser, IPv4-mapped ranges as IPv4", () => {
        const response = JSON.parse(readStackConfig("logging")[`${P}:response`]);
        const allowlistOf = (allowlist: unknown) => {
            const config = parseStackConfig("logging", {
                ...readStackConfig("logging"),
                [`${P}:response`]: JSON.stringify({ ...response, allowlist }),
            });
            return config.role === "logging" ? config.response.allowlist : assert.fail("not a logging stack");
        };
        assert.deepStrictEqual(
            allowlistOf([
                "::ffff:198.51.100.128/121",
                "::FFFF:C000:0202",
                "10.0.0.0/8",
                "2001:DB8::/32",
                "203.0.113.9",
            ]),
            ["198.51.100.128/25", "192.0.2.2/32", "10.0.0.0/8", "2001:db8::/32", "203.0.113.9/32"],
        );
    });

    it("refuses allowlist entries that are read two ways or so broad they disable the loop", () => {
        const response = JSON.parse(readStackConfig("logging")[`${P}:response`]);
        const problems = problemsOf("logging", {
            [`${P}:response`]: JSON.stringify({
                ...response,
                allowlist: [
                    "198.051.100.007/32",
                    "fe80::1%eth0",
                    "0.0.0.0/0",
                    "::/0",
                    "11.0.0.0/7",
                    "2000::/3",
                    "::ffff:0:0/96",
                    "::/80",
                    "10.0.0.0/08",
                ],
            }),
        });
        const at = (i: number) => `Invalid config ${P}:response.allowlist[${i}] in Pulumi.logging.yaml:`;
        const fix = "Fix: write an IP address or a CIDR range such as 203.0.113.0/24.";
        const broad = (limit: number) =>
            `is broader than /${limit}; an allowlist entry that broad exempts so much of the internet that it disables the response loop for it; list your own NATs, partners and health checkers, no broader than /8 (IPv4) or /16 (IPv6). ${fix}`;
        assert.deepStrictEqual(problems, [
            `${at(0)} "198.051.100.007/32" is not an IP address or CIDR range: write IPv4 as four decimal numbers from 0 to 255 separated by dots, without leading zeros (e.g. 203.0.113.7). ${fix}`,
            `${at(1)} "fe80::1%eth0" has a zone ID ("%eth0"), which only means something on one host; write the address without it (fe80::1). ${fix}`,
            `${at(2)} 0.0.0.0/0 ${broad(8)}`,
            `${at(3)} ::/0 ${broad(16)}`,
            `${at(4)} 11.0.0.0/7 ${broad(8)}`,
            `${at(5)} 2000::/3 ${broad(16)}`,
            `${at(6)} ::ffff:0:0/96 (0.0.0.0/0 as IPv4) ${broad(8)}`,
            `${at(7)} ::/80 contains every IPv4-mapped address (::ffff:0:0/96), that is all of IPv4 in another form; write IPv4 ranges as IPv4, and IPv6 ranges outside ::ffff:0:0/96. ${fix}`,
            `${at(8)} "10.0.0.0/08" has an invalid prefix length: write /0 to /32 in decimal, without leading zeros. ${fix}`,
        ]);
    });

    it("fails the program itself (not only the parser) on bad configuration", async () => {
        const message = await failureOf("resource-eu-west-1", { configOverrides: { [`${P}:accountId`]: "abc" } });
        assert.strictEqual(
            message,
            `Invalid config ${P}:accountId in Pulumi.resource-eu-west-1.yaml: "abc" is not a 12-digit AWS account ID. Fix: write the ID as a quoted 12-digit string, e.g. "123456789012".`,
        );
    });
});
