/**
 * Physical names that must be known across stacks before the resources exist: the logging
 * account's bucket and key policies admit copier roles by ARN while those roles are created
 * later, by the resource stacks. Both sides derive the names from here.
 */
import { PROJECT } from "./config";

/** IAM role of the copier Lambda in a resource account; one per Region. */
export function copierRoleName(region: string): string {
    return `${PROJECT}-copier-${region}`;
}

export function copierRoleArn(partition: string, accountId: string, region: string): string {
    return `arn:${partition}:iam::${accountId}:role/${copierRoleName(region)}`;
}

/** The Firehose delivery stream of a resource stack; WAF requires the aws-waf-logs- prefix. */
export function firehoseStreamName(region: string): string {
    return `aws-waf-logs-central-${region}`;
}

/** The copier Lambda; named like its role so an operator finds one from the other. */
export function copierFunctionName(region: string): string {
    return copierRoleName(region);
}

/** The OpenSearch master role: runs the bootstrap Lambda, assumable by the configured admins. */
export function searchMasterRoleName(): string {
    return `${PROJECT}-search-master`;
}

/** The loader Lambda's role; the domain access policy names it. */
export function searchLoaderRoleName(): string {
    return `${PROJECT}-search-loader`;
}

export const SEARCH_LOADER_FUNCTION = `${PROJECT}-search-loader`;
export const SEARCH_BOOTSTRAP_FUNCTION = `${PROJECT}-search-bootstrap`;

/** Glue database and Athena workgroup of the analytics path. */
export const ATHENA_DATABASE = "central_waf_logs";
export const ATHENA_WORKGROUP = `${PROJECT}`;
export const RAW_TABLE = "waf_logs_raw";
/** EventBridge Scheduler group of the analytics schedules; their role trusts this group only. */
export const ANALYTICS_SCHEDULE_GROUP = `${PROJECT}-analytics`;
export const ANALYTICS_DDL_FUNCTION = `${PROJECT}-analytics-ddl`;
export const QUICKSIGHT_DASHBOARD_FUNCTION = `${PROJECT}-quicksight-dashboard`;

/** Every CloudWatch alarm of this project starts with this, so EventBridge rules can match them. */
export const ALARM_NAME_PREFIX = `${PROJECT}-`;

/** The logging account's custom event bus that collects alarm state changes from every account and Region. */
export const ALERT_BUS_NAME = `${PROJECT}-alerts`;

/** The rule on each resource account's default bus that forwards alarm state changes to the alert bus. */
export const ALARM_FORWARDER_RULE = `${PROJECT}-alarm-forwarder`;

/** ARN of a resource account's forwarding rule (a default-bus rule); the alert bus admits exactly these. */
export function alarmForwarderRuleArn(partition: string, accountId: string, region: string): string {
    return `arn:${partition}:events:${region}:${accountId}:rule/${ALARM_FORWARDER_RULE}`;
}
