/**
 * CloudWatch metrics from Lambda without an API call: Embedded Metric Format documents written to
 * stdout, one line each, which CloudWatch Logs turns into metrics. Written with
 * process.stdout.write, not console.log: under Lambda's JSON log format console.log wraps the
 * text, and CloudWatch would no longer find the document.
 */

export const METRICS_NAMESPACE = "CentralWafLogs";

/** One EMF document: `values` under `dimensions` (name -> value), units per metric (default Count). */
export function emfDocument(
    values: Readonly<Record<string, number>>,
    dimensions: Readonly<Record<string, string>>,
    units: Readonly<Record<string, string>> = {},
    timestamp = Date.now(),
): Record<string, unknown> {
    return {
        _aws: {
            Timestamp: timestamp,
            CloudWatchMetrics: [
                {
                    Namespace: METRICS_NAMESPACE,
                    Dimensions: [Object.keys(dimensions)],
                    Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: units[name] ?? "Count" })),
                },
            ],
        },
        ...dimensions,
        ...values,
    };
}

export function writeMetrics(document: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(document)}\n`);
}
