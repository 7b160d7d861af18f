import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    DASHBOARD_OWNER_ACTIONS,
    DATASET_COLUMNS,
    QUICKSIGHT_DASHBOARD_ID,
    QUICKSIGHT_DATASET_ID,
    dashboardDefinition,
    quickSightDatasetSql,
} from "../analytics/quicksight";
import { definitionsDigest } from "../handlers/bakedDefinitions";
import { DashboardInput } from "../handlers/quicksightDashboard";
import { quickSightDashboardCallbackFactory } from "../handlers/quicksightDashboardLambda";
import { QUICKSIGHT_DASHBOARD_FUNCTION } from "../names";
import { inlineFunction, lambdaRole } from "./inlineFunction";

export interface QuickSightDashboardArgs {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    /** The Athena workgroup the data source queries through. */
    readonly workgroup: pulumi.Input<string>;
    /** QuickSight user or group that owns the data source, dataset and dashboard. */
    readonly principalArn: string;
}

const DATA_SOURCE_ACTIONS = [
    "quicksight:DeleteDataSource",
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:UpdateDataSourcePermissions",
];
const DATA_SET_ACTIONS = [
    "quicksight:CancelIngestion",
    "quicksight:CreateIngestion",
    "quicksight:DeleteDataSet",
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:PassDataSet",
    "quicksight:UpdateDataSet",
    "quicksight:UpdateDataSetPermissions",
];

/**
 * Optional QuickSight dashboard over the seed query (last 30 days, direct query through the
 * Athena workgroup): requests per client IP over time and requests by country on a map.
 */
export class QuickSightDashboard extends pulumi.ComponentResource {
    readonly dataSet: aws.quicksight.DataSet;

    constructor(name: string, args: QuickSightDashboardArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:QuickSightDashboard", name, {}, opts);
        const parent = { parent: this };
        const dataSource = new aws.quicksight.DataSource(
            `${name}-athena`,
            {
                dataSourceId: "central-waf-logs-athena",
                name: "Central WAF logs (Athena)",
                type: "ATHENA",
                parameters: { athena: { workGroup: args.workgroup } },
                permissions: [{ principal: args.principalArn, actions: DATA_SOURCE_ACTIONS }],
            },
            parent,
        );
        this.dataSet = new aws.quicksight.DataSet(
            `${name}-dataset`,
            {
                dataSetId: QUICKSIGHT_DATASET_ID,
                name: "WAF requests, last 30 days",
                importMode: "DIRECT_QUERY",
                physicalTableMaps: [
                    {
                        physicalTableMapId: "requests",
                        customSql: {
                            dataSourceArn: dataSource.arn,
                            name: "monthly-requests",
                            sqlQuery: quickSightDatasetSql(),
                            columns: DATASET_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
                        },
                    },
                ],
                logicalTableMaps: [
                    {
                        logicalTableMapId: "requests",
                        alias: "requests",
                        source: { physicalTableId: "requests" },
                        dataTransforms: [
                            {
                                castColumnTypeOperation: {
                                    columnName: "event_date",
                                    newColumnType: "DATETIME",
                                    format: "yyyy-MM-dd",
                                },
                            },
                            {
                                tagColumnOperation: {
                                    columnName: "country",
                                    tags: [{ columnGeographicRole: "COUNTRY" }],
                                },
                            },
                        ],
                    },
                ],
                permissions: [{ principal: args.principalArn, actions: DATA_SET_ACTIONS }],
            },
            parent,
        );

        const arn = (resource: string) =>
            `arn:${args.partition}:quicksight:${args.region}:${args.accountId}:${resource}`;
        // Baked into the publisher's code: the dataset's ARN is known from its fixed ID.
        const dashboard: DashboardInput = {
            dashboardId: QUICKSIGHT_DASHBOARD_ID,
            name: "WAF overview: requests per client IP and by country",
            definition: dashboardDefinition(arn(`dataset/${QUICKSIGHT_DATASET_ID}`)),
            ownerArn: args.principalArn,
            ownerActions: DASHBOARD_OWNER_ACTIONS,
        };
        const role = lambdaRole(`${name}-dashboard-role`, args.accountId, this);
        const publisher = inlineFunction(
            `${name}-dashboard`,
            {
                functionName: QUICKSIGHT_DASHBOARD_FUNCTION,
                description: "Creates or updates the QuickSight WAF dashboard from its definition",
                role,
                statements: () => [
                    {
                        Sid: "PublishDashboard",
                        Effect: "Allow",
                        Action: [
                            "quicksight:CreateDashboard",
                            "quicksight:DescribeDashboard",
                            "quicksight:UpdateDashboard",
                            "quicksight:UpdateDashboardPermissions",
                            "quicksight:UpdateDashboardPublishedVersion",
                        ],
                        Resource: arn(`dashboard/${QUICKSIGHT_DASHBOARD_ID}`),
                    },
                    {
                        Sid: "UseDataSet",
                        Effect: "Allow",
                        Action: ["quicksight:DescribeDataSet", "quicksight:PassDataSet"],
                        Resource: arn(`dataset/${QUICKSIGHT_DATASET_ID}`),
                    },
                ],
                callbackFactory: quickSightDashboardCallbackFactory(dashboard),
                packages: [],
                environment: { QUICKSIGHT_ACCOUNT_ID: args.accountId },
                timeoutSec: 120,
                memoryMiB: 256,
            },
            this,
        );
        new aws.lambda.Invocation(
            `${name}-dashboard-apply`,
            {
                functionName: publisher.name,
                input: JSON.stringify({ digest: definitionsDigest(dashboard) }),
            },
            // The dashboard reads the dataset, which must exist first.
            { parent: this, dependsOn: [this.dataSet] },
        );
        this.registerOutputs({ dataSetArn: this.dataSet.arn });
    }
}
