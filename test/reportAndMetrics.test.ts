import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { crc32 } from "zlib";
import { emitMetrics, metricsDocument } from "../handlers/metrics";
import { ParkedReport, removeStaleSpills } from "../handlers/report";

const SOURCE = "s3://central/222222222222/us-east-1/aws-waf-logs-x/2026/11/27/10/f.gz";

describe("report of parked lines (handlers/report.ts)", () => {
    let spillDir: string;
    beforeEach(() => (spillDir = fs.mkdtempSync(path.join(os.tmpdir(), "report-test-"))));
    afterEach(() => fs.rmSync(spillDir, { recursive: true, force: true }));

    it("is nothing when nothing was parked", async () => {
        assert.strictEqual(await new ParkedReport(SOURCE, { memoryBytes: 100, spillDir }).finish(), undefined);
    });

    it("stays in memory under its bound: one JSON line per parked line, text kept whole", async () => {
        const report = new ParkedReport(SOURCE, { memoryBytes: 10_000, spillDir });
        await report.park(3, "not valid JSON: x", 'say "hi"\\ \u2028');
        await report.unreadable({
            line: 9,
            reason: "unreadable gzip data: unexpected end of file",
            byteOffset: 100,
            compressedByteOffset: 20,
            text: '{"ti',
        });
        const body = await report.finish();
        assert.strictEqual(body?.kind, "memory");
        assert.deepStrictEqual(
            body.data
                .toString()
                .trimEnd()
                .split("\n")
                .map((l) => JSON.parse(l)),
            [
                { source: SOURCE, line: 3, reason: "not valid JSON: x", text: 'say "hi"\\ \u2028' },
                {
                    source: SOURCE,
                    line: 9,
                    reason: "unreadable gzip data: unexpected end of file",
                    byteOffset: 100,
                    compressedByteOffset: 20,
                    text: '{"ti',
                },
            ],
        );
        assert.deepStrictEqual(fs.readdirSync(spillDir), [], "nothing spilled");
    });

    it("spills past its bound to a file whose size and CRC32 it reports, and discards the file", async () => {
        const report = new ParkedReport(SOURCE, { memoryBytes: 1000, spillDir });
        const texts = Array.from({ length: 3000 }, (_, i) => `line ${i} ${"é".repeat(i % 50)}`);
        for (const [i, text] of texts.entries()) await report.park(i + 1, "why", text);
        // A long line, in pieces that split escapes and a surrogate pair.
        const long = `a"b\\c${"😀".repeat(3)}\n`;
        await report.startLongLine(3001, "too long", long.slice(0, 2));
        await report.continueLongLine(long.slice(2, 6));
        await report.continueLongLine(long.slice(6, 7));
        await report.continueLongLine(long.slice(7));
        await report.endLongLine();
        const body = await report.finish();
        assert.ok(body?.kind === "file");
        const data = fs.readFileSync(body.path);
        assert.deepStrictEqual([body.bytes, body.crc32], [data.length, crc32(data)]);
        const lines = data
            .toString()
            .trimEnd()
            .split("\n")
            .map((l) => JSON.parse(l));
        assert.deepStrictEqual(
            lines.map((l) => l.text),
            [...texts, long],
        );
        assert.deepStrictEqual(lines.at(-1), { source: SOURCE, line: 3001, reason: "too long", text: long });
        assert.strictEqual(report.entries, 3001);
        await report.discard();
        assert.deepStrictEqual(fs.readdirSync(spillDir), [], "the spill file and its directory are gone");
    });
});

describe("stale spill files (handlers/report.ts)", () => {
    it("removes only spill directories older than the bound, nothing else in the directory", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spills-test-"));
        try {
            for (const name of ["parked-old", "parked-new", "other-old"]) fs.mkdirSync(path.join(dir, name));
            fs.writeFileSync(path.join(dir, "parked-old", "report.ndjson"), "{}\n");
            const hourAgo = new Date(Date.now() - 3_600_000);
            for (const name of ["parked-old", "other-old"]) fs.utimesSync(path.join(dir, name), hourAgo, hourAgo);
            assert.deepStrictEqual(await removeStaleSpills(dir, 15 * 60_000), ["parked-old"]);
            assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["other-old", "parked-new"]);
            assert.deepStrictEqual(await removeStaleSpills(path.join(dir, "missing"), 0), []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("embedded metric format (handlers/metrics.ts)", () => {
    it("builds one EMF document: namespace, one dimension set, units, values; non-finite values left out", () => {
        assert.deepStrictEqual(
            metricsDocument({
                timestamp: 1_795_000_000_000,
                dimensions: { SourceAccount: "222222222222", SourceRegion: "eu-west-1" },
                metrics: [
                    { name: "RecordsIndexed", value: 10 },
                    { name: "DeliveryLagSeconds", value: 1.5, unit: "Seconds" },
                    { name: "Broken", value: Number.NaN },
                ],
                properties: { ObjectKey: "k" },
            }),
            {
                ObjectKey: "k",
                _aws: {
                    Timestamp: 1_795_000_000_000,
                    CloudWatchMetrics: [
                        {
                            Namespace: "CentralWafLogs",
                            Dimensions: [["SourceAccount", "SourceRegion"]],
                            Metrics: [
                                { Name: "RecordsIndexed", Unit: "Count" },
                                { Name: "DeliveryLagSeconds", Unit: "Seconds" },
                            ],
                        },
                    ],
                },
                SourceAccount: "222222222222",
                SourceRegion: "eu-west-1",
                RecordsIndexed: 10,
                DeliveryLagSeconds: 1.5,
            },
        );
    });

    it("writes exactly one line per call", () => {
        const written: string[] = [];
        emitMetrics({ timestamp: 1, dimensions: { A: "a" }, metrics: [{ name: "M", value: 1 }] }, (l) =>
            written.push(l),
        );
        assert.strictEqual(written.length, 1);
        assert.ok(written[0].endsWith("}\n") && !written[0].slice(0, -1).includes("\n"));
    });
});
