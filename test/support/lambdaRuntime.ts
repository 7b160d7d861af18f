/**
 * What the Lambda service does around a deployed handler, for tests: capture what it writes
 * (console.log summaries and EMF lines on stdout), and asynchronous invocation (the first try,
 * two retries, then the on-failure destination, from which an operator replays the event).
 */
import { Handler, LambdaContext, lambdaContext } from "../../tools/local/deployedCode";

export interface Captured<T> {
    readonly result?: T;
    readonly error?: Error;
    /** Every JSON line written to stdout (console.log and process.stdout.write alike). */
    readonly lines: any[];
}

/** Runs `run` with stdout captured; console.log writes through process.stdout too. */
export async function captured<T>(run: () => Promise<T>): Promise<Captured<T>> {
    const written: string[] = [];
    const original = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
        written.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return true;
    }) as typeof process.stdout.write;
    let result: T | undefined;
    let error: Error | undefined;
    try {
        result = await run();
    } catch (err) {
        error = err as Error;
    } finally {
        process.stdout.write = original;
    }
    const lines = written
        .join("")
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
    return { result, error, lines };
}

/** The loader's summary lines and EMF lines among captured output. */
export const summariesOf = (c: Captured<unknown>) => c.lines.filter((l) => l.msg === "loader summary");
export const metricsOf = (c: Captured<unknown>) => c.lines.filter((l) => l._aws !== undefined);

export interface AsyncInvocation {
    /** Each try, in order (at most 3). */
    readonly tries: Captured<unknown>[];
    /** The event went to the on-failure destination: every try failed. */
    readonly deadLettered: boolean;
}

/**
 * Lambda's asynchronous invocation: a try and up to two retries of the same event, each with a
 * fresh context; after the last failure the event is dead-lettered. `beforeRetry` runs between
 * tries (a fault may clear, as in production).
 */
export async function invokeAsync(
    handler: Handler,
    event: unknown,
    options: { context?: () => LambdaContext; beforeRetry?: (retry: number) => void } = {},
): Promise<AsyncInvocation> {
    const tries: Captured<unknown>[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
        if (attempt > 0) options.beforeRetry?.(attempt);
        const outcome = await captured(() => handler(event, (options.context ?? lambdaContext)()));
        tries.push(outcome);
        if (!outcome.error) return { tries, deadLettered: false };
    }
    return { tries, deadLettered: true };
}
