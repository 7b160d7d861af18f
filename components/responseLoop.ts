import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { namedQuery } from "../analytics/sql";
import { FAILURE_QUEUE_RETENTION_DAYS, ResourceAccount, ResponseSettings } from "../config";
import { DetectorSettings } from "../handlers/detector";
import { DETECTOR_ENVIRONMENT, detectorCallbackFactory } from "../handlers/detectorLambda";
import { METRICS_NAMESPACE } from "../handlers/metrics";
import { PublisherSettings, SyncTarget } from "../handlers/publisher";
import { operatorCallbackFactory } from "../handlers/blocklistOperatorLambda";
import { PUBLISHER_ENVIRONMENT, publisherCallbackFactory } from "../handlers/publisherLambda";
import {
    ATHENA_DATABASE,
    BLOCKLIST_AUDIT_TABLE,
    BLOCKLIST_DETECTOR_FUNCTION,
    BLOCKLIST_OPERATOR_FUNCTION,
    BLOCKLIST_OPERATOR_POLICY,
    BLOCKLIST_PUBLISHER_FUNCTION,
    BLOCKLIST_TABLE,
    DETECTION_WORKGROUP,
    RESPONSE_SCHEDULE_GROUP,
    blocklistApplierArn,
    blocklistSyncRoleArn,
} from "../names";
import { APPLIER_TIMEOUT_SEC } from "./blocklistEnforcement";
import { inlineFunction, lambdaRole } from "./inlineFunction";
import { athenaUserStatements, workgroupConfiguration } from "./logAnalytics";
import { PolicyStatement, policyDocument, serviceTrustPolicy } from "./policyDocuments";
import { queueDepthAlarm } from "./queueAlarm";

export interface ResponseLoopArgs {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    readonly settings: ResponseSettings;
    /** Admitted accounts and Regions: every one gets the blocklist. */
    readonly targets: readonly ResourceAccount[];
    /** The central bucket and key, and the Athena results bucket, the detector's query reads and writes. */
    readonly bucketArn: pulumi.Input<string>;
    readonly keyArn: pulumi.Input<string>;
    readonly resultsBucketArn: pulumi.Input<string>;
    /** The Athena results bucket's name: the detection workgroup writes its results there too. */
    readonly resultsBucketName: pulumi.Input<string>;
    /** Where the loop's alarms notify. Default: nowhere (the alarms still show in CloudWatch). */
    readonly alarmActions?: pulumi.Input<string>[];
    /** The Glue database and the DDL creating the view the detector queries: created first. Default none. */
    readonly analyticsReady?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Writes allowed only inside TransactWriteItems ("Using IAM with DynamoDB transactions",
 * condition key dynamodb:EnclosingOperation): the blocklist is never written without its audit
 * record by the detector or the CLI, and a plain PutItem (which could skip it) is refused.
 */
const IN_TRANSACTION = { "ForAnyValue:StringEquals": { "dynamodb:EnclosingOperation": "TransactWriteItems" } };

/** What a writer of the blocklist needs: read an entry, and write it only with its audit record. */
function writeWithAudit(tableArn: string, auditArn: string): PolicyStatement[] {
    return [
        { Sid: "ReadBlocklist", Effect: "Allow", Action: "dynamodb:GetItem", Resource: tableArn },
        {
            Sid: "WriteBlocklistWithAudit",
            Effect: "Allow",
            Action: "dynamodb:PutItem",
            Resource: [tableArn, auditArn],
            Condition: IN_TRANSACTION,
        },
    ];
}

/** The named query the detector runs. */
export const DETECTION_QUERY = "blocklist-candidates";

/** The detector's baked settings, from the stack's response settings. */
export function detectorSettings(settings: ResponseSettings): DetectorSettings {
    return {
        threshold: settings.threshold,
        lookbackMinutes: settings.lookbackMinutes,
        maxNewEntriesPerRun: settings.maxNewEntriesPerRun,
        timestampSlackMinutes: settings.timestampSlackMinutes,
        globalMinAccounts: settings.globalMinAccounts,
        trustedEvidenceAccounts: settings.trustedEvidenceAccounts,
        aggregatePrefixMinAddresses: settings.aggregatePrefixMinAddresses,
        queryName: DETECTION_QUERY,
        blockMinutes: settings.blockMinutes,
        maxBlockMinutes: settings.maxBlockMinutes,
        repeatWindowDays: settings.repeatWindowDays,
        allowlist: settings.allowlist,
    };
}

export function publisherSettings(settings: ResponseSettings): PublisherSettings {
    return {
        allowlist: settings.allowlist,
        concurrency: 4,
        assumeRoleTimeoutMs: 10_000,
        // The applier's own timeout (60 s) and a margin.
        applyTimeoutMs: (APPLIER_TIMEOUT_SEC + 10) * 1000,
    };
}

/** Every admitted account and Region, with the role the publisher assumes there. */
export function syncTargets(partition: string, accounts: readonly ResourceAccount[]): SyncTarget[] {
    return accounts.flatMap((a) =>
        a.regions.map((region) => ({
            accountId: a.accountId,
            region,
            roleArn: blocklistSyncRoleArn(partition, a.accountId, region),
            applierArn: blocklistApplierArn(partition, a.accountId, region),
        })),
    );
}

/**
 * Closes the loop from "attacker found" to "attacker blocked everywhere", in the logging account:
 * a detector that runs the burst query through Athena on a schedule and writes the central
 * blocklist (DynamoDB, TTL, point-in-time recovery, encrypted, every change audited), and a
 * publisher that, after each change and on a schedule, writes the whole active list into the WAF
 * IP sets of every admitted account and Region through a role each resource stack creates.
 */
export class ResponseLoop extends pulumi.ComponentResource {
    readonly table: aws.dynamodb.Table;
    readonly auditTable: aws.dynamodb.Table;
    /** The publisher's role; absent in mode off. */
    readonly publisherRole?: aws.iam.Role;
    readonly operatorPolicy: aws.iam.Policy;

    constructor(name: string, args: ResponseLoopArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:ResponseLoop", name, {}, opts);
        if (args.targets.length === 0) {
            throw new Error(`ResponseLoop ${name}: args.targets is empty; list the admitted accounts and Regions.`);
        }
        const parent = { parent: this };
        const arn = (service: string, resource: string) =>
            `arn:${args.partition}:${service}:${args.region}:${args.accountId}:${resource}`;

        // The store exists in every mode: switching to `off` must not need the tables' deletion
        // protection lifted, and the audit trail outlives any mode.
        [this.table, this.auditTable] = this.store(name);
        const tableArn = arn("dynamodb", `table/${BLOCKLIST_TABLE}`);
        const auditArn = arn("dynamodb", `table/${BLOCKLIST_AUDIT_TABLE}`);
        // Operators change the blocklist only through this function (none in mode off: read only).
        const operatorChanges =
            args.settings.mode === "off" ? undefined : this.operatorFunction(name, args, tableArn, auditArn);
        this.operatorPolicy = this.operator(
            name,
            tableArn,
            auditArn,
            operatorChanges && {
                fn: operatorChanges.fn,
                arn: arn("lambda", `function:${BLOCKLIST_OPERATOR_FUNCTION}`),
            },
        );

        if (args.settings.mode === "off") {
            this.registerOutputs({ tableName: this.table.name, auditTableName: this.auditTable.name });
            return;
        }

        // Runs that fail every try (detector, publisher, their schedules) are parked here.
        const failures = new aws.sqs.Queue(
            `${name}-publisher-failures`,
            { sqsManagedSseEnabled: true, messageRetentionSeconds: FAILURE_QUEUE_RETENTION_DAYS * 24 * 3600 },
            parent,
        );
        const detector = this.detector(name, args, tableArn, auditArn, failures);
        const targets = syncTargets(args.partition, args.targets);
        this.publisherRole = lambdaRole(`${name}-publisher-role`, args.accountId, this, {
            // Fixed: every resource stack's sync role trusts exactly this ARN.
            name: BLOCKLIST_PUBLISHER_FUNCTION,
            description: "Writes the central blocklist into the WAF IP sets of every admitted account and Region",
        });
        const publisher = inlineFunction(
            `${name}-publisher`,
            {
                functionName: BLOCKLIST_PUBLISHER_FUNCTION,
                description: "Syncs the central blocklist into every resource stack's WAF IP sets",
                role: this.publisherRole,
                statements: () =>
                    pulumi
                        .all([this.table.streamArn, failures.arn])
                        .apply(([streamArn, failuresArn]): PolicyStatement[] => [
                            { Sid: "ReadBlocklist", Effect: "Allow", Action: "dynamodb:Scan", Resource: tableArn },
                            {
                                Sid: "ReadChanges",
                                Effect: "Allow",
                                Action: [
                                    "dynamodb:DescribeStream",
                                    "dynamodb:GetRecords",
                                    "dynamodb:GetShardIterator",
                                    "dynamodb:ListStreams",
                                ],
                                Resource: streamArn,
                            },
                            {
                                Sid: "AssumeSyncRoles",
                                Effect: "Allow",
                                Action: "sts:AssumeRole",
                                Resource: targets.map((t) => t.roleArn),
                            },
                            {
                                Sid: "ParkFailedRuns",
                                Effect: "Allow",
                                Action: "sqs:SendMessage",
                                Resource: failuresArn,
                            },
                        ]),
                callbackFactory: publisherCallbackFactory(publisherSettings(args.settings), targets),
                packages: ["ipaddr.js"],
                environment: { [PUBLISHER_ENVIRONMENT.blocklistTable]: BLOCKLIST_TABLE },
                timeoutSec: 300,
                memoryMiB: 256,
                // One sync at a time: two would only fight over the IP sets' lock tokens.
                reservedConcurrency: 1,
            },
            this,
        );
        new aws.lambda.EventSourceMapping(
            `${name}-publisher-on-change`,
            {
                functionName: publisher.arn,
                eventSourceArn: this.table.streamArn,
                startingPosition: "LATEST",
                batchSize: 100,
                // Coalesces a detection run's writes into one sync.
                maximumBatchingWindowInSeconds: 5,
                maximumRetryAttempts: 2,
                destinationConfig: { onFailure: { destinationArn: failures.arn } },
            },
            parent,
        );
        for (const [fn, label] of [
            [detector, "detector"],
            [publisher, "publisher"],
        ] as const) {
            // A scheduled run that fails is not retried: the next run, minutes later, covers it.
            new aws.lambda.FunctionEventInvokeConfig(
                `${name}-${label}-async`,
                {
                    functionName: fn.name,
                    maximumRetryAttempts: 0,
                    destinationConfig: { onFailure: { destination: failures.arn } },
                },
                parent,
            );
        }
        this.schedules(name, args, { detector, publisher }, failures);

        this.alarms(name, args, { detector, publisher }, failures);
        this.registerOutputs({
            tableName: this.table.name,
            auditTableName: this.auditTable.name,
            publisherRoleArn: this.publisherRole.arn,
            operatorPolicyArn: this.operatorPolicy.arn,
            operatorUrl: operatorChanges!.url.functionUrl,
        });
    }

    /** The blocklist (one item per range, expiring by TTL) and its append-only audit trail. */
    private store(name: string): [aws.dynamodb.Table, aws.dynamodb.Table] {
        const parent = { parent: this };
        const common = {
            billingMode: "PAY_PER_REQUEST",
            // Expired entries are deleted by DynamoDB eventually; the code treats them as absent itself.
            ttl: { attributeName: "ttl", enabled: true },
            pointInTimeRecovery: { enabled: true },
            serverSideEncryption: { enabled: true },
            deletionProtectionEnabled: true,
        };
        const table = new aws.dynamodb.Table(
            `${name}-blocklist`,
            {
                ...common,
                name: BLOCKLIST_TABLE,
                hashKey: "cidr",
                attributes: [{ name: "cidr", type: "S" }],
                // Every change starts a sync; the publisher reads the whole table, so keys suffice.
                streamEnabled: true,
                streamViewType: "KEYS_ONLY",
            },
            parent,
        );
        const audit = new aws.dynamodb.Table(
            `${name}-audit`,
            {
                ...common,
                name: BLOCKLIST_AUDIT_TABLE,
                hashKey: "cidr",
                rangeKey: "sk",
                attributes: [
                    { name: "cidr", type: "S" },
                    { name: "sk", type: "S" },
                ],
            },
            parent,
        );
        return [table, audit];
    }

    /**
     * What `npm run blocklist` needs, for operators' roles to attach: read the tables, and change
     * an entry only through the operator function's URL (mode off: read only). No write on the
     * tables: a raw PutItem, even inside a transaction, could skip the checks or forge the audit.
     */
    private operator(
        name: string,
        tableArn: string,
        auditArn: string,
        operatorFunction?: { fn: aws.lambda.CallbackFunction<any, any>; arn: string },
    ): aws.iam.Policy {
        const operatorFunctionArn = operatorFunction?.arn;
        return new aws.iam.Policy(
            `${name}-operator`,
            {
                name: BLOCKLIST_OPERATOR_POLICY,
                description:
                    "What `npm run blocklist` needs: read the blocklist and its audit trail; change an entry only through the blocklist operator function's IAM-authenticated URL",
                policy: JSON.stringify(
                    policyDocument([
                        {
                            Sid: "ReadBlocklist",
                            Effect: "Allow",
                            Action: ["dynamodb:GetItem", "dynamodb:Scan"],
                            Resource: tableArn,
                        },
                        { Sid: "ReadAudit", Effect: "Allow", Action: "dynamodb:Query", Resource: auditArn },
                        ...(operatorFunctionArn
                            ? [
                                  // Where the CLI finds the URL.
                                  {
                                      Sid: "FindOperatorUrl",
                                      Effect: "Allow" as const,
                                      Action: "lambda:GetFunctionUrlConfig",
                                      Resource: operatorFunctionArn,
                                  },
                                  // Function URLs created since October 2025 need both actions ("Control
                                  // access to Lambda function URLs"); the conditions keep both to the
                                  // IAM-authenticated URL, where Lambda names the caller to the function.
                                  {
                                      Sid: "ChangeThroughOperatorUrl",
                                      Effect: "Allow" as const,
                                      Action: "lambda:InvokeFunctionUrl",
                                      Resource: operatorFunctionArn,
                                      Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
                                  },
                                  {
                                      Sid: "InvokeOnlyThroughUrl",
                                      Effect: "Allow" as const,
                                      Action: "lambda:InvokeFunction",
                                      Resource: operatorFunctionArn,
                                      Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
                                  },
                              ]
                            : []),
                    ]),
                ),
            },
            // It names the tables and the function by ARN.
            {
                parent: this,
                dependsOn: [this.table, this.auditTable, ...(operatorFunction ? [operatorFunction.fn] : [])],
            },
        );
    }

    /**
     * The operator function: the one writer of operators' changes, behind a function URL with
     * AWS_IAM auth. Its role may read an entry and write entries with audit records in one
     * transaction; the checks it runs are the ones the detector's entries pass too.
     */
    private operatorFunction(
        name: string,
        args: ResponseLoopArgs,
        tableArn: string,
        auditArn: string,
    ): { fn: aws.lambda.CallbackFunction<any, any>; url: aws.lambda.FunctionUrl } {
        const role = lambdaRole(`${name}-operator-role`, args.accountId, this, {
            description: "Applies operators' checked blocklist changes with their audit records",
        });
        const fn = inlineFunction(
            `${name}-operator-function`,
            {
                functionName: BLOCKLIST_OPERATOR_FUNCTION,
                description:
                    "Checks and applies an operator's blocklist change (npm run blocklist) with its audit record",
                role,
                after: [this.table, this.auditTable],
                statements: () => writeWithAudit(tableArn, auditArn),
                callbackFactory: operatorCallbackFactory({
                    tables: { blocklist: BLOCKLIST_TABLE, audit: BLOCKLIST_AUDIT_TABLE },
                    policy: {
                        blockMinutes: args.settings.blockMinutes,
                        maxBlockMinutes: args.settings.maxBlockMinutes,
                        repeatWindowDays: args.settings.repeatWindowDays,
                        allowlist: args.settings.allowlist,
                    },
                }),
                packages: ["ipaddr.js"],
                environment: {},
                timeoutSec: 30,
                memoryMiB: 256,
            },
            this,
        );
        const url = new aws.lambda.FunctionUrl(
            `${name}-operator-url`,
            { functionName: fn.name, authorizationType: "AWS_IAM" },
            { parent: this },
        );
        return { fn, url };
    }

    private detector(
        name: string,
        args: ResponseLoopArgs,
        tableArn: string,
        auditArn: string,
        failures: aws.sqs.Queue,
    ) {
        // A workgroup of its own: its scan cutoff is sized for detection runs (up to two hours of
        // every account's logs), without raising the cutoff of people's ad-hoc queries.
        const workgroup = new aws.athena.Workgroup(
            `${name}-detection-workgroup`,
            {
                name: DETECTION_WORKGROUP,
                description: "The blocklist detector's scheduled burst query",
                configuration: workgroupConfiguration({
                    bytesScannedCutoffMiB: args.settings.bytesScannedCutoffMiB,
                    outputLocation: pulumi.interpolate`s3://${args.resultsBucketName}/detection/`,
                    keyArn: args.keyArn,
                }),
            },
            { parent: this },
        );
        const role = lambdaRole(`${name}-detector-role`, args.accountId, this, {
            description: "Finds bursts through Athena and writes them to the central blocklist",
        });
        return inlineFunction(
            `${name}-detector`,
            {
                functionName: BLOCKLIST_DETECTOR_FUNCTION,
                description: "Finds client IPs over the burst threshold in every account and Region and blocks them",
                role,
                // Its policy and environment name the tables and the database; it queries the view.
                after: [this.table, this.auditTable, ...(args.analyticsReady ?? [])],
                statements: () =>
                    pulumi
                        .all([args.bucketArn, args.resultsBucketArn, args.keyArn, failures.arn])
                        .apply(([bucketArn, resultsBucketArn, keyArn, failuresArn]): PolicyStatement[] => [
                            ...athenaUserStatements({
                                ...args,
                                bucketArn,
                                resultsBucketArn,
                                keyArn,
                                access: "query",
                                workgroup: DETECTION_WORKGROUP,
                            }),
                            ...writeWithAudit(tableArn, auditArn),
                            // With prefix aggregation on, it looks for operators' releases inside
                            // a prefix: they are kept on the released ranges' own items.
                            ...(args.settings.aggregatePrefixMinAddresses
                                ? [
                                      {
                                          Sid: "FindReleases",
                                          Effect: "Allow" as const,
                                          Action: "dynamodb:Scan",
                                          Resource: tableArn,
                                      },
                                  ]
                                : []),
                            // Lambda's on-failure destination sends as the function's role.
                            {
                                Sid: "ParkFailedRuns",
                                Effect: "Allow",
                                Action: "sqs:SendMessage",
                                Resource: failuresArn,
                            },
                        ]),
                callbackFactory: detectorCallbackFactory(detectorSettings(args.settings), {
                    sql: namedQuery(DETECTION_QUERY).sql,
                    placeholders: namedQuery(DETECTION_QUERY).placeholders,
                }),
                packages: ["ipaddr.js"],
                environment: {
                    [DETECTOR_ENVIRONMENT.blocklistTable]: BLOCKLIST_TABLE,
                    [DETECTOR_ENVIRONMENT.auditTable]: BLOCKLIST_AUDIT_TABLE,
                    [DETECTOR_ENVIRONMENT.workgroup]: workgroup.name,
                    [DETECTOR_ENVIRONMENT.database]: ATHENA_DATABASE,
                },
                timeoutSec: 300,
                memoryMiB: 256,
                // Two detections at once would double-count the circuit breaker's budget.
                reservedConcurrency: 1,
            },
            this,
        );
    }

    /** Detection and periodic sync, started by EventBridge Scheduler in a group of their own. */
    private schedules(
        name: string,
        args: ResponseLoopArgs,
        functions: Record<"detector" | "publisher", aws.lambda.CallbackFunction<any, any>>,
        failures: aws.sqs.Queue,
    ): void {
        const parent = { parent: this };
        const group = new aws.scheduler.ScheduleGroup(`${name}-schedules`, { name: RESPONSE_SCHEDULE_GROUP }, parent);
        const groupArn = `arn:${args.partition}:scheduler:${args.region}:${args.accountId}:schedule-group/${RESPONSE_SCHEDULE_GROUP}`;
        const role = new aws.iam.Role(
            `${name}-scheduler-role`,
            {
                description: "EventBridge Scheduler starts the blocklist detector and publisher",
                assumeRolePolicy: JSON.stringify(
                    serviceTrustPolicy("scheduler.amazonaws.com", args.accountId, groupArn),
                ),
            },
            parent,
        );
        new aws.iam.RolePolicy(
            `${name}-scheduler-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([functions.detector.arn, functions.publisher.arn, failures.arn])
                    .apply(([detectorArn, publisherArn, failuresArn]) =>
                        JSON.stringify(
                            policyDocument([
                                {
                                    Sid: "StartRuns",
                                    Effect: "Allow",
                                    Action: "lambda:InvokeFunction",
                                    Resource: [detectorArn, publisherArn],
                                },
                                {
                                    Sid: "ParkFailedStarts",
                                    Effect: "Allow",
                                    Action: "sqs:SendMessage",
                                    Resource: failuresArn,
                                },
                            ]),
                        ),
                    ),
            },
            parent,
        );
        const schedule = (
            label: string,
            expression: string,
            fn: aws.lambda.CallbackFunction<any, any>,
            description: string,
        ) =>
            new aws.scheduler.Schedule(
                `${name}-${label}`,
                {
                    description,
                    groupName: group.name,
                    scheduleExpression: expression,
                    scheduleExpressionTimezone: "UTC",
                    flexibleTimeWindow: { mode: "OFF" },
                    target: {
                        arn: fn.arn,
                        roleArn: role.arn,
                        input: JSON.stringify({ source: `central-waf-logs ${label} schedule` }),
                        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 300 },
                        deadLetterConfig: { arn: failures.arn },
                    },
                },
                parent,
            );
        schedule(
            "detection",
            args.settings.detectionSchedule,
            functions.detector,
            "Finds bursts and blocks their client IPs",
        );
        schedule(
            "sync",
            args.settings.syncSchedule,
            functions.publisher,
            "Full sync of the blocklist into every IP set",
        );
    }

    /** The loop's failures, visible without reading logs. */
    private alarms(
        name: string,
        args: ResponseLoopArgs,
        functions: Record<"detector" | "publisher", aws.lambda.CallbackFunction<any, any>>,
        failures: aws.sqs.Queue,
    ): void {
        const parent = { parent: this };
        const actions = args.alarmActions ?? [];
        const alarm = (
            label: string,
            description: string,
            metric: Omit<
                aws.cloudwatch.MetricAlarmArgs,
                "comparisonOperator" | "evaluationPeriods" | "alarmDescription"
            > &
                Partial<Pick<aws.cloudwatch.MetricAlarmArgs, "comparisonOperator" | "evaluationPeriods">>,
        ) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-${label}-alarm`,
                {
                    name: `central-waf-logs-${label}`,
                    alarmDescription: description,
                    comparisonOperator: "GreaterThanOrEqualToThreshold",
                    evaluationPeriods: 1,
                    alarmActions: actions,
                    okActions: actions,
                    ...metric,
                },
                parent,
            );
        const custom = { namespace: METRICS_NAMESPACE, statistic: "Sum", period: 300 };
        alarm(
            "circuit-breaker",
            "The detector found more new attackers in one run than allowed and blocked none: check the threshold and the query, then add real attackers with npm run blocklist.",
            {
                ...custom,
                metricName: "CircuitBreakerTripped",
                threshold: 1,
                treatMissingData: "notBreaching",
            },
        );
        alarm(
            "blocklist-overflow",
            "More active blocklist ranges than a WAF IP set holds (10,000): the least recently seen are not enforced.",
            {
                ...custom,
                metricName: "BlocklistOverflow",
                statistic: "Maximum",
                threshold: 1,
                treatMissingData: "notBreaching",
            },
        );
        alarm(
            "blocklist-skipped",
            "The publisher left blocklist entries out of every IP set because AWS WAF would refuse them: its log names each; remove them with npm run blocklist.",
            {
                ...custom,
                metricName: "BlocklistEntriesSkipped",
                statistic: "Maximum",
                threshold: 1,
                treatMissingData: "notBreaching",
            },
        );
        alarm(
            "blocklist-sync-stopped",
            "The publisher has not completed a sync for 15 minutes: IP sets no longer follow the blocklist.",
            {
                ...custom,
                metricName: "BlocklistSyncRuns",
                period: 900,
                comparisonOperator: "LessThanThreshold",
                threshold: 1,
                treatMissingData: "breaching",
            },
        );
        for (const target of syncTargets(args.partition, args.targets)) {
            alarm(
                `blocklist-sync-${target.accountId}-${target.region}`,
                `The blocklist could not be written to ${target.accountId}/${target.region} for 10 minutes: is its resource stack deployed with this version?`,
                {
                    ...custom,
                    metricName: "BlocklistSyncFailures",
                    dimensions: { TargetAccount: target.accountId, TargetRegion: target.region },
                    evaluationPeriods: 2,
                    threshold: 1,
                    treatMissingData: "notBreaching",
                },
            );
        }
        for (const [label, fn] of Object.entries(functions)) {
            alarm(`blocklist-${label}-errors`, `The blocklist ${label} failed.`, {
                namespace: "AWS/Lambda",
                metricName: "Errors",
                dimensions: { FunctionName: fn.name },
                statistic: "Sum",
                period: 300,
                threshold: 1,
                treatMissingData: "notBreaching",
            });
        }
        queueDepthAlarm(
            `${name}-blocklist-failures-alarm`,
            {
                name: "central-waf-logs-blocklist-failures",
                description:
                    "Runs of the blocklist detector or publisher failed or could not start; see the failure queue.",
                queueName: failures.name,
                actions,
            },
            parent,
        );
    }
}
