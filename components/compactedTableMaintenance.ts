import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FAILURE_QUEUE_RETENTION_DAYS, PROJECT } from "../config";
import { ATHENA_COMPACTION_WORKGROUP, ATHENA_DATABASE, COMPACTED_TABLE, MAINTENANCE_SCHEDULE_GROUP } from "../names";
import { PolicyStatement, serviceTrustPolicy } from "./policyDocuments";
import { queueDepthAlarm } from "./queueAlarm";

export interface CompactedTableMaintenanceArgs {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    /** What running the statements takes (Athena, Glue, the compacted prefix, the key). */
    readonly statements: pulumi.Input<PolicyStatement[]>;
    /** Days a compacted day is kept: the central bucket's expiry of the raw logs. */
    readonly retentionDays: number;
    /** Told when a scheduled statement could not be started. Default: no one. */
    readonly alarmActions?: pulumi.Input<string>[];
    /** What must exist before the first run: the deploy-time DDL that creates the table, the workgroup. */
    readonly after?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The weekly maintenance of the compacted Iceberg table, the only way its files are retired (a
 * bucket lifecycle rule never touches them): rows older than the retention are deleted, the last
 * week's small files are bin-packed, and VACUUM expires snapshots older than the table's
 * `vacuum_max_snapshot_age_seconds` and removes the files only they referenced. One statement per
 * schedule (Scheduler's universal target starts one Athena query), an hour apart, Sundays in UTC.
 */
export class CompactedTableMaintenance extends pulumi.ComponentResource {
    constructor(name: string, args: CompactedTableMaintenanceArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:CompactedTableMaintenance", name, {}, opts);
        const parent = { parent: this };
        const deadLetters = new aws.sqs.Queue(
            `${name}-failures`,
            { sqsManagedSseEnabled: true, messageRetentionSeconds: FAILURE_QUEUE_RETENTION_DAYS * 24 * 3600 },
            parent,
        );
        queueDepthAlarm(
            `${name}-failures-alarm`,
            {
                name: `${PROJECT}-maintenance-failures`,
                description:
                    "EventBridge Scheduler could not start a maintenance statement of the compacted table after retries; it runs again next week (see the failure queue for which one).",
                queueName: deadLetters.name,
                actions: args.alarmActions,
            },
            parent,
        );
        const group = new aws.scheduler.ScheduleGroup(
            `${name}-schedules`,
            { name: MAINTENANCE_SCHEDULE_GROUP },
            parent,
        );
        const groupArn = `arn:${args.partition}:scheduler:${args.region}:${args.accountId}:schedule-group/${MAINTENANCE_SCHEDULE_GROUP}`;
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                assumeRolePolicy: JSON.stringify(
                    serviceTrustPolicy("scheduler.amazonaws.com", args.accountId, groupArn),
                ),
            },
            parent,
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi.all([args.statements, deadLetters.arn]).apply(([own, queueArn]) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            ...own,
                            { Sid: "ParkFailedStarts", Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArn },
                        ],
                    }),
                ),
            },
            parent,
        );
        for (const [suffix, hour, sql] of maintenanceStatements(args.retentionDays)) {
            new aws.scheduler.Schedule(
                `${name}-${suffix}`,
                {
                    description: `Weekly maintenance of ${COMPACTED_TABLE}: ${suffix}`,
                    groupName: group.name,
                    scheduleExpression: `cron(0 ${hour} ? * SUN *)`,
                    scheduleExpressionTimezone: "UTC",
                    flexibleTimeWindow: { mode: "OFF" },
                    target: {
                        arn: "arn:aws:scheduler:::aws-sdk:athena:startQueryExecution",
                        roleArn: role.arn,
                        input: JSON.stringify({
                            QueryString: sql,
                            // The compaction's workgroup: its role's statements grant it, and its scan
                            // cutoff is sized for rewriting days, not for a question.
                            WorkGroup: ATHENA_COMPACTION_WORKGROUP,
                            QueryExecutionContext: { Database: ATHENA_DATABASE },
                        }),
                        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
                        deadLetterConfig: { arn: deadLetters.arn },
                    },
                },
                // The role must be able to run it, and the table must exist, before the first run.
                { parent: this, dependsOn: [policy, ...(args.after ?? [])] },
            );
        }
        this.registerOutputs({ group: group.name });
    }
}

/**
 * The statements, in the order they run: `[name, UTC hour, SQL]`. No execution parameters (Athena
 * takes none for DELETE, OPTIMIZE or VACUUM): dates are computed in SQL. `hour` is `yyyy/MM/dd/HH`,
 * so comparing it with a `yyyy/MM/dd` day as text orders it by time.
 */
export function maintenanceStatements(retentionDays: number): [string, number, string][] {
    const daysAgo = (days: number) => `date_format(current_date - INTERVAL '${days}' DAY, '%Y/%m/%d')`;
    return [
        ["retention", 3, `DELETE FROM ${COMPACTED_TABLE} WHERE hour < ${daysAgo(retentionDays)}`],
        // Only the last week: a re-run compaction adds small files there; older days are settled.
        ["optimize", 4, `OPTIMIZE ${COMPACTED_TABLE} REWRITE DATA USING BIN_PACK WHERE hour >= ${daysAgo(8)}`],
        ["vacuum", 5, `VACUUM ${COMPACTED_TABLE}`],
    ];
}
