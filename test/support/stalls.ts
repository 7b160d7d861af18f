import { IntervalHistogram, monitorEventLoopDelay } from "perf_hooks";

/**
 * How long this test process could not run at all while a deadline test waited: a garbage
 * collection of a worker holding the committed plans, or a machine busy with the other test
 * workers. A handler that stops at its budget (90% of the time Lambda gives it) is then late by
 * that much through no fault of its own; on Lambda, whose timeouts are minutes, its 10% margin
 * absorbs such pauses, but a test's 2 s timeout leaves only 200 ms.
 *
 * The deadline tests bound `elapsed - longestStall()`: the handler's own time, which must end
 * before the timeout.
 */
export class StallWatch {
    private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

    constructor() {
        this.histogram.enable();
    }

    /** The longest time, in ms, this process's timers fired late since the watch started. */
    longestStall(): number {
        return this.histogram.max / 1e6;
    }

    stop(): void {
        this.histogram.disable();
    }
}

/**
 * Asserts that `elapsedMs`, less the longest stall of this process meanwhile, is under `boundMs`,
 * with a message giving all three.
 */
export function assertWithinBound(elapsedMs: number, watch: StallWatch, boundMs: number, what: string): void {
    const stall = watch.longestStall();
    if (elapsedMs - stall >= boundMs) {
        throw new Error(
            `${what} took ${elapsedMs} ms (${Math.round(stall)} ms of it the test process stalled), over its ${boundMs} ms`,
        );
    }
}
