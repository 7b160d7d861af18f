/**
 * The shell every command-line tool of this project runs in, so they all treat people alike:
 *
 * - `--help` (or `-h`) prints the tool's usage and exits 0, before anything else runs;
 * - a user error (a bad flag, invalid stack configuration, a missing input) prints one message,
 *   no stack trace, and exits 1: the message already says what to fix, a trace would bury it;
 * - anything else is a bug: it prints with its stack, and exits 1;
 * - Ctrl-C (SIGINT) and SIGTERM (a CI job cancelled) run every registered cleanup, then exit
 *   130 or 143; so does any ending: temporary directories made with `temporaryDirectory` are
 *   removed whatever happens;
 * - a tool flag npm took as its own (`npm start --faults`, without `--`) is noticed: a switch
 *   is accepted with a note, a flag with a value is refused with the command to type.
 *
 * Usage in a tool: `if (require.main === module) runCli(main, { usage: USAGE, help: "npm run x -- --help" })`.
 */

import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** What makes an Error a user error; a tag, not a subclass, so it survives module reloads. */
interface UserErrorTags {
    readonly userError: true;
    /** A problem with the command line: the message is followed by where to find the usage. */
    readonly usage?: boolean;
}

/**
 * An error in what the user gave (a file, a value, the environment), printed without a stack.
 * The message should name the input and say how to fix it.
 */
export function userError(message: string): Error {
    return Object.assign(new Error(message), { userError: true } satisfies UserErrorTags);
}

/** A problem with the command line itself (unknown flag, missing value): also points at `--help`. */
export function usageError(message: string): Error {
    return Object.assign(new Error(message), { userError: true, usage: true } satisfies UserErrorTags);
}

/**
 * True for `userError`/`usageError` errors and for `ConfigError` (config/types.ts). ConfigError is
 * recognised by its name and problem list rather than `instanceof`: the mock engine reloads the
 * project's modules for every stack it runs, so the class that threw is not the one imported here.
 */
export function isUserError(err: unknown): err is Error {
    if (!(err instanceof Error)) return false;
    if ((err as Partial<UserErrorTags>).userError === true) return true;
    return err.name === "ConfigError" && Array.isArray((err as { problems?: unknown }).problems);
}

export interface CliOptions {
    /** The full usage text `--help` prints: every option, its default, what the tool does. */
    readonly usage: string | (() => string);
    /** How to ask for the usage, added after a usage error, e.g. `npm start -- --help`. */
    readonly help: string;
    /** Arguments; default `process.argv.slice(2)`. */
    readonly argv?: readonly string[];
    /** Where output goes; default the console. */
    readonly out?: (text: string) => void;
    readonly err?: (text: string) => void;
    /** The tool's own flags, to notice those npm took as its config (see `npmTakenFlags`). */
    readonly flags?: { readonly switches?: readonly string[]; readonly values?: readonly string[] };
    /** The environment; default `process.env`. */
    readonly env?: NodeJS.ProcessEnv;
}

const HELP_FLAGS = ["--help", "-h"];

/**
 * The registered cleanups, on the global object: the mock engine reloads the project's modules
 * (this one included) for every stack it plans, and one process must keep one list and one hook.
 */
const REGISTRY = Symbol.for("central-waf-logs.cleanups");
const registry = ((globalThis as { [REGISTRY]?: { cleanups: Set<() => void>; hooked: boolean; signalsTaken: number } })[
    REGISTRY
] ??= {
    cleanups: new Set(),
    hooked: false,
    signalsTaken: 0,
});
const cleanups = registry.cleanups;

/**
 * Registers work to do when the process ends (normally, on an error, or on SIGINT/SIGTERM in a
 * tool run by `runCli`); synchronous, as the process is going away. Returns a function that
 * runs it early and unregisters it.
 */
export function onCleanup(cleanup: () => void): () => void {
    if (!registry.hooked) {
        registry.hooked = true;
        // Not `runCleanups` itself: a reloaded copy of this module must run the same list.
        process.on("exit", () => runCleanupsOf(registry.cleanups));
    }
    cleanups.add(cleanup);
    return () => {
        if (cleanups.delete(cleanup)) cleanup();
    };
}

/** Runs (once) every registered cleanup, most recent first; one failing does not stop the others. */
export function runCleanups(): void {
    runCleanupsOf(cleanups);
}

function runCleanupsOf(cleanups: Set<() => void>): void {
    for (const cleanup of [...cleanups].reverse()) {
        cleanups.delete(cleanup);
        try {
            cleanup();
        } catch (error) {
            console.error(`Cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
        }
    }
}

/**
 * Runs `run` while the tool itself answers SIGINT and SIGTERM (the sandbox stops on them and
 * closes its stand-ins before the run ends): meanwhile the shell's own handler stands aside
 * instead of exiting at once. The cleanups still run when the process ends.
 */
export async function whileHandlingSignals<T>(run: () => Promise<T>): Promise<T> {
    registry.signalsTaken++;
    try {
        return await run();
    } finally {
        registry.signalsTaken--;
    }
}

/**
 * A new directory under the system's temporary directory, removed when the process ends (or by
 * `remove()`); `keep()` leaves it in place (`--keep`).
 */
export function temporaryDirectory(prefix: string): { readonly path: string; remove(): void; keep(): void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const removal = () => fs.rmSync(dir, { recursive: true, force: true });
    const remove = onCleanup(removal);
    return { path: dir, remove, keep: () => void cleanups.delete(removal) };
}

/**
 * Refuses, within `timeoutMs`, an HTTP(S) endpoint given in `name` (an environment variable)
 * that does not answer: otherwise a wrong URL shows as minutes of silence while clients retry.
 * Any HTTP answer counts, even an error status: the address is right, the rest is the tool's job.
 */
export async function checkReachable(name: string, url: string, timeoutMs = 5000): Promise<void> {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        throw userError(`${name} "${url}" is not a URL; give one such as http://localhost:9200, or unset ${name}.`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        throw userError(`${name} ${url} is not an http:// or https:// URL; give one such as http://localhost:9200.`);
    }
    const client = parsed.protocol === "https:" ? await import("https") : await import("http");
    const problem = await new Promise<string | undefined>((resolve) => {
        const request = client.request(parsed, { method: "HEAD", timeout: timeoutMs }, (response) => {
            response.resume();
            resolve(undefined);
        });
        request.on("timeout", () => {
            request.destroy();
            resolve(`no answer within ${timeoutMs / 1000} s`);
        });
        request.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        request.end();
    });
    if (problem !== undefined) {
        throw userError(
            `${name} ${url} is not reachable (${problem}). Fix: start the cluster or correct the URL, or unset ${name} to use the local stand-in.`,
        );
    }
}

/**
 * The tool's flags npm took as its own config (`npm start --faults` sets `npm_config_faults`
 * and passes nothing): switches are added to the arguments with a note; flags that take a value
 * cannot be recovered (npm passed the value on as a bare argument), so they are refused.
 */
export function npmTakenFlags(
    flags: NonNullable<CliOptions["flags"]>,
    command: string,
    argv: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
): { argv: readonly string[]; notes: string[] } {
    const notes: string[] = [];
    const added: string[] = [];
    const taken = (flag: string) => {
        const value = env[`npm_config_${flag.replace(/^--/, "").replace(/-/g, "_")}`];
        return value !== undefined && !argv.some((arg) => arg === flag || arg.startsWith(`${flag}=`))
            ? value
            : undefined;
    };
    for (const flag of flags.values ?? []) {
        if (taken(flag) !== undefined) {
            throw usageError(
                `npm took ${flag} as its own option, so ${command} did not get it: put the tool's options after \`--\`, e.g. \`${command} -- ${flag} <value>\`.`,
            );
        }
    }
    for (const flag of flags.switches ?? []) {
        if (taken(flag) !== undefined) {
            added.push(flag);
            notes.push(
                `npm took ${flag} as its own option (options go after \`--\`: \`${command} -- ${flag}\`); running with ${flag}.`,
            );
        }
    }
    return { argv: [...argv, ...added], notes };
}

/**
 * Runs `main` with the command line and returns the exit code, printing errors as described above.
 * Never throws. `main` may set `process.exitCode` itself for a run that completes but fails.
 */
export async function runCliMain(
    main: (argv: readonly string[]) => Promise<void> | void,
    options: CliOptions,
): Promise<number> {
    let argv = options.argv ?? process.argv.slice(2);
    const out = options.out ?? ((text: string) => console.log(text));
    const err = options.err ?? ((text: string) => console.error(text));
    if (argv.some((arg) => HELP_FLAGS.includes(arg))) {
        out(typeof options.usage === "function" ? options.usage() : options.usage);
        return 0;
    }
    try {
        if (options.flags) {
            const command = options.help.replace(/ -- --help$/, "");
            const recovered = npmTakenFlags(options.flags, command, argv, options.env ?? process.env);
            for (const note of recovered.notes) err(note);
            argv = recovered.argv;
        }
        await main(argv);
        return 0;
    } catch (error) {
        err(describeError(error, options.help));
        return 1;
    }
}

/** The text printed for an error: the message alone for user errors, the stack for bugs. */
export function describeError(error: unknown, help: string): string {
    if (isUserError(error)) {
        const usage = (error as Partial<UserErrorTags>).usage ? `\nRun \`${help}\` for every option.` : "";
        return `${error.message}${usage}`;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return `Unexpected error (a bug in this tool; please report it with this output):\n${detail}`;
}

/**
 * The entry point of a tool: runs `main`, then exits with 1 on an error. On success the process
 * ends on its own (keeping any `process.exitCode` main set), so pending output is not cut short.
 */
export function runCli(main: (argv: readonly string[]) => Promise<void> | void, options: CliOptions): void {
    for (const [signal, code] of [
        ["SIGINT", 130],
        ["SIGTERM", 143],
    ] as const) {
        process.on(signal, () => {
            // A tool that stops on the signal itself (see whileHandlingSignals) finishes on its own.
            if (registry.signalsTaken > 0) return;
            console.error(`\nInterrupted (${signal}); cleaning up.`);
            runCleanups();
            process.exit(code);
        });
    }
    void runCliMain(main, options).then((code) => {
        // Exit at once on an error: a half-started run may hold servers or timers open.
        if (code !== 0) process.exit(code);
    });
}

/**
 * A path as the user meant it: relative to the directory they ran the command in. `npm run`
 * changes to the package root and says where it started in INIT_CWD.
 */
export function fromUserDirectory(file: string, env: NodeJS.ProcessEnv = process.env): string {
    return path.resolve(env.INIT_CWD ?? process.cwd(), file);
}
