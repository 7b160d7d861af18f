/**
 * Makes running the program many times in one process cheap, without changing what a run does.
 * The mock engine forgets the project's modules before every run (each run must build its
 * resources afresh), so without these each run would pay again for work whose answer cannot have
 * changed within the process:
 *
 * - ts-node transpiling every project file (the same text gives the same JavaScript; kept by
 *   tools/register.js, which every npm script preloads);
 * - `@pulumi/pulumi`'s search of node_modules for each Lambda's packages (the tree is fixed: it
 *   is read once, and each distinct package list is resolved once);
 * - source-mapping the stack trace Pulumi captures for every promise and resource (used only for
 *   the engine's source positions, which the mocks discard);
 * - the stack trace Pulumi captures for every promise it tracks (read only to report a promise
 *   the program leaked, which still names the promise's context);
 * - each resource's source position and call stack, a whole formatted stack trace per resource
 *   sent only to the engine's diagnostics, which the mock monitor discards: not computed.
 *
 * Measured on the committed stacks: about a third of each run's CPU time.
 */
import * as path from "path";

const INSTALLED = Symbol.for("central-waf-logs.rerunCosts");

/** Installs the cache once per process. */
export function cacheRerunCosts(): void {
    const marks = globalThis as { [INSTALLED]?: true };
    if (marks[INSTALLED]) return;
    marks[INSTALLED] = true;
    cacheCodePaths();
    cachePackageTree();
    skipPromiseStacks();
    skipResourceSourcePositions();
}

function cacheCodePaths(): void {
    // The module itself, not `pulumi.runtime`: the latter re-exports through read-only getters
    // that read this module's property at each call.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const codePaths = require("@pulumi/pulumi/runtime/closure/codePaths") as {
        computeCodePaths: (...args: unknown[]) => Promise<Map<string, unknown>>;
    };
    const compute = codePaths.computeCodePaths;
    const computed = new Map<string, Promise<Map<string, unknown>>>();
    codePaths.computeCodePaths = (...args: unknown[]) => {
        // `logResource` (whom to warn about a missing package) differs per Lambda and does not
        // change the answer; only the package and path lists do.
        const [options] = args as [{ logResource?: unknown } | undefined];
        const key = JSON.stringify(Array.isArray(options) ? args : { ...options, logResource: undefined });
        let paths = computed.get(key);
        if (!paths) {
            paths = compute(...args);
            computed.set(key, paths);
            paths.catch(() => computed.delete(key));
        }
        // A copy: the caller owns the map it is given.
        return paths.then((found) => new Map(found));
    };
}

/**
 * Runs `work` with V8's own stack formatting instead of the source-mapped one ts-node installs:
 * Pulumi captures a stack for every promise and resource it creates, and mapping each frame
 * through source maps cost more than the rest of a run. Stacks of errors raised inside are
 * unmapped (positions in the transpiled JavaScript); their messages are unchanged.
 */
export async function withPlainStackTraces<T>(work: () => Promise<T>): Promise<T> {
    const errors = Error as { prepareStackTrace?: unknown };
    const mapped = errors.prepareStackTrace;
    errors.prepareStackTrace = undefined;
    try {
        return await work();
    } finally {
        errors.prepareStackTrace = mapped;
    }
}

/** Reads node_modules once per process; Pulumi only walks the tree it is given. */
function cachePackageTree(): void {
    const pulumiClosure = path.dirname(require.resolve("@pulumi/pulumi/runtime/closure/codePaths"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Arborist } = require(require.resolve("@npmcli/arborist", { paths: [pulumiClosure] })) as {
        Arborist: { prototype: { path: string; loadActual(options?: unknown): Promise<unknown> } };
    };
    const loadActual = Arborist.prototype.loadActual;
    const trees = new Map<string, Promise<unknown>>();
    Arborist.prototype.loadActual = function (this: { path: string }, options?: unknown) {
        if (options !== undefined) return loadActual.call(this, options);
        let tree = trees.get(this.path);
        if (!tree) {
            tree = loadActual.call(this);
            trees.set(this.path, tree);
            tree.catch(() => trees.delete(this.path));
        }
        return tree;
    };
}

/**
 * `debuggablePromise` stores `new Error().stack` on every promise it tracks (about a fifth of a
 * rerun's CPU time, capturing and formatting). Pulumi reads it only to report a promise the
 * program leaked; that report still names the promise's context, without the stack.
 */
function skipPromiseStacks(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
        debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
    };
    const track = debuggable.debuggablePromise;
    debuggable.debuggablePromise = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return track(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
}

/** The mock monitor records no source position, so a resource need not compute one. */
function skipResourceSourcePositions(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Resource } = require("@pulumi/pulumi/resource") as { Resource: { stackTrace(skip: number): unknown[] } };
    Resource.stackTrace = () => [];
}
