/**
 * The daily compaction, as code that is heard: it works out which day to compact, renders that
 * day into the MERGE as a checked literal (Athena takes no execution parameters on MERGE), runs the
 * MERGE in the compaction workgroup, waits for its final state, and fails when Athena reports
 * FAILED or CANCELLED, so Lambda retries it and then parks the event in the failure queue, whose
 * alarm tells the alert topic. A MERGE only inserts rows the table lacks: a retry is harmless.
 */
import { AthenaQueryCalls, runToEnd } from "./athenaQuery";
import { failure } from "./failures";

/** Where the day stands in the compaction template (analytics/sql/compact_day.sql). */
export const DAY_PLACEHOLDER = "{{day}}";

const DAY_MS = 86_400_000;

/** `yyyy/MM/dd` when `text` names a real calendar day in that form, else undefined. */
export function checkedDay(text: unknown): string | undefined {
    if (typeof text !== "string" || !/^\d{4}\/\d{2}\/\d{2}$/.test(text)) return undefined;
    const date = new Date(`${text.replace(/\//g, "-")}T00:00:00Z`);
    return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text.replace(/\//g, "-")
        ? undefined
        : text;
}

/** The UTC day (`yyyy/MM/dd`) before an ISO 8601 UTC time such as Scheduler's `2026-12-07T01:30:00Z`. */
export function dayBefore(scheduledTime: string): string | undefined {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(scheduledTime)) return undefined;
    const ms = Date.parse(scheduledTime);
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== scheduledTime.slice(0, 10)) return undefined;
    return new Date(ms - DAY_MS).toISOString().slice(0, 10).replace(/-/g, "/");
}

/**
 * The day an event asks for: `{"scheduledTime": "<ISO 8601 UTC>"}` (what the schedule sends: the
 * day before it) or `{"day": "yyyy/MM/dd"}` (an operator re-running one day). Anything else is
 * refused as a Configuration failure, naming what was received.
 */
export function dayToCompact(event: unknown): string {
    const fields = typeof event === "object" && event !== null ? (event as Record<string, unknown>) : {};
    const keys = Object.keys(fields);
    if (keys.length === 1 && keys[0] === "day") {
        const day = checkedDay(fields.day);
        if (day) return day;
    }
    if (keys.length === 1 && keys[0] === "scheduledTime" && typeof fields.scheduledTime === "string") {
        const day = dayBefore(fields.scheduledTime);
        if (day) return day;
    }
    const shown = JSON.stringify(event) ?? String(event);
    throw failure(
        "Configuration",
        `Compaction needs {"scheduledTime": "<ISO 8601 UTC time>"} (it compacts the day before) or {"day": "yyyy/MM/dd"}; got ${shown.slice(0, 200)}.`,
    );
}

/** The MERGE for one day: the template with the day written in, after checking it again. */
export function compactionStatement(template: string, day: string): string {
    if (!checkedDay(day)) throw new Error(`Cannot compact ${JSON.stringify(day)}: not a day as yyyy/MM/dd.`);
    if (!template.includes(DAY_PLACEHOLDER)) throw new Error(`The compaction template has no ${DAY_PLACEHOLDER}.`);
    return template.split(DAY_PLACEHOLDER).join(day);
}

export interface CompactionSummary {
    readonly day: string;
    readonly queryExecutionId: string;
    readonly scannedBytes: number;
}

/** Compacts the day `event` names and returns what ran; throws when Athena does not succeed. */
export async function compact(
    event: unknown,
    template: string,
    athena: Omit<AthenaQueryCalls, "page">,
    remainingMs: () => number,
): Promise<CompactionSummary> {
    const day = dayToCompact(event);
    const { queryExecutionId, scannedBytes } = await runToEnd(
        compactionStatement(template, day),
        [],
        athena,
        remainingMs,
        `A MERGE commits all or nothing, so nothing was written; Lambda's retry runs the day ${day} again.`,
    );
    return { day, queryExecutionId, scannedBytes };
}
