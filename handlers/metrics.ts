/**
 * CloudWatch Embedded Metric Format (EMF): a JSON log line that CloudWatch Logs turns into
 * metrics, with no API call and no extra permission. Written with `process.stdout.write`, never
 * `console.log`: the functions use Lambda's JSON log format, under which console.log wraps the
 * text in its own JSON and the metric is no longer extracted (the aws-embedded-metrics library
 * writes to stdout for the same reason).
 */

export const METRICS_NAMESPACE = "CentralWafLogs";

export type MetricUnit = "Count" | "Seconds" | "Milliseconds" | "Bytes";

export interface MetricValue {
    readonly name: string;
    readonly value: number;
    /** Default `Count`. */
    readonly unit?: MetricUnit;
}

export interface MetricsInput {
    /** Epoch milliseconds the metrics are for. */
    readonly timestamp: number;
    /** Dimension values, in order; every metric is emitted with exactly this dimension set. */
    readonly dimensions: Readonly<Record<string, string>>;
    readonly metrics: readonly MetricValue[];
    /** Extra searchable fields of the log line (not metrics, not dimensions). */
    readonly properties?: Readonly<Record<string, string | number | boolean>>;
    /** Default `CentralWafLogs`. */
    readonly namespace?: string;
}

/**
 * The EMF document for one set of metrics. Metrics whose value is not a finite number are left
 * out (an EMF line with an invalid value is dropped as a whole).
 */
export function metricsDocument(input: MetricsInput): Record<string, unknown> {
    const metrics = input.metrics.filter((m) => Number.isFinite(m.value));
    return {
        ...input.properties,
        _aws: {
            Timestamp: input.timestamp,
            CloudWatchMetrics: [
                {
                    Namespace: input.namespace ?? METRICS_NAMESPACE,
                    Dimensions: [Object.keys(input.dimensions)],
                    Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit ?? "Count" })),
                },
            ],
        },
        ...input.dimensions,
        ...Object.fromEntries(metrics.map((m) => [m.name, m.value])),
    };
}

/** Writes one EMF line to stdout, where Lambda's log capture picks it up verbatim. */
export function emitMetrics(input: MetricsInput, write: (line: string) => void = stdoutWrite): void {
    write(`${JSON.stringify(metricsDocument(input))}\n`);
}

function stdoutWrite(line: string): void {
    process.stdout.write(line);
}
