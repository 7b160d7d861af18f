/**
 * Who may put what into the alerting path, as plain functions of their inputs so that tests and
 * reviewers read exactly the documents AWS receives: the alert key, the topic, the alert bus and
 * the two roles EventBridge assumes (the forwarder in each resource account, the publisher in the
 * logging account).
 */
import { ResourceAccount } from "../config";
import { alarmForwarderRuleArn } from "../names";
import { alarmArnPrefix } from "./alarmEvents";
import { KEY_OWNER_ACTIONS } from "./centralBucketPolicies";
import { PolicyDocument, PolicyStatement, policyDocument } from "./policyDocuments";

/** Where the alert topic lives: the logging account and Region. */
export interface AlertHome {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
}

const accountRoot = (partition: string, accountId: string) => `arn:${partition}:iam::${accountId}:root`;

/** CloudWatch acting for this project's alarms in the logging account, and nothing else. */
function cloudWatchAlarmsOf(home: AlertHome): PolicyStatement["Condition"] {
    return {
        StringEquals: { "aws:SourceAccount": home.accountId },
        ArnLike: { "aws:SourceArn": `${alarmArnPrefix(home.partition, home.accountId, home.region)}*` },
    };
}

/**
 * The topic's customer-managed key. AWS-managed alias/aws/sns cannot be used: its policy cannot
 * admit CloudWatch, so alarms could not publish. CloudWatch gets the two actions SNS needs from a
 * publisher, for this account's alarms only. EventBridge publishes through a role of this account
 * (see `alertPublisherStatements`), which the owner statement lets IAM grant; AWS documents that a
 * key policy cannot pin EventBridge's service principal to a source, a role can.
 */
export function alertKeyPolicy(home: AlertHome): PolicyDocument {
    return policyDocument([
        {
            Sid: "LoggingAccountOwnsKey",
            Effect: "Allow",
            Principal: { AWS: accountRoot(home.partition, home.accountId) },
            Action: KEY_OWNER_ACTIONS,
            Resource: "*",
        },
        {
            Sid: "CloudWatchAlarmsEncrypt",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: cloudWatchAlarmsOf(home),
        },
    ]);
}

/**
 * The topic policy: this account's alarms (through CloudWatch) and the alert bus's publisher role
 * may publish; nothing reaches it in clear text.
 */
export function alertTopicPolicy(p: AlertHome & { topicArn: string; publisherRoleArn: string }): PolicyDocument {
    return policyDocument([
        {
            Sid: "CloudWatchAlarmsPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: p.topicArn,
            Condition: cloudWatchAlarmsOf(p),
        },
        {
            Sid: "AlertBusPublishes",
            Effect: "Allow",
            Principal: { AWS: p.publisherRoleArn },
            Action: "sns:Publish",
            Resource: p.topicArn,
        },
        {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "sns:Publish",
            Resource: p.topicArn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
    ]);
}

/**
 * The alert bus admits, per admitted account, events put by that account's forwarding rules in
 * its admitted Regions: the account as principal (never `*`) and each rule's exact ARN.
 */
export function alertBusPolicy(p: { busArn: string; partition: string; sources: readonly ResourceAccount[] }) {
    return policyDocument(
        p.sources.map((source) => ({
            Sid: `AlarmForwarders${source.accountId}`,
            Effect: "Allow" as const,
            Principal: { AWS: accountRoot(p.partition, source.accountId) },
            Action: "events:PutEvents",
            Resource: p.busArn,
            Condition: {
                ArnEquals: {
                    "aws:SourceArn": source.regions.map((region) =>
                        alarmForwarderRuleArn(p.partition, source.accountId, region),
                    ),
                },
            },
        })),
    );
}

/** The forwarder role (resource account): put events on the alert bus, nothing else. */
export function alarmForwarderStatements(busArn: string): PolicyStatement[] {
    return [{ Sid: "ForwardToAlertBus", Effect: "Allow", Action: "events:PutEvents", Resource: busArn }];
}

/** The publisher role (logging account): publish to the alert topic, with the key SNS encrypts it under. */
export function alertPublisherStatements(p: { topicArn: string; keyArn: string }): PolicyStatement[] {
    return [
        { Sid: "PublishAlerts", Effect: "Allow", Action: "sns:Publish", Resource: p.topicArn },
        {
            Sid: "EncryptAlerts",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: p.keyArn,
        },
    ];
}
