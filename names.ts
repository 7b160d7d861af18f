/**
 * Physical names that must be known across stacks before the resources exist: the logging
 * account's bucket and key policies admit copier roles by ARN while those roles are created
 * later, by the resource stacks. Both sides derive the names from here.
 */
import { PROJECT } from "./config";
import { GLOBAL_LOCATION, wafHomeOf } from "./layout";

/** IAM role of the copier Lambda in a resource account; one per Region. */
export function copierRoleName(region: string): string {
    return `${PROJECT}-copier-${region}`;
}

export function copierRoleArn(partition: string, accountId: string, region: string): string {
    return `arn:${partition}:iam::${accountId}:role/${copierRoleName(region)}`;
}

/** The Firehose delivery stream of a resource stack; WAF requires the aws-waf-logs- prefix. */
export function firehoseStreamName(region: string): string {
    return `${PLATFORM_STREAM_PREFIX}${region}`;
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
/** The daily compaction's workgroup: its scan cutoff is sized for a day, not for a question. */
export const ATHENA_COMPACTION_WORKGROUP = `${PROJECT}-compaction`;
/** The blocklist detector's own workgroup, with a scan cutoff sized for detection runs. */
export const DETECTION_WORKGROUP = `${PROJECT}-detection`;
export const RAW_TABLE = "waf_logs_raw";
/** EventBridge Scheduler group of the analytics schedules; their role trusts this group only. */
export const ANALYTICS_SCHEDULE_GROUP = `${PROJECT}-analytics`;
/** The compacted (Iceberg) table the view reads for compacted days. */
export const COMPACTED_TABLE = "waf_logs_compacted";
/** Schedule group of the compacted table's weekly maintenance, apart from the daily compaction. */
export const MAINTENANCE_SCHEDULE_GROUP = `${PROJECT}-maintenance`;
export const ANALYTICS_DDL_FUNCTION = `${PROJECT}-analytics-ddl`;
export const ANALYTICS_COMPACTION_FUNCTION = `${PROJECT}-analytics-compaction`;
export const QUICKSIGHT_DASHBOARD_FUNCTION = `${PROJECT}-quicksight-dashboard`;

/** The response loop, in the logging account: the blocklist tables and the two Lambdas. */
export const BLOCKLIST_TABLE = `${PROJECT}-blocklist`;
export const BLOCKLIST_AUDIT_TABLE = `${PROJECT}-blocklist-audit`;
export const BLOCKLIST_DETECTOR_FUNCTION = `${PROJECT}-blocklist-detector`;
export const BLOCKLIST_PUBLISHER_FUNCTION = `${PROJECT}-blocklist-publisher`;
export const BLOCKLIST_OPERATOR_POLICY = `${PROJECT}-blocklist-operator`;
/** The Lambda behind the function URL through which operators change the blocklist. */
export const BLOCKLIST_OPERATOR_FUNCTION = `${PROJECT}-blocklist-operator`;
/** EventBridge Scheduler group of the detection and sync schedules. */
export const RESPONSE_SCHEDULE_GROUP = `${PROJECT}-response`;

/** The publisher's role: every resource stack's sync role trusts exactly this ARN. */
export function blocklistPublisherRoleArn(partition: string, loggingAccountId: string): string {
    return `arn:${partition}:iam::${loggingAccountId}:role/${BLOCKLIST_PUBLISHER_FUNCTION}`;
}

/** The role the publisher assumes in a resource account to update that Region's IP sets. */
export function blocklistSyncRoleName(region: string): string {
    return `${PROJECT}-blocklist-sync-${region}`;
}

export function blocklistSyncRoleArn(partition: string, accountId: string, region: string): string {
    return `arn:${partition}:iam::${accountId}:role/${blocklistSyncRoleName(region)}`;
}

/**
 * The applier Lambda (and its role) in a resource account: the only writer of that location's
 * blocklist IP sets. Named by location, so a `global` stack's applier (in us-east-1, writing the
 * CLOUDFRONT sets) stands beside a resource-us-east-1 stack's.
 */
export function blocklistApplierName(location: string): string {
    return `${PROJECT}-blocklist-applier-${location}`;
}

/** The applier's ARN: in the location's AWS Region (us-east-1 for `global`). */
export function blocklistApplierArn(partition: string, accountId: string, location: string): string {
    const { region } = wafHomeOf(location);
    return `arn:${partition}:lambda:${region}:${accountId}:function:${blocklistApplierName(location)}`;
}

/** The IP sets every resource stack creates (REGIONAL, or CLOUDFRONT in a global stack) and its applier fills. */
export const BLOCKLIST_IP_SETS = { ipv4: `${PROJECT}-blocklist-ipv4`, ipv6: `${PROJECT}-blocklist-ipv6` } as const;
/** The label the blocklist rule adds to matching requests (visible in the WAF logs). */
export const BLOCKLIST_LABEL = `${PROJECT}:blocklisted`;
/** Every CloudWatch alarm of this project starts with this, so EventBridge rules can match them. */
export const ALARM_NAME_PREFIX = `${PROJECT}-`;

/** The logging account's custom event bus that collects alarm state changes from every account and Region. */
export const ALERT_BUS_NAME = `${PROJECT}-alerts`;

/** The rule on each resource account's default bus that forwards alarm state changes to the alert bus. */
export const ALARM_FORWARDER_RULE = `${PROJECT}-alarm-forwarder`;

/**
 * The forwarding rule of one location. A `global` stack's rule lives in us-east-1 beside a
 * possible resource-us-east-1 stack's, so it gets a name of its own.
 */
export function alarmForwarderRuleName(location: string): string {
    return location === GLOBAL_LOCATION ? `${ALARM_FORWARDER_RULE}-${GLOBAL_LOCATION}` : ALARM_FORWARDER_RULE;
}

/** ARN of a resource account's forwarding rule (a default-bus rule); the alert bus admits exactly these. */
export function alarmForwarderRuleArn(partition: string, accountId: string, location: string): string {
    const { region } = wafHomeOf(location);
    return `arn:${partition}:events:${region}:${accountId}:rule/${alarmForwarderRuleName(location)}`;
}

/**
 * Coverage: the logging account's scan of every web ACL in every admitted account and Region.
 * The scan runs as this function, under a role of the same name; each resource stack's read-only
 * inventory role trusts exactly that role.
 */
export const COVERAGE_FUNCTION = `${PROJECT}-coverage`;

export function coverageScannerRoleArn(partition: string, loggingAccountId: string): string {
    return `arn:${partition}:iam::${loggingAccountId}:role/${COVERAGE_FUNCTION}`;
}

/** The read-only role the coverage scan assumes in a resource account for one Region. */
export function coverageRoleName(region: string): string {
    return `${PROJECT}-coverage-${region}`;
}

export function coverageRoleArn(partition: string, accountId: string, region: string): string {
    return `arn:${partition}:iam::${accountId}:role/${coverageRoleName(region)}`;
}

/** The web ACL rule that enforces the central blocklist (the IP sets above). */
export const BLOCKLIST_RULE_NAME = "central-blocklist";
/**
 * How the coverage scan recognizes the platform's blocklist in a web ACL it did not create: a
 * rule-group reference whose rule group's name starts with this (one rule group per resource
 * stack, named `<prefix>...`), or an IP set reference to one of BLOCKLIST_IP_SETS.
 */
export const BLOCKLIST_RULE_GROUP_PREFIX = `${PROJECT}-blocklist`;
/**
 * The WAF rule group of each resource stack holding the blocklist rules, for web ACLs the platform
 * does not own: their owners (or Firewall Manager) reference it first in their web ACLs. The
 * coverage scan recognizes it by BLOCKLIST_RULE_GROUP_PREFIX.
 */
export const BLOCKLIST_RULE_GROUP = BLOCKLIST_RULE_GROUP_PREFIX;
/** Every platform Firehose stream's name starts with this (see firehoseStreamName). */
export const PLATFORM_STREAM_PREFIX = "aws-waf-logs-central-";
