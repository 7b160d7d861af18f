/**
 * The optional QuickSight view of the seed query: a dataset over the last 30 days and a dashboard
 * with requests per client IP over time (line chart) and requests by country (filled map). The
 * dashboard's definition is data, sent by a deploy-time Lambda (CreateDashboard/UpdateDashboard),
 * since the Pulumi AWS provider here exposes no dashboard definition input.
 */
import { boundQuery } from "./sql";

export const QUICKSIGHT_DATASET_ID = "central-waf-logs-monthly-requests";
export const QUICKSIGHT_DASHBOARD_ID = "central-waf-logs-overview";

/** The seed query over a rolling window of whole days, ending with the current hour. */
export function quickSightDatasetSql(days = 30): string {
    return boundQuery("monthly-requests", {
        from_hour: `date_format(current_date - interval '${days}' day, '%Y/%m/%d/00')`,
        to_hour: `date_format(current_date, '%Y/%m/%d/23')`,
    });
}

/** The seed query's output columns, as QuickSight types. */
export const DATASET_COLUMNS = [
    { name: "event_date", type: "STRING" },
    { name: "client_ip", type: "STRING" },
    { name: "country", type: "STRING" },
    { name: "account_id", type: "STRING" },
    { name: "web_acl", type: "STRING" },
    { name: "region", type: "STRING" },
    { name: "requests", type: "INTEGER" },
] as const;

const column = (name: (typeof DATASET_COLUMNS)[number]["name"]) => ({
    DataSetIdentifier: "requests",
    ColumnName: name,
});
const requestsSum = {
    NumericalMeasureField: {
        FieldId: "requests",
        Column: column("requests"),
        AggregationFunction: { SimpleNumericalAggregation: "SUM" },
    },
};
const title = (text: string) => ({ Visibility: "VISIBLE", FormatText: { PlainText: text } });

/** The QuickSight API's dashboard `Definition`. */
export function dashboardDefinition(dataSetArn: string): Record<string, unknown> {
    return {
        DataSetIdentifierDeclarations: [{ Identifier: "requests", DataSetArn: dataSetArn }],
        Sheets: [
            {
                SheetId: "overview",
                Name: "WAF overview",
                Visuals: [
                    {
                        LineChartVisual: {
                            VisualId: "requests-per-client-ip",
                            Title: title("Requests per client IP over time"),
                            ChartConfiguration: {
                                FieldWells: {
                                    LineChartAggregatedFieldWells: {
                                        Category: [
                                            {
                                                DateDimensionField: {
                                                    FieldId: "event_date",
                                                    Column: column("event_date"),
                                                    DateGranularity: "DAY",
                                                },
                                            },
                                        ],
                                        Values: [requestsSum],
                                        Colors: [
                                            {
                                                CategoricalDimensionField: {
                                                    FieldId: "client_ip",
                                                    Column: column("client_ip"),
                                                },
                                            },
                                        ],
                                    },
                                },
                                SortConfiguration: {
                                    ColorItemsLimitConfiguration: { ItemsLimit: 10, OtherCategories: "INCLUDE" },
                                },
                            },
                        },
                    },
                    {
                        FilledMapVisual: {
                            VisualId: "requests-by-country",
                            Title: title("Requests by country"),
                            ChartConfiguration: {
                                FieldWells: {
                                    FilledMapAggregatedFieldWells: {
                                        Geospatial: [
                                            {
                                                CategoricalDimensionField: {
                                                    FieldId: "country",
                                                    Column: column("country"),
                                                },
                                            },
                                        ],
                                        Values: [requestsSum],
                                    },
                                },
                            },
                        },
                    },
                ],
            },
        ],
    };
}

export const DASHBOARD_OWNER_ACTIONS = [
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
];
