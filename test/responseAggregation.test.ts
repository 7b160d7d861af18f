/**
 * Optional prefix aggregation, as deployed: with `response.aggregatePrefixMinAddresses` set, the
 * detector blocks a botnet's /24s and /64s as one entry each, never over a protected address,
 * and every resource account's applier takes them. Stand-ins as in responseLoop.test.ts.
 */
import * as assert from "assert";
import { LocalResponse } from "../tools/local/localResponse";
import { metricsOf } from "./support/capture";
import {
    addressesEverywhere,
    at,
    auditTrail,
    entry,
    putEntry,
    startWithResponse,
    storedRanges,
} from "./support/responseLoop";

describe("response loop, as deployed: prefix aggregation", () => {
    let local: LocalResponse;
    let stop: () => Promise<void>;
    /** A row as the candidates query returns it: two accounts, each over threshold / 2, so global. */
    const row = (clientIp: string, requests = 600) => ({
        client_ip: clientIp,
        requests_in_5_minutes: String(requests),
        first_seen_ms: String(at(10, 40)),
        last_seen_ms: String(at(10, 43)),
        seen_in: "222222222222/us-east-1,333333333333/eu-west-1",
        evidence: `222222222222:${requests},333333333333:${requests}`,
    });
    const hosts = (prefix: string, count: number, sep = ".") =>
        Array.from({ length: count }, (_, i) => `${prefix}${sep}${i + 1}`);
    const answer = (rows: Record<string, string>[]) => local.athena.answerWith({ rows, columns: Object.keys(row("")) });
    const stored = () => storedRanges(local);

    before(async () => {
        ({ local, stop } = await startWithResponse({
            mode: "block",
            threshold: 500,
            lookbackMinutes: 20,
            maxNewEntriesPerRun: 4,
            aggregatePrefixMinAddresses: 4,
            // A documentation address named by the allowlist: its /24 is never one entry.
            allowlist: ["198.51.100.77/32"],
        }));
    });
    afterEach(() => local.athena.answerWith(undefined));
    after(async () => stop?.());

    it("blocks a botnet in a few prefixes with one entry each, within the cap, never over a protected address, and every applier takes them", async () => {
        answer([
            ...hosts("203.0.113", 20).map((ip) => row(ip)),
            ...hosts("45.33.32", 20).map((ip) => row(ip)),
            ...hosts("2001:db8:1:2:", 8, ":").map((ip) => row(ip)),
            // Next to an allowlisted address, next to the canary (192.0.2.250), in shared address space.
            ...hosts("198.51.100.10", 5, "").map((ip) => row(ip, 550)),
            ...hosts("192.0.2", 5).map((ip) => row(ip, 520)),
            ...hosts("100.64.0", 5).map((ip) => row(ip)),
        ]);
        const { result, metrics } = await metricsOf(() => local.detect(at(10, 46)));
        // Three prefixes and the busiest single: four new entries, the cap; the other singles refused.
        assert.deepStrictEqual(
            [result.added.sort(), result.aggregated.sort(), result.circuitBreakerTripped, result.refusedNew],
            [
                ["198.51.100.101/32", "2001:db8:1:2::/64", "203.0.113.0/24", "45.33.32.0/24"],
                ["2001:db8:1:2::/64 (8 addresses)", "203.0.113.0/24 (20 addresses)", "45.33.32.0/24 (20 addresses)"],
                true,
                9,
            ],
        );
        assert.strictEqual(result.notReachable.length, 5);
        assert.deepStrictEqual(await stored(), [
            "198.51.100.101/32",
            "2001:db8:1:2::/64",
            "203.0.113.0/24",
            "45.33.32.0/24",
        ]);
        const prefix = (await entry(local, "203.0.113.0/24"))!;
        assert.deepStrictEqual(
            [prefix.peakRequests, prefix.scope, prefix.evidenceAccounts, prefix.reason],
            [
                12_000,
                "global",
                ["222222222222", "333333333333"],
                "20 addresses over the threshold, 12000 requests in their busiest 5 minutes together (threshold 500 each)",
            ],
        );
        assert.deepStrictEqual(
            metrics.map((m) => m.BlocklistAdded),
            [4],
        );

        // The resource accounts' appliers take /24 and /64 with their default limits (/24, /48).
        const { result: published } = await metricsOf(() => local.publish(at(10, 47)));
        assert.ok(
            published.targets.every((t: any) => t.status === "synced"),
            JSON.stringify(published.targets),
        );
        for (const ips of Object.values(addressesEverywhere(local, "ipv4"))) {
            assert.deepStrictEqual(ips, ["198.51.100.101/32", "203.0.113.0/24", "45.33.32.0/24"]);
        }
        for (const ips of Object.values(addressesEverywhere(local, "ipv6"))) {
            assert.deepStrictEqual(ips, ["2001:db8:1:2::/64"]);
        }
    });

    it("extends an active prefix through any address inside it, however few, and adds none of them", async () => {
        answer([row("203.0.113.200", 700), row("203.0.113.201", 650)]);
        const { result } = await metricsOf(() => local.detect(at(11, 0)));
        assert.deepStrictEqual(
            [result.added, result.extended, result.aggregated],
            [[], ["203.0.113.0/24"], ["203.0.113.0/24 (2 addresses)"]],
        );
        assert.deepStrictEqual((await entry(local, "203.0.113.0/24"))!.blockedUntil, at(15, 0));
        assert.deepStrictEqual(
            (await auditTrail(local, "203.0.113.0/24")).map((r) => r.action),
            ["add", "extend"],
        );
    });
    it("adds no prefix over a range an operator released, and stops extending a prefix that holds one (red team F2)", async () => {
        // Released after the run above: half of an active prefix, and half of a quiet /24.
        for (const cidr of ["45.33.32.0/25", "45.33.33.0/25"]) {
            await putEntry(local, { cidr, source: "operator", blockedUntil: at(11, 20), suppressedUntil: at(23, 0) });
        }
        // Four attackers in the other half of the quiet /24: four addresses, not its prefix.
        answer(hosts("45.33.33.20", 4, "").map((ip) => row(ip)));
        const { result } = await metricsOf(() => local.detect(at(11, 30)));
        assert.deepStrictEqual(
            [result.added.sort(), result.aggregated],
            [hosts("45.33.33.20", 4, "").map((ip) => `${ip}/32`), []],
        );
        assert.strictEqual(await entry(local, "45.33.33.0/24"), undefined);

        // One attacker in the active prefix's other half: the prefix is not extended, it ends at its own time.
        const before = (await entry(local, "45.33.32.0/24"))!.blockedUntil;
        answer([row("45.33.32.200")]);
        const { result: next } = await metricsOf(() => local.detect(at(11, 40)));
        assert.deepStrictEqual([next.extended, next.added], [[], ["45.33.32.200/32"]]);
        assert.strictEqual((await entry(local, "45.33.32.0/24"))!.blockedUntil, before);
    });

    it("blocks one account's prefix only where it saw it; another account's address inside is blocked there alone (red team F3)", async () => {
        const seenBy = (ip: string, location: string) => ({
            ...row(ip, 700),
            seen_in: location,
            evidence: `${location.split("/")[0]}:700`,
        });
        answer(hosts("62.210.10", 4).map((ip) => seenBy(ip, "222222222222/us-east-1")));
        const { result } = await metricsOf(() => local.detect(at(11, 50)));
        assert.deepStrictEqual(
            [result.added, result.aggregated],
            [["62.210.10.0/24"], ["62.210.10.0/24 (4 addresses)"]],
        );
        // Another account sees one address inside it: that address alone, and only there.
        answer([seenBy("62.210.10.99", "333333333333/eu-west-1")]);
        const { result: next } = await metricsOf(() => local.detect(at(12, 0)));
        assert.deepStrictEqual([next.added, next.extended], [["62.210.10.99/32"], []]);

        const { result: published } = await metricsOf(() => local.publish(at(12, 1)));
        assert.ok(
            published.targets.every((t: any) => t.status === "synced"),
            JSON.stringify(published.targets),
        );
        const sets = addressesEverywhere(local, "ipv4");
        const holding = (range: string) => Object.keys(sets).filter((l) => sets[l].includes(range));
        assert.deepStrictEqual(holding("62.210.10.0/24"), ["222222222222/us-east-1"]);
        assert.deepStrictEqual(holding("62.210.10.99/32"), ["333333333333/eu-west-1"]);
    });
});
