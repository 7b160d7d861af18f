/** Shared access to mocked program runs, cached per stack so each committed stack runs once. */
import * as assert from "assert";
import {
    ProgramRun,
    RecordedResource,
    RunOptions,
    qualifiedStackName,
    runAllStacks,
    runProgram,
} from "../../tools/local/mockEngine";

/**
 * Where the committed runs are kept: on the global object, not in this module, because the mock
 * engine drops the project's modules (this one included) from the require cache on every run, and
 * mocha's parallel workers load each test file after the previous one ran: a module variable
 * would be a fresh one for every file, and every file would plan every stack again (~12 s of CPU).
 */
const CACHE = Symbol.for("central-waf-logs.committedRuns");

/** Every committed stack, run in deploy order with real cross-stack references, once per process. */
export function committedRuns(): Promise<ProgramRun[]> {
    const global = globalThis as { [CACHE]?: Promise<ProgramRun[]> };
    global[CACHE] ??= runAllStacks();
    return global[CACHE];
}

export async function committedRun(stack: string): Promise<ProgramRun> {
    const run = (await committedRuns()).find((r) => r.stack === stack);
    assert.ok(run, `no committed stack ${stack}`);
    return run;
}

/** Runs a stack with changed config, answering its StackReference from the committed logging run. */
export async function runWith(stack: string, options: RunOptions): Promise<ProgramRun> {
    const logging = await committedRun("logging");
    return runProgram(stack, {
        stackOutputs: { [qualifiedStackName("logging")]: logging.outputs },
        ...options,
    });
}

/** Expects the program to fail and returns its error message. */
export async function failureOf(stack: string, options: RunOptions): Promise<string> {
    try {
        await runWith(stack, options);
    } catch (err) {
        return err instanceof Error ? err.message : String(err);
    }
    assert.fail(`stack ${stack} ran without the expected error`);
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

/** The single resource of a type (and name, if given); fails if there is not exactly one. */
export function only(run: ProgramRun, type: string, name?: string): RecordedResource {
    const found = ofType(run, type).filter((r) => name === undefined || r.name === name);
    assert.strictEqual(found.length, 1, `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    return found[0];
}

/** Parses a policy document given as JSON text (as the AWS provider receives it). */
export function policyDocument(value: unknown): { Statement: any[] } {
    assert.strictEqual(typeof value, "string", "policy should be JSON text");
    return JSON.parse(value as string);
}

export function statement(doc: { Statement: any[] }, sid: string): any {
    const found = doc.Statement.find((s) => s.Sid === sid);
    assert.ok(found, `no statement ${sid} in ${doc.Statement.map((s) => s.Sid).join(", ")}`);
    return found;
}
