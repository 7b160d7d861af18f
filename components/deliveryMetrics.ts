/**
 * Names shared by the delivery-health alarms and the dashboard: the metrics the loader emits and
 * the physical names of this project's alarms, which EventBridge rules and dashboards refer to.
 */
import { ALARM_NAME_PREFIX } from "../names";

/**
 * What the loader reports per object loaded, as CloudWatch Embedded Metric Format lines (the
 * loader's handlers/metrics.ts): one namespace, one dimension set, these metric names.
 */
export const LOADER_METRICS = {
    namespace: "CentralWafLogs",
    records: "RecordsIndexed",
    parked: "LinesParked",
    retries: "BulkRetries",
    unreadable: "UnreadableObjects",
    lagSeconds: "DeliveryLagSeconds",
} as const;

/** The dimensions the loader emits every metric with. */
export function sourceDimensions(accountId: string, region: string): Record<string, string> {
    return { SourceAccount: accountId, SourceRegion: region };
}

/** Name of a per-source alarm, e.g. `central-waf-logs-silent-222222222222-eu-west-1`. */
export function sourceAlarmName(kind: "silent" | "parked" | "unreadable", accountId: string, region: string): string {
    return `${ALARM_NAME_PREFIX}${kind}-${accountId}-${region}`;
}

/** The alarm on a bucket-triggered function's failure queue, named after the function. */
export function failureAlarmName(functionName: string): string {
    return `${functionName}-failures`;
}

/** The alarm on a function's invocation errors, named after the function. */
export function errorsAlarmName(functionName: string): string {
    return `${functionName}-errors`;
}

/** The coverage alarm of one admitted account and Region, e.g. `central-waf-logs-coverage-222222222222-eu-west-1`. */
export function coverageAlarmName(accountId: string, region: string): string {
    return `${ALARM_NAME_PREFIX}coverage-${accountId}-${region}`;
}
