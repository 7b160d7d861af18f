/**
 * The shell every command-line tool of this project runs in, so they all treat people alike:
 *
 * - `--help` (or `-h`) prints the tool's usage and exits 0, before anything else runs;
 * - a user error (a bad flag, invalid stack configuration, a missing input) prints one message,
 *   no stack trace, and exits 1: the message already says what to fix, a trace would bury it;
 * - anything else is a bug: it prints with its stack, and exits 1.
 *
 * Usage in a tool: `if (require.main === module) runCli(main, { usage: USAGE, help: "npm run x -- --help" })`.
 */

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
}

const HELP_FLAGS = ["--help", "-h"];

/**
 * Runs `main` with the command line and returns the exit code, printing errors as described above.
 * Never throws. `main` may set `process.exitCode` itself for a run that completes but fails.
 */
export async function runCliMain(
    main: (argv: readonly string[]) => Promise<void> | void,
    options: CliOptions,
): Promise<number> {
    const argv = options.argv ?? process.argv.slice(2);
    const out = options.out ?? ((text: string) => console.log(text));
    const err = options.err ?? ((text: string) => console.error(text));
    if (argv.some((arg) => HELP_FLAGS.includes(arg))) {
        out(typeof options.usage === "function" ? options.usage() : options.usage);
        return 0;
    }
    try {
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
    void runCliMain(main, options).then((code) => {
        // Exit at once on an error: a half-started run may hold servers or timers open.
        if (code !== 0) process.exit(code);
    });
}
