import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { committedRuns } from "./support/program";

const ROOT = path.resolve(__dirname, "..");
const PREFIX = "central-waf-logs:";

/** The rows of the checklist table in docs/deploy.md: which stack files a row covers, and its key. */
function checklistRows(): { files: string[]; key: string }[] {
    const text = fs.readFileSync(path.join(ROOT, "docs", "deploy.md"), "utf8");
    const section = text.split("### Every placeholder and what to put there")[1]?.split("\n### ")[0];
    assert.ok(section, "docs/deploy.md has the section 'Every placeholder and what to put there'");
    return section
        .split("\n")
        .filter((line) => line.startsWith("| ") && !line.startsWith("| stack file") && !line.startsWith("| ---"))
        .map((line) => {
            const [files, key] = line.split("|").slice(1, 3);
            return {
                files: files.split(",").map((f) => f.trim().replace(/`/g, "")),
                key: key.trim().replace(/`/g, ""),
            };
        });
}

function covers(pattern: string, file: string): boolean {
    if (pattern === "all") return true;
    return new RegExp(`^${pattern.replace(/\./g, "\\.").replace(/\*/g, "[^.]+")}$`).test(file);
}

describe("the first-deployment checklist (docs/deploy.md)", () => {
    const stackFiles = fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f));

    it("lists every key of every committed stack file, so no placeholder is left unexplained", () => {
        const rows = checklistRows();
        const missing: string[] = [];
        for (const file of stackFiles) {
            const config = parse(fs.readFileSync(path.join(ROOT, file), "utf8")).config as Record<string, unknown>;
            for (const key of Object.keys(config).map((k) => k.slice(PREFIX.length))) {
                if (!rows.some((row) => row.key === key && row.files.some((f) => covers(f, file)))) {
                    missing.push(`${file}: ${key}`);
                }
            }
        }
        assert.deepStrictEqual(missing, []);
    });

    it("names only keys that some committed stack file has (no stale rows)", () => {
        const used = new Set(
            stackFiles.flatMap((file) =>
                Object.keys(parse(fs.readFileSync(path.join(ROOT, file), "utf8")).config).map((k) =>
                    k.slice(PREFIX.length),
                ),
            ),
        );
        assert.deepStrictEqual(
            checklistRows()
                .map((row) => row.key)
                .filter((key) => !used.has(key)),
            [],
        );
    });

    it("counts in the baseline cost what the committed plans create (web ACLs, rules, rule groups, alarms, keys)", async () => {
        const text = fs.readFileSync(path.join(ROOT, "docs", "deploy.md"), "utf8");
        const resources = (await committedRuns()).flatMap((r) => r.resources);
        const ofType = (type: string) => resources.filter((r) => r.type === `aws:${type}`);
        const acls = ofType("wafv2/webAcl:WebAcl");
        const groups = ofType("wafv2/ruleGroup:RuleGroup");
        const rulesPerAcl = [...new Set(acls.map((a) => a.inputs.rules.length))];
        const rulesPerGroup = [...new Set(groups.map((g) => g.inputs.rules.length))];
        assert.strictEqual(rulesPerAcl.length, 1, "every web ACL has as many rules");
        assert.strictEqual(rulesPerGroup.length, 1, "every rule group has as many rules");
        const expected = [
            `WAF: ${acls.length} web ACLs ($5 each) + ${rulesPerAcl[0]} rules each ($1 a rule) + ${groups.length} blocklist rule groups of ${rulesPerGroup[0]} rules`,
            `CloudWatch: ${ofType("cloudwatch/metricAlarm:MetricAlarm").length} alarms ($0.10 each), ${ofType("cloudwatch/dashboard:Dashboard").length} dashboard ($3)`,
            `KMS: ${ofType("kms/key:Key").length} customer-managed keys ($1 each)`,
        ];
        for (const row of expected)
            assert.ok(text.includes(`| ${row} `), `docs/deploy.md's cost table should read: ${row}`);
    });
});
