/**
 * The house's plan, checked: imports run downward. The product (what `pulumi up` deploys) imports
 * no tooling; tools/cli (the operator's tools against AWS) uses the product; tools/local (the plan
 * under the mock engine and the local run) may use the CLIs to run them against the stand-ins;
 * tools/local/aws (the protocol stand-ins) knows AWS, not the product; tools/traffic generates
 * records; tools/bench measures. Each tools folder opens with a README saying so.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

/** Which top-level area a repository file belongs to. */
function areaOf(file: string): string {
    const rel = path.relative(ROOT, file).split(path.sep).join("/");
    if (rel.startsWith("tools/local/aws/")) return "tools/local/aws";
    for (const area of ["tools/cli", "tools/local", "tools/traffic", "tools/bench", "test"]) {
        if (rel.startsWith(`${area}/`)) return area;
    }
    if (rel.startsWith("tools/")) return "tools (no folder)";
    return "product";
}

/** What each area may import, besides itself and npm packages. */
const MAY_IMPORT: Record<string, readonly string[]> = {
    product: [],
    "tools/cli": ["product"],
    "tools/traffic": ["product"],
    "tools/local/aws": [],
    "tools/local": ["product", "tools/cli", "tools/local/aws", "tools/traffic"],
    "tools/bench": ["product", "tools/cli", "tools/local", "tools/local/aws", "tools/traffic"],
};

/**
 * The one product module a stand-in may use: how S3 encodes a key in an event notification, which
 * the local S3 must reproduce exactly as the handlers decode it.
 */
const STAND_IN_EXCEPTIONS = ["handlers/s3Events.ts"];

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory())
            return entry.name === "node_modules" || entry.name.startsWith(".") ? [] : tsFiles(full);
        return entry.name.endsWith(".ts") ? [full] : [];
    });
}

function relativeImports(file: string): string[] {
    const text = fs.readFileSync(file, "utf8");
    const found: string[] = [];
    for (const match of text.matchAll(/(?:from|import|require)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
        const base = path.resolve(path.dirname(file), match[1]);
        const target = [`${base}.ts`, path.join(base, "index.ts"), base].find((c) => fs.existsSync(c));
        found.push(target ?? `${base} (unresolved)`);
    }
    return found;
}

describe("the project layout: imports run downward", () => {
    const files = tsFiles(ROOT).filter((f) => areaOf(f) !== "test");

    it("every tool lives in a folder that says what it is", () => {
        assert.deepStrictEqual(
            files.filter((f) => areaOf(f) === "tools (no folder)").map((f) => path.relative(ROOT, f)),
            [],
        );
    });

    it("no file imports upward (the product imports no tooling; stand-ins know AWS, not the product)", () => {
        const upward: string[] = [];
        for (const file of files) {
            const from = areaOf(file);
            for (const target of relativeImports(file)) {
                const to = areaOf(target);
                const rel = path.relative(ROOT, target);
                if (to === from || MAY_IMPORT[from]?.includes(to)) continue;
                if (from === "tools/local/aws" && STAND_IN_EXCEPTIONS.includes(rel)) continue;
                upward.push(`${path.relative(ROOT, file)} (${from}) imports ${rel} (${to})`);
            }
        }
        assert.deepStrictEqual(upward, []);
    });

    it("each tools folder opens with a README saying what lives there and what may import it", () => {
        for (const folder of ["tools/cli", "tools/local", "tools/local/aws", "tools/traffic", "tools/bench"]) {
            const readme = path.join(ROOT, folder, "README.md");
            assert.ok(fs.existsSync(readme), `${folder}/README.md`);
            assert.match(fs.readFileSync(readme, "utf8"), /may import/i, `${folder}/README.md names what may import`);
        }
    });
});
