/**
 * How every npm script runs TypeScript: `node -r ./tools/register.js <file.ts>`. It compiles each
 * `.ts` file as `ts-node/register/transpile-only` does (ts-node's own `compile`, with the
 * project's tsconfig.json), and keeps the output in memory and in
 * `node_modules/.cache/central-waf-logs/` (as Babel and ESLint keep theirs), keyed by the file's
 * name and text, the TypeScript and ts-node versions and tsconfig.json. The JavaScript is byte for
 * byte what ts-node gives; only the work of producing it again is skipped. `npm test` starts dozens
 * of Node processes (mocha's workers, the commands the tests run as a user would), and each used to
 * transpile the same files anew (half of their CPU time).
 *
 * ts-node and TypeScript are loaded only when a file is not in the cache: loading them is most of
 * a short command's start-up (about 0.4 s of CPU), and with a warm cache a command needs neither.
 *
 * Plain JavaScript because it runs before TypeScript can be loaded. Set
 * CENTRAL_WAF_LOGS_NO_TS_CACHE=1 to transpile everything afresh.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const INSTALLED = Symbol.for("central-waf-logs.register");

if (!process[INSTALLED]) {
    process[INSTALLED] = true;
    install();
}

function install() {
    const useCache = !process.env.CENTRAL_WAF_LOGS_NO_TS_CACHE;
    const versionOf = (pkg) => require(path.join(ROOT, "node_modules", pkg, "package.json")).version;
    const setting = crypto
        .createHash("sha256")
        .update(`typescript ${versionOf("typescript")}\nts-node ${versionOf("ts-node")}\n`)
        .update(fs.readFileSync(path.join(ROOT, "tsconfig.json")))
        .digest("hex")
        .slice(0, 16);
    const directory = path.join(ROOT, "node_modules", ".cache", "central-waf-logs", `ts-${setting}`);
    const inMemory = new Map();
    /** File name → its JavaScript, for source maps: each output carries its map inline. */
    const served = new Map();
    require("@cspotcode/source-map-support").install({
        environment: "node",
        retrieveFile: (file) => served.get(file.replace(/\\/g, "/")) || "",
    });

    let service;
    /** ts-node's compiler, as `ts-node/register/transpile-only` makes it, created on first need. */
    const tsNode = () =>
        (service ??= require("ts-node").create({
            transpileOnly: true,
            // The project's settings wherever the command was started (ts-node looks from the cwd).
            project: path.join(ROOT, "tsconfig.json"),
        }));

    const compile = (code, fileName) => {
        if (!useCache) return tsNode().compile(code, fileName);
        const key = crypto.createHash("sha256").update(`${fileName}\0`).update(code).digest("hex");
        let output = inMemory.get(key);
        if (output !== undefined) return output;
        const file = path.join(directory, `${key}.js`);
        try {
            output = fs.readFileSync(file, "utf8");
        } catch {
            output = tsNode().compile(code, fileName);
            store(file, output);
        }
        inMemory.set(key, output);
        return output;
    };

    const loadJavaScript = require.extensions[".js"];
    // What ts-node's require hook does for a `.ts` file outside node_modules (which it ignores).
    require.extensions[".ts"] = function (module, fileName) {
        if (fileName.split(path.sep).includes("node_modules")) return loadJavaScript(module, fileName);
        const compileJavaScript = module._compile;
        module._compile = function (code, name) {
            const output = compile(code, name);
            served.set(name.replace(/\\/g, "/"), output);
            return compileJavaScript.call(this, output, name);
        };
        return loadJavaScript(module, fileName);
    };
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
