/**
 * The EventBridge side of alerting, as plain data: which CloudWatch alarm state changes are
 * forwarded and notified, and the message an operator reads. Resource stacks and the logging stack
 * build their rules from here, so both ends agree on what an alarm event of this project is.
 */
import { GLOBAL_LOCATION, wafHomeOf } from "../layout";
import { ALARM_NAME_PREFIX, copierFunctionName } from "../names";

/** An EventBridge event pattern (JSON object). */
export type EventPattern = Record<string, unknown>;

const ALARM_STATE_CHANGE = { source: ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"] };

/**
 * Into ALARM, or back to OK from ALARM. A new alarm goes from INSUFFICIENT_DATA to OK once it has
 * data: that is not news, and every deployment that adds alarms would otherwise mail everyone.
 */
const ALARM_OR_RECOVERY = {
    $or: [{ state: { value: ["ALARM"] } }, { state: { value: ["OK"] }, previousState: { value: ["ALARM"] } }],
};

/** The ARN of a CloudWatch alarm. */
export function alarmArn(partition: string, accountId: string, region: string, alarmName: string): string {
    return `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${alarmName}`;
}

/** ARNs of this project's alarms in one account and Region all start with this. */
export function alarmArnPrefix(partition: string, accountId: string, region: string): string {
    return alarmArn(partition, accountId, region, ALARM_NAME_PREFIX);
}

/**
 * The forwarding rule on a resource account's default bus: state changes of this project's alarms
 * in this account and Region (by ARN prefix, so another team's alarms never leave the account).
 * A `global` stack's rule shares us-east-1 with a possible resource-us-east-1 stack's, whose rule
 * forwards every alarm of the project there: it forwards only the alarms named for `global`
 * (its Firehose, copier and blocklist applier alarms), so they are not sent twice by it.
 */
export function forwardedAlarmsPattern(partition: string, accountId: string, location: string): EventPattern {
    const { region } = wafHomeOf(location);
    const prefixes =
        location === GLOBAL_LOCATION
            ? [
                  `${ALARM_NAME_PREFIX}firehose-${GLOBAL_LOCATION}-`,
                  copierFunctionName(GLOBAL_LOCATION),
                  // BlocklistEnforcement's alarms of the global applier.
                  `${ALARM_NAME_PREFIX}blocklist-refused-${GLOBAL_LOCATION}`,
                  `${ALARM_NAME_PREFIX}blocklist-applier-${GLOBAL_LOCATION}-`,
              ]
            : [ALARM_NAME_PREFIX];
    return {
        ...ALARM_STATE_CHANGE,
        resources: prefixes.map((name) => ({ prefix: alarmArn(partition, accountId, region, name) })),
        detail: ALARM_OR_RECOVERY,
    };
}

/**
 * The notification rule on the logging account's alert bus: the same state changes, and only from
 * the admitted accounts (the bus policy already refuses others; this keeps the rule honest too).
 */
export function notifiedAlarmsPattern(accountIds: readonly string[]): EventPattern {
    return {
        ...ALARM_STATE_CHANGE,
        account: [...accountIds],
        detail: { alarmName: [{ prefix: ALARM_NAME_PREFIX }], ...ALARM_OR_RECOVERY },
    };
}

/**
 * What the topic receives for a forwarded alarm: one line an operator can act on from a phone.
 * EventBridge does not escape the values it substitutes, so alarm descriptions of this project
 * never contain a double quote (a test checks).
 */
export const ALARM_MESSAGE = {
    inputPaths: {
        account: "$.account",
        region: "$.region",
        alarm: "$.detail.alarmName",
        state: "$.detail.state.value",
        previous: "$.detail.previousState.value",
        reason: "$.detail.state.reason",
        description: "$.detail.configuration.description",
        time: "$.time",
    },
    inputTemplate:
        '"<state>: <alarm> in account <account>, Region <region>, at <time> (was <previous>). <description> Reason: <reason>"',
} as const;

/**
 * Queries that Athena ran and failed, in this project's workgroups: the outcome of a query started
 * by a schedule (Scheduler only knows it started) reaches the alert topic through this rule on the
 * logging account's default bus (Athena User Guide, "Monitor Athena queries with EventBridge").
 */
export function failedAthenaQueriesPattern(workgroups: readonly string[]): EventPattern {
    return {
        source: ["aws.athena"],
        "detail-type": ["Athena Query State Change"],
        detail: { currentState: ["FAILED"], workgroupName: [...workgroups] },
    };
}

/** What the topic receives for a failed query: where, which, and how to read Athena's reason. */
export const ATHENA_FAILURE_MESSAGE = {
    inputPaths: {
        account: "$.account",
        region: "$.region",
        time: "$.time",
        workgroup: "$.detail.workgroupName",
        query: "$.detail.queryExecutionId",
        statement: "$.detail.statementType",
    },
    inputTemplate:
        '"FAILED: Athena query <query> (<statement>) in workgroup <workgroup>, account <account>, Region <region>, at <time>. Reason: aws athena get-query-execution --query-execution-id <query>"',
} as const;
