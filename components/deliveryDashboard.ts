/**
 * The delivery dashboard's body, as a plain function of its inputs: CloudWatch receives it as JSON
 * text, and tests read exactly which metrics each widget plots.
 */
import { wafHomeOf } from "../layout";
import { ResourceAccount } from "../config";
import { copierFunctionName } from "../names";
import { alarmArn } from "./alarmEvents";
import { COVERAGE_METRICS } from "../handlers/coverage";
import { LOADER_METRICS, coverageAlarmName, failureAlarmName, sourceAlarmName } from "./deliveryMetrics";

export interface DeliveryDashboardInputs {
    /** The logging account and Region, where the loader's metrics are. */
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    /** Admitted accounts and Regions: one line each. */
    readonly sources: readonly ResourceAccount[];
    readonly loaderFunctionName: string;
    readonly loaderFailureQueueName: string;
    readonly silenceMinutes: number;
}

/** A metric of a widget: namespace, name, dimension name/value pairs, then rendering options. */
type MetricLine = (string | Record<string, string>)[];

export interface DashboardWidget {
    readonly type: "metric" | "alarm" | "text";
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly properties: Record<string, unknown>;
}

const WIDTH = 12;
const HEIGHT = 6;

/** Position of the i-th half-width widget, two to a row. */
const at = (i: number) => ({ x: (i % 2) * WIDTH, y: Math.floor(i / 2) * HEIGHT, width: WIDTH, height: HEIGHT });

export function deliveryDashboardBody(p: DeliveryDashboardInputs): { widgets: DashboardWidget[] } {
    const sources = p.sources.flatMap(({ accountId, regions }) => regions.map((region) => ({ accountId, region })));
    const perSource = (metricName: string): MetricLine[] =>
        sources.map(({ accountId, region }) => [
            LOADER_METRICS.namespace,
            metricName,
            "SourceAccount",
            accountId,
            "SourceRegion",
            region,
            { label: `${accountId}/${region}` },
        ]);
    const graph = (i: number, title: string, stat: string, metrics: MetricLine[]): DashboardWidget => ({
        type: "metric",
        ...at(i),
        properties: {
            title,
            view: "timeSeries",
            region: p.region,
            stat,
            period: 300,
            yAxis: { left: { min: 0 } },
            metrics,
        },
    });
    const alarms = (i: number, title: string, alarmArns: string[]): DashboardWidget => ({
        type: "alarm",
        ...at(i),
        properties: { title, alarms: alarmArns },
    });

    return {
        widgets: [
            graph(
                0,
                "Records indexed per account/Region (sum per 5 minutes)",
                "Sum",
                perSource(LOADER_METRICS.records),
            ),
            graph(1, "Lines parked per account/Region (sum per 5 minutes)", "Sum", perSource(LOADER_METRICS.parked)),
            graph(2, "Bulk retries per account/Region (sum per 5 minutes)", "Sum", perSource(LOADER_METRICS.retries)),
            graph(
                3,
                "Delivery lag per account/Region (maximum, seconds)",
                "Maximum",
                perSource(LOADER_METRICS.lagSeconds),
            ),
            graph(4, "Copier and loader errors (sum per 5 minutes)", "Sum", [
                ["AWS/Lambda", "Errors", "FunctionName", p.loaderFunctionName, { label: "loader" }],
                // Copiers run in the resource accounts: these lines need CloudWatch cross-account sharing.
                ...sources.map(({ accountId, region }): MetricLine => [
                    "AWS/Lambda",
                    "Errors",
                    "FunctionName",
                    copierFunctionName(region),
                    // A `global` copier runs in us-east-1.
                    { label: `copier ${accountId}/${region}`, accountId, region: wafHomeOf(region).region },
                ]),
            ]),
            graph(5, "Loader failure queue (messages, maximum)", "Maximum", [
                [
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    "QueueName",
                    p.loaderFailureQueueName,
                    { label: "loader failure queue" },
                ],
            ]),
            alarms(
                6,
                `No record indexed for ${p.silenceMinutes} minutes`,
                sources.map(({ accountId, region }) =>
                    alarmArn(p.partition, p.accountId, p.region, sourceAlarmName("silent", accountId, region)),
                ),
            ),
            alarms(
                7,
                "Copier failure queues (resource accounts)",
                // In the resource accounts too: shown once CloudWatch cross-account sharing is on.
                sources.map(({ accountId, region }) =>
                    alarmArn(
                        p.partition,
                        accountId,
                        wafHomeOf(region).region,
                        failureAlarmName(copierFunctionName(region)),
                    ),
                ),
            ),
            // Coverage: web ACLs of each account/Region that do not log here or lack the blocklist.
            graph(
                8,
                "Web ACL coverage gaps per account/Region (each hourly scan; npm run coverage lists them)",
                "Maximum",
                sources.map(({ accountId, region }): MetricLine => [
                    LOADER_METRICS.namespace,
                    COVERAGE_METRICS.gaps,
                    "TargetAccount",
                    accountId,
                    "TargetRegion",
                    region,
                    { label: `${accountId}/${region}` },
                ]),
            ),
            alarms(
                9,
                "Web ACLs not logging to the platform or without the blocklist",
                sources.map(({ accountId, region }) =>
                    alarmArn(p.partition, p.accountId, p.region, coverageAlarmName(accountId, region)),
                ),
            ),
        ],
    };
}
