/**
 * The stack's configuration: read once (in index.ts), validated here, and handed to the stack
 * builders as a typed object. Components never read config.
 *
 * Every error names the full config key and says how to fix it, so a typo in a stack file fails
 * `pulumi preview` with a sentence a platform engineer can act on.
 */

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
    /** Move to S3 Glacier Flexible Retrieval. Default 90. */
    readonly glacierAfterDays: number;
    /** Delete. Default 400 (13 months, so a year-on-year comparison is possible). */
    readonly expireAfterDays: number;
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
    /** QuickSight user or group ARN that owns the optional dashboard. Default: no QuickSight. */
    readonly quickSightPrincipalArn?: string;
}

export interface LoggingStackConfig extends CommonConfig {
    readonly role: "logging";
    readonly resourceAccounts: readonly ResourceAccount[];
    readonly centralBucket: CentralBucketSettings;
    readonly search: SearchSettings;
    readonly analytics: AnalyticsSettings;
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

/** What the web ACL protects: existing load balancers, or a demo ALB the stack creates. */
export type Protection =
    | { readonly kind: "loadBalancers"; readonly loadBalancerArns: readonly string[] }
    | { readonly kind: "demoApplication" };

export interface ResourceStackConfig extends CommonConfig {
    readonly role: "resource";
    /** Fully qualified name of the logging stack, `<org>/<project>/<stack>`. */
    readonly loggingStack: string;
    readonly protection: Protection;
    readonly waf: WafSettings;
    readonly firehose: FirehoseSettings;
    /** Days the regional staging bucket keeps delivered objects. Default 7. */
    readonly stagingExpireAfterDays: number;
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
export const DEFAULT_STAGING_EXPIRE_AFTER_DAYS = 7;

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

export const DEFAULT_ANALYTICS: AnalyticsSettings = {
    bytesScannedCutoffMiB: 10_240,
    resultsExpireAfterDays: 30,
    projectionStartHour: "2024/01/01/00",
    compactionSchedule: "cron(30 1 * * ? *)",
};

const WAF_ACTIONS = ["ALLOW", "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE"];

const COMMON_KEYS = ["role", "accountId", "region", "deploymentRoleArn"];
const KEYS_BY_ROLE: Record<StackRole, readonly string[]> = {
    logging: [...COMMON_KEYS, "resourceAccounts", "centralBucket", "search", "analytics"],
    resource: [
        ...COMMON_KEYS,
        "loggingStack",
        "loadBalancerArns",
        "demoApplication",
        "waf",
        "firehose",
        "stagingExpireAfterDays",
    ],
};

const ACCOUNT_ID = /^\d{12}$/;
const REGION =
    /^(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso|-isob)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}$/;
const STACK_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export function isAccountId(value: unknown): value is string {
    return typeof value === "string" && ACCOUNT_ID.test(value);
}

export function isRegion(value: unknown): value is string {
    return typeof value === "string" && REGION.test(value);
}

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
    const reader = new ConfigReader(stack, raw);
    const role = reader.role();
    if (!role) throw new ConfigError(reader.problems);

    reader.rejectUnknownKeys(KEYS_BY_ROLE[role], role);
    const accountId = reader.accountId("accountId", reader.string("accountId", "123456789012"));
    const region = reader.region("region", reader.string("region", "eu-west-1"));
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
                  centralBucket: reader.centralBucket(),
                  search: reader.search(accountId),
                  analytics: reader.analytics(),
              }
            : {
                  ...common,
                  role,
                  loggingStack: reader.loggingStack(),
                  protection: reader.protection(accountId, region),
                  waf: reader.waf(),
                  firehose: reader.firehose(),
                  stagingExpireAfterDays:
                      reader.integer("stagingExpireAfterDays", 1, 365) ?? DEFAULT_STAGING_EXPIRE_AFTER_DAYS,
              };

    if (reader.problems.length > 0) throw new ConfigError(reader.problems);
    return config;
}

/** Collects problems instead of stopping at the first, so one preview shows them all. */
class ConfigReader {
    readonly problems: string[] = [];

    constructor(
        private readonly stack: string,
        private readonly raw: Readonly<Record<string, string>>,
    ) {}

    problem(key: string, what: string, fix: string): undefined {
        this.problems.push(`Invalid config ${PROJECT}:${key}: ${what}. Fix: ${fix}.`);
        return undefined;
    }

    private setCommand(key: string, example: string): string {
        return `run \`pulumi config set ${key} ${example} -s ${this.stack}\``;
    }

    private value(key: string): string | undefined {
        return this.raw[`${PROJECT}:${key}`];
    }

    string(key: string, example: string): string | undefined {
        const value = this.value(key);
        if (value === undefined || value === "") {
            return this.problem(key, "is required but not set", this.setCommand(key, example));
        }
        return value;
    }

    /** Parses a structured (YAML object or list) value; Pulumi passes these as JSON text. */
    json(key: string, fix: string): unknown {
        const value = this.value(key);
        if (value === undefined) return undefined;
        try {
            return JSON.parse(value);
        } catch {
            return this.problem(key, "is not a structured value", fix);
        }
    }

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

    rejectUnknownKeys(known: readonly string[], role: StackRole): void {
        const prefix = `${PROJECT}:`;
        for (const fullKey of Object.keys(this.raw).sort()) {
            if (!fullKey.startsWith(prefix)) continue;
            const key = fullKey.slice(prefix.length);
            if (!known.includes(key)) {
                this.problem(
                    key,
                    `is not a setting of a ${role} stack`,
                    `remove it or correct its spelling (known keys: ${known.join(", ")})`,
                );
            }
        }
    }

    accountId(key: string, value: unknown): string | undefined {
        if (value === undefined) return undefined;
        if (isAccountId(value)) return value;
        return this.problem(
            key,
            `${JSON.stringify(value)} is not a 12-digit AWS account ID`,
            'write the ID as a quoted 12-digit string, e.g. "123456789012"',
        );
    }

    region(key: string, value: unknown): string | undefined {
        if (value === undefined) return undefined;
        if (isRegion(value)) return value;
        return this.problem(
            key,
            `${JSON.stringify(value)} is not an AWS Region`,
            "use a Region code such as us-east-1 or eu-west-1",
        );
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
                .map((region: unknown, i: number) => this.region(`${at}.regions[${i}]`, region))
                .filter((region): region is string => region !== undefined);
            if (new Set(regions).size !== regions.length) {
                this.problem(`${at}.regions`, "lists a Region twice", "list each Region once");
            }
            if (accountId) accounts.push({ accountId, regions });
        });
        return accounts;
    }

    centralBucket(): CentralBucketSettings {
        const key = "centralBucket";
        const days = (v: unknown, at: string) => this.checkInteger(at, v, 1, 36_500);
        const settings = this.settings(key, DEFAULT_CENTRAL_BUCKET, {
            infrequentAccessAfterDays: days,
            glacierAfterDays: days,
            expireAfterDays: days,
        });
        if (settings.infrequentAccessAfterDays < 30) {
            this.problem(
                `${key}.infrequentAccessAfterDays`,
                `S3 moves objects to Standard-IA no sooner than 30 days, got ${settings.infrequentAccessAfterDays}`,
                "use 30 or more",
            );
        }
        if (settings.glacierAfterDays <= settings.infrequentAccessAfterDays) {
            this.problem(
                `${key}.glacierAfterDays`,
                "must come after infrequentAccessAfterDays",
                "use a larger number of days",
            );
        }
        if (settings.expireAfterDays <= settings.glacierAfterDays) {
            this.problem(`${key}.expireAfterDays`, "must come after glacierAfterDays", "use a larger number of days");
        }
        return settings;
    }

    /** An optional whole number within [min, max]; structured values arrive as JSON text. */
    integer(key: string, min: number, max: number): number | undefined {
        const value = this.json(key, `use a whole number from ${min} to ${max}`);
        if (value === undefined) return undefined;
        return this.checkInteger(key, value, min, max);
    }

    checkInteger(key: string, value: unknown, min: number, max: number): number | undefined {
        if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
        return this.problem(
            key,
            `${JSON.stringify(value)} is not a whole number from ${min} to ${max}`,
            `use a value in that range`,
        );
    }

    /**
     * Reads an optional object whose fields each have a default and a check; unknown fields are
     * problems (a typo must not silently fall back to a default).
     */
    settings<T extends object>(
        key: string,
        defaults: T,
        checks: { [K in keyof T]-?: (value: unknown, at: string) => T[K] | undefined },
    ): T {
        const given = this.json(key, `give an object with ${Object.keys(checks).join(", ")}`);
        if (given === undefined) return defaults;
        if (typeof given !== "object" || given === null || Array.isArray(given)) {
            this.problem(key, "must be an object", `give an object with ${Object.keys(checks).join(", ")}`);
            return defaults;
        }
        const result = { ...defaults } as Record<string, unknown>;
        for (const [field, value] of Object.entries(given)) {
            const check = (checks as Record<string, (v: unknown, at: string) => unknown>)[field];
            if (!check) {
                this.problem(
                    `${key}.${field}`,
                    "is not a known setting",
                    `use one of ${Object.keys(checks).join(", ")}`,
                );
                continue;
            }
            const checked = check(value, `${key}.${field}`);
            if (checked !== undefined) result[field] = checked;
        }
        return result as T;
    }

    stringList(at: string, value: unknown, pattern: RegExp, fix: string): string[] | undefined {
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || !pattern.test(v))) {
            return this.problem(at, `${JSON.stringify(value)} is not a list of valid values`, fix);
        }
        return value as string[];
    }

    protection(accountId: string | undefined, region: string | undefined): Protection {
        const fix =
            "set loadBalancerArns to the ARNs of the Application Load Balancers to protect, or set demoApplication to true";
        const arns = this.json("loadBalancerArns", fix);
        const demo = this.json("demoApplication", "set it to true or false");
        if (demo !== undefined && typeof demo !== "boolean") {
            this.problem("demoApplication", `${JSON.stringify(demo)} is not true or false`, "set it to true or false");
        }
        if (arns !== undefined && demo === true) {
            this.problem("loadBalancerArns", "is set together with demoApplication: true", "keep only one of the two");
        }
        if (demo === true) return { kind: "demoApplication" };
        if (arns === undefined) {
            this.problem("loadBalancerArns", "is required: the web ACL must protect something", fix);
            return { kind: "loadBalancers", loadBalancerArns: [] };
        }
        const ALB_ARN =
            /^arn:aws(-cn|-us-gov)?:elasticloadbalancing:([a-z0-9-]+):(\d{12}):loadbalancer\/app\/[\w-]+\/[0-9a-f]+$/;
        if (!Array.isArray(arns) || arns.length === 0) {
            this.problem("loadBalancerArns", "must be a non-empty list", fix);
            return { kind: "loadBalancers", loadBalancerArns: [] };
        }
        arns.forEach((arn: unknown, i) => {
            const m = typeof arn === "string" ? ALB_ARN.exec(arn) : null;
            if (!m) {
                this.problem(
                    `loadBalancerArns[${i}]`,
                    `${JSON.stringify(arn)} is not an Application Load Balancer ARN`,
                    "use arn:aws:elasticloadbalancing:<region>:<account-id>:loadbalancer/app/<name>/<id> (Network Load Balancers cannot have a web ACL)",
                );
            } else if (m[2] !== region || m[3] !== accountId) {
                this.problem(
                    `loadBalancerArns[${i}]`,
                    `the load balancer is in ${m[3]}/${m[2]} but this stack deploys to ${accountId}/${region}`,
                    "protect it from the resource stack of its own account and Region",
                );
            }
        });
        return { kind: "loadBalancers", loadBalancerArns: arns as string[] };
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
            resultsExpireAfterDays: (v, at) => this.checkInteger(at, v, 1, 3650),
            projectionStartHour: (v, at) =>
                typeof v === "string" && /^\d{4}\/\d{2}\/\d{2}\/\d{2}$/.test(v)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not an hour`,
                          "write it as yyyy/MM/dd/HH, e.g. 2024/01/01/00",
                      ),
            compactionSchedule: (v, at) =>
                typeof v === "string" && /^(cron|rate)\(.+\)$/.test(v)
                    ? v
                    : this.problem(
                          at,
                          `${JSON.stringify(v)} is not a schedule expression`,
                          "use cron(...) or rate(...), e.g. cron(30 1 * * ? *)",
                      ),
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
