/**
 * EventBridge Scheduler's recurring expressions, checked before deployment: `rate(value unit)`
 * (a positive whole value; `minute`, `hour`, `day` when the value is 1, plural otherwise) and
 * `cron(minutes hours day-of-month month day-of-week year)`.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MINUTES: Record<string, number> = { minute: 1, hour: 60, day: 1440 };

/** What is wrong with `expression` as a recurring schedule, or undefined when nothing is. */
export function scheduleProblem(expression: string): string | undefined {
    if (expression.startsWith("cron(")) {
        const fields = /^cron\((.+)\)$/.exec(expression)?.[1].trim().split(/\s+/) ?? [];
        return fields.length === 6
            ? undefined
            : `${JSON.stringify(expression)} has ${fields.length} cron fields, not 6 (minutes hours day-of-month month day-of-week year)`;
    }
    if (!expression.startsWith("rate(")) return `${JSON.stringify(expression)} is not a schedule expression`;
    const match = RATE.exec(expression);
    if (!match) return `${JSON.stringify(expression)} is not a rate: write rate(<whole number> <unit>)`;
    const value = Number(match[1]);
    if (value < 1) return `${JSON.stringify(expression)} never runs: the value must be 1 or more`;
    const singular = !match[2].endsWith("s");
    if (value === 1 && !singular)
        return `${JSON.stringify(expression)} must use the singular unit: rate(1 ${match[2].slice(0, -1)})`;
    if (value > 1 && singular)
        return `${JSON.stringify(expression)} must use the plural unit: rate(${value} ${match[2]}s)`;
    return undefined;
}

/** Minutes between runs of a valid `rate(...)` expression; undefined for `cron(...)`. */
export function rateMinutes(expression: string): number | undefined {
    const match = RATE.exec(expression);
    return match ? Number(match[1]) * UNIT_MINUTES[match[2].replace(/s$/, "")] : undefined;
}
