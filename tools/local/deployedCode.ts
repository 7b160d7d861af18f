/**
 * The code a CallbackFunction would deploy, read back from the mocked program and run as Lambda
 * would run it: `__index.js` loaded as a module, its `handler` export called with the event.
 */
import * as fs from "fs";
import Module from "module";
import * as path from "path";
import { temporaryDirectory } from "../cli/shell";
import { PROJECT_ROOT, ProgramRun, RecordedResource } from "./mockEngine";

/** The part of Lambda's context object the handlers read. */
export interface LambdaContext {
    getRemainingTimeInMillis(): number;
    readonly functionName: string;
    readonly awsRequestId: string;
}

/** A handler as Lambda calls it; without a context, it gets one with the default timeout's time left. */
export type Handler = (event: unknown, context?: LambdaContext) => Promise<unknown>;

/** Remaining time of a context made by `lambdaContext` when none is given: Lambda's 900 s maximum. */
export const DEFAULT_REMAINING_MS = 900_000;

let requests = 0;

/**
 * A Lambda context whose remaining time the caller controls: a number of milliseconds counted
 * down on the wall clock, as Lambda does, or a function the test drives (simulated time).
 */
export function lambdaContext(remaining: number | (() => number) = DEFAULT_REMAINING_MS): LambdaContext {
    const deadline = Date.now() + (typeof remaining === "number" ? remaining : 0);
    return {
        getRemainingTimeInMillis: typeof remaining === "number" ? () => deadline - Date.now() : remaining,
        functionName: "deployed-code",
        awsRequestId: `local-${++requests}`,
    };
}

/** The serialized `__index.js` of the Lambda function named `functionName` in a recorded run. */
export async function deployedSource(run: ProgramRun, functionName: string): Promise<string> {
    const fn = run.resources.find((r) => r.type === "aws:lambda/function:Function" && r.inputs.name === functionName);
    if (!fn) throw new Error(`Stack ${run.stack} deploys no Lambda function named ${functionName}.`);
    return functionSource(fn);
}

/** The serialized `__index.js` of a recorded `aws:lambda/function:Function`. */
export async function functionSource(fn: RecordedResource): Promise<string> {
    const assets = await fn.inputs.code.assets;
    const index = assets["__index.js"];
    if (!index) throw new Error(`Function ${fn.inputs.name} has no __index.js in its code archive.`);
    return await index.text;
}

/** The environment variables a recorded Lambda function is deployed with. */
export function deployedEnvironment(run: ProgramRun, functionName: string): Record<string, string> {
    const fn = run.resources.find((r) => r.type === "aws:lambda/function:Function" && r.inputs.name === functionName);
    return fn?.inputs.environment?.variables ?? {};
}

/** Credentials for loopback stand-ins, which check the SigV4 shape but not the secret. */
export const LOOPBACK_CREDENTIALS = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "loopback-secret" };

/**
 * The handler of a recorded function as deployed: its `__index.js`, its environment, and
 * `overrides` (endpoints of the local stand-ins, a Region, credentials).
 */
export async function deployedHandler(
    run: ProgramRun,
    functionName: string,
    overrides: Record<string, string>,
): Promise<Handler> {
    return loadHandler(await deployedSource(run, functionName), {
        ...deployedEnvironment(run, functionName),
        ...LOOPBACK_CREDENTIALS,
        ...overrides,
    });
}

/**
 * Loads serialized Lambda code with `env` as its process environment (the factory runs at load,
 * as in a Lambda cold start) and returns its handler, which sees the same environment per call.
 * Packages resolve from the project's node_modules, standing in for the deployment archive.
 */
export function loadHandler(source: string, env: Record<string, string>): Handler {
    const file = path.join(fs.mkdtempSync(path.join(codeDirectory(), "function-")), "__index.js");
    fs.writeFileSync(file, source);
    const lambdaModule = new Module(file);
    lambdaModule.filename = file;
    lambdaModule.paths = [path.join(PROJECT_ROOT, "node_modules")];
    const exports = withEnvironment(env, () => {
        (lambdaModule as unknown as { _compile(code: string, file: string): void })._compile(source, file);
        return lambdaModule.exports as { handler: (event: unknown, context: LambdaContext) => Promise<unknown> };
    });
    if (typeof exports.handler !== "function") throw new Error("The deployed code exports no handler function.");
    return (event, context = lambdaContext()) => withEnvironment(env, () => exports.handler(event, context));
}

let codeDir: string | undefined;

/**
 * One `lambda-*` directory per process for every loaded function's `__index.js` (each in its own
 * folder, as Lambda unpacks each archive), removed when the process ends: a test run loads dozens
 * of handlers and must not leave them behind.
 */
function codeDirectory(): string {
    if (codeDir === undefined || !fs.existsSync(codeDir)) {
        codeDir = temporaryDirectory("lambda-").path;
    }
    return codeDir;
}

function withEnvironment<T>(env: Record<string, string>, run: () => T): T {
    const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    Object.assign(process.env, env);
    const restore = () => {
        for (const [key, value] of Object.entries(saved)) {
            if (value === undefined) delete process.env[key];
            else process.env[key] = value;
        }
    };
    let result: T;
    try {
        result = run();
    } catch (err) {
        restore();
        throw err;
    }
    if (result instanceof Promise) return result.finally(restore) as T;
    restore();
    return result;
}
