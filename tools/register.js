/**
 * How every npm script runs TypeScript: `node -r ./tools/register.js <file.ts>`. It is
 * `ts-node/register/transpile-only`, with ts-node's output for each file kept in memory and in
 * `node_modules/.cache/central-waf-logs/` (as Babel and ESLint keep theirs), keyed by the file's
 * name and text, the TypeScript and ts-node versions and tsconfig.json. The JavaScript is byte for
 * byte what ts-node gives; only the work of producing it again is skipped: `npm test` starts dozens
 * of Node processes (mocha's workers, the commands the tests run as a user would), and each used to
 * transpile the same files anew (half of their CPU time).
 *
 * Plain JavaScript because it runs before TypeScript can be loaded. Set
 * CENTRAL_WAF_LOGS_NO_TS_CACHE=1 to transpile everything afresh.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

require("ts-node").register({ transpileOnly: true });

const service = process[Symbol.for("ts-node.register.instance")];
if (service && !service.centralWafLogsCache && !process.env.CENTRAL_WAF_LOGS_NO_TS_CACHE) {
    const root = path.resolve(__dirname, "..");
    const versionOf = (pkg) => require(path.join(root, "node_modules", pkg, "package.json")).version;
    const setting = crypto
        .createHash("sha256")
        .update(`typescript ${versionOf("typescript")}\nts-node ${versionOf("ts-node")}\n`)
        .update(fs.readFileSync(path.join(root, "tsconfig.json")))
        .digest("hex")
        .slice(0, 16);
    const directory = path.join(root, "node_modules", ".cache", "central-waf-logs", `ts-${setting}`);
    const inMemory = new Map();
    /** File name → output served from the cache, which ts-node's own source-map lookup never saw. */
    const served = new Map();
    require("@cspotcode/source-map-support").install({
        environment: "node",
        retrieveFile: (file) => served.get(file.replace(/\\/g, "/")) || "",
    });
    const compile = service.compile.bind(service);

    service.compile = (code, fileName, lineOffset) => {
        const key = crypto
            .createHash("sha256")
            .update(`${fileName}\0${lineOffset || 0}\0`)
            .update(code)
            .digest("hex");
        let output = inMemory.get(key);
        if (output !== undefined) return output;
        const file = path.join(directory, `${key}.js`);
        try {
            output = fs.readFileSync(file, "utf8");
        } catch {
            output = compile(code, fileName, lineOffset);
            store(file, output);
        }
        inMemory.set(key, output);
        served.set(fileName.replace(/\\/g, "/"), output);
        return output;
    };
    service.centralWafLogsCache = directory;
}

/** Writes whole or not at all: processes running at once may write the same entry. */
function store(file, text) {
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const partial = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, text);
        fs.renameSync(partial, file);
    } catch {
        // A read-only node_modules only costs the time the cache would have saved.
    }
}
