/**
 * Containment in each resource account (issue 18, item 5): the deployed applier of every resource
 * stack, run behind the Lambda stand-in with the planned IAM, refuses hostile desired state
 * however it arrives (through the publisher, or straight from a compromised logging account with
 * the sync role), alarms in its own account, and applies the legitimate rest. Also the
 * publisher's own deadline against an applier that never answers, and the applier's against a
 * WAF that never answers.
 */
import { BatchWriteItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { UpdateIPSetCommand, WAFV2Client } from "@aws-sdk/client-wafv2";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkRequest } from "../handlers/applier";
import { toItem } from "../handlers/blocklistStore";
import { applierSettings } from "../components/blocklistEnforcement";
import { DEFAULT_RESOURCE_RESPONSE } from "../config";
import { lambdaContext, loadHandler, deployedSource, deployedEnvironment } from "../tools/local/deployedCode";
import { LocalResponse, startLocalResponse } from "../tools/local/localResponse";
import { ProgramRun } from "../tools/local/mockEngine";
import { metricsOf } from "./support/capture";
import { committedRuns } from "./support/program";
import { StallWatch, assertWithinBound } from "./support/stalls";

const SETS = { ipv4: "central-waf-logs-blocklist-ipv4", ipv6: "central-waf-logs-blocklist-ipv6" };
const US = { accountId: "222222222222", region: "us-east-1" };
const SYDNEY = { accountId: "222222222222", region: "ap-southeast-2" };
const IRELAND = { accountId: "333333333333", region: "eu-west-1" };
/** The account's CloudFront web ACLs: their applier runs in us-east-1 and writes CLOUDFRONT-scope sets. */
const GLOBAL = { accountId: "222222222222", region: "global" };
const applierArn = (l: { accountId: string; region: string }) =>
    `arn:aws:lambda:${l.region}:${l.accountId}:function:central-waf-logs-blocklist-applier-${l.region}`;
const at = (hour: number, minute = 0) => Date.UTC(2026, 10, 27, hour, minute);

// notGloballyReachable itself (every registry row) is tested in test/blocklistInputs.test.ts.
describe("the applier's checks (handlers/applier.ts)", () => {
    const settings = applierSettings({ ...DEFAULT_RESOURCE_RESPONSE, allowlist: ["198.51.100.0/26"] });
    it("accepts narrow public ranges, refuses the rest one by one, and keeps out its own allowlist", () => {
        const checked = checkRequest(
            {
                version: 1,
                ipv4: ["203.0.113.9/32", "198.51.0.0/16", "10.0.0.0/8", "198.51.100.7/32", "2001:db8::1/128", 7],
                ipv6: ["2001:db8:1::/48", "2001:db8::/32", "fd00::/64"],
            },
            settings,
        );
        assert.deepStrictEqual(checked.accepted, { ipv4: ["203.0.113.9/32"], ipv6: ["2001:db8:1::/48"] });
        assert.deepStrictEqual(checked.allowlisted, ["198.51.100.7/32"]);
        assert.deepStrictEqual(
            checked.refused.map((r) => [r.family, r.value]),
            [
                ["ipv4", "198.51.0.0/16"],
                ["ipv4", "10.0.0.0/8"],
                ["ipv4", "2001:db8::1/128"],
                ["ipv4", "7"],
                ["ipv6", "2001:db8::/32"],
                ["ipv6", "fd00::/64"],
            ],
        );
        assert.strictEqual(
            checked.refused[0].reason,
            "198.51.0.0/16 is broader than /24; this account accepts no range broader than /24 (IPv4) or /48 (IPv6) (central-waf-logs:response.maxPrefixIpv4 and maxPrefixIpv6 of its resource stack)",
        );
    });
    it("refuses a list longer than a set holds, and a request that is not one, keeping the sets", () => {
        const many = checkRequest({ version: 1, ipv4: Array(10_001).fill("203.0.113.9/32"), ipv6: [] }, settings);
        assert.deepStrictEqual(many.accepted, { ipv6: [] });
        assert.deepStrictEqual(many.refused, [
            {
                family: "ipv4",
                value: "10001 entries",
                reason: "more than the 10000 ranges an AWS WAF IP set holds; the set is kept as it is",
            },
        ]);
        for (const request of [null, [], "x", { version: 2, ipv4: [], ipv6: [] }]) {
            const checked = checkRequest(request, settings);
            assert.deepStrictEqual(checked.accepted, {}, JSON.stringify(request));
            assert.match(checked.refused[0].reason, /; both sets are kept as they are$/);
        }
    });
});

describe("blocklist containment, as deployed: each resource account's applier", () => {
    let runs: ProgramRun[];
    let root: string;
    let local: LocalResponse;
    /** The sync role of a target, assumed with the publisher's credentials: what a compromised logging account holds. */
    let syncCredentials: (l: { accountId: string; region: string }) => Promise<any>;

    before(async () => {
        runs = await committedRuns();
        root = fs.mkdtempSync(path.join(os.tmpdir(), "applier-"));
        local = await startLocalResponse(runs, root);
        const sts = new STSClient({
            region: "us-east-1",
            endpoint: local.sts.url,
            credentials: { accessKeyId: "ASIALOCALPUBLISHER", secretAccessKey: "local" },
        });
        syncCredentials = async (l) => {
            const { Credentials } = await sts.send(
                new AssumeRoleCommand({
                    RoleArn: `arn:aws:iam::${l.accountId}:role/central-waf-logs-blocklist-sync-${l.region}`,
                    RoleSessionName: "attacker",
                }),
            );
            return {
                accessKeyId: Credentials!.AccessKeyId!,
                secretAccessKey: Credentials!.SecretAccessKey!,
                sessionToken: Credentials!.SessionToken!,
            };
        };
    });
    after(async () => {
        await local?.close();
        fs.rmSync(root, { recursive: true, force: true });
    });

    const invoke = async (l: { accountId: string; region: string }, payload: unknown) => {
        const client = new LambdaClient({
            region: l.region,
            endpoint: local.lambda.url,
            credentials: await syncCredentials(l),
        });
        try {
            const answer = await client.send(
                new InvokeCommand({
                    FunctionName: applierArn(l),
                    Payload: new TextEncoder().encode(JSON.stringify(payload)),
                }),
            );
            return { error: answer.FunctionError, body: JSON.parse(new TextDecoder().decode(answer.Payload)) };
        } finally {
            client.destroy();
        }
    };

    it("gives the sync role no way to write an IP set itself: WAF refuses it (planned policy)", async () => {
        const waf = new WAFV2Client({
            region: US.region,
            endpoint: local.waf.url,
            credentials: await syncCredentials(US),
        });
        const set = local.waf.ipSet(US.accountId, US.region, SETS.ipv4)!;
        await assert.rejects(
            waf.send(
                new UpdateIPSetCommand({
                    Name: SETS.ipv4,
                    Scope: "REGIONAL",
                    Id: set.id,
                    Addresses: ["0.0.0.0/1", "128.0.0.0/1"],
                    LockToken: set.lockToken,
                }),
            ),
            { name: "AccessDeniedException" },
        );
        waf.destroy();
        assert.deepStrictEqual(local.waf.ipSet(US.accountId, US.region, SETS.ipv4)!.addresses, []);
    });

    it("refuses 0.0.0.0/1 + 128.0.0.0/1, 10.0.0.0/8 and a /16 sent straight with the sync role, alarms there, and applies the legitimate rest", async () => {
        const hostile = {
            version: 1,
            ipv4: ["0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/8", "198.51.0.0/16", "203.0.113.9/32"],
            ipv6: ["::/1", "2001:db8:7::/48"],
        };
        const { result, metrics, logs } = await metricsOf(() => invoke(US, hostile));
        assert.strictEqual(result.error, undefined);
        assert.deepStrictEqual(
            [result.body.updated, result.body.ipv4, result.body.ipv6, result.body.refusedCount],
            [[SETS.ipv4, SETS.ipv6], 1, 1, 5],
        );
        assert.deepStrictEqual(
            result.body.refused.map((r: any) => r.value),
            ["0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/8", "198.51.0.0/16", "::/1"],
        );
        assert.deepStrictEqual(local.waf.ipSet(US.accountId, US.region, SETS.ipv4)!.addresses, ["203.0.113.9/32"]);
        assert.deepStrictEqual(local.waf.ipSet(US.accountId, US.region, SETS.ipv6)!.addresses, ["2001:db8:7::/48"]);
        // The metric the resource account's alarm watches (see the plan test), with its dimension.
        const refused = metrics.find((m) => m.BlocklistEntriesRefused !== undefined);
        assert.deepStrictEqual(
            [refused.BlocklistEntriesRefused, refused.FunctionName, refused._aws.CloudWatchMetrics[0].Dimensions],
            [5, "central-waf-logs-blocklist-applier-us-east-1", [["FunctionName"]]],
        );
        assert.ok(logs.some((l) => JSON.parse(l).msg === "applier refused part of the desired blocklist"));
    });

    it("refuses 100,000 entries as a whole, keeping what the set holds", async () => {
        const huge = Array.from({ length: 100_000 }, (_, i) => `20.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`);
        const { result, metrics } = await metricsOf(() =>
            invoke(US, { version: 1, ipv4: huge, ipv6: ["2001:db8:7::/48"] }),
        );
        assert.deepStrictEqual(
            [result.body.ipv4, result.body.refusedCount, result.body.refused[0].value, result.body.updated],
            ["kept", 1, "100000 entries", []],
        );
        assert.deepStrictEqual(local.waf.ipSet(US.accountId, US.region, SETS.ipv4)!.addresses, ["203.0.113.9/32"]);
        assert.strictEqual(metrics.find((m) => m.BlocklistEntriesRefused !== undefined).BlocklistEntriesRefused, 1);
    });

    it("reports refusals back through the publisher, and keeps each account's own allowlist out of its sets", async () => {
        // The publisher's own guard admits a /16 (central breadth /8); the appliers' /24 limit does not.
        await local.dynamo.client.send(
            new BatchWriteItemCommand({
                RequestItems: {
                    "central-waf-logs-blocklist": ["198.51.0.0/16", "198.51.100.7/32", "203.0.113.77/32"].map(
                        (cidr) => ({
                            PutRequest: {
                                Item: toItem({
                                    cidr,
                                    family: "ipv4",
                                    blockedUntil: at(12),
                                    offenses: 1,
                                    reason: "test",
                                    source: "operator",
                                    seenIn: [],
                                    firstSeen: at(10),
                                    lastSeen: at(10),
                                    updatedBy: "test",
                                    updatedAt: at(10),
                                    version: 1,
                                    ttl: 0,
                                }),
                            },
                        }),
                    ),
                },
            }),
        );
        const { result } = await metricsOf(() => local.publish(at(10, 1)));
        assert.deepStrictEqual(
            result.targets.map((t: any) => [t.target, t.status, t.refusedCount, t.refused.map((r: any) => r.value)]),
            [IRELAND, SYDNEY, GLOBAL, US]
                .map((l) => [`${l.accountId}/${l.region}`, "synced", 1, ["198.51.0.0/16"]])
                .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        );
        // eu-west-1's stack allowlists 198.51.100.0/26: its applier leaves 198.51.100.7 out.
        assert.deepStrictEqual(local.waf.ipSet(IRELAND.accountId, IRELAND.region, SETS.ipv4)!.addresses, [
            "203.0.113.77/32",
        ]);
        assert.deepStrictEqual(local.waf.ipSet(US.accountId, US.region, SETS.ipv4)!.addresses, [
            "198.51.100.7/32",
            "203.0.113.77/32",
        ]);
    });

    it("stops the publisher at its own deadline when an applier never answers, with a summary and that target failed", async () => {
        local.lambdaFaults.inject([{ path: /ap-southeast-2/, fault: { kind: "hang" } }]);
        try {
            const started = Date.now();
            const stalls = new StallWatch();
            // 2 s left (a fixed figure: the run's clock is stopped): its budget, less the 10% margin, is 1.8 s.
            const { result, logs } = await metricsOf(() =>
                local.publish(
                    at(10, 2),
                    lambdaContext(() => 2000),
                ),
            );
            stalls.stop();
            assertWithinBound(Date.now() - started, stalls, 2000, "the publisher, stopping before its timeout,");
            assert.strictEqual(result.deadlineReached, true);
            assert.deepStrictEqual(
                result.targets.map((t: any) => [t.target, t.status]),
                [
                    ["222222222222/ap-southeast-2", "failed"],
                    ["222222222222/global", "synced"],
                    ["222222222222/us-east-1", "synced"],
                    ["333333333333/eu-west-1", "synced"],
                ],
            );
            assert.match(result.targets[0].error, /^DeadlineReached: the publisher stopped at its own deadline/);
            const summary = logs.map((l) => JSON.parse(l)).find((l) => l.msg === "publisher summary");
            assert.strictEqual(summary.deadlineReached, true);
            assert.strictEqual(local.lambdaFaults.injected(), 1);
        } finally {
            local.lambdaFaults.inject([]);
        }
    });

    it("stops the applier before its own timeout when WAF never answers, naming the call", async () => {
        const run = runs.find((r) => r.stack === "resource-us-east-1")!;
        const name = "central-waf-logs-blocklist-applier-us-east-1";
        local.wafFaults.inject([{ fault: { kind: "hang" } }]);
        local.sts.register(
            "ASIALOCALAPPLIERTEST",
            "arn:aws:sts::222222222222:assumed-role/central-waf-logs-blocklist-applier-us-east-1/local",
        );
        const handler = loadHandler(await deployedSource(run, name), {
            ...deployedEnvironment(run, name),
            IPV4_SET_ID: local.waf.ipSet(US.accountId, US.region, SETS.ipv4)!.id,
            IPV6_SET_ID: local.waf.ipSet(US.accountId, US.region, SETS.ipv6)!.id,
            AWS_REGION: US.region,
            AWS_ACCESS_KEY_ID: "ASIALOCALAPPLIERTEST",
            AWS_SECRET_ACCESS_KEY: "local",
            AWS_ENDPOINT_URL_WAFV2: local.wafFaults.url,
        });
        try {
            const started = Date.now();
            const stalls = new StallWatch();
            await assert.rejects(handler({ version: 1, ipv4: [], ipv6: [] }, lambdaContext(3000)), {
                name: "WafTimeout",
                message:
                    "AWS WAF did not answer GetIPSet within 10000 ms or before the applier's deadline; nothing more was written, and the publisher's next sync retries",
            });
            stalls.stop();
            // Its budget is 2.7 s (3 s less the 10% margin); the call's own bound (10 s) would come later.
            assertWithinBound(Date.now() - started, stalls, 3000, "the applier, stopping before its timeout,");
        } finally {
            local.wafFaults.inject([]);
        }
    });
});
