/**
 * The time a Lambda invocation may still spend, from its context: what is left before Lambda's
 * deadline, less a safety margin, so that a handler stops and fails cleanly (and is retried)
 * instead of being killed mid-write at the timeout.
 */

/** The part of Lambda's context the handlers read. */
export interface InvocationContext {
    getRemainingTimeInMillis(): number;
}

/** Time kept back from Lambda's deadline: 10% of the invocation's time, at most 30 s. */
export function safetyMarginMs(initialRemainingMs: number): number {
    return Math.min(30_000, Math.ceil(initialRemainingMs / 10));
}

/** Milliseconds the invocation may still spend, as a function; unbounded without a context. */
export function invocationBudget(context?: Partial<InvocationContext>): (() => number) | undefined {
    const remaining = context?.getRemainingTimeInMillis?.bind(context);
    if (!remaining) return undefined;
    const margin = safetyMarginMs(remaining());
    return () => remaining() - margin;
}
