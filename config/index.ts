/**
 * The stack's configuration: read once (in index.ts), validated here, and handed to the stack
 * builders as a typed object. Components never read config.
 *
 * Every error names the full config key and says how to fix it, so a typo in a stack file fails
 * `pulumi preview` with a sentence a platform engineer can act on.
 */
import { ALLOWLIST_NARROWEST_PREFIX, BLOCK_NARROWEST_PREFIX, parseRange } from "../handlers/ipRange";
import { GLOBAL_LOCATION, wafHomeOf } from "../layout";
import { ConfigReader, isAccountId, isRegion } from "./reader";
import { isArnProblem, parseProtectedArn, parseWebAclArn } from "./wafArns";
import { rateMinutes, scheduleProblem } from "./schedule";
import {
    AlertSubscription,
    AnalyticsSettings,
    CentralBucketSettings,
    ConfigError,
    DEFAULT_ANALYTICS,
    DEFAULT_CENTRAL_BUCKET,
    DEFAULT_COPIER_ERRORS,
    DEFAULT_FIREHOSE,
    DEFAULT_LOGGING_ALERTS,
    DEFAULT_RESOURCE_RESPONSE,
    DEFAULT_RESPONSE,
    DEFAULT_SEARCH,
    DEFAULT_STAGING_EXPIRE_AFTER_DAYS,
    FAILURE_QUEUE_RETENTION_DAYS,
    MIN_REPLAYABLE_DAYS,
    MIN_DAYS_IN_STANDARD_IA,
    DEFAULT_WAF,
    ExistingWebAcl,
    PROJECT,
    FirehoseSettings,
    FRESHNESS_MARGIN_SECONDS,
    LoggingAlertSettings,
    Protection,
    ResourceAlertSettings,
    ResourceAccount,
    ResourceResponseSettings,
    ResourceStackConfig,
    ResponseSettings,
    SearchSettings,
    StackConfig,
    StackRole,
    WafSettings,
} from "./types";

export * from "./types";
export { isAccountId, isRegion };

const WAF_ACTIONS = ["ALLOW", "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE"];

const COMMON_KEYS = ["role", "accountId", "region", "deploymentRoleArn"];
const KEYS_BY_ROLE: Record<StackRole, readonly string[]> = {
    logging: [...COMMON_KEYS, "resourceAccounts", "centralBucket", "search", "analytics", "response", "alerts"],
    resource: [
        ...COMMON_KEYS,
        "loggingStack",
        "protectedResourceArns",
        "loadBalancerArns",
        "existingWebAcls",
        "demoApplication",
        "waf",
        "firehose",
        "stagingExpireAfterDays",
        "alerts",
        "response",
    ],
};

const EMAIL = /^[^\s@"<>]+@[^\s@"<>]+\.[^\s@"<>]+$/;

/** What each alert-subscription protocol's endpoint must look like. */
const SUBSCRIPTION_ENDPOINTS: Record<AlertSubscription["protocol"], { pattern: RegExp; what: string; fix: string }> = {
    https: {
        pattern: /^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/\S*)?$/,
        what: "an https URL",
        fix: "use an https:// URL (SNS would send alerts over plain http in clear text)",
    },
    sqs: {
        pattern: /^arn:aws(-cn|-us-gov)?:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/,
        what: "an SQS queue ARN",
        fix: "use arn:aws:sqs:<region>:<account-id>:<queue-name>",
    },
    lambda: {
        pattern: /^arn:aws(-cn|-us-gov)?:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$/,
        what: "a Lambda function ARN",
        fix: "use arn:aws:lambda:<region>:<account-id>:function:<name>",
    },
};
const MIB = 1024 * 1024;
/**
 * Medium and large instance types whose documented HTTP payload limit is 100 MiB (Amazon
 * OpenSearch Service quotas, "Network quotas"); the other documented medium and large types
 * (t2, t3, m3, m4, m5, m6g, c4, c5, c6g, r3, or1.medium, om2.large) allow 10 MiB.
 */
const LARGE_PAYLOAD_SMALL_TYPES = new Set(
    [
        "r4.large r5.large r6g.large r6gd.large i3.large im4gn.large i4i.large i4g.large i8g.large i7i.large",
        "c7i.large m7i.large r7i.large c8g.large m8g.medium m8g.large r8g.medium r8g.large r8gd.medium r8gd.large",
        "or1.large or2.medium or2.large oi2.large",
    ]
        .join(" ")
        .split(" "),
);

/**
 * The largest HTTP request an OpenSearch Service domain of this instance type accepts, bytes: 100
 * MiB for every xlarge and larger type and the documented exceptions above, 10 MiB otherwise. A
 * type missing from the documented table (r7g.large, for one) gets the limit of its size class,
 * and 10 MiB when that class is medium or large: a smaller cap costs a few more requests, a
 * larger one than the domain allows costs a 413 on every batch.
 */
export function searchPayloadLimitBytes(instanceType: string): number {
    const [family, size] = instanceType.split(".");
    if (/^\d*xlarge$/.test(size ?? "") || LARGE_PAYLOAD_SMALL_TYPES.has(`${family}.${size}`)) return 100 * MIB;
    return 10 * MIB;
}

const STACK_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** The ARN partition of a Region. */
export function partitionOf(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

/**
 * Validates a stack's raw configuration (the `<project>:<key>` → string map Pulumi hands a
 * program; structured values arrive as JSON text) and returns the typed config.
 *
 * @throws ConfigError naming each bad key and its fix.
 */
export function parseStackConfig(stack: string, raw: Readonly<Record<string, string>>): StackConfig {
    const reader = new StackConfigReader(stack, raw);
    const role = reader.role();
    if (!role) throw new ConfigError(reader.problems);

    reader.rejectUnknownKeys(KEYS_BY_ROLE[role], role);
    const accountId = reader.accountId("accountId", reader.string("accountId", "123456789012"));
    const rawRegion = reader.string("region", "eu-west-1");
    // `global`: a resource stack for the account's CloudFront web ACLs, whose resources live in us-east-1.
    const location = role === "resource" && rawRegion === GLOBAL_LOCATION ? GLOBAL_LOCATION : undefined;
    const region = location ? wafHomeOf(location).region : reader.region("region", rawRegion);
    const common = {
        stack,
        accountId: accountId ?? "",
        region: region ?? "",
        partition: partitionOf(region ?? ""),
        deploymentRoleArn: reader.deploymentRoleArn(accountId),
    };

    const config: StackConfig =
        role === "logging"
            ? {
                  ...common,
                  role,
                  resourceAccounts: reader.resourceAccounts(),
                  centralBucket: reader.centralBucket(common.deploymentRoleArn),
                  search: reader.search(accountId),
                  analytics: reader.analytics(),
                  response: reader.response(),
                  alerts: reader.loggingAlerts(),
              }
            : reader.withResourceAlerts({
                  ...common,
                  role,
                  loggingStack: reader.loggingStack(),
                  location: location ?? region ?? "",
                  scope: location ? "CLOUDFRONT" : "REGIONAL",
                  protection: reader.protection(accountId, region, location !== undefined),
                  existingWebAcls: reader.existingWebAcls(accountId, region, location !== undefined),
                  waf: reader.waf(),
                  firehose: reader.firehose(),
                  stagingExpireAfterDays: reader.stagingExpireAfterDays(),
                  response: reader.resourceResponse(),
              });

    if (reader.problems.length > 0) throw new ConfigError(reader.problems);
    return config;
}

/** The sections of a logging or resource stack's config, on top of the generic checks. */
class StackConfigReader extends ConfigReader {
    role(): StackRole | undefined {
        const role = this.string("role", "logging");
        if (role === undefined) return undefined;
        if (role === "logging" || role === "resource") return role;
        return this.problem(
            "role",
            `"${role}" is not a known role`,
            'set it to "logging" (the central logging account) or "resource" (an application account)',
        );
    }

    /** Staging objects must outlive a failed delivery's message, or its replay finds nothing to copy. */
    stagingExpireAfterDays(): number {
        const days = this.integer("stagingExpireAfterDays", 1, 365);
        if (days === undefined) return DEFAULT_STAGING_EXPIRE_AFTER_DAYS;
        if (days < MIN_REPLAYABLE_DAYS) {
            this.problem(
                "stagingExpireAfterDays",
                `${days} days is shorter than a failed delivery waits for its replay (the copier's failure queue keeps it ${FAILURE_QUEUE_RETENTION_DAYS} days, and the replay copies from the staging bucket)`,
                `use ${MIN_REPLAYABLE_DAYS} or more`,
            );
        }
        return days;
    }

    deploymentRoleArn(accountId: string | undefined): string | undefined {
        const value = this.value("deploymentRoleArn");
        if (value === undefined) return undefined;
        const match = /^arn:aws(-cn|-us-gov)?:iam::(\d{12}):role\/[\w+=,.@/-]+$/.exec(value);
        if (!match) {
            return this.problem(
                "deploymentRoleArn",
                `"${value}" is not an IAM role ARN`,
                "use arn:aws:iam::<account-id>:role/<name>, or remove the key to deploy with the ambient credentials",
            );
        }
        if (accountId !== undefined && match[2] !== accountId) {
            return this.problem(
                "deploymentRoleArn",
                `the role is in account ${match[2]} but this stack deploys to ${accountId}`,
                "use a deployment role in the stack's own account",
            );
        }
        return value;
    }

    resourceAccounts(): ResourceAccount[] {
        const key = "resourceAccounts";
        const fix =
            'list each application account with its Regions, e.g. [{accountId: "222222222222", regions: [eu-west-1]}]';
        const value = this.json(key, fix);
        if (value === undefined) {
            this.problem(key, "is required on the logging stack", fix);
            return [];
        }
        if (!Array.isArray(value) || value.length === 0) {
            this.problem(key, "must be a non-empty list", fix);
            return [];
        }
        const seen = new Set<string>();
        const accounts: ResourceAccount[] = [];
        value.forEach((entry: unknown, index) => {
            const at = `${key}[${index}]`;
            const item = (entry ?? {}) as { accountId?: unknown; regions?: unknown };
            const accountId = this.accountId(`${at}.accountId`, item.accountId ?? "(missing)");
            if (accountId && seen.has(accountId)) {
                this.problem(
                    `${at}.accountId`,
                    `account ${accountId} is listed twice`,
                    "merge its Regions into one entry",
                );
            }
            if (accountId) seen.add(accountId);
            if (!Array.isArray(item.regions) || item.regions.length === 0) {
                this.problem(
                    `${at}.regions`,
                    "must be a non-empty list of Regions",
                    "add the Regions this account logs from",
                );
                return;
            }
            const regions = item.regions
                // `global`: the account's CloudFront web ACLs (its resource-global stack).
                .map((region: unknown, i: number) =>
                    region === GLOBAL_LOCATION ? GLOBAL_LOCATION : this.region(`${at}.regions[${i}]`, region),
                )
                .filter((region): region is string => region !== undefined);
            if (new Set(regions).size !== regions.length) {
                this.problem(`${at}.regions`, "lists a Region twice", "list each Region once");
            }
            if (accountId) accounts.push({ accountId, regions });
        });
        return accounts;
    }

    centralBucket(deploymentRoleArn: string | undefined): CentralBucketSettings {
        const key = "centralBucket";
        const days = (v: unknown, at: string) => this.checkInteger(at, v, 1, 36_500);
        const settings = this.settings(key, DEFAULT_CENTRAL_BUCKET, {
            infrequentAccessAfterDays: days,
            glacierAfterDays: days,
            expireAfterDays: days,
            objectLockMode: (v, at) =>
                v === "GOVERNANCE" || v === "COMPLIANCE"
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not an S3 Object Lock mode`,
                          "use GOVERNANCE (deletable by users granted s3:BypassGovernanceRetention) or COMPLIANCE (deletable by no one until the retention ends)",
                      ),
            objectLockRetentionDays: days,
            breakGlassRoleArn: (v, at) =>
                typeof v === "string" && /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(v)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not an IAM role ARN`,
                          "use arn:aws:iam::<logging account>:role/<name>, a role assumed only in an emergency (MFA, two people)",
                      ),
        });
        if (settings.breakGlassRoleArn === undefined && deploymentRoleArn === undefined) {
            this.problem(
                `${key}.breakGlassRoleArn`,
                "is required when deploymentRoleArn is not set: the archive's bucket and key policies deny changes to everyone but these roles, so a deployment with ambient credentials would lock itself out",
                "name the logging account's break-glass role (arn:aws:iam::<logging account>:role/<name>), or deploy through deploymentRoleArn",
            );
        }
        const breakGlass = settings.breakGlassRoleArn?.split(":")[4];
        // Judged only against a well-formed account ID: a bad accountId is its own problem.
        const accountId = this.value("accountId");
        if (breakGlass !== undefined && /^[0-9]{12}$/.test(String(accountId)) && breakGlass !== accountId) {
            this.problem(
                `${key}.breakGlassRoleArn`,
                `the role is in account ${breakGlass}, not the logging account`,
                "name a role of the logging account",
            );
        }
        if (settings.infrequentAccessAfterDays < 30) {
            this.problem(
                `${key}.infrequentAccessAfterDays`,
                `S3 moves objects to Standard-IA no sooner than 30 days, got ${settings.infrequentAccessAfterDays}`,
                "use 30 or more",
            );
        }
        const earliestArchive = settings.infrequentAccessAfterDays + MIN_DAYS_IN_STANDARD_IA;
        if (settings.glacierAfterDays < earliestArchive) {
            // S3 rejects the lifecycle configuration otherwise ("Transitioning objects using Amazon S3 Lifecycle").
            this.problem(
                `${key}.glacierAfterDays`,
                `${settings.glacierAfterDays} days is ${settings.glacierAfterDays - settings.infrequentAccessAfterDays} days after infrequentAccessAfterDays (${settings.infrequentAccessAfterDays}), but S3 keeps an object in Standard-IA at least ${MIN_DAYS_IN_STANDARD_IA} days before moving it to Glacier Instant Retrieval`,
                `use ${earliestArchive} or more`,
            );
        }
        if (settings.expireAfterDays <= settings.glacierAfterDays) {
            this.problem(`${key}.expireAfterDays`, "must come after glacierAfterDays", "use a larger number of days");
        }
        if (!this.isSet(key, "objectLockRetentionDays")) {
            // The default retention never outlives a shorter expiry chosen by the user.
            return {
                ...settings,
                objectLockRetentionDays: Math.min(settings.objectLockRetentionDays, settings.expireAfterDays),
            };
        }
        if (settings.objectLockRetentionDays > settings.expireAfterDays) {
            this.problem(
                `${key}.objectLockRetentionDays`,
                `${settings.objectLockRetentionDays} days is longer than expireAfterDays (${settings.expireAfterDays}), so expired logs could not be removed`,
                "use at most expireAfterDays",
            );
        }
        return settings;
    }

    /**
     * The web ACL the stack creates and what it protects. `loadBalancerArns` (the key before other
     * resource types were supported) stays an alias of `protectedResourceArns`: stack files in use
     * keep working, and its ALBs keep their association names, so nothing is re-associated.
     */
    protection(accountId: string | undefined, region: string | undefined, global: boolean): Protection {
        const demo = this.json("demoApplication", "set it to true or false");
        if (demo !== undefined && typeof demo !== "boolean") {
            this.problem("demoApplication", `${JSON.stringify(demo)} is not true or false`, "set it to true or false");
        }
        const given = ["protectedResourceArns", "loadBalancerArns"].filter((k) => this.value(k) !== undefined);
        if (global) {
            for (const key of [...given, ...(demo === true ? ["demoApplication"] : [])]) {
                this.problem(
                    key,
                    "is not available in a global (CloudFront) stack: a CloudFront distribution takes its web ACL in its own settings, not by association",
                    "remove it; set the web ACL on the distribution and list that web ACL under existingWebAcls",
                );
            }
            if (this.value("existingWebAcls") === undefined) {
                this.problem(
                    "existingWebAcls",
                    "is required in a global (CloudFront) stack: it logs the account's CloudFront web ACLs",
                    "list their ARNs, e.g. [arn:aws:wafv2:us-east-1:<account-id>:global/webacl/<name>/<id>]",
                );
            }
            return { kind: "none" };
        }
        if (given.length === 2) {
            this.problem(
                "loadBalancerArns",
                "is set together with protectedResourceArns (it is the older name of the same list)",
                "move its ARNs into protectedResourceArns and remove loadBalancerArns",
            );
        }
        const key = given[0] ?? "protectedResourceArns";
        const arns = this.json(key, `list ARNs such as arn:aws:elasticloadbalancing:${region ?? "<region>"}:...`);
        if (arns !== undefined && demo === true) {
            this.problem(key, "is set together with demoApplication: true", "keep only one of the two");
        }
        if (demo === true) return { kind: "demoApplication" };
        if (arns === undefined) {
            if (this.value("existingWebAcls") === undefined) {
                this.problem(
                    "protectedResourceArns",
                    "is required: the stack must log at least one web ACL",
                    "set protectedResourceArns to the resources a web ACL of this stack should protect, existingWebAcls to web ACLs that already exist, or demoApplication to true",
                );
            }
            return { kind: "none" };
        }
        if (!Array.isArray(arns) || arns.length === 0) {
            this.problem(key, "must be a non-empty list", "list at least one ARN, or remove the key");
            return { kind: "none" };
        }
        const names = new Set<string>();
        arns.forEach((arn: unknown, i) => {
            const at = `${key}[${i}]`;
            const parsed = parseProtectedArn(arn);
            if (isArnProblem(parsed)) {
                this.problem(at, parsed.problem, parsed.fix);
            } else if (parsed.partition !== partitionOf(region ?? "")) {
                this.problem(
                    at,
                    `the ${parsed.kind} is in partition ${parsed.partition} but this stack deploys to ${partitionOf(region ?? "")}`,
                    "correct the ARN, or protect the resource from a stack in its own partition",
                );
            } else if (parsed.region !== region || (parsed.accountId ?? accountId) !== accountId) {
                this.problem(
                    at,
                    `the ${parsed.kind} is in ${parsed.accountId ?? accountId}/${parsed.region} but this stack deploys to ${accountId}/${region}`,
                    "protect it from the resource stack of its own account and Region",
                );
            } else if (names.has(parsed.name)) {
                this.problem(at, `"${parsed.arn}" is listed twice`, "list each resource once");
            } else {
                names.add(parsed.name);
            }
        });
        return { kind: "resources", resourceArns: arns as string[] };
    }

    /** Web ACLs owned elsewhere whose logging the stack turns on: ARNs, or `{arn, replaceLoggingConfiguration}`. */
    existingWebAcls(accountId: string | undefined, region: string | undefined, global: boolean): ExistingWebAcl[] {
        const key = "existingWebAcls";
        const example = "[arn:aws:wafv2:<region>:<account-id>:regional/webacl/<name>/<id>]";
        const value = this.json(key, `list web ACL ARNs, e.g. ${example}`);
        if (value === undefined) return [];
        if (!Array.isArray(value) || value.length === 0) {
            this.problem(key, "must be a non-empty list", `list web ACL ARNs, e.g. ${example}, or remove the key`);
            return [];
        }
        const seen = new Set<string>();
        const acls: ExistingWebAcl[] = [];
        value.forEach((entry: unknown, i) => {
            let at = `${key}[${i}]`;
            let arn = entry;
            let replace = false;
            if (typeof entry === "object" && entry !== null && !Array.isArray(entry)) {
                const fields = entry as Record<string, unknown>;
                for (const field of Object.keys(fields).filter(
                    (f) => f !== "arn" && f !== "replaceLoggingConfiguration",
                )) {
                    this.problem(`${at}.${field}`, "is not a known setting", "use arn and replaceLoggingConfiguration");
                }
                if (
                    fields.replaceLoggingConfiguration !== undefined &&
                    typeof fields.replaceLoggingConfiguration !== "boolean"
                ) {
                    this.problem(
                        `${at}.replaceLoggingConfiguration`,
                        `${JSON.stringify(fields.replaceLoggingConfiguration)} is not true or false`,
                        "set it to true (replace the web ACL's current logging configuration) or false",
                    );
                }
                replace = fields.replaceLoggingConfiguration === true;
                arn = fields.arn;
                at = `${at}.arn`;
            }
            const parsed = parseWebAclArn(arn);
            if (isArnProblem(parsed)) {
                this.problem(at, parsed.problem, parsed.fix);
                return;
            }
            const where = global ? "global (CloudFront)" : "regional";
            if (parsed.partition !== partitionOf(region ?? "")) {
                this.problem(
                    at,
                    `the web ACL is in partition ${parsed.partition} but this stack deploys to ${partitionOf(region ?? "")}`,
                    "correct the ARN, or adopt the web ACL from a stack in its own partition",
                );
            } else if (parsed.accountId !== accountId) {
                this.problem(
                    at,
                    `the web ACL is in account ${parsed.accountId} but this stack deploys to ${accountId}`,
                    "adopt it from the resource stack of its own account: WAF logs only to a Firehose stream in the web ACL's account",
                );
            } else if (parsed.scope === "global" && !global) {
                this.problem(
                    at,
                    "is a CloudFront (global) web ACL, but this is a regional stack",
                    `adopt it in this account's resource-global stack (${PROJECT}:region: global)`,
                );
            } else if (parsed.scope === "regional" && global) {
                this.problem(
                    at,
                    `is a regional web ACL (${parsed.region}), but this is a ${where} stack`,
                    `adopt it from the resource stack of ${parsed.region}`,
                );
            } else if (!global && parsed.region !== region) {
                this.problem(
                    at,
                    `the web ACL is in ${parsed.region} but this stack deploys to ${region}`,
                    `adopt it from the resource stack of ${parsed.region}: WAF logs only to a Firehose stream in the web ACL's Region`,
                );
            } else if (seen.has(parsed.arn)) {
                this.problem(at, `"${parsed.arn}" is listed twice`, "list each web ACL once");
            } else {
                seen.add(parsed.arn);
                acls.push({ arn: parsed.arn, replaceLoggingConfiguration: replace });
            }
        });
        return acls;
    }

    waf(): WafSettings {
        return this.settings("waf", DEFAULT_WAF, {
            managedRuleGroups: (v, at) =>
                this.stringList(
                    at,
                    v,
                    /^AWSManagedRules[A-Za-z0-9]+$/,
                    "list AWS managed rule group names, e.g. AWSManagedRulesCommonRuleSet",
                ),
            rateLimit: (v, at) => this.checkInteger(at, v, 10, 2_000_000_000),
            rateEvaluationWindowSec: (v, at) =>
                [60, 120, 300, 600].includes(v as number)
                    ? (v as number)
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not a WAF evaluation window`,
                          "use 60, 120, 300 or 600",
                      ),
            redactedHeaders: (v, at) =>
                this.stringList(at, v, /^[A-Za-z0-9-]+$/, "list header names, e.g. [authorization, cookie]")?.map((h) =>
                    h.toLowerCase(),
                ),
            logActions: (v, at) =>
                this.stringList(
                    at,
                    v,
                    new RegExp(`^(${WAF_ACTIONS.join("|")})$`),
                    `list actions among ${WAF_ACTIONS.join(", ")}`,
                ),
        });
    }

    firehose(): FirehoseSettings {
        return this.settings("firehose", DEFAULT_FIREHOSE, {
            bufferSizeMiB: (v, at) => this.checkInteger(at, v, 1, 128),
            bufferIntervalSec: (v, at) => this.checkInteger(at, v, 0, 900),
        });
    }

    search(accountId: string | undefined): SearchSettings {
        const key = "search";
        const ids = (pattern: RegExp, example: string) => (v: unknown, at: string) =>
            Array.isArray(v) && v.length > 0
                ? this.stringList(at, v, pattern, `list IDs such as ${example}`)
                : this.problem(at, "must be a non-empty list", `list IDs such as ${example}`);
        const settings = this.settings(key, DEFAULT_SEARCH, {
            domainName: (v, at) =>
                typeof v === "string" && /^[a-z][a-z0-9-]{2,27}$/.test(v)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not a valid domain name`,
                          "use 3-28 lowercase letters, digits and hyphens, starting with a letter",
                      ),
            engineVersion: (v, at) =>
                typeof v === "string" && /^OpenSearch_2\.\d+$/.test(v)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not an OpenSearch 2.x version`,
                          "use OpenSearch_2.<minor>, e.g. OpenSearch_2.19",
                      ),
            instanceType: (v, at) =>
                typeof v === "string" && /^[a-z0-9]+\.[a-z0-9]+\.search$/.test(v)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not an OpenSearch instance type`,
                          "use a type such as r7g.large.search",
                      ),
            instanceCount: (v, at) => this.checkInteger(at, v, 1, 80),
            volumeSizeGiB: (v, at) => this.checkInteger(at, v, 10, 16_384),
            availabilityZones: (v, at) => this.checkInteger(at, v, 1, 3),
            subnetIds: ids(/^subnet-[0-9a-f]+$/, "subnet-0123456789abcdef0"),
            securityGroupIds: ids(/^sg-[0-9a-f]+$/, "sg-0123456789abcdef0"),
            adminRoleArns: (v, at) =>
                this.stringList(
                    at,
                    v,
                    /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/,
                    "list IAM role ARNs, e.g. arn:aws:iam::111111111111:role/security-admin",
                ),
            retentionDays: (v, at) => this.checkInteger(at, v, 1, 3650),
            indexPrefix: (v, at) =>
                typeof v === "string" && /^[a-z][a-z0-9_-]{0,50}$/.test(v)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not a valid index prefix`,
                          "use lowercase letters, digits, - and _",
                      ),
            bulkMaxBytes: (v, at) => this.checkInteger(at, v, 1024 * 1024, 100 * 1024 * 1024),
        });
        const payloadLimit = searchPayloadLimitBytes(settings.instanceType);
        if (settings.bulkMaxBytes > payloadLimit) {
            this.problem(
                `${key}.bulkMaxBytes`,
                `${settings.bulkMaxBytes} exceeds ${payloadLimit} bytes (${payloadLimit / MIB} MiB), the HTTP payload limit of ${settings.instanceType} domains`,
                `use at most ${payloadLimit}, or an instance type with a larger limit (xlarge and larger: ${100 * MIB})`,
            );
        }
        if (settings.adminRoleArns.length === 0) {
            this.problem(
                `${key}.adminRoleArns`,
                "is required: someone must be able to administer the search domain",
                `list the IAM roles of your security operators, e.g. arn:aws:iam::${accountId ?? "111111111111"}:role/security-admin`,
            );
        }
        if ((settings.subnetIds === undefined) !== (settings.securityGroupIds === undefined)) {
            this.problem(
                `${key}.subnetIds`,
                "and search.securityGroupIds must be set together",
                "set both to use an existing VPC, or neither to create one",
            );
        }
        if (settings.instanceCount > 1 && settings.subnetIds && settings.subnetIds.length < 2) {
            this.problem(
                `${key}.subnetIds`,
                "must list subnets in at least two zones when instanceCount is above 1 (zone awareness)",
                "add a subnet in another zone, or set instanceCount to 1",
            );
        }
        if (settings.instanceCount > 1 && settings.availabilityZones < 2 && !settings.subnetIds) {
            this.problem(
                `${key}.availabilityZones`,
                "must be 2 or 3 when instanceCount is above 1 (zone awareness)",
                "use 2 or 3 zones",
            );
        }
        return settings;
    }

    analytics(): AnalyticsSettings {
        return this.settings("analytics", DEFAULT_ANALYTICS, {
            bytesScannedCutoffMiB: (v, at) => this.checkInteger(at, v, 10, 1_048_576),
            compactionBytesScannedCutoffMiB: (v, at) => this.checkInteger(at, v, 10, 1_048_576),
            resultsExpireAfterDays: (v, at) => this.checkInteger(at, v, 1, 3650),
            projectionStartHour: (v, at) =>
                typeof v === "string" && /^\d{4}\/\d{2}\/\d{2}\/\d{2}$/.test(v)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not an hour`,
                          "write it as yyyy/MM/dd/HH, e.g. 2024/01/01/00",
                      ),
            compactionSchedule: (v, at) => {
                const problem = typeof v === "string" ? scheduleProblem(v) : `${JSON.stringify(v)} is not text`;
                return problem === undefined
                    ? (v as string)
                    : this.problem(at, problem, "use cron(...) or rate(...), e.g. cron(30 1 * * ? *)");
            },
            quickSightPrincipalArn: (v, at) =>
                typeof v === "string" &&
                /^arn:aws[\w-]*:quicksight:[a-z0-9-]+:\d{12}:(user|group)\/[\w+=,.@/-]+$/.test(v)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not a QuickSight user or group ARN`,
                          "use arn:aws:quicksight:<region>:<account-id>:user/default/<name>, or remove the key to skip QuickSight",
                      ),
        });
    }

    response(): ResponseSettings {
        const key = "response";
        const schedule = (v: unknown, at: string) => {
            const problem = typeof v === "string" ? scheduleProblem(v) : `${JSON.stringify(v)} is not text`;
            return problem === undefined
                ? (v as string)
                : this.problem(at, problem, "use rate(...) or cron(...), e.g. rate(5 minutes)");
        };
        const settings = this.settings(key, DEFAULT_RESPONSE, {
            mode: (v, at) =>
                v === "off" || v === "count" || v === "block"
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not a response mode`,
                          "use off (nothing deployed), count (a dry run: WAF counts and labels matches) or block",
                      ),
            threshold: (v, at) => this.checkInteger(at, v, 10, 100_000_000),
            detectionSchedule: schedule,
            lookbackMinutes: (v, at) => this.checkInteger(at, v, 10, 180),
            syncSchedule: schedule,
            blockMinutes: (v, at) => this.checkInteger(at, v, 5, 43_200),
            maxBlockMinutes: (v, at) => this.checkInteger(at, v, 5, 43_200),
            repeatWindowDays: (v, at) => this.checkInteger(at, v, 1, 365),
            allowlist: (v, at) => this.allowlist(at, v),
            maxNewEntriesPerRun: (v, at) => this.checkInteger(at, v, 1, 10_000),
            globalMinAccounts: (v, at) => this.checkInteger(at, v, 1, 100),
            trustedEvidenceAccounts: (v, at) => {
                if (!Array.isArray(v)) {
                    return this.problem(
                        at,
                        "must be a list of account IDs",
                        'list 12-digit IDs such as ["111111111111"]',
                    );
                }
                const ids = v.map((item: unknown, i) => this.accountId(`${at}[${i}]`, item));
                return ids.every((id) => id !== undefined) ? (ids as string[]) : undefined;
            },
            timestampSlackMinutes: (v, at) => this.checkInteger(at, v, 0, 60),
            bytesScannedCutoffMiB: (v, at) => this.checkInteger(at, v, 10, 1_048_576),
            aggregatePrefixMinAddresses: (v, at) =>
                v === 0 || (typeof v === "number" && Number.isInteger(v) && v >= 2 && v <= 256)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is neither 0 (off) nor a whole number from 2 to 256`,
                          "use 0 or remove the key to block each address on its own, or the number of addresses (2 to 256) in one /24 (IPv4) or /64 (IPv6) that one prefix entry covers",
                      ),
        });
        // A window is searched by every run whose lookback reaches its start; it must be complete
        // (5 minutes) and delivered (Firehose's buffer, the copier: 5 minutes allowed) by the last one.
        const interval = rateMinutes(settings.detectionSchedule);
        if (interval !== undefined && settings.lookbackMinutes < interval + 10) {
            this.problem(
                `${key}.lookbackMinutes`,
                `${settings.lookbackMinutes} minutes leaves bursts unexamined between runs every ${interval} minutes (a window needs 5 minutes to complete and up to 5 to arrive)`,
                `use at least ${interval + 10}, or run detection more often`,
            );
        }
        if (settings.maxBlockMinutes < settings.blockMinutes) {
            this.problem(
                `${key}.maxBlockMinutes`,
                `${settings.maxBlockMinutes} is shorter than blockMinutes (${settings.blockMinutes})`,
                "use at least blockMinutes",
            );
        }
        return settings;
    }

    /** A list of allowlisted ranges (logging and resource stacks alike): IPs or CIDRs, no broader than /8 or /16. */
    private allowlist(at: string, v: unknown): string[] | undefined {
        if (!Array.isArray(v)) {
            return this.problem(at, "must be a list of CIDR ranges", 'list ranges such as ["203.0.113.0/24"]');
        }
        const ranges = v.map((item: unknown, i) => {
            // The same strict reader as the detector and the operator CLI; IPv4-mapped
            // ranges become IPv4, so they protect what the detector sees.
            const parsed =
                typeof item === "string"
                    ? parseRange(item, {
                          narrowest: ALLOWLIST_NARROWEST_PREFIX,
                          breadthFix: `an allowlist entry that broad exempts so much of the internet that it disables the response loop for it; list your own NATs, partners and health checkers, no broader than /${ALLOWLIST_NARROWEST_PREFIX.ipv4} (IPv4) or /${ALLOWLIST_NARROWEST_PREFIX.ipv6} (IPv6)`,
                      })
                    : { problem: `${JSON.stringify(item)} is not text` };
            return "problem" in parsed
                ? this.problem(
                      `${at}[${i}]`,
                      parsed.problem,
                      "write an IP address or a CIDR range such as 203.0.113.0/24",
                  )
                : parsed.cidr;
        });
        return ranges.every((r) => r !== undefined) ? (ranges as string[]) : undefined;
    }

    /**
     * A resource stack's own limits on its blocklist IP sets. Broader than /8 (IPv4) or /32 (IPv6)
     * is never accepted: that is the central block guard too.
     */
    resourceResponse(): ResourceResponseSettings {
        return this.settings("response", DEFAULT_RESOURCE_RESPONSE, {
            maxPrefixIpv4: (v, at) => this.checkInteger(at, v, BLOCK_NARROWEST_PREFIX.ipv4, 32),
            maxPrefixIpv6: (v, at) => this.checkInteger(at, v, BLOCK_NARROWEST_PREFIX.ipv6, 128),
            allowlist: (v, at) => this.allowlist(at, v),
        });
    }

    /** The logging stack's `alerts`: who is told, and the thresholds of its own alarms. */
    loggingAlerts(): LoggingAlertSettings {
        const key = "alerts";
        const problemsBefore = this.problems.length;
        const settings = this.settings(key, DEFAULT_LOGGING_ALERTS, {
            emails: (v, at) => this.emailList(at, v),
            subscriptions: (v, at) => this.alertSubscriptions(at, v),
            silenceMinutes: (v, at) => this.silenceMinutes(at, v),
            loaderErrors: (v, at) => this.checkInteger(at, v, 1, 10_000),
            parkedLines: (v, at) => this.checkInteger(at, v, 0, 10_000_000),
        });
        // A broken recipient list already has its own problem; only an empty one gets this.
        const recipientProblems = this.problems
            .slice(problemsBefore)
            .some((p) => /:alerts(\.emails|\.subscriptions)?([:[]| in )/.test(p));
        if (settings.emails.length === 0 && settings.subscriptions.length === 0 && !recipientProblems) {
            this.problem(
                key,
                "names no one to alert (alerts.emails and alerts.subscriptions are both empty), so a silent pipeline would stay unnoticed",
                "list at least one address under alerts.emails, e.g. [waf-oncall@example.com], or an https, sqs or lambda endpoint under alerts.subscriptions",
            );
        }
        return settings;
    }

    /** Adds a resource stack's `alerts`, whose freshness default follows its Firehose buffer interval. */
    withResourceAlerts(config: Omit<ResourceStackConfig, "alerts">): ResourceStackConfig {
        return { ...config, alerts: this.resourceAlerts(config.firehose.bufferIntervalSec) };
    }

    private resourceAlerts(bufferIntervalSec: number): ResourceAlertSettings {
        const key = "alerts";
        const settings = this.settings(
            key,
            {
                firehoseFreshnessSeconds: bufferIntervalSec + FRESHNESS_MARGIN_SECONDS,
                copierErrors: DEFAULT_COPIER_ERRORS,
            },
            {
                firehoseFreshnessSeconds: (v, at) => this.checkInteger(at, v, 60, 86_400),
                copierErrors: (v, at) => this.checkInteger(at, v, 1, 10_000),
            },
        );
        if (settings.firehoseFreshnessSeconds <= bufferIntervalSec) {
            this.problem(
                `${key}.firehoseFreshnessSeconds`,
                `${settings.firehoseFreshnessSeconds} seconds is not above firehose.bufferIntervalSec (${bufferIntervalSec}), so the alarm would fire while records wait for their buffer as designed`,
                `use more than ${bufferIntervalSec}, e.g. ${bufferIntervalSec + FRESHNESS_MARGIN_SECONDS}`,
            );
        }
        return settings;
    }

    private emailList(at: string, value: unknown): string[] | undefined {
        const fix = "list addresses such as waf-oncall@example.com";
        if (!Array.isArray(value)) return this.problem(at, "must be a list of e-mail addresses", fix);
        const seen = new Set<string>();
        let valid = true;
        value.forEach((email: unknown, i) => {
            if (typeof email !== "string" || !EMAIL.test(email)) {
                valid = false;
                this.problem(`${at}[${i}]`, `${JSON.stringify(email)} is not an e-mail address`, fix);
            } else if (seen.has(email.toLowerCase())) {
                valid = false;
                this.problem(`${at}[${i}]`, `${email} is listed twice`, "list each address once");
            } else {
                seen.add(email.toLowerCase());
            }
        });
        return valid ? (value as string[]) : undefined;
    }

    private alertSubscriptions(at: string, value: unknown): AlertSubscription[] | undefined {
        const example = "{protocol: https, endpoint: https://alerts.example.com/hook}";
        if (!Array.isArray(value)) {
            return this.problem(at, "must be a list of {protocol, endpoint}", `give entries such as ${example}`);
        }
        const seen = new Set<string>();
        const subscriptions: AlertSubscription[] = [];
        value.forEach((entry: unknown, i) => {
            const here = `${at}[${i}]`;
            if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
                this.problem(here, "must be an object with protocol and endpoint", `give an entry such as ${example}`);
                return;
            }
            const fields = entry as Record<string, unknown>;
            const unknown = Object.keys(fields).filter((field) => field !== "protocol" && field !== "endpoint");
            for (const field of unknown) {
                this.problem(`${here}.${field}`, "is not a known setting", "use protocol and endpoint");
            }
            const subscription = this.alertSubscription(here, fields.protocol, fields.endpoint);
            if (!subscription || unknown.length > 0) return;
            const id = `${subscription.protocol} ${subscription.endpoint}`;
            if (seen.has(id)) {
                this.problem(here, `${id} is listed twice`, "list each endpoint once");
                return;
            }
            seen.add(id);
            subscriptions.push(subscription);
        });
        return subscriptions.length === value.length ? subscriptions : undefined;
    }

    private alertSubscription(at: string, protocol: unknown, endpoint: unknown): AlertSubscription | undefined {
        if (protocol !== "https" && protocol !== "sqs" && protocol !== "lambda") {
            return this.problem(
                `${at}.protocol`,
                `${JSON.stringify(protocol)} is not a supported protocol`,
                "use https, sqs or lambda (e-mail addresses go under alerts.emails)",
            );
        }
        const check = SUBSCRIPTION_ENDPOINTS[protocol];
        if (typeof endpoint !== "string" || !check.pattern.test(endpoint)) {
            return this.problem(`${at}.endpoint`, `${JSON.stringify(endpoint)} is not ${check.what}`, check.fix);
        }
        if (protocol === "sqs" && endpoint.endsWith(".fifo")) {
            return this.problem(
                `${at}.endpoint`,
                `${endpoint} is a FIFO queue, which a standard SNS topic cannot deliver to`,
                "subscribe a standard queue",
            );
        }
        return { protocol, endpoint };
    }

    private silenceMinutes(at: string, value: unknown): number | undefined {
        const minutes = this.checkInteger(at, value, 15, 10_080);
        if (minutes === undefined) return undefined;
        if (minutes <= 1440 && minutes % 5 !== 0) {
            return this.problem(
                at,
                `${minutes} minutes is not a multiple of 5`,
                "use a multiple of 5 up to 1440 (the alarm counts five-minute periods), e.g. 60",
            );
        }
        if (minutes > 1440 && minutes % 60 !== 0) {
            return this.problem(
                at,
                `${minutes} minutes is over a day but not whole hours`,
                "above 1440 use a multiple of 60 (CloudWatch evaluates at most one day of periods shorter than an hour), e.g. 2880",
            );
        }
        return minutes;
    }

    loggingStack(): string {
        const value = this.string("loggingStack", "organization/central-waf-logs/logging");
        if (value === undefined) return "";
        if (!STACK_NAME.test(value)) {
            this.problem(
                "loggingStack",
                `"${value}" is not a fully qualified stack name`,
                "use <organization>/<project>/<stack>, e.g. organization/central-waf-logs/logging",
            );
        }
        return value;
    }
}
