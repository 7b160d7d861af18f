/**
 * `npm run coverage -- [--stack logging] [--region <region>] [--endpoint <url>]`
 *
 * Runs the deployed coverage scan now (a synchronous invocation of its Lambda, which alone may
 * assume the inventory roles) and prints the coverage table: every web ACL of every admitted
 * account and Region, whether it logs to the platform and carries the blocklist.
 */
import { CoverageSummary, coverageTable } from "../../handlers/coverage";
import { COVERAGE_FUNCTION } from "../../names";
import { awsEnvironmentError } from "./awsErrors";
import { runCli, usageError, userError } from "./shell";

export const USAGE = `usage: npm run coverage -- [--stack <name>] [--region <region>] [--endpoint <url>]

Runs the web ACL coverage scan now, through its deployed Lambda (${COVERAGE_FUNCTION}, the
only principal the resource stacks' read-only inventory roles trust), and prints one line per web
ACL of every admitted account and Region: whether it logs to the platform, whether it carries the
central blocklist, and what is wrong. Targets it could not scan are listed too.

  --stack <name>     the logging stack whose Pulumi.<stack>.yaml gives the Region (default logging)
  --region <region>  the logging stack's Region (default: from its stack file)
  --endpoint <url>   a local Lambda instead of AWS: the sandbox's endpoint (npm start -- --keep
                     prints the whole command)
  --help             this text

Needs lambda:InvokeFunction on ${COVERAGE_FUNCTION} in the logging account.`;

export interface CoverageArgs {
    readonly stack: string;
    readonly region?: string;
    readonly endpoint?: string;
}

export function parseCoverageArgs(argv: readonly string[]): CoverageArgs {
    const values: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        if (!["--stack", "--region", "--endpoint"].includes(flag)) throw usageError(`Unknown option ${flag}.`);
        const value = inline ?? argv[++i];
        if (value === undefined || value.startsWith("--")) throw usageError(`${flag} needs a value.`);
        values[flag] = value;
    }
    const endpoint = values["--endpoint"];
    if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
        throw usageError(
            `--endpoint takes the URL of a local Lambda, such as http://127.0.0.1:9001, got ${JSON.stringify(endpoint)}.`,
        );
    }
    return { stack: values["--stack"] ?? "logging", region: values["--region"], endpoint };
}

/** Runs the scan through Lambda and prints its table; returns the summary. */
export async function coverageMain(
    argv: readonly string[],
    out: (line: string) => void = (line) => console.log(line),
): Promise<CoverageSummary> {
    const args = parseCoverageArgs(argv);
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { parseStackConfig } = require("../../config");
    const { committedStacks, readStackConfig } = require("./stackFiles");
    const lambdaSdk = require("@aws-sdk/client-lambda");
    /* eslint-enable @typescript-eslint/no-require-imports */
    if (!committedStacks().includes(args.stack)) {
        throw userError(
            `--stack ${JSON.stringify(args.stack)}: there is no such stack file. Fix: give the logging stack's name (stacks here: ${committedStacks().join(", ")}).`,
        );
    }
    const config = parseStackConfig(args.stack, readStackConfig(args.stack));
    if (config.role !== "logging") {
        throw userError(`Stack ${args.stack} is a ${config.role} stack; give the logging stack with --stack.`);
    }
    const region = args.region ?? config.region;
    const client = new lambdaSdk.LambdaClient({
        region,
        ...(args.endpoint
            ? {
                  endpoint: args.endpoint,
                  // A local Lambda takes any key; without credentials in the environment, give it one.
                  ...(!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE
                      ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } }
                      : {}),
              }
            : {}),
    });
    let summary: CoverageSummary;
    try {
        const answer = await client.send(
            new lambdaSdk.InvokeCommand({ FunctionName: COVERAGE_FUNCTION, InvocationType: "RequestResponse" }),
        );
        const payload = JSON.parse(Buffer.from(answer.Payload ?? []).toString("utf8") || "null");
        if (answer.FunctionError) {
            throw userError(
                `The coverage scan failed: ${payload?.errorType ?? answer.FunctionError}: ${payload?.errorMessage ?? ""} See the function's log group /aws/lambda/${COVERAGE_FUNCTION}.`,
            );
        }
        summary = payload as CoverageSummary;
    } catch (err) {
        throw (
            awsEnvironmentError(err, {
                what: `the coverage Lambda ${COVERAGE_FUNCTION}${args.endpoint ? ` at ${args.endpoint}` : ` in ${region}`}`,
                permissions: `lambda:InvokeFunction on ${COVERAGE_FUNCTION} in the logging account`,
            }) ?? err
        );
    } finally {
        client.destroy();
    }
    for (const line of coverageTable(summary)) out(line);
    const failed = summary.targets.filter((t) => t.status === "failed").length;
    out(
        summary.gaps === 0
            ? "Every web ACL logs to the platform and carries the blocklist."
            : `${summary.gaps} gap(s): ${summary.gaps - failed} web ACL(s) not logging to the platform or without the blocklist, ${failed} account/Region(s) not scanned.`,
    );
    return summary;
}

if (require.main === module) {
    runCli(
        async (argv) => {
            await coverageMain(argv);
        },
        { usage: USAGE, help: "npm run coverage -- --help" },
    );
}
