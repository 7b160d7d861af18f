/**
 * Shared by the response loop's as-deployed tests (responseLoop, responseGuards,
 * responseAggregation): the scenario's clock, the committed locations and IP sets, and reads and
 * writes of the blocklist table as another writer would make them. The tests are three files so
 * that mocha's workers can run them at once: each waits on the appliers' paced WAF updates.
 */
import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fromItem, toItem } from "../../handlers/blocklistStore";
import { wafHomeOf } from "../../layout";
import { LocalResponse, startLocalResponse } from "../../tools/local/localResponse";
import { auditTrail as auditTrailOf } from "./auditTrail";
import { committedRuns, runWith } from "./program";
import { ATTACKER_CROSS_ACCOUNT, L1, L3, writeScenario } from "./scenario";

export const at = (hour: number, minute = 0) => Date.UTC(2026, 10, 27, hour, minute);
export const MINUTE = 60_000;
export const ATTACKER = `${ATTACKER_CROSS_ACCOUNT}/32`;
export const SETS = { ipv4: "central-waf-logs-blocklist-ipv4", ipv6: "central-waf-logs-blocklist-ipv6" };
/** The committed resource stacks' locations; the scenario's attacker never reaches ap-southeast-2. */
export const L2 = { accountId: "222222222222", region: "ap-southeast-2" };
/** The account's CloudFront web ACLs (resource-global): CLOUDFRONT-scope sets in us-east-1. */
export const LG = { accountId: "222222222222", region: "global" };
export const LOCATIONS = [L1, L2, L3, LG].map((l) => `${l.accountId}/${l.region}`).sort();
/** Writes one blocklist item as another writer would (an older version, a hand edit). */
export async function putEntry(local: LocalResponse, fields: Record<string, unknown>): Promise<void> {
    const item = {
        family: "ipv4",
        offenses: 1,
        reason: "test",
        source: "operator",
        seenIn: [],
        firstSeen: at(10, 0),
        lastSeen: at(10, 0),
        updatedBy: "test",
        updatedAt: at(10, 0),
        version: 1,
        ttl: 0,
        ...fields,
    };
    await local.dynamo.client.send(
        new BatchWriteItemCommand({
            RequestItems: { "central-waf-logs-blocklist": [{ PutRequest: { Item: toItem(item) } }] },
        }),
    );
}

/** The audit trail of one range, oldest first. */
export const auditTrail = (local: LocalResponse, cidr: string) =>
    auditTrailOf(local.dynamo.client as DynamoDBClient, cidr);

export async function entry(local: LocalResponse, cidr: string): Promise<Record<string, any> | undefined> {
    const { Item } = await local.dynamo.client.send(
        new GetItemCommand({ TableName: "central-waf-logs-blocklist", Key: { cidr: { S: cidr } } }),
    );
    return Item && fromItem(Item);
}

export const addressesEverywhere = (local: LocalResponse, family: "ipv4" | "ipv6") =>
    Object.fromEntries(
        local.locations.map((l) => [
            `${l.accountId}/${l.region}`,
            local.waf.ipSet(l.accountId, wafHomeOf(l.region).region, SETS[family], wafHomeOf(l.region).scope)!
                .addresses,
        ]),
    );

/** Every range in the blocklist table, sorted. */
export const storedRanges = async (local: LocalResponse) =>
    (await local.dynamo.client.send(new ScanCommand({ TableName: "central-waf-logs-blocklist" })))
        .Items!.map((i) => i.cidr.S!)
        .sort();

/**
 * Starts the local response world for a logging stack with `response` as its response settings
 * (the committed resource stacks, the scenario's day of traffic under a new temporary directory);
 * `stop` closes it and removes the directory.
 */
export async function startWithResponse(
    response: Record<string, unknown>,
): Promise<{ local: LocalResponse; stop(): Promise<void> }> {
    const logging = await runWith("logging", {
        configOverrides: { "central-waf-logs:response": JSON.stringify(response) },
    });
    const resources = (await committedRuns()).filter((r) => r.stack !== "logging");
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "response-"));
    writeScenario(root);
    const local = await startLocalResponse([logging, ...resources], root);
    return {
        local,
        async stop() {
            await local.close();
            fs.rmSync(root, { recursive: true, force: true });
        },
    };
}
