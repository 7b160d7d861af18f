/**
 * `npm start`'s pipeline, run as the command runs it on the committed plan: with faults, everything
 * generated ends delivered once and indexed or parked, the attackers found and blocked everywhere
 * and no one else; and a record lost on purpose fails the run.
 */
import { DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    ATTACKERS,
    HEALTH_CHECKER,
    ONE_ACCOUNT_ATTACKER,
    attackedLocations,
    runLocalPipeline,
} from "../tools/local/localRun";
import { committedRuns } from "./support/program";

const LOCATIONS = [
    "222222222222/ap-southeast-2",
    "222222222222/global",
    "222222222222/us-east-1",
    "333333333333/eu-west-1",
];

async function inWorkDir<T>(f: (workDir: string) => Promise<T>): Promise<T> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "local-run-"));
    try {
        return await f(workDir);
    } finally {
        fs.rmSync(workDir, { recursive: true, force: true });
    }
}

describe("npm start: the whole platform on local stand-ins", () => {
    it("under injected faults, delivers every record once, indexes or parks each, replays what failed, and blocks the attackers everywhere", async () => {
        const lines: string[] = [];
        let report = "";
        const summary = await inWorkDir(async (workDir) => {
            const run = await runLocalPipeline(await committedRuns(), {
                records: 2000,
                workDir,
                faults: true,
                log: (l) => lines.push(l),
            });
            report = fs.readFileSync(run.reportPath, "utf8");
            return run;
        });
        // Faults were met: S3 503s, failed tries retried by Lambda, two events dead-lettered.
        assert.ok(summary.faultsMet.s3Faults >= 12, JSON.stringify(summary.faultsMet));
        assert.ok(summary.faultsMet.failedTries >= 7, JSON.stringify(summary.faultsMet));
        assert.strictEqual(summary.faultsMet.deadLettered, 2);
        const replayedQueues = summary.replayed.filter((r) => r.source.includes("-failures-"));
        assert.deepStrictEqual(replayedQueues.map((r) => [r.status, r.target.split(":function:")[1]]).sort(), [
            ["replayed", "central-waf-logs-copier-us-east-1"],
            ["replayed", "central-waf-logs-search-loader"],
        ]);
        assert.deepStrictEqual(summary.deliveryFailures, []);
        // Every record: in the central layout once, and indexed, parked or in the damaged tail.
        assert.deepStrictEqual(
            [summary.missing, summary.duplicated, summary.recordsInCentral],
            [0, 0, summary.recordsGenerated],
        );
        const { indexing } = summary;
        assert.deepStrictEqual([indexing.lost, indexing.duplicated, indexing.parked], [0, 0, 2]);
        assert.ok(indexing.unreadable > 0, "the truncated object's tail");
        assert.strictEqual(indexing.indexed + indexing.parked + indexing.unreadable, summary.recordsGenerated);
        const reasons = indexing.examples.map((e) => e.replace(/^\S+\.gz /, "")).sort();
        assert.strictEqual(reasons.length, 3, reasons.join("\n"));
        assert.match(reasons[0], /^from byte \d+: unreadable gzip data: unexpected end of file$/);
        assert.match(reasons[1], /^line 1: timestamp \d{10} is in seconds; WAF writes epoch milliseconds$/);
        assert.match(reasons[2], /^line 2: not valid JSON: /);
        assert.ok(summary.ok);
        // Found, and blocked at every location, including the one no attacker reached.
        assert.deepStrictEqual(summary.attackersFound, ATTACKERS);
        assert.deepStrictEqual(
            summary.crossAccount.map((r) => [r.client_ip, r.seen_in]),
            ATTACKERS.map((ip) => [ip, "222222222222/us-east-1, 333333333333/eu-west-1"]),
        );
        // The two-account attackers everywhere; the one-account attacker only where it was seen.
        assert.deepStrictEqual(summary.response.blocked, {
            "222222222222/ap-southeast-2": ATTACKERS,
            "222222222222/global": ATTACKERS,
            "222222222222/us-east-1": [...ATTACKERS, ONE_ACCOUNT_ATTACKER],
            "333333333333/eu-west-1": ATTACKERS,
        });
        assert.deepStrictEqual(summary.response.oneAccountAttacker, {
            ip: ONE_ACCOUNT_ATTACKER,
            seenAt: "222222222222/us-east-1",
            blockedAt: ["222222222222/us-east-1"],
        });
        assert.ok(
            lines.some((l) =>
                l.includes(
                    `${ONE_ACCOUNT_ATTACKER} (seen by one account, at 222222222222/us-east-1) blocked at 222222222222/us-east-1`,
                ),
            ),
        );
        assert.deepStrictEqual(
            [
                summary.response.attackersNotBlocked,
                summary.response.quietClientsBlocked,
                summary.response.allowlistedBlocked,
                summary.response.stillBlockedAfterExpiry,
            ],
            [[], [], [], []],
        );
        assert.ok(
            summary.bursts.some((r) => r.client_ip === HEALTH_CHECKER),
            "the health checker bursts too",
        );
        // The report is written after the response loop: it says what was blocked, where, in which
        // scope and until when, and that the allowlisted health checker was not.
        assert.ok(
            lines.findIndex((l) => l.endsWith("HTML report (forensics, with the response loop's blocklist):")) >
                lines.findIndex((l) => l.startsWith("  publisher: ")),
        );
        assert.ok(!report.includes("No blocklist state was given to this report"));
        assert.ok(
            report.includes(
                "From the local run&#39;s DynamoDB blocklist and WAFV2 IP sets, after the detector and publisher ran: 4 ranges blocked.",
            ),
        );
        const everywhere = LOCATIONS.map((l) => `<span class="nowrap">${l}</span>`).join(", ");
        const rows = [
            ...report.matchAll(
                /<tr><td>(203\.0\.113\.\d+\/32)<\/td><td>([^]*?)<\/td><td>([^<]*)<\/td><td class="nowrap">(\d{4}-[^<]*) UTC<\/td>/g,
            ),
        ];
        assert.deepStrictEqual(
            rows.map((m) => [m[1], m[2], m[3]]),
            [
                [`${ONE_ACCOUNT_ATTACKER}/32`, '<span class="nowrap">222222222222/us-east-1</span>', "REGIONAL"],
                ...ATTACKERS.map((ip) => [`${ip}/32`, everywhere, "REGIONAL, CLOUDFRONT"]),
            ],
        );
        for (const m of rows) {
            const until = Date.parse(`${m[4].replace(" ", "T")}:00Z`);
            assert.ok(until > Date.now(), `${m[1]} blocked until ${m[4]}`);
        }
        assert.ok(
            report.includes(
                `Allowlisted, so never blocked whatever their rate (central-waf-logs:response.allowlist): ${HEALTH_CHECKER} (in 192.0.2.0/24).`,
            ),
        );
        // Where the attack landed, and what the attackers sent (the health checker left out).
        assert.match(report, /<tr><td>222222222222<\/td><td>us-east-1<\/td><td class="n">[\d,]+<\/td>/);
        assert.match(
            report,
            /The 4 flagged addresses \(over the burst threshold or seen across accounts; allowlisted ones left out\): /,
        );
        assert.ok(lines.some((l) => /loopback stand-in of OpenSearch's _bulk contract/.test(l)));
        assert.ok(lines.some((l) => /copier-us-east-1 \(deployed __index\.js/.test(l)));
    });

    it("fails the run when a delivered record goes missing", async () => {
        let lost = "";
        const summary = await inWorkDir(async (workDir) =>
            runLocalPipeline(await committedRuns(), {
                records: 2000,
                workDir,
                log: () => undefined,
                afterDelivery: async (platform) => {
                    const bucket = (await committedRuns())[0].outputs.centralBucketName;
                    const listed = await platform.s3.client.send(
                        new ListObjectsV2Command({ Bucket: bucket, Prefix: "333333333333/" }),
                    );
                    lost = listed.Contents![0].Key!;
                    await platform.s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: lost }));
                },
            }),
        );
        assert.ok(lost !== "");
        assert.ok(summary.missing > 0, "the records of the deleted object are missing");
        assert.strictEqual(summary.ok, false);
    });

    it("attacks one Region of each of two accounts, so a Region of an attacked account stays unhit", () => {
        const locations = LOCATIONS.map((l) => ({ accountId: l.split("/")[0], region: l.split("/")[1] }));
        assert.deepStrictEqual(
            attackedLocations(locations).map((l) => `${l.accountId}/${l.region}`),
            ["222222222222/us-east-1", "333333333333/eu-west-1"],
        );
    });
});
