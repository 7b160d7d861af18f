/**
 * `npm run replay` as a person types it: a bad command line, or an environment without a Region,
 * credentials or network, is one line that says the fix, never a stack trace.
 */
import * as assert from "assert";
import * as net from "net";
import { runCliMain } from "../tools/cli/shell";
import { REPLAY_USAGE, parseReplayArgs, replayMain } from "../tools/cli/replay";
import { withoutAws } from "./support/awsEnv";

const QUEUE = "https://sqs.eu-west-1.amazonaws.com/111111111111/central-waf-logs-copier-failures";

/** Runs the replay command line in-process: its exit code and everything it printed. */
async function cli(...argv: string[]): Promise<[number, string]> {
    const lines: string[] = [];
    const code = await runCliMain(replayMain, {
        usage: REPLAY_USAGE,
        help: "npm run replay -- --help",
        argv,
        out: (text) => lines.push(text),
        err: (text) => lines.push(text),
    });
    return [code, lines.join("\n")];
}

describe("npm run replay: the command line", () => {
    it("reads queues, the errors bucket, the loader, the Region and --max", () => {
        assert.deepStrictEqual(
            parseReplayArgs([
                "--queue",
                QUEUE,
                "--queue=http://127.0.0.1:9324/000000000000/local-queue",
                "--errors",
                "s3://central-waf-logs-123/",
                "--loader",
                "arn:aws:lambda:eu-west-1:111111111111:function:central-waf-logs-search-loader",
                "--region",
                "us-gov-west-1",
                "--max",
                "100000",
            ]),
            {
                queues: [QUEUE, "http://127.0.0.1:9324/000000000000/local-queue"],
                errorsBucket: "central-waf-logs-123",
                loader: "arn:aws:lambda:eu-west-1:111111111111:function:central-waf-logs-search-loader",
                region: "us-gov-west-1",
                max: 100_000,
            },
        );
    });

    it("refuses a bad command line with one message naming the flag and the fix", () => {
        const cases: [string[], string][] = [
            [[], "Give at least one --queue <url> or --errors <bucket>: nothing to replay."],
            [
                ["--queue", "notaurl"],
                '--queue takes a queue URL such as https://sqs.eu-west-1.amazonaws.com/111111111111/<queue> (the stacks\' outputs copierFailureQueueUrl and loaderFailureQueueUrl), got "notaurl".',
            ],
            [
                ["--queue", "ftp://sqs.eu-west-1.amazonaws.com/111111111111/q"],
                '--queue takes a queue URL such as https://sqs.eu-west-1.amazonaws.com/111111111111/<queue> (the stacks\' outputs copierFailureQueueUrl and loaderFailureQueueUrl), got "ftp://sqs.eu-west-1.amazonaws.com/111111111111/q".',
            ],
            [
                ["--errors", "My_Bucket"],
                "--errors takes the central bucket's name (the logging stack's output centralBucketName), got \"My_Bucket\".",
            ],
            [
                ["--queue", QUEUE, "--loader", "bad name"],
                '--loader takes a Lambda function\'s name or ARN, got "bad name".',
            ],
            [
                ["--queue", QUEUE, "--region", "not-a-region"],
                '--region takes an AWS Region such as eu-west-1, got "not-a-region".',
            ],
            [
                ["--queue", QUEUE, "--max", "99999999999999999999"],
                '--max takes a whole number from 1 to 100000, got "99999999999999999999".',
            ],
            [["--queue", QUEUE, "--max", "1e3"], '--max takes a whole number from 1 to 100000, got "1e3".'],
            [["--queue", QUEUE, "--max", "0"], '--max takes a whole number from 1 to 100000, got "0".'],
            [["--queue"], "--queue needs a value."],
            [["--queue", QUEUE, "--bogus"], "Unknown option --bogus."],
        ];
        for (const [argv, message] of cases) {
            assert.throws(() => parseReplayArgs(argv), { message }, argv.join(" "));
        }
    });

    it("answers a missing Region, missing credentials and an unreachable endpoint with one line and no stack trace", async () => {
        await withoutAws({}, async () => {
            assert.deepStrictEqual(await cli("--errors", "central-waf-logs-123"), [
                1,
                "No AWS Region to reach s3://central-waf-logs-123 in. Fix: pass --region, or set AWS_REGION.",
            ]);
            const [code, out] = await cli("--queue", QUEUE);
            assert.strictEqual(code, 1);
            assert.match(
                out,
                /^No AWS credentials found \(.+\)\. Fix: sign in to the account \(e\.g\. aws sso login, or set AWS_PROFILE\)\.$/,
            );
        });
        // A loopback port nothing listens on: take one, then close it.
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as net.AddressInfo).port;
        await new Promise((resolve) => server.close(resolve));
        const local = `http://127.0.0.1:${port}/000000000000/q`;
        await withoutAws(
            { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" },
            async () => {
                assert.deepStrictEqual(await cli("--queue", local), [
                    1,
                    `Cannot reach ${local} (ECONNREFUSED). Fix: check the network and --region.`,
                ]);
            },
        );
    });
});
