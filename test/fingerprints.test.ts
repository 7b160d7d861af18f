/**
 * Fingerprints and the newest fields: `clientAsn` and `cfDistributionTenantId` in the one schema,
 * the loader's documents, the index template and the traffic generator (with JA3/JA4 reused
 * behind many addresses), and the top-fingerprints query with exact rows on DuckDB.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderReport } from "../analytics/report";
import { WAF_COLUMNS } from "../analytics/schema";
import { namedQuery } from "../analytics/sql";
import { LocalWarehouse, Row } from "../analytics/warehouse";
import { dashboardObjects, indexTemplate } from "../handlers/searchDefinitions";
import { parseWafRecord, toDocument } from "../handlers/wafRecord";
import { firehoseStreamName } from "../names";
import {
    CLIENT_STACKS,
    ClientStack,
    Flow,
    Location,
    backgroundTraffic,
    deliveredObjects,
    stackOf,
    wafRecord,
    prng,
} from "../tools/traffic/traffic";
import { SAMPLES_DIR, sampleLines } from "./support/samples";
import { writeObject } from "./support/scenario";

const source = { accountId: "222222222222", region: "us-east-1", streamName: "aws-waf-logs-central-us-east-1" };
const record = (extra: Record<string, unknown>, request: Record<string, unknown> = {}) =>
    JSON.stringify({
        timestamp: 1764201600000,
        action: "ALLOW",
        httpRequest: { clientIp: "192.0.2.1", ...request },
        ...extra,
    });

describe("fingerprints and the newest fields: parsing", () => {
    it("reads ja3, ja4 and the absent newer fields from the shared samples", function () {
        if (!fs.existsSync(SAMPLES_DIR)) {
            console.log(`    (skipped: the shared WAF samples are not at ${SAMPLES_DIR})`);
            this.skip();
        }
        const docs = sampleLines().map((l) => toDocument(parseWafRecord(l), source));
        const fingerprinted = docs.filter((d) => d.ja4Fingerprint !== undefined);
        assert.deepStrictEqual(
            fingerprinted.map((d) => [d.ja3Fingerprint, d.ja4Fingerprint]),
            [["6f7889b9fb1a62a9577e685c1fcfa919", "t13d1717h2_5b57614c22b0_3cbfd9057e0d"]],
        );
        // Optional fields are absent, not null, in the records AWS writes: none of these samples has them.
        assert.deepStrictEqual(
            docs.map((d) => [d.clientAsn, d.cfDistributionTenantId]),
            docs.map(() => [undefined, undefined]),
        );
    });

    it("reads clientAsn as text, at the top level or beside clientIp, and cfDistributionTenantId", () => {
        const doc = (extra: Record<string, unknown>, request?: Record<string, unknown>) =>
            toDocument(parseWafRecord(record(extra, request)), source);
        assert.strictEqual(doc({ clientAsn: 64496 }).clientAsn, "64496");
        assert.strictEqual(doc({ clientAsn: "64497" }).clientAsn, "64497");
        assert.strictEqual(doc({}, { clientAsn: 64498 }).clientAsn, "64498");
        assert.strictEqual(doc({ clientAsn: 64499 }, { clientAsn: 1 }).clientAsn, "64499");
        assert.strictEqual(doc({ cfDistributionTenantId: "dt_1example" }).cfDistributionTenantId, "dt_1example");
    });

    it("keeps a record whose new fields are of unexpected types, without them", () => {
        for (const odd of [null, true, {}, [], "", Number.NaN]) {
            const doc = toDocument(
                parseWafRecord(record({ clientAsn: odd, cfDistributionTenantId: odd === "" ? 7 : odd })),
                source,
            );
            assert.deepStrictEqual(
                [doc.clientAsn, doc.cfDistributionTenantId, doc.clientIp],
                [undefined, undefined, "192.0.2.1"],
            );
        }
    });

    it("declares both in the one schema (Glue, Athena, DuckDB) and maps every fingerprint field as a keyword", () => {
        const top = WAF_COLUMNS.map(([name]) => name);
        assert.ok(top.includes("clientAsn") && top.includes("cfDistributionTenantId"));
        const request = WAF_COLUMNS.find(([name]) => name === "httpRequest")![1] as { struct: [string, unknown][] };
        assert.ok(request.struct.some(([name]) => name === "clientAsn"));
        const properties = (indexTemplate("waf-logs") as any).template.mappings.properties;
        for (const field of ["ja3Fingerprint", "ja4Fingerprint", "clientAsn", "cfDistributionTenantId"]) {
            assert.deepStrictEqual(properties[field], { type: "keyword", ignore_above: 1024 }, field);
        }
    });
});

describe("fingerprints and the newest fields: generated traffic", () => {
    const options = {
        accountId: "222222222222",
        region: "us-east-1",
        webAclName: "shop",
        startMs: 1764201600000,
        spanMs: 3_600_000,
    };

    it("gives every client IP one stable TLS stack, and each stack many IPs: the botnet's one JA4 behind hundreds of addresses", () => {
        const ips = new Map<string, Set<string>>();
        const stacks = new Map<string, Set<string>>();
        for (const line of backgroundTraffic(options, 20_000)) {
            const r = JSON.parse(line);
            const ip = r.httpRequest.clientIp;
            (ips.get(ip) ?? ips.set(ip, new Set()).get(ip)!).add(r.ja4Fingerprint);
            (stacks.get(r.ja4Fingerprint) ?? stacks.set(r.ja4Fingerprint, new Set()).get(r.ja4Fingerprint)!).add(ip);
            assert.strictEqual(r.ja3Fingerprint, CLIENT_STACKS.find((s) => s.ja4 === r.ja4Fingerprint)!.ja3);
            assert.ok(
                Number.isInteger(r.clientAsn) && r.clientAsn >= 64496 && r.clientAsn <= 64511,
                String(r.clientAsn),
            );
            assert.strictEqual(r.cfDistributionTenantId, undefined);
        }
        for (const [ip, seen] of ips) assert.strictEqual(seen.size, 1, ip);
        const botnet = CLIENT_STACKS.find((s) => s.name === "proxy-botnet")!;
        assert.ok(stacks.get(botnet.ja4)!.size > 200, `botnet IPs: ${stacks.get(botnet.ja4)!.size}`);
        assert.strictEqual(stacks.size, CLIENT_STACKS.length);
    });

    it("logs CloudFront's source and distribution tenant for the global location", () => {
        const r = wafRecord(
            { ...options, region: "global" },
            { timestamp: options.startMs, clientIp: "198.51.100.7", country: "US" },
            prng(1),
        );
        assert.deepStrictEqual([r.httpSourceName, typeof r.cfDistributionTenantId], ["CF", "string"]);
        assert.match(String(r.webaclId), /^arn:aws:wafv2:us-east-1:222222222222:global\/webacl\/shop\//);
        const doc = toDocument(parseWafRecord(JSON.stringify(r)), source);
        assert.deepStrictEqual(
            [doc.cfDistributionTenantId, doc.ja4Fingerprint],
            [r.cfDistributionTenantId, stackOf("198.51.100.7").ja4],
        );
    });
});

describe("fingerprints: the top-fingerprints query on DuckDB", () => {
    const L1: Location = { accountId: "222222222222", region: "us-east-1" };
    const L2: Location = { accountId: "222222222222", region: "eu-west-1" };
    const L3: Location = { accountId: "333333333333", region: "eu-west-1" };
    const stack = (name: string) => CLIENT_STACKS.find((s) => s.name === name)!;
    const start = Date.UTC(2026, 10, 27, 10);
    const flow = (clientIp: string, location: Location, count: number, s: ClientStack, action?: "BLOCK"): Flow => ({
        clientIp,
        country: "US",
        location,
        startMs: start,
        spanMs: 3_000_000,
        count,
        stack: s,
        action,
    });
    const FLOWS: Flow[] = [
        // A residential-proxy botnet: one JA4 behind 70 home addresses in two accounts, 3 to 4 requests each.
        ...Array.from({ length: 40 }, (_, i) => flow(`100.64.${i}.9`, L1, 3, stack("proxy-botnet"))),
        ...Array.from({ length: 30 }, (_, i) => flow(`100.65.${i}.9`, L3, 4, stack("proxy-botnet"))),
        // Ten browsers, busy.
        ...Array.from({ length: 10 }, (_, i) => flow(`198.51.100.${i + 1}`, L1, 20, stack("chrome"))),
        // One scanner, very busy, blocked.
        flow("203.0.113.5", L2, 300, stack("curl"), "BLOCK"),
    ];
    let root: string;
    let warehouse: LocalWarehouse;
    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "fingerprints-"));
        for (const object of deliveredObjects(FLOWS, (l) => firehoseStreamName(l.region), {
            maxRecordsPerObject: 200,
        })) {
            writeObject(root, object);
        }
        warehouse = await LocalWarehouse.open({ dataDir: root });
    });
    after(() => {
        warehouse?.close();
        fs.rmSync(root, { recursive: true, force: true });
    });

    /** The expected rows, from the flows in plain JavaScript. */
    function oracle(): Row[] {
        const by = new Map<
            string,
            { ja3: Set<string>; ips: Set<string>; requests: number; blocked: number; locations: Set<string> }
        >();
        for (const f of FLOWS) {
            const e = by.get(f.stack!.ja4) ?? {
                ja3: new Set(),
                ips: new Set(),
                requests: 0,
                blocked: 0,
                locations: new Set(),
            };
            e.ja3.add(f.stack!.ja3);
            e.ips.add(f.clientIp);
            e.requests += f.count;
            e.blocked += f.action === "BLOCK" ? f.count : 0;
            e.locations.add(`${f.location.accountId}/${f.location.region}`);
            by.set(f.stack!.ja4, e);
        }
        return [...by.entries()]
            .map(([ja4, e]) => ({
                ja4,
                client_ips: e.ips.size,
                requests: e.requests,
                blocked: e.blocked,
                ja3_variants: e.ja3.size,
                accounts: new Set([...e.locations].map((l) => l.split("/")[0])).size,
                seen_in: [...e.locations].sort().join(", "),
            }))
            .sort((a, b) => b.client_ips - a.client_ips || b.requests - a.requests || a.ja4.localeCompare(b.ja4));
    }

    it("ranks JA4s by distinct client IPs, then requests, with where each was seen", async () => {
        const rows = await warehouse.run("top-fingerprints", { from_hour: "2026/11/27/00", to_hour: "2026/11/27/23" });
        assert.deepStrictEqual(rows, oracle());
        assert.deepStrictEqual(rows[0], {
            ja4: stack("proxy-botnet").ja4,
            client_ips: 70,
            requests: 240,
            blocked: 0,
            ja3_variants: 1,
            accounts: 2,
            seen_in: "222222222222/us-east-1, 333333333333/eu-west-1",
        });
    });

    it("reads only the asked hours, and skips records without a fingerprint", async () => {
        assert.deepStrictEqual(
            await warehouse.run("top-fingerprints", { from_hour: "2026/11/27/12", to_hour: "2026/11/27/23" }),
            [],
        );
        const bare = JSON.parse(record({}));
        writeObject(root, {
            location: L1,
            streamName: firehoseStreamName(L1.region),
            hour: "2026/11/28/00",
            fileName: "aws-waf-logs-central-us-east-1-1-2026-11-28-00-00-00-bare.gz",
            lines: [JSON.stringify({ ...bare, timestamp: Date.UTC(2026, 10, 28) })],
        });
        const fresh = await LocalWarehouse.open({ dataDir: root });
        try {
            assert.deepStrictEqual(
                await fresh.run("top-fingerprints", { from_hour: "2026/11/28/00", to_hour: "2026/11/28/00" }),
                [],
            );
            const asn = await fresh.query(
                `SELECT clientasn AS asn, cfdistributiontenantid AS tenant FROM waf_logs WHERE hour = ? LIMIT 1`,
                ["2026/11/27/10"],
            );
            const value = Number(asn[0].asn);
            assert.ok(value >= 64496 && value <= 64511, String(asn[0].asn));
        } finally {
            fresh.close();
        }
    });

    it("keeps Athena's rule: parameters only in WHERE", () => {
        const { sql, placeholders } = namedQuery("top-fingerprints");
        assert.deepStrictEqual(placeholders, ["from_hour", "to_hour"]);
        const where = sql.slice(sql.indexOf("WHERE"), sql.indexOf("GROUP BY"));
        assert.strictEqual((where.match(/\?/g) ?? []).length, 2);
        assert.strictEqual((sql.match(/\?/g) ?? []).length, 2);
    });

    it("appears in the HTML report as its own section, every value escaped", () => {
        const html = renderReport({
            title: "t",
            window: { from_hour: "2026/11/27/00", to_hour: "2026/11/27/23" },
            threshold: 500,
            timeline: [],
            countries: [],
            locations: [],
            bursts: [],
            crossAccount: [],
            attackers: { ips: [], uris: [], userAgents: [] },
            tuning: [],
            fingerprints: [
                {
                    ja4: "t13<script>",
                    client_ips: 70,
                    requests: 240,
                    blocked: 0,
                    ja3_variants: 1,
                    accounts: 2,
                    seen_in: "a/b",
                },
            ],
        });
        assert.match(html, /<h2>One client behind many addresses: top JA4 fingerprints<\/h2>/);
        assert.ok(html.includes("t13&lt;script&gt;") && !html.includes("t13<script>"));
    });

    it("is an OpenSearch Dashboards table on the overview: JA4 by distinct client IPs, split by account and Region", () => {
        const objects = dashboardObjects("waf-logs");
        const vis = objects.find((o) => o.path.includes("/visualization/top-fingerprints"))!;
        const state = JSON.parse((vis.body as any).attributes.visState);
        assert.deepStrictEqual(
            state.aggs.map((a: any) => [a.type, a.params.field, a.params.orderBy]),
            [
                ["cardinality", "clientIp", undefined],
                ["count", undefined, undefined],
                ["terms", "ja4Fingerprint", "1"],
                ["terms", "accountId", "1"],
                ["terms", "region", "1"],
            ],
        );
        const dashboard = objects.find((o) => o.path.includes("/dashboard/"))!;
        const panels = JSON.parse((dashboard.body as any).attributes.panelsJSON);
        assert.deepStrictEqual(
            panels.map((p: any) => [p.gridData.x, p.gridData.y, p.gridData.w]),
            [
                [0, 0, 48],
                [0, 15, 24],
                [24, 15, 24],
                [0, 30, 24],
            ],
        );
        assert.ok((dashboard.body as any).references.some((r: any) => r.id === "top-fingerprints"));
    });
});
