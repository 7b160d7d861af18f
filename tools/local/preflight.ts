/**
 * `npm run preflight -- --stack <name>`: read-only checks, with the user's own credentials, of
 * what the first `pulumi up` of a stack needs from its account and backend but cannot create
 * itself. Every check runs (one failure does not hide the next), each failure says its fix, and
 * the exit code is 1 when any check failed. See docs/deploy.md, "Preflight".
 */
import { AthenaClient, GetWorkGroupCommand } from "@aws-sdk/client-athena";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetAccountSettingsCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { StackConfig } from "../../config";
import { awsEnvironmentError } from "../cli/awsErrors";
import { runCli, usageError, userError } from "../cli/shell";
import { committedConfig } from "../cli/stackFiles";
import type { ProgramRun } from "./mockEngine";

export const PREFLIGHT_USAGE = `usage: npm run preflight -- --stack <name>

Checks, read-only and with your credentials, what the first \`pulumi up\` of a stack needs:
  account             the credentials are in the stack's accountId (STS GetCallerIdentity)
  roles               every IAM role the stack's config names exists (IAM GetRole)
  search-service-role the OpenSearch service-linked role exists (logging stack)
  lambda-concurrency  the account's concurrency quota leaves 100 unreserved after what the
                      plan reserves (Lambda GetAccountSettings; new accounts have a quota of 10)
  stack-reference     the logging stack a resource stack names exists in your Pulumi backend
                      (PULUMI_BACKEND_URL, else ~/.pulumi/credentials.json's current backend)
  athena-engine       every Athena workgroup of the plan runs engine version 3 (Athena GetWorkGroup)
Prints every check with PASS, FAIL (and its fix) or SKIP; exits 1 if any failed.
  --stack <name>   a committed stack: Pulumi.<name>.yaml (e.g. logging, resource-eu-west-1).
  --help           this text.

The caller needs sts:GetCallerIdentity, iam:GetRole, lambda:GetAccountSettings and
athena:GetWorkGroup (and s3:GetObject on an S3 state backend). Nothing is changed.`;

/** One check's verdict. */
export interface CheckResult {
    readonly name: string;
    readonly status: "pass" | "fail" | "skip";
    /** What was found, in one or more sentences. */
    readonly detail: string;
    /** What to do, for a failure. */
    readonly fix?: string;
}

/** The AWS calls preflight makes, so the same checks run against AWS and the stand-ins. */
export interface PreflightCalls {
    callerIdentity(): Promise<{ account: string; arn: string }>;
    /** Whether a role of this name exists in the caller's account (GetRole; NoSuchEntity is false). */
    roleExists(roleName: string): Promise<boolean>;
    /** Lambda GetAccountSettings: the account's concurrency quota and what is unreserved. */
    lambdaConcurrency(): Promise<{ limit: number; unreserved: number }>;
    /** Athena GetWorkGroup: the workgroup's engine, or undefined when no such workgroup exists. */
    workGroupEngine(name: string): Promise<{ selected: string; effective: string } | undefined>;
    /** Whether an S3 object exists (an S3 state backend's stack file). */
    objectExists(bucket: string, key: string, region?: string): Promise<boolean>;
    /** An HTTP GET (the Pulumi Cloud REST API). */
    get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }>;
}

/** Where Pulumi keeps state, as the Pulumi CLI of this user would resolve it. */
export type Backend =
    | { readonly kind: "file"; readonly url: string; readonly root: string }
    | { readonly kind: "s3"; readonly url: string; readonly bucket: string; readonly prefix: string; region?: string }
    | { readonly kind: "cloud"; readonly url: string; readonly token?: string }
    | { readonly kind: "other"; readonly url: string };

/** What preflight needs to know of the plan (from the mock engine's run of the program). */
export interface PlanFacts {
    /** Functions with reserved concurrency, and how much each reserves. */
    readonly reservedConcurrency: readonly { readonly functionName: string; readonly reserved: number }[];
    /** Athena workgroups the plan creates, with the engine version it selects. */
    readonly workgroups: readonly { readonly name: string; readonly engineVersion?: string }[];
}

/** Lambda keeps at least this many concurrent executions unreserved (reserved concurrency docs). */
export const MIN_UNRESERVED_CONCURRENCY = 100;
export const OPENSEARCH_SERVICE_ROLE = "AWSServiceRoleForAmazonOpenSearchService";
export const ATHENA_ENGINE_3 = "Athena engine version 3";
/** Service Quotas code of Lambda's "Concurrent executions". */
const LAMBDA_CONCURRENCY_QUOTA = "L-B99A9384";
/** The organization a self-managed (file, S3) backend's fully qualified stack names use. */
const SELF_MANAGED_ORG = "organization";
const DEFAULT_CLOUD = "https://api.pulumi.com";

/** The facts preflight reads from a mocked run of the program. */
export function planFacts(run: ProgramRun): PlanFacts {
    const functions = run.resources.filter((r) => r.type === "aws:lambda/function:Function");
    return {
        reservedConcurrency: functions
            .filter((f) => typeof f.inputs.reservedConcurrentExecutions === "number")
            .filter((f) => f.inputs.reservedConcurrentExecutions > 0)
            .map((f) => ({ functionName: f.inputs.name ?? f.name, reserved: f.inputs.reservedConcurrentExecutions })),
        workgroups: run.resources
            .filter((r) => r.type === "aws:athena/workgroup:Workgroup")
            .map((w) => ({
                name: w.inputs.name ?? w.name,
                engineVersion: w.inputs.configuration?.engineVersion?.selectedEngineVersion,
            })),
    };
}

/**
 * The backend the Pulumi CLI would use: `PULUMI_BACKEND_URL`, else the `current` entry of
 * `<PULUMI_HOME or ~/.pulumi>/credentials.json`, else Pulumi Cloud.
 */
export function resolveBackend(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): Backend {
    const pulumiHome = env.PULUMI_HOME ?? path.join(home, ".pulumi");
    let credentials: { current?: string; accessTokens?: Record<string, string> } = {};
    const file = path.join(pulumiHome, "credentials.json");
    if (fs.existsSync(file)) {
        try {
            credentials = JSON.parse(fs.readFileSync(file, "utf8"));
        } catch {
            throw userError(`${file} is not valid JSON. Fix: run \`pulumi login\` again to rewrite it.`);
        }
    }
    const url = env.PULUMI_BACKEND_URL || credentials.current || DEFAULT_CLOUD;
    if (url.startsWith("file://")) {
        const rest = url.slice("file://".length).split("?")[0];
        const root = rest === "~" || rest.startsWith("~/") ? path.join(home, rest.slice(1)) : path.resolve(rest);
        return { kind: "file", url, root };
    }
    if (url.startsWith("s3://")) {
        const parsed = new URL(url);
        return {
            kind: "s3",
            url,
            bucket: parsed.hostname,
            prefix: parsed.pathname.replace(/^\/+|\/+$/g, ""),
            region: parsed.searchParams.get("region") ?? undefined,
        };
    }
    if (/^https?:\/\//.test(url)) {
        const base = url.replace(/\/+$/, "");
        return { kind: "cloud", url: base, token: env.PULUMI_ACCESS_TOKEN || credentials.accessTokens?.[url] };
    }
    return { kind: "other", url };
}

/** The checks for `config`, in order; never throws for what the account or backend answers. */
export async function runPreflight(
    config: StackConfig,
    plan: PlanFacts,
    backend: Backend,
    calls: PreflightCalls,
): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    const key = (k: string) => `central-waf-logs:${k}`;
    const stackFile = `Pulumi.${config.stack}.yaml`;
    const describe = (err: unknown, what: string, permissions: string): string => {
        const known = awsEnvironmentError(err, { what, permissions });
        // The check prints its own fix: keep only what went wrong.
        if (known) return known.message.replace(/ Fix: .*$/s, "");
        const e = err as { name?: string; message?: string };
        return `${what} answered ${e?.name ?? "an error"}: ${e?.message ?? String(err)}`;
    };

    // account: everything after it reads that account, so a wrong one skips them.
    let inAccount = false;
    try {
        const caller = await calls.callerIdentity();
        inAccount = caller.account === config.accountId;
        results.push(
            inAccount
                ? { name: "account", status: "pass", detail: `${caller.arn} is in account ${config.accountId}.` }
                : {
                      name: "account",
                      status: "fail",
                      detail: `The credentials are ${caller.arn}, in account ${caller.account}; stack ${config.stack} deploys to ${config.accountId} (${key("accountId")}).`,
                      fix:
                          `sign in to account ${config.accountId} (e.g. aws sso login --profile <its profile>, then AWS_PROFILE=<its profile>), or correct ${key("accountId")} in ${stackFile}.` +
                          (config.deploymentRoleArn
                              ? ` Deploying from another account through ${key("deploymentRoleArn")}? Run preflight with that role's credentials (aws sts assume-role --role-arn ${config.deploymentRoleArn}).`
                              : ""),
                  },
        );
    } catch (err) {
        results.push({
            name: "account",
            status: "fail",
            detail: describe(err, "STS", "sts:GetCallerIdentity (any signed-in principal has it)"),
            fix: "sign in to the stack's account, then run preflight again.",
        });
    }
    const skipped = (name: string): CheckResult => ({
        name,
        status: "skip",
        detail: `Not checked: the credentials are not in account ${config.accountId} (see account).`,
    });

    // roles: each role the config names; GetRole sees the caller's account only.
    const named: { arn: string; key: string }[] = [];
    if (config.deploymentRoleArn) named.push({ arn: config.deploymentRoleArn, key: key("deploymentRoleArn") });
    if (config.role === "logging") {
        for (const arn of config.search.adminRoleArns) named.push({ arn, key: key("search.adminRoleArns") });
    }
    if (named.length === 0) {
        results.push({ name: "roles", status: "pass", detail: "The stack's config names no IAM role." });
    } else if (!inAccount) {
        results.push(skipped("roles"));
    } else {
        const missing: string[] = [];
        const elsewhere: string[] = [];
        const errors: string[] = [];
        for (const { arn, key: at } of named) {
            const [, account, name] = /^arn:[\w-]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn) ?? [];
            if (account !== config.accountId) {
                elsewhere.push(`${arn} (account ${account}: check it there)`);
                continue;
            }
            try {
                if (!(await calls.roleExists(name))) missing.push(`${arn} (${at})`);
            } catch (err) {
                errors.push(describe(err, "IAM", "iam:GetRole"));
            }
        }
        const found = named.length - missing.length - elsewhere.length - errors.length;
        const note = elsewhere.length > 0 ? ` Not checked here: ${elsewhere.join(", ")}.` : "";
        if (missing.length === 0 && errors.length === 0) {
            results.push({ name: "roles", status: "pass", detail: `${found} role(s) exist.${note}` });
        } else {
            results.push({
                name: "roles",
                status: "fail",
                detail: [
                    missing.length > 0 ? `No such role: ${missing.join(", ")}.` : "",
                    errors.join(" "),
                    note.trim(),
                ]
                    .filter(Boolean)
                    .join(" "),
                fix:
                    missing.length > 0
                        ? `create each missing role in account ${config.accountId} (IAM rejects a policy that names a role that does not exist), or correct the key in ${stackFile}.`
                        : "use credentials allowed iam:GetRole, then run preflight again.",
            });
        }
    }

    // The OpenSearch service-linked role: the domain's VPC access needs it, and pulumi up does not create it.
    if (config.role === "logging") {
        if (!inAccount) results.push(skipped("search-service-role"));
        else {
            try {
                const exists = await calls.roleExists(OPENSEARCH_SERVICE_ROLE);
                results.push(
                    exists
                        ? { name: "search-service-role", status: "pass", detail: `${OPENSEARCH_SERVICE_ROLE} exists.` }
                        : {
                              name: "search-service-role",
                              status: "fail",
                              detail: `${OPENSEARCH_SERVICE_ROLE} does not exist in account ${config.accountId}; creating a domain in a VPC fails without it.`,
                              fix: "aws iam create-service-linked-role --aws-service-name opensearchservice.amazonaws.com",
                          },
                );
            } catch (err) {
                results.push({
                    name: "search-service-role",
                    status: "fail",
                    detail: describe(err, "IAM", "iam:GetRole"),
                    fix: "use credentials allowed iam:GetRole, then run preflight again.",
                });
            }
        }
    }

    // Lambda concurrency: reserving fails where it would leave fewer than 100 unreserved.
    const reserved = plan.reservedConcurrency.reduce((n, f) => n + f.reserved, 0);
    if (!inAccount) results.push(skipped("lambda-concurrency"));
    else {
        try {
            const { limit, unreserved } = await calls.lambdaConcurrency();
            const left = unreserved - reserved;
            const what =
                reserved === 0
                    ? "The plan reserves no concurrency"
                    : `The plan reserves ${reserved} (${plan.reservedConcurrency.map((f) => `${f.functionName} ${f.reserved}`).join(", ")})`;
            results.push(
                reserved === 0 || left >= MIN_UNRESERVED_CONCURRENCY
                    ? {
                          name: "lambda-concurrency",
                          status: "pass",
                          detail: `${what}; the account's quota is ${limit}, ${unreserved} unreserved now, ${left} after.`,
                      }
                    : {
                          name: "lambda-concurrency",
                          status: "fail",
                          detail: `${what}, but the account's quota is ${limit} with ${unreserved} unreserved: ${left} would be left, and Lambda keeps at least ${MIN_UNRESERVED_CONCURRENCY} unreserved, so pulumi up would fail (new accounts have a quota of 10).`,
                          fix: `request a higher quota: aws service-quotas request-service-quota-increase --service-code lambda --quota-code ${LAMBDA_CONCURRENCY_QUOTA} --desired-value 1000 --region ${config.region}`,
                      },
            );
        } catch (err) {
            results.push({
                name: "lambda-concurrency",
                status: "fail",
                detail: describe(err, "Lambda", "lambda:GetAccountSettings"),
                fix: "use credentials allowed lambda:GetAccountSettings, then run preflight again.",
            });
        }
    }

    if (config.role === "resource") results.push(await stackReference(config.loggingStack, backend, calls, stackFile));

    // Athena: engine 3 for every workgroup the plan uses, whether it creates it or it exists already.
    if (plan.workgroups.length > 0) {
        const problems: string[] = [];
        const notes: string[] = [];
        const fixes: string[] = [];
        for (const wg of plan.workgroups) {
            if (wg.engineVersion !== ATHENA_ENGINE_3) {
                problems.push(`the plan selects ${wg.engineVersion ?? "no engine version"} for ${wg.name}`);
                fixes.push(`set configuration.engineVersion.selectedEngineVersion to "${ATHENA_ENGINE_3}"`);
            }
            if (!inAccount) continue;
            try {
                const engine = await calls.workGroupEngine(wg.name);
                if (engine === undefined) notes.push(`${wg.name} will be created`);
                else if (engine.effective !== ATHENA_ENGINE_3) {
                    problems.push(`${wg.name} exists and runs ${engine.effective} (selected: ${engine.selected})`);
                    fixes.push(
                        `aws athena update-work-group --work-group ${wg.name} --configuration-updates 'EngineVersion={SelectedEngineVersion="${ATHENA_ENGINE_3}"}' --region ${config.region}`,
                    );
                } else
                    notes.push(`${wg.name} exists with ${ATHENA_ENGINE_3} (import it if this stack did not create it)`);
            } catch (err) {
                problems.push(describe(err, "Athena", "athena:GetWorkGroup"));
                fixes.push("use credentials allowed athena:GetWorkGroup");
            }
        }
        results.push(
            problems.length === 0
                ? {
                      name: "athena-engine",
                      status: inAccount ? "pass" : "skip",
                      detail: inAccount
                          ? `${ATHENA_ENGINE_3}: ${notes.join("; ")}.`
                          : `The plan selects ${ATHENA_ENGINE_3}; the account was not checked (see account).`,
                  }
                : {
                      name: "athena-engine",
                      status: "fail",
                      detail: `${problems.join("; ")}.`,
                      fix: `${fixes.join("; ")}.`,
                  },
        );
    }
    return results;
}

/** Whether the logging stack a resource stack references exists in the user's backend. */
async function stackReference(
    loggingStack: string,
    backend: Backend,
    calls: PreflightCalls,
    stackFile: string,
): Promise<CheckResult> {
    const name = "stack-reference";
    const [org, project, stack] = loggingStack.split("/");
    const keyFix = `set central-waf-logs:loggingStack in ${stackFile}`;
    if (backend.kind === "file" || backend.kind === "s3") {
        if (org !== SELF_MANAGED_ORG) {
            return {
                name,
                status: "fail",
                detail: `${loggingStack} names organization "${org}", but the self-managed backend ${backend.url} names every stack ${SELF_MANAGED_ORG}/<project>/<stack>.`,
                fix: `${keyFix} to ${SELF_MANAGED_ORG}/${project}/${stack}.`,
            };
        }
        const relative = [`.pulumi/stacks/${project}/${stack}.json`, `.pulumi/stacks/${project}/${stack}.json.gz`];
        let found: string | undefined;
        if (backend.kind === "file") {
            found = relative.map((r) => path.join(backend.root, r)).find((f) => fs.existsSync(f));
        } else {
            try {
                for (const r of relative) {
                    const objectKey = backend.prefix ? `${backend.prefix}/${r}` : r;
                    if (await calls.objectExists(backend.bucket, objectKey, backend.region)) {
                        found = `s3://${backend.bucket}/${objectKey}`;
                        break;
                    }
                }
            } catch (err) {
                const known = awsEnvironmentError(err, { what: "S3", permissions: "s3:GetObject on the state bucket" });
                return {
                    name,
                    status: "fail",
                    detail: known?.message ?? String((err as Error)?.message ?? err),
                    fix: "use credentials that can read the state bucket (the ones pulumi uses).",
                };
            }
        }
        return found
            ? { name, status: "pass", detail: `${loggingStack} exists in ${backend.url} (${found}).` }
            : {
                  name,
                  status: "fail",
                  detail: `No stack ${stack} of project ${project} in ${backend.url} (looked for ${relative[0]}).`,
                  fix: `deploy the logging stack first (pulumi up --stack ${stack}), with this same backend, or ${keyFix} to the logging stack's name (pulumi stack ls --all).`,
              };
    }
    if (backend.kind === "cloud") {
        if (!backend.token) {
            return {
                name,
                status: "fail",
                detail: `No access token for ${backend.url} (PULUMI_ACCESS_TOKEN, or credentials.json's accessTokens).`,
                fix: `pulumi login ${backend.url}`,
            };
        }
        const url = `${backend.url}/api/stacks/${encodeURIComponent(org)}/${encodeURIComponent(project)}/${encodeURIComponent(stack)}`;
        let status: number;
        try {
            status = (
                await calls.get(url, { Authorization: `token ${backend.token}`, Accept: "application/vnd.pulumi+8" })
            ).status;
        } catch (err) {
            return {
                name,
                status: "fail",
                detail: `Cannot reach ${backend.url}: ${String((err as Error)?.message ?? err)}.`,
                fix: "check the network and PULUMI_BACKEND_URL.",
            };
        }
        if (status === 200) return { name, status: "pass", detail: `${loggingStack} exists in ${backend.url}.` };
        if (status === 401 || status === 403) {
            return {
                name,
                status: "fail",
                detail: `${backend.url} refused the access token (HTTP ${status}).`,
                fix: `pulumi login ${backend.url} again, or set PULUMI_ACCESS_TOKEN to a valid token.`,
            };
        }
        return {
            name,
            status: "fail",
            detail:
                status === 404
                    ? `${backend.url} has no stack ${loggingStack}${org === SELF_MANAGED_ORG ? ` ("${SELF_MANAGED_ORG}" is the self-managed backends' name; Pulumi Cloud uses your organization's or user's name)` : ""}.`
                    : `${backend.url} answered HTTP ${status} for ${loggingStack}.`,
            fix: `${keyFix} to <your Pulumi organization>/${project}/${stack} (pulumi stack ls --all shows it), or deploy the logging stack first.`,
        };
    }
    return {
        name,
        status: "skip",
        detail: `The backend ${backend.url} is not one preflight can read (file://, s3:// or Pulumi Cloud); check that ${loggingStack} exists with pulumi stack ls --all.`,
    };
}

/** The checks as printed: one line each, the fix under a failure, and a verdict. */
export function renderChecks(stack: string, results: readonly CheckResult[]): string {
    const width = Math.max(...results.map((r) => r.name.length));
    const lines = [`Preflight of stack ${stack}:`];
    for (const r of results) {
        lines.push(`  ${r.status.toUpperCase().padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}`);
        if (r.fix) lines.push(`  ${" ".repeat(4)}  ${" ".repeat(width)}  Fix: ${r.fix}`);
    }
    const failed = results.filter((r) => r.status === "fail").length;
    lines.push(
        failed === 0
            ? `All ${results.length} checks passed or were not applicable: ready for pulumi up --stack ${stack}.`
            : `${failed} of ${results.length} checks failed: fix them before pulumi up --stack ${stack}.`,
    );
    return lines.join("\n");
}

/** The SDK calls for `region`; endpoints and credentials are overridable (stand-ins). */
export function sdkPreflightCalls(
    region: string,
    options: {
        readonly endpoints?: Partial<Record<"sts" | "iam" | "lambda" | "athena" | "s3", string>>;
        readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    } = {},
): PreflightCalls & { destroy(): void } {
    const common = (service: keyof NonNullable<typeof options.endpoints>) => ({
        region,
        ...(options.endpoints?.[service] ? { endpoint: options.endpoints[service] } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    const sts = new STSClient(common("sts"));
    // IAM is global: its endpoint signs in us-east-1 (aws partition).
    const iam = new IAMClient({ ...common("iam"), region: "us-east-1" });
    const lambda = new LambdaClient(common("lambda"));
    const athena = new AthenaClient(common("athena"));
    const s3 = new Map<string, S3Client>();
    return {
        async callerIdentity() {
            const out = await sts.send(new GetCallerIdentityCommand({}));
            return { account: out.Account ?? "", arn: out.Arn ?? "" };
        },
        async roleExists(roleName) {
            try {
                await iam.send(new GetRoleCommand({ RoleName: roleName }));
                return true;
            } catch (err) {
                if ((err as { name?: string }).name === "NoSuchEntityException") return false;
                throw err;
            }
        },
        async lambdaConcurrency() {
            const out = await lambda.send(new GetAccountSettingsCommand({}));
            return {
                limit: out.AccountLimit?.ConcurrentExecutions ?? 0,
                unreserved: out.AccountLimit?.UnreservedConcurrentExecutions ?? 0,
            };
        },
        async workGroupEngine(name) {
            try {
                const out = await athena.send(new GetWorkGroupCommand({ WorkGroup: name }));
                const engine = out.WorkGroup?.Configuration?.EngineVersion;
                return {
                    selected: engine?.SelectedEngineVersion ?? "",
                    effective: engine?.EffectiveEngineVersion ?? "",
                };
            } catch (err) {
                const e = err as { name?: string; message?: string };
                if (e.name === "InvalidRequestException" && /is not found/.test(e.message ?? "")) return undefined;
                throw err;
            }
        },
        async objectExists(bucket, key, bucketRegion) {
            const at = bucketRegion ?? region;
            if (!s3.has(at)) s3.set(at, new S3Client({ ...common("s3"), region: at, forcePathStyle: true }));
            try {
                await s3.get(at)!.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
                return true;
            } catch (err) {
                const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
                if (e.name === "NotFound" || e.$metadata?.httpStatusCode === 404) return false;
                throw err;
            }
        },
        async get(url, headers) {
            const response = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
            return { status: response.status, body: await response.text() };
        },
        destroy() {
            for (const c of [sts, iam, lambda, athena, ...s3.values()]) c.destroy();
        },
    };
}

export function parsePreflightArgs(argv: readonly string[]): { stack: string } {
    let stack: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
        if (flag === "--stack") {
            const v = inline ?? argv[++i];
            if (v === undefined || v.startsWith("--")) throw usageError("--stack needs a value.");
            if (stack !== undefined) throw usageError("--stack is given twice; give it once.");
            stack = v;
        } else throw usageError(`Unknown ${flag.startsWith("-") ? "option" : "argument"} ${flag}.`);
    }
    if (stack === undefined) throw usageError("Give --stack <name>: the stack to check (e.g. logging).");
    return { stack };
}

/** The mocked plan of `stack` (a resource stack's reference answered by the logging plan). */
export async function planOf(stack: string, config: StackConfig): Promise<ProgramRun> {
    const { qualifiedStackName, runProgram } = await import("./mockEngine");
    if (config.role === "logging") return runProgram(stack);
    const logging = await runProgram("logging");
    return runProgram(stack, { stackOutputs: { [qualifiedStackName("logging")]: logging.outputs } });
}

export async function main(argv: readonly string[]): Promise<void> {
    const { stack } = parsePreflightArgs(argv);
    const config = await committedConfig(stack);
    const backend = resolveBackend();
    const plan = planFacts(await planOf(stack, config));
    const calls = sdkPreflightCalls(config.region);
    try {
        const results = await runPreflight(config, plan, backend, calls);
        console.log(renderChecks(stack, results));
        if (results.some((r) => r.status === "fail")) process.exitCode = 1;
    } finally {
        calls.destroy();
    }
}

if (require.main === module) runCli(main, { usage: PREFLIGHT_USAGE, help: "npm run preflight -- --help" });
