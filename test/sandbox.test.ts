/**
 * The local operator sandbox (`npm start -- --keep`, `npm run sandbox`): the world of a finished
 * local run stays up behind one endpoint, and each operator tool works against it with the
 * commands the sandbox prints; then it stops and nothing is left listening.
 */
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { blocklistMain } from "../tools/cli/blocklist";
import { coverageMain } from "../tools/cli/coverage";
import { verifyMain } from "../tools/cli/verify";
import { main as forensicsMain } from "../tools/cli/forensics";
import { LocalWorld, runLocalPipeline } from "../tools/local/localRun";
import { replayMain } from "../tools/cli/replay";
import { SandboxGuide, holdWorld } from "../tools/local/sandbox";
import { signedService, startServiceRouter } from "../tools/local/aws/serviceRouter";
import { withoutAws } from "./support/awsEnv";
import { committedRuns } from "./support/program";

/** Runs a CLI's main in-process with `argv` as a user would paste it, returning what it printed. */
async function printed(main: (argv: string[]) => Promise<unknown>, command: string): Promise<string> {
    const argv = command.split(" ").slice(command.startsWith("npm start") ? 3 : 4);
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void lines.push(args.join(" "));
    try {
        await main(argv);
    } finally {
        console.log = log;
    }
    return lines.join("\n");
}

function reachable(url: string): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get(url, (res) => {
            res.resume();
            resolve(true);
        });
        req.on("error", () => resolve(false));
    });
}

describe("the local operator sandbox (npm start -- --keep)", () => {
    it("keeps the world running behind one endpoint, where blocklist, replay, forensics, coverage and verify work as printed, then stops", async () => {
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-test-"));
        const log: string[] = [];
        let endpoint = "";
        const outputs: Record<string, string> = {};
        let reportWhileHeld = "";
        try {
            await runLocalPipeline(await committedRuns(), {
                records: 2000,
                workDir,
                log: (l) => log.push(l),
                hold: (world: LocalWorld) =>
                    holdWorld(
                        world,
                        (l) => log.push(l),
                        async (guide: SandboxGuide) => {
                            endpoint = guide.endpoint;
                            const env = Object.fromEntries(
                                guide.environment.flatMap((line) =>
                                    line
                                        .replace(/^export /, "")
                                        .split(" ")
                                        .map((kv) => kv.split("=")),
                                ),
                            );
                            await withoutAws(env, async () => {
                                const commands = (tool: string) =>
                                    guide.commands.filter((c) => c.tool === tool).map((c) => c.command);
                                outputs.blocklist = await printed(blocklistMain, commands("blocklist")[0]);
                                // A change goes through the operator function's URL, as in AWS.
                                outputs.blocklistAdd = await printed(
                                    blocklistMain,
                                    `npm run blocklist -- add 203.0.113.201 --reason sandbox --endpoint ${endpoint}`,
                                );
                                // A parked report for a delivered object: replay re-runs the loader on it.
                                const s3 = new S3Client({ endpoint, forcePathStyle: true });
                                const bucket = world.runs.find((r) => r.outputs.centralBucketName)!.outputs
                                    .centralBucketName;
                                const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
                                const key = Contents!.map((c) => c.Key!).find((k) => k.endsWith(".gz"))!;
                                await s3.send(
                                    new PutObjectCommand({
                                        Bucket: bucket,
                                        Key: `_errors/${key}.rejected.ndjson`,
                                        Body: "{}\n",
                                    }),
                                );
                                s3.destroy();
                                outputs.replay = "";
                                for (const command of commands("replay")) {
                                    outputs.replay += `${await printed(replayMain, command)}\n`;
                                }
                                outputs.forensics = await printed(forensicsMain, commands("forensics")[0]);
                                reportWhileHeld = fs.readFileSync(world.summary.reportPath, "utf8");
                                outputs.coverage = await printed(coverageMain, commands("coverage")[0]);
                                const exitCode = process.exitCode;
                                try {
                                    outputs.verify = await printed(verifyMain, commands("verify")[0]);
                                    outputs.verifyExit = String(process.exitCode ?? 0);
                                } finally {
                                    process.exitCode = exitCode;
                                }
                            });
                        },
                    ),
            });
        } finally {
            fs.rmSync(workDir, { recursive: true, force: true });
        }
        const shown = log.join("\n");
        assert.match(shown, new RegExp(`one endpoint for every stand-in: ${endpoint}`));
        for (const service of ["s3", "sqs", "lambda", "es", "dynamodb", "sts", "wafv2", "athena"]) {
            assert.match(shown, new RegExp(`^    ${service} +http://127\\.0\\.0\\.1:\\d+$`, "m"), service);
        }
        assert.match(shown, /export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER/);
        assert.ok(reportWhileHeld.includes("<h2>Response: what was blocked, and what was not</h2>"));
        assert.match(
            shown,
            new RegExp(`The run's HTML report, with what it blocked \\(until Ctrl-C\\): ${workDir}/report\\.html`),
        );
        // The blocklist the detector wrote, read through the sandbox's endpoint.
        for (const attacker of ["203.0.113.66/32", "203.0.113.77/32", "203.0.113.88/32"]) {
            assert.ok(outputs.blocklist.includes(attacker), outputs.blocklist);
            assert.match(outputs.blocklistAdd, /^Blocked 203\.0\.113\.201\/32 until .* \(offense 1\)/m);
        }
        assert.match(
            outputs.replay,
            /replayed\s+s3:\/\/\S+\/_errors\/\S+ -> central-waf-logs-search-loader: re-indexed/,
        );
        // One command per Region with queues (ap-southeast-2, eu-west-1, us-east-1): only the one with
        // the parked object replays something.
        assert.deepStrictEqual(outputs.replay.match(/^Replayed .*$/gm)!.sort(), [
            "Replayed 0, failed 0, skipped 0.",
            "Replayed 0, failed 0, skipped 0.",
            "Replayed 1, failed 0, skipped 0.",
        ]);
        assert.match(outputs.forensics, /client_ip/);
        // Coverage: the deployed scan through the sandbox's Lambda; the hand-made web ACL is the one gap.
        assert.match(outputs.coverage, /legacy-marketing-site/);
        assert.match(
            outputs.coverage,
            /^1 gap\(s\): 1 web ACL\(s\) not logging to the platform or without the blocklist, 0 account\/Region\(s\) not scanned\.$/m,
        );
        // Verify: the canary through the Firehose stand-in, every hop passed, nothing not reached.
        assert.strictEqual(outputs.verifyExit, "0", outputs.verify);
        for (const hop of ["firehose", "staging", "central", "loaded", "athena", "detector"]) {
            assert.match(outputs.verify, new RegExp(`^ {2}PASS {8}${hop} `, "m"), `${hop}\n${outputs.verify}`);
        }
        assert.match(outputs.verify, /^The canary went through every hop\.$/m);
        assert.match(shown, /Sandbox stopped/);
        // Stopped: nothing answers on the endpoint any more.
        assert.strictEqual(await reachable(endpoint), false);
    });

    it("routes by the service a request's signature names, and refuses what it does not serve", async () => {
        assert.strictEqual(
            signedService({
                headers: {
                    authorization:
                        "AWS4-HMAC-SHA256 Credential=S3RVER/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
                },
                url: "/",
            }),
            "dynamodb",
        );
        assert.strictEqual(signedService({ headers: {}, url: "/" }), undefined);
        const router = await startServiceRouter({});
        try {
            const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
                const req = http.request(
                    `${router.url}/`,
                    {
                        method: "POST",
                        headers: {
                            authorization: "AWS4-HMAC-SHA256 Credential=k/20261207/us-east-1/kinesis/aws4_request",
                        },
                    },
                    (res) => {
                        let body = "";
                        res.on("data", (c) => (body += c));
                        res.on("end", () => resolve({ status: res.statusCode!, body }));
                    },
                );
                req.on("error", reject);
                req.end();
            });
            assert.strictEqual(answer.status, 400);
            assert.match(answer.body, /No local stand-in of kinesis here/);
        } finally {
            await router.close();
        }
        await assert.rejects(
            startServiceRouter({ s3: "http://10.0.0.1:9000" }),
            /forwards to loopback only; s3 names http:\/\/10\.0\.0\.1:9000/,
        );
    });
});
