/**
 * A day of traffic with known attackers and known quiet clients, written in the central layout.
 * The expected answers are computed from the flows in plain JavaScript, independently of SQL.
 */
import * as fs from "fs";
import * as path from "path";
import { gzipSync } from "zlib";
import { firehoseStreamName } from "../../names";
import {
    DeliveredObject,
    Flow,
    Location,
    backgroundTraffic,
    centralKeyOf,
    deliveredObjects,
} from "../../tools/traffic/traffic";
import { optionalSampleLines } from "./samples";

export const L1: Location = { accountId: "222222222222", region: "us-east-1" };
export const L2: Location = { accountId: "222222222222", region: "eu-west-1" };
export const L3: Location = { accountId: "333333333333", region: "eu-west-1" };

const at = (day: number, hour: number, minute = 0) => Date.UTC(2026, 10, day, hour, minute);
const TWO_HOURS = 2 * 3600_000;

export const ATTACKER_CROSS_ACCOUNT = "203.0.113.10";
export const ATTACKER_SINGLE_REGION = "203.0.113.20";
export const SLOW_SCANNER = "192.0.2.30";

export const FLOWS: Flow[] = [
    // Quiet clients: 30 IPs, 10 requests each over two hours.
    ...Array.from({ length: 30 }, (_, i) => ({
        clientIp: `198.51.100.${i + 1}`,
        country: ["US", "DE", "FR"][i % 3],
        location: L1,
        startMs: at(27, 10) + i * 1000,
        spanMs: TWO_HOURS - 60_000,
        count: 10,
    })),
    // A flood hitting two accounts and Regions inside the same five minutes.
    {
        clientIp: ATTACKER_CROSS_ACCOUNT,
        country: "CN",
        location: L1,
        startMs: at(27, 10, 30),
        spanMs: 180_000,
        count: 800,
        rateLimited: true,
    },
    {
        clientIp: ATTACKER_CROSS_ACCOUNT,
        country: "CN",
        location: L3,
        startMs: at(27, 10, 31),
        spanMs: 180_000,
        count: 800,
        rateLimited: true,
    },
    // A burst in one Region only, blocked by a managed rule.
    {
        clientIp: ATTACKER_SINGLE_REGION,
        country: "BR",
        location: L2,
        startMs: at(27, 10, 45),
        spanMs: 240_000,
        count: 600,
        action: "BLOCK",
    },
    // A slow scanner: many requests in two Regions, never a burst.
    { clientIp: SLOW_SCANNER, country: "NL", location: L1, startMs: at(27, 10), spanMs: TWO_HOURS - 1000, count: 600 },
    { clientIp: SLOW_SCANNER, country: "NL", location: L2, startMs: at(27, 10), spanMs: TWO_HOURS - 1000, count: 600 },
    // The day before, for compaction.
    ...Array.from({ length: 5 }, (_, i) => ({
        clientIp: `198.51.100.${i + 1}`,
        country: ["US", "DE", "FR"][i % 3],
        location: L1,
        startMs: at(26, 23),
        spanMs: 3_000_000,
        count: 10,
    })),
];

/** Where the shared real samples are placed: an hour of their own, in account 222222222222/us-east-1. */
export const SAMPLES_HOUR = "2026/11/25/00";

export function writeObject(root: string, object: DeliveredObject): string {
    const key = centralKeyOf(object);
    const file = path.join(root, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, gzipSync(`${object.lines.join("\n")}\n`));
    return key;
}

/**
 * What the samples hour holds: the shared real samples where present (test/support/samples.ts),
 * elsewhere a dozen generated records, so the scenario has the same hours on every clone.
 */
export function samplesHourLines(): string[] {
    const samples = optionalSampleLines();
    if (samples.length > 0) return samples;
    const [y, m, d, h] = SAMPLES_HOUR.split("/").map(Number);
    const traffic = { ...L1, webAclName: "samples", startMs: Date.UTC(y, m - 1, d, h), spanMs: 600_000, seed: 25 };
    return [...backgroundTraffic(traffic, 12)];
}

/** Writes the scenario (and the samples hour, `samplesHourLines`) under `root`; returns the objects written. */
export function writeScenario(root: string): DeliveredObject[] {
    const objects = deliveredObjects(FLOWS, (l) => firehoseStreamName(l.region), { maxRecordsPerObject: 700 });
    for (const object of objects) writeObject(root, object);
    writeObject(root, {
        location: L1,
        streamName: firehoseStreamName(L1.region),
        hour: SAMPLES_HOUR,
        fileName: "aws-waf-logs-central-us-east-1-1-2026-11-25-00-00-00-samples.gz",
        lines: samplesHourLines(),
    });
    return objects;
}

/** Records of the flows, as plain objects, for computing expected answers. */
export function flowRecords(
    objects: readonly DeliveredObject[],
): (Record<string, any> & { location: Location; hour: string })[] {
    return objects.flatMap((o) => o.lines.map((l) => ({ ...JSON.parse(l), location: o.location, hour: o.hour })));
}
