/**
 * `npm run preflight`: each check against the stand-ins (STS, IAM, Lambda, Athena), a file://
 * backend in a temporary directory and a loopback stand-in of the Pulumi Cloud REST API, passing
 * on a ready account and failing, with its fix, on one that is not.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { LoggingStackConfig, ResourceStackConfig } from "../config";
import { AthenaServer, WorkGroupEngine, startAthenaServer } from "../tools/local/aws/athenaServer";
import { IamServer, startIamServer } from "../tools/local/aws/iamServer";
import { LambdaServer, startLambdaServer } from "../tools/local/aws/lambdaServer";
import {
    ATHENA_ENGINE_3,
    Backend,
    CheckResult,
    PlanFacts,
    PREFLIGHT_USAGE,
    main,
    parsePreflightArgs,
    planFacts,
    renderChecks,
    resolveBackend,
    runPreflight,
    sdkPreflightCalls,
} from "../tools/local/preflight";
import { committedConfig } from "../tools/cli/stackFiles";
import { StsServer, startStsServer } from "../tools/local/aws/stsServer";
import { runCliMain } from "../tools/cli/shell";
import { withoutAws } from "./support/awsEnv";
import { committedRun } from "./support/program";

const LOGGING = "111111111111";
const APP = "333333333333";
const DEPLOYER = `arn:aws:iam::${LOGGING}:role/central-waf-logs-deployer`;
const ADMIN = `arn:aws:iam::${LOGGING}:role/security-admin`;
const SLR = `arn:aws:iam::${LOGGING}:role/aws-service-role/opensearchservice.amazonaws.com/AWSServiceRoleForAmazonOpenSearchService`;
const KEYS = { logging: "AKIDPREFLIGHTLOGGING", app: "AKIDPREFLIGHTAPP" };

interface Account {
    readonly roles?: readonly string[];
    /** Lambda GetAccountSettings. Default: quota 1000, nothing reserved. */
    readonly concurrency?: { limit: number; reserved?: number };
    readonly workGroups?: Record<string, WorkGroupEngine>;
    /** Which registered key signs. Default the logging account's. */
    readonly key?: string;
}

/** The stand-ins of one account as `account` describes it; `check` runs preflight against them. */
async function standIns(account: Account) {
    const sts: StsServer = await startStsServer({ mayAssume: () => false });
    sts.register(KEYS.logging, `arn:aws:iam::${LOGGING}:user/platform-engineer`);
    sts.register(KEYS.app, `arn:aws:iam::${APP}:user/platform-engineer`);
    const iam: IamServer = await startIamServer({ resolveCaller: sts.resolveCaller });
    for (const role of account.roles ?? [DEPLOYER, ADMIN, SLR]) iam.createRole(role);
    const lambda: LambdaServer = await startLambdaServer({ concurrency: account.concurrency ?? { limit: 1000 } });
    const athena: AthenaServer = await startAthenaServer({ workGroups: account.workGroups ?? {} });
    const calls = sdkPreflightCalls("us-east-1", {
        endpoints: { sts: sts.url, iam: iam.url, lambda: lambda.url, athena: athena.url },
        credentials: { accessKeyId: account.key ?? KEYS.logging, secretAccessKey: "loopback" },
    });
    return {
        calls,
        async close() {
            calls.destroy();
            await Promise.all([sts.close(), iam.close(), lambda.close(), athena.close()]);
        },
    };
}

const byName = (results: readonly CheckResult[], name: string) => {
    const found = results.find((r) => r.name === name);
    assert.ok(found, `no check ${name} in ${results.map((r) => r.name).join(", ")}`);
    return found;
};

describe("npm run preflight", function () {
    let logging: LoggingStackConfig;
    let resource: ResourceStackConfig;
    let plan: PlanFacts;
    let stateDir: string;
    let fileBackend: Backend;

    before(async function () {
        this.timeout(300_000); // the committed plans, when no other test file computed them yet
        logging = (await committedConfig("logging")) as LoggingStackConfig;
        resource = (await committedConfig("resource-eu-west-1")) as ResourceStackConfig;
        plan = planFacts(await committedRun("logging"));
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
        fileBackend = { kind: "file", url: `file://${stateDir}`, root: stateDir };
    });
    after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

    async function check(config: LoggingStackConfig | ResourceStackConfig, account: Account, backend = fileBackend) {
        const env = await standIns(account);
        try {
            return await runPreflight(config, plan, backend, env.calls);
        } finally {
            await env.close();
        }
    }

    it("reads what the plan reserves and the engine of its workgroups", function () {
        assert.deepStrictEqual(plan.reservedConcurrency.map((f) => f.reserved).sort(), [1, 1]);
        assert.deepStrictEqual(plan.workgroups.map((w) => [w.name, w.engineVersion]).sort(), [
            ["central-waf-logs", ATHENA_ENGINE_3],
            ["central-waf-logs-compaction", ATHENA_ENGINE_3],
            ["central-waf-logs-detection", ATHENA_ENGINE_3],
        ]);
    });

    it("passes every check of the logging stack on a ready account", async function () {
        const results = await check(logging, {});
        assert.deepStrictEqual(
            results.map((r) => [r.name, r.status]),
            [
                ["account", "pass"],
                ["roles", "pass"],
                ["search-service-role", "pass"],
                ["lambda-concurrency", "pass"],
                ["athena-engine", "pass"],
            ],
        );
        assert.match(byName(results, "lambda-concurrency").detail, /quota is 1000, 1000 unreserved now, 998 after/);
        assert.match(renderChecks("logging", results), /All 5 checks passed/);
    });

    it("fails account with its fix, and skips what reads the account, when the credentials are elsewhere", async function () {
        const results = await check(logging, { key: KEYS.app });
        const account = byName(results, "account");
        assert.strictEqual(account.status, "fail");
        assert.strictEqual(
            account.detail,
            `The credentials are arn:aws:iam::${APP}:user/platform-engineer, in account ${APP}; stack logging deploys to ${LOGGING} (central-waf-logs:accountId).`,
        );
        assert.match(account.fix!, /^sign in to account 111111111111/);
        for (const name of ["roles", "search-service-role", "lambda-concurrency"]) {
            assert.strictEqual(byName(results, name).status, "skip");
        }
        const text = renderChecks("logging", results);
        assert.match(text, /FAIL {2}account/);
        assert.match(text, /1 of 5 checks failed/);
    });

    it("fails account when STS refuses the credentials", async function () {
        const results = await check(logging, { key: "AKIDNOBODYISSUEDTHIS" });
        const account = byName(results, "account");
        assert.strictEqual(account.status, "fail");
        assert.match(account.detail, /^InvalidClientTokenId: The security token included in the request is invalid\./);
        // One fix, the check's own: the detail says only what went wrong.
        assert.strictEqual(renderChecks("logging", results).match(/Fix:|fix:/gi)?.length, 1);
    });

    it("fails roles for a role the config names that does not exist", async function () {
        const results = await check(logging, { roles: [DEPLOYER, SLR] });
        const roles = byName(results, "roles");
        assert.strictEqual(roles.status, "fail");
        assert.strictEqual(roles.detail, `No such role: ${ADMIN} (central-waf-logs:search.adminRoleArns).`);
        assert.match(roles.fix!, /create each missing role in account 111111111111/);
    });

    it("fails search-service-role without the OpenSearch service-linked role, with the command that creates it", async function () {
        const results = await check(logging, { roles: [DEPLOYER, ADMIN] });
        const slr = byName(results, "search-service-role");
        assert.strictEqual(slr.status, "fail");
        assert.strictEqual(
            slr.fix,
            "aws iam create-service-linked-role --aws-service-name opensearchservice.amazonaws.com",
        );
        assert.strictEqual(byName(results, "roles").status, "pass");
    });

    // "Lambda function scaling" / reserved concurrency: Lambda keeps 100 unreserved; new accounts have a quota of 10.
    it("fails lambda-concurrency on a new account's quota of 10", async function () {
        const results = await check(logging, { concurrency: { limit: 10 } });
        const concurrency = byName(results, "lambda-concurrency");
        assert.strictEqual(concurrency.status, "fail");
        assert.match(concurrency.detail, /reserves 2 .*quota is 10 with 10 unreserved: 8 would be left/);
        assert.match(concurrency.fix!, /--quota-code L-B99A9384 --desired-value 1000 --region us-east-1$/);
    });

    it("counts concurrency other functions reserved already", async function () {
        const results = await check(logging, { concurrency: { limit: 1000, reserved: 899 } });
        assert.strictEqual(byName(results, "lambda-concurrency").status, "fail");
        const enough = await check(logging, { concurrency: { limit: 1000, reserved: 898 } });
        assert.strictEqual(byName(enough, "lambda-concurrency").status, "pass");
    });

    it("fails athena-engine for a workgroup that exists with engine 2, and passes one with engine 3", async function () {
        const results = await check(logging, {
            workGroups: { "central-waf-logs": { selected: "AUTO", effective: "Athena engine version 2" } },
        });
        const athena = byName(results, "athena-engine");
        assert.strictEqual(athena.status, "fail");
        assert.strictEqual(athena.detail, "central-waf-logs exists and runs Athena engine version 2 (selected: AUTO).");
        assert.match(athena.fix!, /aws athena update-work-group --work-group central-waf-logs/);
        const ok = await check(logging, { workGroups: { "central-waf-logs": { selected: ATHENA_ENGINE_3 } } });
        assert.strictEqual(byName(ok, "athena-engine").status, "pass");
    });

    it("fails athena-engine when the plan selects another engine", async function () {
        const env = await standIns({});
        try {
            const results = await runPreflight(
                logging,
                { ...plan, workgroups: [{ name: "central-waf-logs", engineVersion: "AUTO" }] },
                fileBackend,
                env.calls,
            );
            assert.strictEqual(byName(results, "athena-engine").detail, "the plan selects AUTO for central-waf-logs.");
        } finally {
            await env.close();
        }
    });

    describe("stack-reference", function () {
        it("finds the logging stack's state file in a file:// backend, and fails without it", async function () {
            const resourceAccount: Account = { key: KEYS.app, roles: [] };
            const missing = byName(await check(resource, resourceAccount), "stack-reference");
            assert.strictEqual(missing.status, "fail");
            assert.strictEqual(
                missing.detail,
                `No stack logging of project central-waf-logs in file://${stateDir} (looked for .pulumi/stacks/central-waf-logs/logging.json).`,
            );
            assert.match(missing.fix!, /deploy the logging stack first \(pulumi up --stack logging\)/);

            const file = path.join(stateDir, ".pulumi/stacks/central-waf-logs/logging.json");
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, "{}");
            const results = await check(resource, resourceAccount);
            assert.deepStrictEqual(
                results.map((r) => [r.name, r.status]),
                [
                    ["account", "pass"],
                    ["roles", "pass"],
                    ["lambda-concurrency", "pass"],
                    ["stack-reference", "pass"],
                    ["athena-engine", "pass"],
                ],
            );
        });

        it("refuses an organization other than `organization` on a self-managed backend", async function () {
            const named = { ...resource, loggingStack: "acme/central-waf-logs/logging" };
            const result = byName(await check(named, { key: KEYS.app }), "stack-reference");
            assert.strictEqual(result.status, "fail");
            assert.strictEqual(
                result.fix,
                "set central-waf-logs:loggingStack in Pulumi.resource-eu-west-1.yaml to organization/central-waf-logs/logging.",
            );
        });

        describe("on Pulumi Cloud (a loopback stand-in of GET /api/stacks/<org>/<project>/<stack>)", function () {
            let server: http.Server;
            let url: string;
            const seen: { path?: string; authorization?: string }[] = [];
            before(async function () {
                server = http.createServer((req, res) => {
                    seen.push({ path: req.url, authorization: req.headers.authorization });
                    if (req.headers.authorization !== "token pul-good") {
                        res.writeHead(401, { "content-type": "application/json" });
                        res.end(
                            JSON.stringify({
                                code: 401,
                                message: "Unauthorized: No credentials provided or are invalid.",
                            }),
                        );
                        return;
                    }
                    const found = req.url === "/api/stacks/acme/central-waf-logs/logging";
                    res.writeHead(found ? 200 : 404, { "content-type": "application/json" });
                    res.end(
                        JSON.stringify(
                            found
                                ? { orgName: "acme", projectName: "central-waf-logs", stackName: "logging" }
                                : {
                                      code: 404,
                                      message: "Not Found: Stack 'organization/central-waf-logs/logging' not found",
                                  },
                        ),
                    );
                });
                await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
                url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            });
            after(() => new Promise<void>((resolve) => server.close(() => resolve())));

            it("fails the self-managed default organization in a Pulumi Cloud org, and passes the org's name", async function () {
                const cloud: Backend = { kind: "cloud", url, token: "pul-good" };
                const wrong = byName(await check(resource, { key: KEYS.app }, cloud), "stack-reference");
                assert.strictEqual(wrong.status, "fail");
                assert.match(
                    wrong.detail,
                    /has no stack organization\/central-waf-logs\/logging \("organization" is the self-managed backends' name/,
                );
                assert.match(wrong.fix!, /to <your Pulumi organization>\/central-waf-logs\/logging/);
                const right = byName(
                    await check(
                        { ...resource, loggingStack: "acme/central-waf-logs/logging" },
                        { key: KEYS.app },
                        cloud,
                    ),
                    "stack-reference",
                );
                assert.strictEqual(right.status, "pass");
                assert.deepStrictEqual(seen.at(-1), {
                    path: "/api/stacks/acme/central-waf-logs/logging",
                    authorization: "token pul-good",
                });
            });

            it("fails a refused token with pulumi login as the fix", async function () {
                const cloud: Backend = { kind: "cloud", url, token: "pul-revoked" };
                const result = byName(await check(resource, { key: KEYS.app }, cloud), "stack-reference");
                assert.strictEqual(result.detail, `${url} refused the access token (HTTP 401).`);
                assert.strictEqual(
                    result.fix,
                    `pulumi login ${url} again, or set PULUMI_ACCESS_TOKEN to a valid token.`,
                );
            });
        });
    });

    describe("the backend, as the Pulumi CLI resolves it", function () {
        it("prefers PULUMI_BACKEND_URL, then credentials.json's current, then Pulumi Cloud", function () {
            const home = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-home-"));
            try {
                assert.deepStrictEqual(resolveBackend({}, home), {
                    kind: "cloud",
                    url: "https://api.pulumi.com",
                    token: undefined,
                });
                fs.mkdirSync(path.join(home, ".pulumi"));
                fs.writeFileSync(
                    path.join(home, ".pulumi/credentials.json"),
                    JSON.stringify({
                        current: "https://api.pulumi.com",
                        accessTokens: { "https://api.pulumi.com": "pul-from-file" },
                    }),
                );
                assert.deepStrictEqual(resolveBackend({}, home), {
                    kind: "cloud",
                    url: "https://api.pulumi.com",
                    token: "pul-from-file",
                });
                assert.deepStrictEqual(resolveBackend({ PULUMI_BACKEND_URL: "file://~" }, home), {
                    kind: "file",
                    url: "file://~",
                    root: home,
                });
                assert.deepStrictEqual(
                    resolveBackend({ PULUMI_BACKEND_URL: "s3://state-bucket/teams/waf?region=eu-west-1" }, home),
                    {
                        kind: "s3",
                        url: "s3://state-bucket/teams/waf?region=eu-west-1",
                        bucket: "state-bucket",
                        prefix: "teams/waf",
                        region: "eu-west-1",
                    },
                );
                fs.writeFileSync(path.join(home, ".pulumi/credentials.json"), "{not json");
                assert.throws(
                    () => resolveBackend({}, home),
                    /credentials\.json is not valid JSON\. Fix: run `pulumi login` again/,
                );
            } finally {
                fs.rmSync(home, { recursive: true, force: true });
            }
        });
    });

    it("runs as npm run preflight: the SDK's endpoint variables, the backend variable, the plan, exit code 1", async function () {
        const printed: string[] = [];
        const log = console.log;
        const sts = await startStsServer({ mayAssume: () => false });
        sts.register(KEYS.logging, `arn:aws:iam::${LOGGING}:user/platform-engineer`);
        try {
            const iam = await startIamServer({ resolveCaller: sts.resolveCaller });
            for (const role of [DEPLOYER, ADMIN, SLR]) iam.createRole(role);
            const lambda = await startLambdaServer({ concurrency: { limit: 10 } });
            const athena = await startAthenaServer();
            console.log = (text: string) => printed.push(text);
            const code = await withoutAws(
                {
                    AWS_REGION: "us-east-1",
                    AWS_ACCESS_KEY_ID: KEYS.logging,
                    AWS_SECRET_ACCESS_KEY: "loopback",
                    AWS_ENDPOINT_URL_STS: sts.url,
                    AWS_ENDPOINT_URL_IAM: iam.url,
                    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
                    AWS_ENDPOINT_URL_ATHENA: athena.url,
                    PULUMI_BACKEND_URL: `file://${stateDir}`,
                },
                () => runCliMain(main, { argv: ["--stack", "logging"], usage: PREFLIGHT_USAGE, help: "" }),
            );
            console.log = log;
            await Promise.all([iam.close(), lambda.close(), athena.close()]);
            assert.strictEqual(code, 0, "a failed check is not an error of the tool");
            assert.strictEqual(process.exitCode, 1);
            const text = printed.join("\n");
            assert.match(text, /^Preflight of stack logging:\n {2}PASS {2}account /);
            assert.match(text, /FAIL {2}lambda-concurrency .*quota is 10/);
            assert.match(text, /1 of 5 checks failed: fix them before pulumi up --stack logging\.$/);
        } finally {
            console.log = log;
            process.exitCode = undefined;
            await sts.close();
        }
    });

    it("refuses a command line without --stack, and a stack with no file", async function () {
        assert.throws(() => parsePreflightArgs([]), /^Error: Give --stack <name>/);
        assert.throws(() => parsePreflightArgs(["--stack", "a", "--stack", "b"]), /--stack is given twice/);
        assert.throws(() => parsePreflightArgs(["--region", "x"]), /Unknown option --region/);
        await assert.rejects(
            committedConfig("nope"),
            /^Error: No stack file Pulumi\.nope\.yaml in .*Fix: pass a committed stack's name\.$/,
        );
    });
});
