/**
 * Just enough of EventBridge to run this project's rules on sample events offline: pattern matching
 * (exact values, `prefix`, `$or`, nested objects, array-valued fields) and input transformers (JSON
 * paths and `<variable>` substitution, without escaping, as EventBridge does). Any other pattern
 * operator throws, so a rule using one cannot pass a test by accident.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Whether `event` matches `pattern`, by EventBridge's rules for the operators above. */
export function matchesPattern(pattern: Record<string, unknown>, event: Json): boolean {
    return Object.entries(pattern).every(([key, expected]) => {
        if (key === "$or") {
            if (!Array.isArray(expected)) throw new Error("$or takes a list of patterns");
            return expected.some((alternative) => matchesPattern(alternative as Record<string, unknown>, event));
        }
        const actual = isObject(event) ? event[key] : undefined;
        if (actual === undefined) return false;
        if (Array.isArray(expected)) {
            const values = Array.isArray(actual) ? actual : [actual];
            return values.some((value) => expected.some((allowed) => matchesValue(allowed, value)));
        }
        if (isObject(expected)) return matchesPattern(expected as Record<string, unknown>, actual);
        throw new Error(`pattern field ${key} must be a list of values or an object`);
    });
}

function matchesValue(allowed: unknown, value: Json): boolean {
    if (typeof allowed === "string" || typeof allowed === "number" || typeof allowed === "boolean") {
        return allowed === value;
    }
    if (isObject(allowed) && Object.keys(allowed).length === 1 && typeof allowed.prefix === "string") {
        return typeof value === "string" && value.startsWith(allowed.prefix);
    }
    throw new Error(`unsupported pattern operator ${JSON.stringify(allowed)}`);
}

/** What the target receives: the template with each `<variable>` replaced by its path's value. */
export function renderInput(
    transformer: { inputPaths: Record<string, string>; inputTemplate: string },
    event: Json,
): string {
    const values = Object.fromEntries(
        Object.entries(transformer.inputPaths).map(([name, path]) => [name, valueAt(event, path)]),
    );
    return transformer.inputTemplate.replace(/<([\w.-]+)>/g, (whole, name: string) => {
        if (!(name in values)) throw new Error(`template variable ${whole} has no input path`);
        const value = values[name];
        // A path missing from the event leaves no variable: EventBridge drops it from the output.
        if (value === undefined) return "";
        return typeof value === "string" ? value : JSON.stringify(value);
    });
}

function valueAt(event: Json, path: string): Json | undefined {
    if (!path.startsWith("$.")) throw new Error(`unsupported JSON path ${path}`);
    let current: Json | undefined = event;
    for (const part of path.slice(2).split(".")) {
        current = isObject(current) ? current[part] : undefined;
    }
    return current;
}

function isObject(value: unknown): value is Record<string, Json> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A CloudWatch alarm state change as EventBridge delivers it (shape from the CloudWatch documentation). */
export function alarmStateChange(p: {
    account: string;
    region: string;
    alarmName: string;
    state: string;
    previous: string;
    description?: string;
    reason?: string;
}): Json {
    return {
        version: "0",
        id: "2dde0eb1-528b-d2d5-9ca6-6d590caf2329",
        "detail-type": "CloudWatch Alarm State Change",
        source: "aws.cloudwatch",
        account: p.account,
        time: "2026-11-27T10:05:00Z",
        region: p.region,
        resources: [`arn:aws:cloudwatch:${p.region}:${p.account}:alarm:${p.alarmName}`],
        detail: {
            alarmName: p.alarmName,
            state: {
                value: p.state,
                reason:
                    p.reason ??
                    "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (27/11/26 10:00:00)] was greater than or equal to the threshold (1.0).",
                timestamp: "2026-11-27T10:05:00.000+0000",
            },
            previousState: { value: p.previous, timestamp: "2026-11-27T09:00:00.000+0000" },
            configuration: { ...(p.description === undefined ? {} : { description: p.description }), metrics: [] },
        },
    };
}
