import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PARTITION_COLUMNS, WAF_COLUMNS, hiveType } from "../analytics/schema";
import {
    analyticsSql,
    compactionTemplate,
    namedQueries,
    namedQueryDescription,
    namedQueryText,
} from "../analytics/sql";
import { AnalyticsSettings, FAILURE_QUEUE_RETENTION_DAYS, PROJECT, ResourceAccount } from "../config";
import { definitionsDigest } from "../handlers/bakedDefinitions";
import {
    COMPACTED_LOCATION_PLACEHOLDER,
    athenaStatementsCallbackFactory,
    renderStatements,
} from "../handlers/athenaStatementsLambda";
import { COMPACTION_ENVIRONMENT, compactionCallbackFactory } from "../handlers/compactionLambda";
import { COMPACTED_PREFIX, HOUR_FORMAT, projectionLocationTemplate } from "../layout";
import {
    ANALYTICS_COMPACTION_FUNCTION,
    ANALYTICS_DDL_FUNCTION,
    ATHENA_COMPACTION_WORKGROUP,
    ANALYTICS_SCHEDULE_GROUP,
    ATHENA_DATABASE,
    ATHENA_WORKGROUP,
    RAW_TABLE,
    firehoseStreamName,
} from "../names";
import { CompactedTableMaintenance } from "./compactedTableMaintenance";
import { inlineFunction, lambdaRole } from "./inlineFunction";
import { QuickSightDashboard } from "./quickSightDashboard";
import { PolicyStatement, serviceTrustPolicy } from "./policyDocuments";
import { privateBucket } from "./privateBucket";
import { queueDepthAlarm } from "./queueAlarm";

export interface LogAnalyticsArgs {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    /** The central bucket (the raw JSON) and its key. */
    readonly bucket: aws.s3.Bucket;
    readonly keyArn: pulumi.Input<string>;
    /** Accounts and Regions whose logs the table projects. */
    readonly writers: readonly ResourceAccount[];
    readonly settings: AnalyticsSettings;
    /** Told when a scheduled compaction could not be started (the alert topic). Default: no one. */
    readonly alarmActions?: pulumi.Input<string>[];
    /** Days a compacted day is kept (the raw logs' expiry, `centralBucket.expireAfterDays`). */
    readonly retentionDays: number;
}

/** Partition projection: every account, Region, stream and hour, with no crawler and no lag. */
export function projectionParameters(p: {
    bucketName: string;
    writers: readonly ResourceAccount[];
    startHour: string;
}): Record<string, string> {
    const regions = [...new Set(p.writers.flatMap((w) => w.regions))].sort();
    return {
        classification: "json",
        "projection.enabled": "true",
        "projection.account_id.type": "enum",
        "projection.account_id.values": p.writers.map((w) => w.accountId).join(","),
        "projection.region.type": "enum",
        "projection.region.values": regions.join(","),
        "projection.stream_name.type": "enum",
        "projection.stream_name.values": regions.map(firehoseStreamName).join(","),
        "projection.hour.type": "date",
        "projection.hour.format": HOUR_FORMAT,
        "projection.hour.range": `${p.startHour},NOW`,
        "projection.hour.interval": "1",
        "projection.hour.interval.unit": "HOURS",
        "storage.location.template": projectionLocationTemplate(p.bucketName),
    };
}

/**
 * An Athena workgroup's enforced settings: engine 3, a per-query scan cutoff, results encrypted
 * with the central key, CloudWatch metrics on.
 */
export function workgroupConfiguration(p: {
    bytesScannedCutoffMiB: number;
    outputLocation: pulumi.Input<string>;
    keyArn: pulumi.Input<string>;
}): aws.types.input.athena.WorkgroupConfiguration {
    return {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: p.bytesScannedCutoffMiB * 1024 * 1024,
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
            outputLocation: p.outputLocation,
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: p.keyArn },
        },
    };
}

/**
 * What running the analytics SQL takes: `query` reads (the detector), `compaction` also writes the
 * compacted table, `ddl` also creates tables (the deploy-time DDL function).
 */
export function athenaUserStatements(p: {
    partition: string;
    region: string;
    accountId: string;
    bucketArn: string;
    resultsBucketArn: string;
    keyArn: string;
    access: "query" | "compaction" | "ddl";
    /** The workgroup the queries run in. Default: the analytics workgroup. */
    workgroup?: string;
}): PolicyStatement[] {
    const glue = (path: string) => `arn:${p.partition}:glue:${p.region}:${p.accountId}:${path}`;
    const writes = p.access !== "query";
    return [
        {
            Sid: "RunInWorkgroup",
            Effect: "Allow",
            Action: [
                "athena:GetQueryExecution",
                ...(writes ? [] : ["athena:GetQueryResults"]),
                "athena:StartQueryExecution",
                // A reader or the compaction stops its query when it runs out of time, rather than
                // leave it scanning.
                ...(p.access === "ddl" ? [] : ["athena:StopQueryExecution"]),
            ],
            Resource: `arn:${p.partition}:athena:${p.region}:${p.accountId}:workgroup/${p.workgroup ?? ATHENA_WORKGROUP}`,
        },
        {
            Sid: "UseCatalog",
            Effect: "Allow",
            Action: [
                "glue:GetDatabase",
                "glue:GetPartitions",
                "glue:GetTable",
                "glue:GetTables",
                ...(writes ? ["glue:UpdateTable"] : []),
                ...(p.access === "ddl" ? ["glue:CreateTable"] : []),
            ],
            Resource: [glue("catalog"), glue(`database/${ATHENA_DATABASE}`), glue(`table/${ATHENA_DATABASE}/*`)],
        },
        {
            Sid: "ReadLogs",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:ListBucket"],
            Resource: [p.bucketArn, `${p.bucketArn}/*`],
        },
        ...(writes
            ? [
                  {
                      Sid: "WriteCompacted",
                      Effect: "Allow" as const,
                      Action: ["s3:DeleteObject", "s3:PutObject"],
                      Resource: `${p.bucketArn}/${COMPACTED_PREFIX}*`,
                  },
              ]
            : []),
        {
            Sid: "WriteResults",
            Effect: "Allow",
            Action: ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
            Resource: [p.resultsBucketArn, `${p.resultsBucketArn}/*`],
        },
        { Sid: "UseCentralKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: p.keyArn },
    ];
}

/**
 * SQL forensics over every account and Region: a Glue table over the central bucket with
 * partition projection, an Athena workgroup with enforced, encrypted, bounded settings, the
 * named queries, a compacted Iceberg/Parquet copy of each finished day made by a daily scheduled
 * Athena MERGE, and the `waf_logs` view that reads both without double counting.
 */
export class LogAnalytics extends pulumi.ComponentResource {
    readonly workgroup: aws.athena.Workgroup;
    readonly resultsBucket: aws.s3.Bucket;
    /** The Glue database and the deploy-time DDL: what must exist before anyone queries the view. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: LogAnalyticsArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:LogAnalytics", name, {}, opts);
        const parent = { parent: this };

        const database = new aws.glue.CatalogDatabase(
            `${name}-database`,
            { name: ATHENA_DATABASE, description: "Central WAF logs" },
            parent,
        );
        const rawTable = new aws.glue.CatalogTable(
            `${name}-raw-table`,
            {
                databaseName: database.name,
                name: RAW_TABLE,
                description: "WAF log records as delivered (GZIP JSON, one record per line), every account and Region",
                tableType: "EXTERNAL_TABLE",
                parameters: args.bucket.bucket.apply((bucketName) =>
                    projectionParameters({
                        bucketName,
                        writers: args.writers,
                        startHour: args.settings.projectionStartHour,
                    }),
                ),
                partitionKeys: PARTITION_COLUMNS.map((column) => ({ name: column, type: "string" })),
                storageDescriptor: {
                    location: pulumi.interpolate`s3://${args.bucket.bucket}/`,
                    inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
                    outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serDeInfo: {
                        serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
                        // One malformed line must not fail every query; the loader reports such lines under _errors/.
                        parameters: { "ignore.malformed.json": "true" },
                    },
                    columns: WAF_COLUMNS.map(([column, type]) => ({
                        name: column.toLowerCase(),
                        type: hiveType(type),
                    })),
                },
            },
            parent,
        );

        this.resultsBucket = privateBucket(
            `${name}-results`,
            {
                kmsKeyArn: args.keyArn,
                lifecycleRules: [
                    {
                        id: "results-expiry",
                        status: "Enabled",
                        filter: { prefix: "" },
                        expiration: { days: args.settings.resultsExpireAfterDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
            this,
        ).bucket;

        this.workgroup = new aws.athena.Workgroup(
            `${name}-workgroup`,
            {
                name: ATHENA_WORKGROUP,
                description: "Forensic SQL over the central WAF logs",
                configuration: workgroupConfiguration({
                    bytesScannedCutoffMiB: args.settings.bytesScannedCutoffMiB,
                    outputLocation: pulumi.interpolate`s3://${this.resultsBucket.bucket}/`,
                    keyArn: args.keyArn,
                }),
            },
            parent,
        );

        for (const query of namedQueries()) {
            new aws.athena.NamedQuery(
                `${name}-${query.name}`,
                {
                    name: query.name,
                    description: namedQueryDescription(query),
                    database: database.name,
                    workgroup: this.workgroup.name,
                    query: namedQueryText(query),
                },
                parent,
            );
        }

        const statements = (access: "compaction" | "ddl") =>
            pulumi
                .all([args.bucket.arn, this.resultsBucket.arn, args.keyArn])
                .apply(([bucketArn, resultsBucketArn, keyArn]) =>
                    athenaUserStatements({
                        ...args,
                        bucketArn,
                        resultsBucketArn,
                        keyArn,
                        access,
                        workgroup: access === "compaction" ? ATHENA_COMPACTION_WORKGROUP : ATHENA_WORKGROUP,
                    }),
                );

        // Deploy-time DDL: the Iceberg table and the view, which Glue's API cannot express. Baked
        // into the function's code; only the table's location (the bucket's name) is filled in from
        // its environment.
        const ddlTemplates = [
            analyticsSql("create_compacted_table.sql", { compacted_location: COMPACTED_LOCATION_PLACEHOLDER }),
            analyticsSql("waf_logs_view.sql"),
        ];
        const compactedLocation = pulumi.interpolate`s3://${args.bucket.bucket}/${COMPACTED_PREFIX}`;
        const ddlRole = lambdaRole(`${name}-ddl-role`, args.accountId, this);
        const ddl = inlineFunction(
            `${name}-ddl`,
            {
                functionName: ANALYTICS_DDL_FUNCTION,
                description: "Applies the compacted Iceberg table and the waf_logs view through Athena",
                role: ddlRole,
                // Its environment names them.
                after: [this.workgroup, database],
                statements: () => statements("ddl"),
                callbackFactory: athenaStatementsCallbackFactory(ddlTemplates),
                packages: [],
                environment: { ATHENA_WORKGROUP, ATHENA_DATABASE, COMPACTED_LOCATION: compactedLocation },
                timeoutSec: 300,
                memoryMiB: 256,
            },
            this,
        );
        const ddlApply = new aws.lambda.Invocation(
            `${name}-ddl-apply`,
            {
                functionName: ddl.name,
                input: compactedLocation.apply((location) =>
                    JSON.stringify({ digest: definitionsDigest(renderStatements(ddlTemplates, location)) }),
                ),
            },
            // The view reads the raw table: Athena fails the statement if the table does not exist yet.
            { parent: this, dependsOn: [this.workgroup, database, rawTable] },
        );

        this.ready = [database, ddlApply];

        const compactionWorkgroup = this.compactionSchedule(name, args, statements("compaction"), database);
        new CompactedTableMaintenance(
            `${name}-maintenance`,
            {
                accountId: args.accountId,
                region: args.region,
                partition: args.partition,
                statements: statements("compaction"),
                retentionDays: args.retentionDays,
                alarmActions: args.alarmActions,
                after: [ddlApply, compactionWorkgroup],
            },
            parent,
        );
        if (args.settings.quickSightPrincipalArn) {
            new QuickSightDashboard(
                `${name}-quicksight`,
                {
                    accountId: args.accountId,
                    region: args.region,
                    partition: args.partition,
                    workgroup: this.workgroup.name,
                    principalArn: args.settings.quickSightPrincipalArn,
                },
                parent,
            );
        }
        this.registerOutputs({ workgroup: this.workgroup.name, resultsBucket: this.resultsBucket.bucket });
    }

    /**
     * The daily compaction: EventBridge Scheduler invokes a Lambda with its scheduled time; the
     * Lambda renders the previous day into the MERGE (Athena takes no parameters on MERGE), runs it
     * in a workgroup of its own (whose scan cutoff is sized for a whole day, not for a question)
     * and fails unless Athena reports SUCCEEDED, so a failure is retried, then parked and alarmed.
     */
    private compactionSchedule(
        name: string,
        args: LogAnalyticsArgs,
        statements: pulumi.Output<PolicyStatement[]>,
        database: aws.glue.CatalogDatabase,
    ): aws.athena.Workgroup {
        const parent = { parent: this };
        const deadLetters = new aws.sqs.Queue(
            `${name}-compaction-failures`,
            { sqsManagedSseEnabled: true, messageRetentionSeconds: FAILURE_QUEUE_RETENTION_DAYS * 24 * 3600 },
            parent,
        );
        // A day whose compaction failed stays in raw JSON (the view still answers it), but someone
        // should know: its scan cost stays high until it is compacted (invoke with {"day": ...}).
        queueDepthAlarm(
            `${name}-compaction-failures-alarm`,
            {
                name: `${PROJECT}-compaction-failures`,
                description:
                    "The daily compaction failed after retries (Athena reported FAILED or CANCELLED, or it could not be started); the day stays in raw JSON until it is compacted again (see the failure queue for the event and the error).",
                queueName: deadLetters.name,
                actions: args.alarmActions,
            },
            parent,
        );
        const workgroup = new aws.athena.Workgroup(
            `${name}-compaction-workgroup`,
            {
                name: ATHENA_COMPACTION_WORKGROUP,
                description: "The daily compaction of a day of WAF logs into the compacted Iceberg table",
                configuration: workgroupConfiguration({
                    bytesScannedCutoffMiB: args.settings.compactionBytesScannedCutoffMiB,
                    outputLocation: pulumi.interpolate`s3://${this.resultsBucket.bucket}/compaction/`,
                    keyArn: args.keyArn,
                }),
            },
            parent,
        );
        const role = lambdaRole(`${name}-compaction-role`, args.accountId, this, {
            description: "Runs the daily compaction MERGE through Athena",
        });
        const compaction = inlineFunction(
            `${name}-compaction`,
            {
                functionName: ANALYTICS_COMPACTION_FUNCTION,
                description: "Compacts the previous day of WAF logs into Parquet (idempotent MERGE)",
                role,
                // Its environment names the database.
                after: [database],
                statements: () =>
                    pulumi.all([statements, deadLetters.arn]).apply(([own, queueArn]): PolicyStatement[] => [
                        ...own,
                        // Lambda's on-failure destination sends as the function's role.
                        { Sid: "ParkFailedRuns", Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArn },
                    ]),
                callbackFactory: compactionCallbackFactory(compactionTemplate()),
                packages: [],
                environment: {
                    [COMPACTION_ENVIRONMENT.workgroup]: workgroup.name,
                    [COMPACTION_ENVIRONMENT.database]: ATHENA_DATABASE,
                },
                timeoutSec: 900,
                memoryMiB: 256,
            },
            this,
        );
        // Scheduler invokes Lambda asynchronously: Lambda retries a failed run twice, then parks it.
        new aws.lambda.FunctionEventInvokeConfig(
            `${name}-compaction-async`,
            {
                functionName: compaction.name,
                maximumRetryAttempts: 2,
                destinationConfig: { onFailure: { destination: deadLetters.arn } },
            },
            parent,
        );

        // A group of its own, so the role can trust this group's schedules and nothing else.
        const group = new aws.scheduler.ScheduleGroup(`${name}-schedules`, { name: ANALYTICS_SCHEDULE_GROUP }, parent);
        const groupArn = `arn:${args.partition}:scheduler:${args.region}:${args.accountId}:schedule-group/${ANALYTICS_SCHEDULE_GROUP}`;
        const schedulerRole = new aws.iam.Role(
            `${name}-scheduler-role`,
            {
                assumeRolePolicy: JSON.stringify(
                    serviceTrustPolicy("scheduler.amazonaws.com", args.accountId, groupArn),
                ),
            },
            parent,
        );
        new aws.iam.RolePolicy(
            `${name}-scheduler-policy`,
            {
                role: schedulerRole.id,
                policy: pulumi.all([compaction.arn, deadLetters.arn]).apply(([functionArn, queueArn]) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Sid: "StartCompaction",
                                Effect: "Allow",
                                Action: "lambda:InvokeFunction",
                                Resource: functionArn,
                            },
                            { Sid: "ParkFailedStarts", Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArn },
                        ],
                    }),
                ),
            },
            parent,
        );
        new aws.scheduler.Schedule(
            `${name}-compaction`,
            {
                description: "Compacts the previous day of WAF logs into Parquet (idempotent MERGE)",
                groupName: group.name,
                scheduleExpression: args.settings.compactionSchedule,
                scheduleExpressionTimezone: "UTC",
                flexibleTimeWindow: { mode: "OFF" },
                target: {
                    arn: compaction.arn,
                    roleArn: schedulerRole.arn,
                    // The schedule's own time: the function compacts the day before it.
                    input: JSON.stringify({ scheduledTime: "<aws.scheduler.scheduled-time>" }),
                    retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
                    deadLetterConfig: { arn: deadLetters.arn },
                },
            },
            parent,
        );
        return workgroup;
    }
}
