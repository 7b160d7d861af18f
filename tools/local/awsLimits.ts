/**
 * Documented AWS limits and formats, as data, checked against a recorded plan: names (length and
 * characters), required prefixes, and policy and payload sizes as each service counts them. A plan
 * that breaks one would fail only at `pulumi up`, half deployed; here it fails before. Each row
 * names the AWS documentation page (by title) that states it.
 */
import { ProgramRun, RecordedResource } from "./mockEngine";

/** One documented limit of one resource type. */
export interface LimitRow {
    readonly type: string;
    /** What is limited, as a reader would say it (`name`, `policy`, `environment variables`). */
    readonly what: string;
    /** The value(s) of one resource the row checks; undefined when the resource does not set it. */
    readonly value: (r: RecordedResource) => string | undefined;
    readonly minLength?: number;
    readonly maxLength?: number;
    /** How the length is counted: characters (default), UTF-8 bytes, or characters without whitespace (IAM). */
    readonly count?: "characters" | "bytes" | "non-whitespace";
    readonly pattern?: RegExp;
    /** The pattern in words, for the message. */
    readonly format?: string;
    /** Title of the AWS documentation page that states the limit. */
    readonly doc: string;
}

export interface LimitViolation {
    readonly resource: string;
    readonly message: string;
    readonly doc: string;
}

const input = (key: string) => (r: RecordedResource) => text(r.inputs[key]);
/** The physical name: the input when the program sets it, else the auto-name the provider makes. */
const physical = (key: string) => (r: RecordedResource) => text(r.inputs[key] ?? r.state[key]);
const json = (key: string) => (r: RecordedResource) =>
    r.inputs[key] === undefined ? undefined : JSON.stringify(r.inputs[key]);

function text(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

const IAM_QUOTAS = "IAM and AWS STS quotas";
const IAM_NAME = /^[\w+=,.@-]+$/;
const IAM_NAME_FORMAT = "letters, digits and +=,.@_-";

/** The table. Order: by service. */
export const LIMITS: readonly LimitRow[] = [
    {
        type: "aws:iam/role:Role",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 64,
        pattern: IAM_NAME,
        format: IAM_NAME_FORMAT,
        doc: IAM_QUOTAS,
    },
    {
        type: "aws:iam/role:Role",
        what: "trust policy",
        value: input("assumeRolePolicy"),
        maxLength: 2048,
        count: "non-whitespace",
        doc: IAM_QUOTAS,
    },
    {
        type: "aws:iam/policy:Policy",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 128,
        pattern: IAM_NAME,
        format: IAM_NAME_FORMAT,
        doc: IAM_QUOTAS,
    },
    {
        type: "aws:iam/policy:Policy",
        what: "managed policy",
        value: input("policy"),
        maxLength: 6144,
        count: "non-whitespace",
        doc: IAM_QUOTAS,
    },
    {
        type: "aws:lambda/function:Function",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 64,
        pattern: /^[A-Za-z0-9_-]+$/,
        format: "letters, digits, - and _",
        doc: "CreateFunction - AWS Lambda",
    },
    {
        type: "aws:lambda/function:Function",
        what: "description",
        value: input("description"),
        maxLength: 256,
        doc: "CreateFunction - AWS Lambda",
    },
    {
        type: "aws:lambda/function:Function",
        what: "environment variables",
        value: (r) => (r.inputs.environment?.variables ? JSON.stringify(r.inputs.environment.variables) : undefined),
        maxLength: 4096,
        count: "bytes",
        doc: "Lambda quotas",
    },
    {
        type: "aws:s3/bucket:Bucket",
        what: "name",
        value: physical("bucket"),
        minLength: 3,
        maxLength: 63,
        pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
        format: "lowercase letters, digits, . and -, beginning and ending with a letter or digit",
        doc: "General purpose bucket naming rules",
    },
    {
        type: "aws:s3/bucketPolicy:BucketPolicy",
        what: "bucket policy",
        value: input("policy"),
        maxLength: 20 * 1024,
        count: "bytes",
        doc: "Bucket policies for Amazon S3",
    },
    {
        type: "aws:kms/key:Key",
        what: "key policy",
        value: input("policy"),
        maxLength: 32 * 1024,
        count: "bytes",
        doc: "Key policies in AWS KMS",
    },
    {
        type: "aws:kms/alias:Alias",
        what: "name",
        value: input("name"),
        minLength: 7,
        maxLength: 256,
        pattern: /^alias\/(?!aws\/)[A-Za-z0-9/_-]+$/,
        format: "alias/ then letters, digits, /, _ and - (not alias/aws/)",
        doc: "CreateAlias - AWS Key Management Service",
    },
    {
        type: "aws:sqs/queue:Queue",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 80,
        pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/,
        format: "letters, digits, - and _ (and .fifo)",
        doc: "CreateQueue - Amazon Simple Queue Service",
    },
    {
        type: "aws:sqs/queuePolicy:QueuePolicy",
        what: "queue policy",
        value: input("policy"),
        maxLength: 8192,
        count: "bytes",
        doc: "Amazon SQS policy quotas",
    },
    {
        type: "aws:sns/topic:Topic",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 256,
        pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/,
        format: "letters, digits, - and _ (and .fifo)",
        doc: "CreateTopic - Amazon Simple Notification Service",
    },
    {
        type: "aws:sns/topicPolicy:TopicPolicy",
        what: "topic policy",
        value: input("policy"),
        maxLength: 30 * 1024,
        count: "bytes",
        doc: "Amazon SNS API permissions: Actions and resources reference",
    },
    {
        type: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 64,
        pattern: /^[A-Za-z0-9_.-]+$/,
        format: "letters, digits, ., _ and -",
        doc: "CreateDeliveryStream - Amazon Data Firehose",
    },
    {
        type: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        what: "logging destination",
        value: (r) => (r.inputs.logDestinationConfigs as string[] | undefined)?.join(","),
        pattern: /^(arn:[\w-]+:(firehose|s3|logs):[^,]*:(deliverystream\/|log-group:)?aws-waf-logs-[^,]*)(,\1)*$/,
        format: "a Firehose stream, bucket or log group whose name starts with aws-waf-logs-",
        doc: "AWS WAF logging destinations",
    },
    {
        type: "aws:wafv2/webAcl:WebAcl",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 128,
        pattern: /^[\w-]+$/,
        format: "letters, digits, _ and -",
        doc: "CreateWebACL - AWS WAFV2",
    },
    {
        type: "aws:wafv2/webAcl:WebAcl",
        what: "metric name",
        value: (r) => text(r.inputs.visibilityConfig?.metricName),
        minLength: 1,
        maxLength: 255,
        pattern: /^[\w#:.\-/]+$/,
        format: "letters, digits and #:._-/ (no spaces)",
        doc: "VisibilityConfig - AWS WAFV2",
    },
    {
        type: "aws:wafv2/ipSet:IpSet",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 128,
        pattern: /^[\w-]+$/,
        format: "letters, digits, _ and -",
        doc: "CreateIPSet - AWS WAFV2",
    },
    ...["aws:glue/catalogDatabase:CatalogDatabase", "aws:glue/catalogTable:CatalogTable"].map((type): LimitRow => ({
        type,
        what: "name",
        value: input("name"),
        minLength: 1,
        maxLength: 255,
        pattern: /^[a-z0-9_]+$/,
        format: "lowercase letters, digits and _ (the names Athena can query)",
        doc: "Name databases, tables, and columns",
    })),
    {
        type: "aws:athena/workgroup:Workgroup",
        what: "name",
        value: input("name"),
        minLength: 1,
        maxLength: 128,
        pattern: /^[A-Za-z0-9._-]+$/,
        format: "letters, digits, ., _ and -",
        doc: "CreateWorkGroup - Amazon Athena",
    },
    {
        type: "aws:athena/namedQuery:NamedQuery",
        what: "name",
        value: input("name"),
        minLength: 1,
        maxLength: 128,
        doc: "CreateNamedQuery - Amazon Athena",
    },
    {
        type: "aws:athena/namedQuery:NamedQuery",
        what: "description",
        value: input("description"),
        maxLength: 1024,
        doc: "CreateNamedQuery - Amazon Athena",
    },
    {
        type: "aws:athena/namedQuery:NamedQuery",
        what: "query",
        value: input("query"),
        maxLength: 262_144,
        count: "bytes",
        doc: "CreateNamedQuery - Amazon Athena",
    },
    {
        type: "aws:dynamodb/table:Table",
        what: "name",
        value: physical("name"),
        minLength: 3,
        maxLength: 255,
        pattern: /^[A-Za-z0-9_.-]+$/,
        format: "letters, digits, _, . and -",
        doc: "Supported data types and naming rules in Amazon DynamoDB",
    },
    {
        type: "aws:opensearch/domain:Domain",
        what: "domain name",
        value: input("domainName"),
        minLength: 3,
        maxLength: 28,
        pattern: /^[a-z][a-z0-9-]+$/,
        format: "a lowercase letter, then lowercase letters, digits and -",
        doc: "Creating and managing Amazon OpenSearch Service domains",
    },
    ...(
        [
            ["aws:scheduler/schedule:Schedule", "CreateSchedule - EventBridge Scheduler"],
            ["aws:scheduler/scheduleGroup:ScheduleGroup", "CreateScheduleGroup - EventBridge Scheduler"],
        ] as const
    ).map(([type, doc]): LimitRow => ({
        type,
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 64,
        pattern: /^[0-9A-Za-z_.-]+$/,
        format: "letters, digits, ., _ and -",
        doc,
    })),
    {
        type: "aws:scheduler/schedule:Schedule",
        what: "description",
        value: input("description"),
        maxLength: 512,
        doc: "CreateSchedule - EventBridge Scheduler",
    },
    {
        type: "aws:cloudwatch/eventRule:EventRule",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 64,
        pattern: /^[.\-_A-Za-z0-9]+$/,
        format: "letters, digits, ., _ and -",
        doc: "PutRule - Amazon EventBridge",
    },
    {
        type: "aws:cloudwatch/eventBus:EventBus",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 256,
        pattern: /^[/.\-_A-Za-z0-9]+$/,
        format: "letters, digits, /, ., _ and -",
        doc: "CreateEventBus - Amazon EventBridge",
    },
    {
        type: "aws:cloudwatch/eventTarget:EventTarget",
        what: "input",
        value: input("input"),
        maxLength: 8192,
        doc: "Target - Amazon EventBridge",
    },
    {
        type: "aws:cloudwatch/metricAlarm:MetricAlarm",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 255,
        doc: "PutMetricAlarm - Amazon CloudWatch",
    },
    {
        type: "aws:cloudwatch/metricAlarm:MetricAlarm",
        what: "description",
        value: input("alarmDescription"),
        maxLength: 1024,
        doc: "PutMetricAlarm - Amazon CloudWatch",
    },
    {
        type: "aws:cloudwatch/logGroup:LogGroup",
        what: "name",
        value: physical("name"),
        minLength: 1,
        maxLength: 512,
        pattern: /^[.\-_/#A-Za-z0-9]+$/,
        format: "letters, digits and ._-/#",
        doc: "CreateLogGroup - Amazon CloudWatch Logs",
    },
    {
        type: "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        what: "policy",
        value: input("policyDocument"),
        maxLength: 5120,
        doc: "PutResourcePolicy - Amazon CloudWatch Logs",
    },
    {
        type: "aws:lambda/invocation:Invocation",
        what: "input",
        value: json("input"),
        // A synchronous invocation's request payload.
        maxLength: 6 * 1024 * 1024,
        count: "bytes",
        doc: "Lambda quotas",
    },
];

/** Inline policies of one role count together (IAM and AWS STS quotas: 10,240 characters, whitespace not counted). */
export const INLINE_ROLE_POLICIES_MAX = 10_240;

function lengthOf(value: string, count: LimitRow["count"]): number {
    if (count === "bytes") return Buffer.byteLength(value, "utf8");
    if (count === "non-whitespace") return value.replace(/\s/g, "").length;
    return value.length;
}

const unit = (count: LimitRow["count"]) =>
    count === "bytes" ? "bytes" : count === "non-whitespace" ? "characters without whitespace" : "characters";

/** Every row's check on every resource of the plan, plus the per-role aggregate of inline policies. */
export function limitViolations(run: ProgramRun, rows: readonly LimitRow[] = LIMITS): LimitViolation[] {
    const found: LimitViolation[] = [];
    for (const resource of run.resources) {
        for (const row of rows.filter((r) => r.type === resource.type)) {
            const value = row.value(resource);
            if (value === undefined) continue;
            const at = `${resource.type}::${resource.name}`;
            const length = lengthOf(value, row.count);
            if (row.minLength !== undefined && length < row.minLength) {
                found.push({
                    resource: at,
                    doc: row.doc,
                    message: `${row.what} "${value}" is shorter than ${row.minLength} ${unit(row.count)}`,
                });
            }
            if (row.maxLength !== undefined && length > row.maxLength) {
                found.push({
                    resource: at,
                    doc: row.doc,
                    message: `${row.what} is ${length} ${unit(row.count)}, over the limit of ${row.maxLength}`,
                });
            }
            if (row.pattern && !row.pattern.test(value)) {
                found.push({
                    resource: at,
                    doc: row.doc,
                    message: `${row.what} "${value}" is not ${row.format ?? row.pattern.source}`,
                });
            }
        }
    }
    return [...found, ...inlinePolicyTotals(run)];
}

/** The inline policies of each role (RolePolicy resources and the role's own inlinePolicies), summed. */
function inlinePolicyTotals(run: ProgramRun): LimitViolation[] {
    const totals = new Map<string, number>();
    const add = (role: string, policy: unknown) => {
        if (typeof policy !== "string") return;
        totals.set(role, (totals.get(role) ?? 0) + lengthOf(policy, "non-whitespace"));
    };
    for (const r of run.resources) {
        if (r.type === "aws:iam/rolePolicy:RolePolicy") {
            // `role` is the role's name or ID (the same string in IAM): key by the role resource it names.
            const owner = run.resources.find(
                (role) =>
                    role.type === "aws:iam/role:Role" &&
                    (role.id === r.inputs.role || role.state.name === r.inputs.role),
            );
            add(owner ? `${owner.type}::${owner.name}` : String(r.inputs.role), r.inputs.policy);
        }
        if (r.type === "aws:iam/role:Role") {
            for (const inline of (r.inputs.inlinePolicies ?? []) as { policy?: unknown }[]) {
                add(`${r.type}::${r.name}`, inline.policy);
            }
        }
    }
    return [...totals]
        .filter(([, total]) => total > INLINE_ROLE_POLICIES_MAX)
        .map(([role, total]) => ({
            resource: role,
            doc: IAM_QUOTAS,
            message: `inline policies total ${total} characters without whitespace, over the limit of ${INLINE_ROLE_POLICIES_MAX}`,
        }));
}
