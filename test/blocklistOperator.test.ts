/**
 * The blocklist operator function as deployed: its `__index.js` behind the Lambda stand-in's
 * function URL (AWS_IAM), reached as `npm run blocklist` reaches it (GetFunctionUrlConfig, then a
 * SigV4-signed POST) with the credentials of a role holding the planned operator policy, and IAM
 * for Lambda evaluated on the planned policies. What an operator, or someone holding their
 * credentials, can do to the blocklist is only what this function accepts.
 */
import { GetFunctionUrlConfigCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChangeRequest } from "../handlers/blocklistChange";
import { Credentials, postChange } from "../tools/cli/operatorUrl";
import { deployedHandler } from "../tools/local/deployedCode";
import { LocalResponse, startLocalResponse } from "../tools/local/localResponse";
import { auditTrail } from "./support/auditTrail";
import { committedRun, committedRuns } from "./support/program";

const REGION = "us-east-1";

describe("blocklist operator function, as deployed, behind its IAM-authenticated URL", () => {
    let local: LocalResponse;
    let dataDir: string;
    let lambda: LambdaClient;
    let url: string;

    /** The audit trail of `cidr`. */
    const stored = (cidr: string) => auditTrail(local.dynamo.client, cidr);
    const change = (request: Record<string, unknown>, credentials: Credentials = local.operator) =>
        postChange(url, request as unknown as ChangeRequest, credentials, REGION);

    before(async () => {
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "operator-"));
        local = await startLocalResponse(await committedRuns(), dataDir);
        lambda = new LambdaClient({ region: REGION, endpoint: local.lambda.url, credentials: local.operator });
        url = (
            await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: "central-waf-logs-blocklist-operator" }))
        ).FunctionUrl!;
    });
    after(async () => {
        lambda?.destroy();
        await local?.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("writes a checked change with its audit record, naming the caller AWS authenticated", async () => {
        const message = await change({
            command: "add",
            target: "203.0.113.77",
            reason: "credential stuffing",
            minutes: 60,
        });
        assert.match(message, /^Blocked 203\.0\.113\.77\/32 until .* \(offense 1\)\. The publisher writes it/);
        const trail = await stored("203.0.113.77/32");
        assert.deepStrictEqual(
            trail.map((r) => [r.action, r.actor, r.reason]),
            [["add", local.operator.principalArn, "credential stuffing"]],
        );
    });

    it("refuses address space that is not globally reachable, too broad or allowlisted, auditing the refusals", async () => {
        await assert.rejects(change({ command: "add", target: "10.0.0.0/8", reason: "x" }), {
            message:
                /^Refused: 10\.0\.0\.0\/8 overlaps 10\.0\.0\.0\/8 Private-Use \(RFC 1918\), which is not globally reachable/,
        });
        assert.deepStrictEqual(
            (await stored("10.0.0.0/8")).map((r) => [r.action, r.actor]),
            [["refuse", local.operator.principalArn]],
        );
        await assert.rejects(change({ command: "add", target: "0.0.0.0/1", reason: "x" }), {
            message: /^Cannot use 0\.0\.0\.0\/1: /,
        });
        // The committed logging stack allowlists the health checkers' range.
        const allowlist: string[] = JSON.parse(
            (await committedRun("logging")).config["central-waf-logs:response"],
        ).allowlist;
        const inside = allowlist[0].split("/")[0];
        await assert.rejects(change({ command: "add", target: inside, reason: "x" }), {
            message: /^Refused: .* overlaps the allowlisted range/,
        });
    });

    it("trusts nothing the caller wrote: no actor field, no control characters, no unknown command, no huge body", async () => {
        await assert.rejects(
            change({ command: "add", target: "203.0.113.78", reason: "x", actor: "arn:aws:iam::1:user/someone-else" }),
            { message: /^Unknown field "actor": .*the actor is the caller AWS authenticated/ },
        );
        await assert.rejects(change({ command: "add", target: "203.0.113.78", reason: "a\nforged line" }), {
            message: /^--reason contains a control character \(U\+000A at character 2\)/,
        });
        await assert.rejects(change({ command: "delete-everything", target: "203.0.113.78", reason: "x" }), {
            message: "command must be one of add, remove, promote.",
        });
        await assert.rejects(change({ command: "add", target: "203.0.113.78", reason: "x".repeat(5000) }), {
            message: "The request is larger than 4096 bytes.",
        });
        await assert.rejects(change({ command: "add", target: "203.0.113.78", reason: "x", minutes: 1e9 }), {
            message: /^--minutes takes a whole number from 1 to 43200/,
        });
        assert.deepStrictEqual(await stored("203.0.113.78/32"), []);
    });

    it("answers only signed callers whose policy allows the URL; a direct Invoke with a forged URL event is denied", async () => {
        const unsigned = await fetch(url, { method: "POST", body: "{}" });
        assert.strictEqual(unsigned.status, 403);
        // The publisher's role may invoke the appliers, but not this URL.
        const publisher = { accessKeyId: "ASIALOCALPUBLISHER", secretAccessKey: "local" };
        await assert.rejects(change({ command: "add", target: "203.0.113.79", reason: "x" }, publisher), {
            message:
                /^The blocklist operator function refused these credentials \(User: .*central-waf-logs-blocklist-publisher.* is not authorized to perform: lambda:InvokeFunctionUrl/,
        });
        // lambda:InvokeFunction is granted only with lambda:InvokedViaFunctionUrl: an operator
        // cannot invoke the function directly with an event that names someone else.
        const forged = {
            requestContext: { http: { method: "POST" }, authorizer: { iam: { userArn: "arn:aws:iam::1:user/ceo" } } },
            body: JSON.stringify({ command: "add", target: "203.0.113.79", reason: "x" }),
        };
        await assert.rejects(
            lambda.send(
                new InvokeCommand({
                    FunctionName: "central-waf-logs-blocklist-operator",
                    Payload: Buffer.from(JSON.stringify(forged)),
                }),
            ),
            { name: "AccessDeniedException" },
        );
        assert.deepStrictEqual(await stored("203.0.113.79/32"), []);
    });

    it("refuses an event that did not come through the IAM-authenticated URL, writing nothing", async () => {
        const handler = await deployedHandler(await committedRun("logging"), "central-waf-logs-blocklist-operator", {
            ...local.dynamo.lambdaEnvironment(REGION),
            AWS_REGION: REGION,
        });
        const answer = (await handler({
            body: JSON.stringify({ command: "add", target: "203.0.113.80", reason: "x" }),
        })) as {
            statusCode: number;
        };
        assert.strictEqual(answer.statusCode, 403);
        assert.deepStrictEqual(await stored("203.0.113.80/32"), []);
    });
});
