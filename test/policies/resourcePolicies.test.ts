/**
 * The resource policies the program creates besides buckets, keys and domains (the alert topic
 * and bus, log delivery, failure queues) and their neighbours: each judged by the same evaluation
 * core, with a compliant baseline and one changed property per case.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { eventbridgeBusNoPublicAccess } from "../../policies/eventbridgeBusNoPublicAccess";
import { lambdaLayerNoPublicAccess } from "../../policies/lambdaLayerNoPublicAccess";
import { logsResourcePolicyNoPublicAccess } from "../../policies/logsResourcePolicyNoPublicAccess";
import { s3AccessPointNoPublicPolicy } from "../../policies/s3AccessPointNoPublicPolicy";
import { secretsmanagerSecretNoPublicAccess } from "../../policies/secretsmanagerSecretNoPublicAccess";
import { snsTopicNoPublicAccess } from "../../policies/snsTopicNoPublicAccess";
import { sqsQueueNoPublicAccess } from "../../policies/sqsQueueNoPublicAccess";
import { resourceViolations, table } from "../support/policyArgs";
import { AMBIGUOUS_FIX, ANONYMOUS, ANY_ACCOUNT, FIX_PRINCIPALS, FIX_SERVICE, doc, text } from "./fixtures";

const TOPIC = "arn:aws:sns:us-east-1:111111111111:alerts";
const run = (policy: ResourceValidationPolicy) => (input: [string, Record<string, unknown>]) =>
    resourceViolations(policy, input[0], input[1]);

describe("policy sns-topic-no-public-access", () => {
    /** As committed: this account's alarms through CloudWatch, and the alert bus's publisher role. */
    const CLOUDWATCH = {
        Sid: "Publish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: TOPIC,
        Condition: {
            StringEquals: { "aws:SourceAccount": "111111111111" },
            ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:111111111111:alarm:*" },
        },
    };
    const POLICY = "aws:sns/topicPolicy:TopicPolicy";
    const with_ = (change: Record<string, unknown>) => ({ arn: TOPIC, policy: text({ ...CLOUDWATCH, ...change }) });
    const message = (who: string, fix = FIX_PRINCIPALS) =>
        `SNS topic policy r: statement Publish allows sns:Publish to ${who}; ${fix}.`;
    table(
        [
            {
                name: "accepts the baseline: CloudWatch for this account's alarms",
                input: [POLICY, with_({})],
                expected: [],
            },
            {
                name: "rejects Principal * (SNS takes signed requests: any account may publish)",
                input: [POLICY, with_({ Principal: "*", Condition: undefined })],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "rejects CloudWatch without a source account (any account's alarms)",
                input: [POLICY, with_({ Condition: undefined })],
                expected: [message("the service cloudwatch.amazonaws.com acting for any account", FIX_SERVICE)],
            },
            {
                name: "accepts Principal * limited to the organization",
                input: [
                    POLICY,
                    with_({ Principal: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } } }),
                ],
                expected: [],
            },
            {
                name: "reads a topic's inline policy",
                input: [
                    "aws:sns/topic:Topic",
                    { name: "alerts", policy: with_({ Principal: { AWS: "*" }, Condition: undefined }).policy },
                ],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "reads aws-native topic policies (an object)",
                input: [
                    "aws-native:sns:TopicPolicy",
                    { topics: [TOPIC], policyDocument: doc({ ...CLOUDWATCH, Principal: "*", Condition: undefined }) },
                ],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "rejects an ambiguous topic policy",
                input: [POLICY, { arn: TOPIC, policy: doc({ ...CLOUDWATCH, effect: "Allow" }) }],
                expected: [
                    `SNS topic policy r is ambiguous: statement #1 has the keys Effect and effect, which AWS reads as one. AWS and this pack could read it differently, so it cannot be shown to be private; ${AMBIGUOUS_FIX}.`,
                ],
            },
            {
                name: "accepts a topic without a policy (its account only)",
                input: ["aws:sns/topic:Topic", {}],
                expected: [],
            },
        ],
        run(snsTopicNoPublicAccess),
    );
});

describe("policy eventbridge-bus-no-public-access", () => {
    const BUS = "arn:aws:events:us-east-1:111111111111:event-bus/alerts";
    /** As committed: each admitted account's forwarding rules, by exact ARN. */
    const FORWARDERS = {
        Sid: "Forwarders",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::222222222222:root" },
        Action: "events:PutEvents",
        Resource: BUS,
        Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:events:us-east-1:222222222222:rule/forward" } },
    };
    const FIX_BUS = "name the accounts, or limit a wildcard principal with an aws:PrincipalOrgID condition";
    const POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy";
    const PERMISSION = "aws:cloudwatch/eventPermission:EventPermission";
    table(
        [
            {
                name: "accepts the baseline: named accounts' forwarding rules",
                input: [POLICY, { eventBusName: "alerts", policy: text(FORWARDERS) }],
                expected: [],
            },
            {
                name: "rejects Principal * on events:PutEvents (anyone could inject alerts)",
                input: [
                    POLICY,
                    { eventBusName: "alerts", policy: text({ ...FORWARDERS, Principal: "*", Condition: undefined }) },
                ],
                expected: [
                    `EventBridge bus policy r: statement Forwarders allows events:PutEvents to ${ANY_ACCOUNT}; ${FIX_BUS}.`,
                ],
            },
            {
                name: "rejects a permission for every account",
                input: [PERMISSION, { principal: "*", statementId: "all", eventBusName: "alerts" }],
                expected: [
                    `EventBridge bus policy r: statement #1 allows events:PutEvents to ${ANY_ACCOUNT}; ${FIX_BUS}.`,
                ],
            },
            {
                name: "accepts a permission for every account of the organization (its condition)",
                input: [
                    PERMISSION,
                    {
                        principal: "*",
                        statementId: "org",
                        condition: { key: "aws:PrincipalOrgID", type: "StringEquals", value: "o-abc123" },
                    },
                ],
                expected: [],
            },
            {
                name: "accepts a permission for a named account",
                input: [PERMISSION, { principal: "222222222222", statementId: "one" }],
                expected: [],
            },
            {
                name: "reads aws-native bus policies given as a statement",
                input: [
                    "aws-native:events:EventBusPolicy",
                    { statementId: "s", statement: { ...FORWARDERS, Principal: "*", Condition: undefined } },
                ],
                expected: [
                    `EventBridge bus policy r: statement Forwarders allows events:PutEvents to ${ANY_ACCOUNT}; ${FIX_BUS}.`,
                ],
            },
        ],
        run(eventbridgeBusNoPublicAccess),
    );
});

describe("policy logs-resource-policy-no-public-access", () => {
    /** As committed: OpenSearch delivers this domain's logs, for this account. */
    const DELIVERY = {
        Sid: "Delivery",
        Effect: "Allow",
        Principal: { Service: "es.amazonaws.com" },
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "arn:aws:logs:us-east-1:111111111111:log-group:/aws/opensearch/logs/*:*",
        Condition: {
            StringEquals: { "aws:SourceAccount": "111111111111" },
            ArnEquals: { "aws:SourceArn": "arn:aws:es:us-east-1:111111111111:domain/logs" },
        },
    };
    const POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy";
    table(
        [
            {
                name: "accepts the baseline: this domain's log delivery",
                input: [POLICY, { policyName: "p", policyDocument: text(DELIVERY) }],
                expected: [],
            },
            {
                name: "rejects a delivery service without a source account (it writes for any account)",
                input: [
                    POLICY,
                    {
                        policyName: "p",
                        policyDocument: text({
                            ...DELIVERY,
                            Principal: { Service: "delivery.logs.amazonaws.com" },
                            Condition: undefined,
                        }),
                    },
                ],
                expected: [
                    `CloudWatch Logs resource policy r: statement Delivery allows logs:CreateLogStream to the service delivery.logs.amazonaws.com acting for any account; ${FIX_SERVICE}.`,
                ],
            },
            {
                name: "rejects a destination policy open to every account",
                input: [
                    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy",
                    {
                        destinationName: "d",
                        accessPolicy: text({
                            ...DELIVERY,
                            Principal: { AWS: "*" },
                            Action: "logs:PutSubscriptionFilter",
                            Condition: undefined,
                        }),
                    },
                ],
                expected: [
                    `CloudWatch Logs resource policy r: statement Delivery allows logs:PutSubscriptionFilter to ${ANY_ACCOUNT}; ${FIX_PRINCIPALS}.`,
                ],
            },
        ],
        run(logsResourcePolicyNoPublicAccess),
    );
});

describe("policy sqs-queue-no-public-access", () => {
    const QUEUE = "arn:aws:sqs:us-east-1:111111111111:failures";
    /** A topic of this account delivering to the queue. */
    const FROM_TOPIC = {
        Sid: "FromTopic",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: QUEUE,
        Condition: { ArnEquals: { "aws:SourceArn": TOPIC } },
    };
    const POLICY = "aws:sqs/queuePolicy:QueuePolicy";
    const with_ = (change: Record<string, unknown>) => ({
        queueUrl: "https://sqs.us-east-1.amazonaws.com/111111111111/failures",
        policy: text({ ...FROM_TOPIC, ...change }),
    });
    table(
        [
            {
                name: "accepts the baseline: a topic of this account (its ARN names the account)",
                input: [POLICY, with_({})],
                expected: [],
            },
            {
                name: "rejects Principal * (SQS serves anonymous requests a policy allows)",
                input: [POLICY, with_({ Principal: "*", Condition: undefined })],
                expected: [
                    `SQS queue policy r: statement FromTopic allows sqs:SendMessage to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "rejects a topic of any account (a wildcard account in aws:SourceArn)",
                input: [
                    POLICY,
                    with_({ Condition: { ArnLike: { "aws:SourceArn": "arn:aws:sns:us-east-1:*:alerts" } } }),
                ],
                expected: [
                    `SQS queue policy r: statement FromTopic allows sqs:SendMessage to the service sns.amazonaws.com acting for any account; ${FIX_SERVICE}.`,
                ],
            },
            {
                name: "reads a queue's inline policy",
                input: [
                    "aws:sqs/queue:Queue",
                    {
                        name: "failures",
                        policy: text({
                            ...FROM_TOPIC,
                            Principal: "*",
                            Action: "sqs:ReceiveMessage",
                            Condition: undefined,
                        }),
                    },
                ],
                expected: [
                    `SQS queue policy r: statement FromTopic allows sqs:ReceiveMessage to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
            { name: "accepts a queue without a policy", input: ["aws:sqs/queue:Queue", { name: "q" }], expected: [] },
        ],
        run(sqsQueueNoPublicAccess),
    );
});

describe("policy lambda-layer-no-public-access", () => {
    const PERMISSION = "aws:lambda/layerVersionPermission:LayerVersionPermission";
    const base = { layerName: "l", versionNumber: 1, action: "lambda:GetLayerVersion", statementId: "s" };
    table(
        [
            {
                name: "accepts a named account",
                input: [PERMISSION, { ...base, principal: "222222222222" }],
                expected: [],
            },
            {
                name: "rejects every account",
                input: [PERMISSION, { ...base, principal: "*" }],
                expected: [
                    `Lambda layer permission r: statement #1 allows lambda:GetLayerVersion to ${ANY_ACCOUNT}; name the account in principal, or set organizationId to your organization.`,
                ],
            },
            {
                name: "accepts every account of the organization",
                input: [PERMISSION, { ...base, principal: "*", organizationId: "o-abc123" }],
                expected: [],
            },
            {
                name: "reads aws-native layer permissions",
                input: [
                    "aws-native:lambda:LayerVersionPermission",
                    {
                        layerVersionArn: "arn:aws:lambda:us-east-1:111111111111:layer:l:1",
                        action: "lambda:GetLayerVersion",
                        principal: "*",
                    },
                ],
                expected: [
                    `Lambda layer permission r: statement #1 allows lambda:GetLayerVersion to ${ANY_ACCOUNT}; name the account in principal, or set organizationId to your organization.`,
                ],
            },
        ],
        run(lambdaLayerNoPublicAccess),
    );
});

describe("policy secretsmanager-secret-no-public-access", () => {
    const READER = {
        Sid: "Read",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:role/loader" },
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
    };
    const SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:s";
    table(
        [
            {
                name: "accepts a named role",
                input: ["aws:secretsmanager/secretPolicy:SecretPolicy", { secretArn: SECRET, policy: text(READER) }],
                expected: [],
            },
            {
                name: "rejects Principal *",
                input: [
                    "aws:secretsmanager/secretPolicy:SecretPolicy",
                    { secretArn: SECRET, policy: text({ ...READER, Principal: "*" }) },
                ],
                expected: [
                    `Secrets Manager secret policy r: statement Read allows secretsmanager:GetSecretValue to ${ANY_ACCOUNT}; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "reads aws-native resource policies",
                input: [
                    "aws-native:secretsmanager:ResourcePolicy",
                    { secretId: SECRET, resourcePolicy: doc({ ...READER, Principal: { AWS: "arn:aws:iam::*:root" } }) },
                ],
                expected: [
                    `Secrets Manager secret policy r: statement Read allows secretsmanager:GetSecretValue to ${ANY_ACCOUNT}; ${FIX_PRINCIPALS}.`,
                ],
            },
        ],
        run(secretsmanagerSecretNoPublicAccess),
    );
});

describe("policy s3-access-point-no-public-policy", () => {
    const AP = "arn:aws:s3:us-east-1:111111111111:accesspoint/ap";
    const READ = {
        Sid: "Read",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:role/analyst" },
        Action: "s3:GetObject",
        Resource: `${AP}/object/*`,
    };
    const block = {
        blockPublicAcls: false,
        blockPublicPolicy: false,
        ignorePublicAcls: false,
        restrictPublicBuckets: false,
    };
    table(
        [
            {
                name: "accepts a named role",
                input: ["aws:s3/accessPoint:AccessPoint", { bucket: "b", name: "ap", policy: text(READ) }],
                expected: [],
            },
            {
                name: "rejects Principal * with the access point's public-access block off",
                input: [
                    "aws:s3/accessPoint:AccessPoint",
                    {
                        bucket: "b",
                        name: "ap",
                        policy: text({ ...READ, Principal: "*" }),
                        publicAccessBlockConfiguration: block,
                    },
                ],
                expected: [
                    `S3 access point policy r: statement Read allows s3:GetObject to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "reads separate access point policies",
                input: [
                    "aws:s3control/accessPointPolicy:AccessPointPolicy",
                    { accessPointArn: AP, policy: text({ ...READ, Principal: { AWS: "*" } }) },
                ],
                expected: [
                    `S3 access point policy r: statement Read allows s3:GetObject to ${ANONYMOUS}; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "accepts Principal * limited to the organization",
                input: [
                    "aws:s3control/accessPointPolicy:AccessPointPolicy",
                    {
                        accessPointArn: AP,
                        policy: text({
                            ...READ,
                            Principal: "*",
                            Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
                        }),
                    },
                ],
                expected: [],
            },
        ],
        run(s3AccessPointNoPublicPolicy),
    );
});
