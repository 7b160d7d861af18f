import * as assert from "assert";
import { execSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

interface Step {
    readonly id?: string;
    readonly run?: string;
    readonly uses?: string;
    readonly with?: Record<string, string>;
}
interface Job {
    readonly steps: Step[];
    readonly strategy?: { matrix: { include: { stack: string }[] } };
}

function jobs(file: string): Record<string, Job> {
    return parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")).jobs;
}

const committedStacks = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

/** Runs a workflow's `run:` text for one stack as the runner would, returning what it writes to GITHUB_OUTPUT. */
function stepOutput(run: string, stack: string): string {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wf-")), "output");
    try {
        execSync(run.replace(/\$\{\{ matrix\.stack \}\}/g, stack), {
            cwd: ROOT,
            env: { ...process.env, GITHUB_OUTPUT: out },
            shell: "/bin/bash",
        });
        return fs.readFileSync(out, "utf8").trim();
    } finally {
        fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
}

describe("GitHub workflows as shipped", () => {
    for (const file of ["main.yml", "pull-request.yml"]) {
        it(`${file}: every job that signs in to AWS takes the Region from the stack file it deploys`, () => {
            let signIns = 0;
            for (const [name, job] of Object.entries(jobs(file))) {
                for (const step of job.steps) {
                    if (!step.uses?.startsWith("aws-actions/configure-aws-credentials")) continue;
                    signIns++;
                    assert.strictEqual(step.with?.["aws-region"], "${{ steps.stack.outputs.region }}", name);
                    const regionStep = job.steps.find((s) => s.id === "stack");
                    assert.ok(regionStep?.run, `${name} has no step with id 'stack'`);
                    const stacks = job.strategy ? job.strategy.matrix.include.map((i) => i.stack) : ["logging"];
                    for (const stack of stacks) {
                        const config = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
                        const region: string = config.config["central-waf-logs:region"];
                        // A `global` (CloudFront) stack deploys to us-east-1, where CloudFront's web ACLs live.
                        assert.strictEqual(
                            stepOutput(regionStep.run, stack),
                            `region=${region === "global" ? "us-east-1" : region}`,
                        );
                    }
                }
            }
            assert.ok(signIns > 0);
        });
    }

    it("pull-request.yml previews every committed stack; main.yml deploys every committed stack", () => {
        const previewed = jobs("pull-request.yml").preview.strategy!.matrix.include.map((i) => i.stack);
        assert.deepStrictEqual([...previewed].sort(), committedStacks);
        const deployed = ["logging", ...jobs("main.yml")["up-resources"].strategy!.matrix.include.map((i) => i.stack)];
        assert.deepStrictEqual(deployed.sort(), committedStacks);
    });
});
