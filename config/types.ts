/** The typed stack configuration, its defaults, and the error every validation problem raises. */

export const PROJECT = "central-waf-logs";

export type StackRole = "logging" | "resource";

/** One application account and the Regions whose WAF logs it may ship to the central bucket. */
export interface ResourceAccount {
    readonly accountId: string;
    readonly regions: readonly string[];
}

/** Lifecycle of the central bucket, in days after an object is written. */
export interface CentralBucketSettings {
    /** Move to S3 Standard-IA. Default 30 (the S3 minimum for this transition). */
    readonly infrequentAccessAfterDays: number;
    /**
     * Move raw logs to S3 Glacier Instant Retrieval, which Athena reads like Standard (it skips
     * Glacier Flexible Retrieval and Deep Archive). At least infrequentAccessAfterDays + 30. Default 90.
     */
    readonly glacierAfterDays: number;
    /** Delete raw logs; also the compacted table's retention. Default 400 (13 months, so a year-on-year comparison is possible). */
    readonly expireAfterDays: number;
    /**
     * S3 Object Lock mode of every object version: `GOVERNANCE` (users granted
     * s3:BypassGovernanceRetention can still delete, e.g. to honour an erasure request) or
     * `COMPLIANCE` (no one, the root user included, can delete or shorten it). Default GOVERNANCE.
     */
    readonly objectLockMode: "GOVERNANCE" | "COMPLIANCE";
    /** Days every object version is locked after it is written; at most expireAfterDays. Default 90 (or expireAfterDays if shorter). */
    readonly objectLockRetentionDays: number;
    /**
     * The break-glass role: besides the deployment role (`deploymentRoleArn`), the only principal
     * the bucket policy lets bypass governance retention, delete object versions or change the
     * bucket's policy, lifecycle, versioning or Object Lock configuration, and the only one the key
     * policy lets disable the key or schedule its deletion. Default: none (then only the deployer
     * may change the bucket, and no one may disable or delete the key).
     */
    readonly breakGlassRoleArn?: string;
}

interface CommonConfig {
    readonly stack: string;
    /** The AWS account every resource of this stack lives in; pinned on the provider. */
    readonly accountId: string;
    readonly region: string;
    /** `aws`, `aws-cn` or `aws-us-gov`, derived from the Region. */
    readonly partition: string;
    /** Optional role the provider assumes to deploy (cross-account CI). */
    readonly deploymentRoleArn?: string;
}

/** The OpenSearch domain, its network, and the loader that feeds it. */
export interface SearchSettings {
    /** Domain name, 3-28 lowercase letters, digits and hyphens. Default `central-waf-logs`. */
    readonly domainName: string;
    /** `OpenSearch_2.<minor>`. Default `OpenSearch_2.19`. */
    readonly engineVersion: string;
    /** Data node type. Default `r7g.large.search`. */
    readonly instanceType: string;
    /** Data nodes; zone awareness is on when more than one. Default 2. */
    readonly instanceCount: number;
    /** gp3 volume per node, GiB. Default 100. */
    readonly volumeSizeGiB: number;
    /** Zones of the VPC the stack creates (and of zone awareness). Default 2. */
    readonly availabilityZones: number;
    /** Existing private subnets to use instead of creating a VPC (with securityGroupIds). */
    readonly subnetIds?: readonly string[];
    /** Existing security groups for the domain and its Lambdas (with subnetIds). */
    readonly securityGroupIds?: readonly string[];
    /** IAM roles that may assume the domain's master role (operators, break-glass). Required. */
    readonly adminRoleArns: readonly string[];
    /** Days an index is kept before the ISM policy deletes it. Default 30. */
    readonly retentionDays: number;
    /** Daily indices are `<indexPrefix>-YYYY.MM.DD`. Default `waf-logs`. */
    readonly indexPrefix: string;
    /** Upper bound of one bulk request, bytes. Default 5 MiB. */
    readonly bulkMaxBytes: number;
}

/** Glue, Athena, compaction and the optional QuickSight dashboard. */
export interface AnalyticsSettings {
    /** Athena refuses a query past this many MiB scanned. Default 10240 (10 GiB). */
    readonly bytesScannedCutoffMiB: number;
    /** Days Athena query results are kept. Default 30. */
    readonly resultsExpireAfterDays: number;
    /** First hour the partition projection covers, `yyyy/MM/dd/HH`. Default `2024/01/01/00`. */
    readonly projectionStartHour: string;
    /** EventBridge Scheduler expression for the daily compaction (UTC). Default `cron(30 1 * * ? *)`. */
    readonly compactionSchedule: string;
    /**
     * Scan cutoff of the compaction's own workgroup, MiB: a whole day of every account and Region
     * is read at once, so it is sized for a day rather than a question. Default 1048576 (1 TiB).
     */
    readonly compactionBytesScannedCutoffMiB: number;
    /** QuickSight user or group ARN that owns the optional dashboard. Default: no QuickSight. */
    readonly quickSightPrincipalArn?: string;
}

/** What the response loop does with attackers it finds: nothing, count them in WAF, or block them. */
export type ResponseMode = "off" | "count" | "block";

/** Central detection of bursts and their blocking in every account and Region. */
export interface ResponseSettings {
    /**
     * `off` (nothing deployed), `count` (a dry run: the WAF rule counts and labels matching
     * requests) or `block`. Default `count`, so a new installation proves itself before it blocks.
     */
    readonly mode: ResponseMode;
    /** Requests from one client IP in any 5-minute window above which it is blocked. Default 1000. */
    readonly threshold: number;
    /** EventBridge Scheduler expression of the detection runs. Default `rate(5 minutes)`. */
    readonly detectionSchedule: string;
    /** Each run searches 5-minute windows starting this many minutes ago or later. Default 15. */
    readonly lookbackMinutes: number;
    /** Expression of the periodic full sync of the IP sets (besides the sync after each change). Default `rate(5 minutes)`. */
    readonly syncSchedule: string;
    /** Minutes of a first block. Default 240. */
    readonly blockMinutes: number;
    /** A repeat offender's block doubles each time, up to this many minutes. Default 10080 (7 days). */
    readonly maxBlockMinutes: number;
    /** Days a range's history is kept, so a return within them counts as a repeat. Default 30. */
    readonly repeatWindowDays: number;
    /** CIDR ranges never blocked: own NAT gateways, partners, health checkers. Default none. */
    readonly allowlist: readonly string[];
    /** More new entries than this in one detection run trips the circuit breaker. Default 50. */
    readonly maxNewEntriesPerRun: number;
    /**
     * A detection is blocked in every admitted account and Region only when at least this many
     * distinct accounts each saw it over `threshold / globalMinAccounts` requests in 5 minutes (or a
     * trusted account did); otherwise only where its evidence came from. 1: any one account's logs
     * decide for every account. Default 2.
     */
    readonly globalMinAccounts: number;
    /** Accounts whose evidence alone makes a block global (a central edge or CDN account). Default none. */
    readonly trustedEvidenceAccounts: readonly string[];
    /**
     * Minutes a record's own timestamp may lie outside the hour of its partition (Firehose
     * buffering) and still count in detection. Default 15.
     */
    readonly timestampSlackMinutes: number;
    /**
     * Athena refuses a detection query past this many MiB scanned (the detection workgroup's
     * cutoff). A run reads the current hour of every account and Region, and the previous hour
     * too while the lookback reaches into it. Default 51200 (50 GiB).
     */
    readonly bytesScannedCutoffMiB: number;
    /**
     * At least this many candidates of one detection run in one IPv4 /24 or IPv6 /64, with nothing
     * allowlisted inside, are blocked as one prefix entry (one new entry against
     * `maxNewEntriesPerRun`). 0: off, each address on its own. Default 0: a prefix blocks innocent
     * neighbours too (carrier NAT, cloud tenants).
     */
    readonly aggregatePrefixMinAddresses: number;
}

/** An alert-topic subscription other than e-mail. */
export interface AlertSubscription {
    readonly protocol: "https" | "sqs" | "lambda";
    /** An https:// URL, an SQS queue ARN or a Lambda function ARN. */
    readonly endpoint: string;
}

/** Who hears the alarms (one SNS topic in the logging account) and when the logging stack's alarms fire. */
export interface LoggingAlertSettings {
    /** E-mail addresses subscribed to the alert topic; each confirms by the link SNS mails it. Default none. */
    readonly emails: readonly string[];
    /** https endpoints, SQS queues and Lambda functions subscribed to the topic. Default none; emails and subscriptions together need at least one entry. */
    readonly subscriptions: readonly AlertSubscription[];
    /**
     * N: minutes without a record indexed from an admitted account and Region before its silence
     * alarm fires. 15 to 1440 in steps of 5 (five-minute periods), or up to 10080 (7 days) in whole
     * hours (hourly periods): CloudWatch evaluates at most one day of sub-hour periods and seven days
     * in all. Default 60.
     */
    readonly silenceMinutes: number;
    /** Loader invocation errors within 5 minutes that raise its alarm. Default 5. */
    readonly loaderErrors: number;
    /** Lines of one account and Region parked (not indexed) within 5 minutes above which the data-quality alarm fires. Default 100. */
    readonly parkedLines: number;
}

export interface LoggingStackConfig extends CommonConfig {
    readonly role: "logging";
    readonly resourceAccounts: readonly ResourceAccount[];
    readonly centralBucket: CentralBucketSettings;
    readonly search: SearchSettings;
    readonly analytics: AnalyticsSettings;
    readonly response: ResponseSettings;
    readonly alerts: LoggingAlertSettings;
}

/** The web ACL of a resource stack. */
export interface WafSettings {
    /** AWS managed rule groups, in priority order. Default: common rule set, known bad inputs, IP reputation. */
    readonly managedRuleGroups: readonly string[];
    /** Requests per client IP per evaluation window before the rate-based rule blocks. Default 2000. */
    readonly rateLimit: number;
    /** Rate-based rule window in seconds: 60, 120, 300 or 600. Default 300. */
    readonly rateEvaluationWindowSec: number;
    /** Header names redacted from the logs. Default: authorization, cookie. */
    readonly redactedHeaders: readonly string[];
    /** Log only requests with these actions (ALLOW, BLOCK, COUNT, CAPTCHA, CHALLENGE). Default: log all. */
    readonly logActions?: readonly string[];
}

/** Firehose buffering: an object is written when either limit is reached. */
export interface FirehoseSettings {
    /** 1-128 MiB. Default 5. */
    readonly bufferSizeMiB: number;
    /** 0-900 seconds. Default 60, so logs reach the central bucket within about a minute. */
    readonly bufferIntervalSec: number;
}

/**
 * The web ACL the stack creates, if any: one for existing Regional resources (load balancers, API
 * Gateway stages, ...), one for a demo ALB the stack creates, or none (the stack only logs the
 * web ACLs it adopts).
 */
export type Protection =
    | { readonly kind: "resources"; readonly resourceArns: readonly string[] }
    | { readonly kind: "demoApplication" }
    | { readonly kind: "none" };

/** A web ACL someone else owns (an application team, Firewall Manager) whose logs the stack ships. */
export interface ExistingWebAcl {
    readonly arn: string;
    /**
     * WAF keeps one logging configuration per web ACL: when the web ACL already logs elsewhere, the
     * deployment stops unless this is true, and then the stack's configuration replaces it. Default false.
     */
    readonly replaceLoggingConfiguration: boolean;
}

export interface ResourceStackConfig extends CommonConfig {
    readonly role: "resource";
    /** Fully qualified name of the logging stack, `<org>/<project>/<stack>`. */
    readonly loggingStack: string;
    /**
     * The Region name of this stack in stack names, in the logging stack's `resourceAccounts` and
     * in the central layout: the AWS Region, or `global` for the account's CloudFront web ACLs
     * (whose resources live in us-east-1, the stack's `region`).
     */
    readonly location: string;
    /** WAF scope of the stack's web ACLs, IP sets and rule group: CLOUDFRONT for `global`, else REGIONAL. */
    readonly scope: "REGIONAL" | "CLOUDFRONT";
    readonly protection: Protection;
    /** Existing web ACLs of this account and location whose logging the stack turns on. Default none. */
    readonly existingWebAcls: readonly ExistingWebAcl[];
    readonly waf: WafSettings;
    readonly firehose: FirehoseSettings;
    /** Days the regional staging bucket keeps delivered objects. Default 7. */
    readonly stagingExpireAfterDays: number;
    readonly alerts: ResourceAlertSettings;
    /** This account's own limits on what the central blocklist may write into its IP sets. */
    readonly response: ResourceResponseSettings;
}

/**
 * The resource account's last word on its blocklist IP sets (resource stack `response`): its
 * applier refuses what breaks these limits, whatever the logging account sends.
 */
export interface ResourceResponseSettings {
    /** Broadest IPv4 prefix length accepted (a shorter prefix is refused). Default 24. */
    readonly maxPrefixIpv4: number;
    /** Broadest IPv6 prefix length accepted. Default 48. */
    readonly maxPrefixIpv6: number;
    /** Ranges this account never lets into its IP sets (own NATs, partners, health checkers). Default none. */
    readonly allowlist: readonly string[];
}

export const DEFAULT_RESOURCE_RESPONSE: ResourceResponseSettings = {
    maxPrefixIpv4: 24,
    maxPrefixIpv6: 48,
    allowlist: [],
};

/** When a resource stack's own alarms fire; their state changes are forwarded to the logging account. */
export interface ResourceAlertSettings {
    /**
     * Age, in seconds, of the oldest record Firehose has not delivered above which the stream's
     * alarm fires. Must exceed firehose.bufferIntervalSec (records wait that long by design).
     * Default firehose.bufferIntervalSec + 900: a quarter of an hour late.
     */
    readonly firehoseFreshnessSeconds: number;
    /** Copier invocation errors within 5 minutes that raise its alarm. Default 5. */
    readonly copierErrors: number;
}

export type StackConfig = LoggingStackConfig | ResourceStackConfig;

/** Raised for invalid stack configuration; its message lists every problem found. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(problems.join("\n"));
        this.name = "ConfigError";
    }
}

export const DEFAULT_CENTRAL_BUCKET: CentralBucketSettings = {
    infrequentAccessAfterDays: 30,
    glacierAfterDays: 90,
    expireAfterDays: 400,
    objectLockMode: "GOVERNANCE",
    objectLockRetentionDays: 90,
};

export const DEFAULT_WAF: WafSettings = {
    managedRuleGroups: [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ],
    rateLimit: 2000,
    rateEvaluationWindowSec: 300,
    redactedHeaders: ["authorization", "cookie"],
};

export const DEFAULT_FIREHOSE: FirehoseSettings = { bufferSizeMiB: 5, bufferIntervalSec: 60 };
/** Days a failure queue keeps a failed event (SQS's maximum), waiting for `npm run replay`. */
export const FAILURE_QUEUE_RETENTION_DAYS = 14;
/**
 * A delivered object stays readable (not expired, not in Glacier) a day longer than its failed
 * event's message waits in a failure queue, so a replay finds what it must copy or load.
 */
export const MIN_REPLAYABLE_DAYS = FAILURE_QUEUE_RETENTION_DAYS + 1;
export const DEFAULT_STAGING_EXPIRE_AFTER_DAYS = MIN_REPLAYABLE_DAYS;
/**
 * Days a raw central object must outlive its write so compaction has taken it before it expires:
 * its day is compacted the next day, a compaction that could not start waits in its failure queue
 * for a re-run, and one day of margin.
 */
export const MIN_RAW_EXPIRE_DAYS = 1 + FAILURE_QUEUE_RETENTION_DAYS + 1;
/** S3 keeps an object in Standard-IA at least this many days before a lifecycle rule moves it on. */
export const MIN_DAYS_IN_STANDARD_IA = 30;

export const DEFAULT_SEARCH: SearchSettings = {
    domainName: "central-waf-logs",
    engineVersion: "OpenSearch_2.19",
    instanceType: "r7g.large.search",
    instanceCount: 2,
    volumeSizeGiB: 100,
    availabilityZones: 2,
    adminRoleArns: [],
    retentionDays: 30,
    indexPrefix: "waf-logs",
    bulkMaxBytes: 5 * 1024 * 1024,
};

export const DEFAULT_RESPONSE: ResponseSettings = {
    mode: "count",
    threshold: 1000,
    detectionSchedule: "rate(5 minutes)",
    lookbackMinutes: 15,
    syncSchedule: "rate(5 minutes)",
    blockMinutes: 240,
    maxBlockMinutes: 10_080,
    repeatWindowDays: 30,
    allowlist: [],
    maxNewEntriesPerRun: 50,
    globalMinAccounts: 2,
    trustedEvidenceAccounts: [],
    timestampSlackMinutes: 15,
    bytesScannedCutoffMiB: 51_200,
    aggregatePrefixMinAddresses: 0,
};

export const DEFAULT_ANALYTICS: AnalyticsSettings = {
    bytesScannedCutoffMiB: 10_240,
    resultsExpireAfterDays: 30,
    projectionStartHour: "2024/01/01/00",
    compactionSchedule: "cron(30 1 * * ? *)",
    compactionBytesScannedCutoffMiB: 1_048_576,
};

export const DEFAULT_LOGGING_ALERTS: LoggingAlertSettings = {
    emails: [],
    subscriptions: [],
    silenceMinutes: 60,
    loaderErrors: 5,
    parkedLines: 100,
};

/** Default copier errors threshold; the Firehose freshness default follows the stack's buffer interval. */
export const DEFAULT_COPIER_ERRORS = 5;
/** How late (beyond its buffer interval) Firehose may be before its freshness alarm fires by default. */
export const FRESHNESS_MARGIN_SECONDS = 900;
