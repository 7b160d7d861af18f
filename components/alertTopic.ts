import { createHash } from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlertSubscription, PROJECT, ResourceAccount } from "../config";
import { ALERT_BUS_NAME } from "../names";
import {
    ALARM_MESSAGE,
    ATHENA_FAILURE_MESSAGE,
    failedAthenaQueriesPattern,
    notifiedAlarmsPattern,
} from "./alarmEvents";
import { AlertHome, alertBusPolicy, alertKeyPolicy, alertPublisherStatements, alertTopicPolicy } from "./alertPolicies";
import { policyDocument, serviceTrustPolicy } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

export interface AlertTopicArgs extends AlertHome {
    /** Admitted resource accounts and Regions: the only ones whose forwarded alarms the alert bus accepts. */
    readonly sources: readonly ResourceAccount[];
    /** E-mail addresses subscribed to the topic (each confirms by the link SNS mails it). */
    readonly emails: readonly string[];
    /** Other subscriptions (https, sqs, lambda). The emails and these together need at least one entry. */
    readonly subscriptions: readonly AlertSubscription[];
    /**
     * Athena workgroups of this account whose failed queries are notified (a rule on the default
     * bus, publishing through the same role). Default: none.
     */
    readonly athenaWorkgroups?: readonly string[];
}

/** The default-bus rule that turns failed Athena queries of the project's workgroups into messages. */
export const ATHENA_FAILURES_RULE_NAME = `${PROJECT}-athena-failures`;

/** The rule on the alert bus that turns alarm state changes into messages; its ARN pins the publisher role. */
export const ALERT_RULE_NAME = `${PROJECT}-alarm-notifications`;

/**
 * The one place alerts go: an SNS topic in the logging account, KMS-encrypted with a key of its
 * own, TLS-only, subscribed from config; and the custom event bus that collects alarm state changes
 * from every admitted account and Region, with a rule that publishes them to the topic as one
 * readable line. CloudWatch alarms of the logging account publish to the topic directly; alarms in
 * other accounts or Regions cannot, so resource stacks forward their state changes to the bus.
 */
export class AlertTopic extends pulumi.ComponentResource {
    readonly topic: aws.sns.Topic;
    readonly topicArn: pulumi.Output<string>;
    readonly bus: aws.cloudwatch.EventBus;
    readonly busArn: pulumi.Output<string>;

    constructor(name: string, args: AlertTopicArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:AlertTopic", name, {}, opts);
        requireProvider("AlertTopic", name, opts, "logging");
        if (args.emails.length + args.subscriptions.length === 0) {
            throw new Error(
                `AlertTopic ${name}: args.emails and args.subscriptions are both empty; give at least one recipient, or alerts reach no one.`,
            );
        }
        if (args.sources.length === 0) {
            throw new Error(`AlertTopic ${name}: args.sources is empty; list the admitted accounts and Regions.`);
        }
        const parent = { parent: this };
        const home: AlertHome = { accountId: args.accountId, region: args.region, partition: args.partition };

        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: `Encrypts the ${PROJECT} alert topic`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: JSON.stringify(alertKeyPolicy(home)),
            },
            parent,
        );
        new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${PROJECT}-alerts`, targetKeyId: key.keyId }, parent);

        this.topic = new aws.sns.Topic(
            `${name}-topic`,
            {
                name: `${PROJECT}-alerts`,
                displayName: "WAF logs alerts",
                kmsMasterKeyId: key.arn,
                // SHA256 signatures, for https subscribers that verify them.
                signatureVersion: 2,
            },
            parent,
        );
        this.topicArn = this.topic.arn;

        this.bus = new aws.cloudwatch.EventBus(
            `${name}-bus`,
            {
                name: ALERT_BUS_NAME,
                description: "Alarm state changes forwarded from every admitted account and Region",
            },
            parent,
        );
        this.busArn = this.bus.arn;
        new aws.cloudwatch.EventBusPolicy(
            `${name}-bus-policy`,
            {
                eventBusName: this.bus.name,
                policy: this.bus.arn.apply((busArn) =>
                    JSON.stringify(alertBusPolicy({ busArn, partition: args.partition, sources: args.sources })),
                ),
            },
            parent,
        );

        const publisher = this.publisher(name, args, key);
        new aws.sns.TopicPolicy(
            `${name}-topic-policy`,
            {
                arn: this.topic.arn,
                policy: pulumi
                    .all([this.topic.arn, publisher.arn])
                    .apply(([topicArn, publisherRoleArn]) =>
                        JSON.stringify(alertTopicPolicy({ ...home, topicArn, publisherRoleArn })),
                    ),
            },
            parent,
        );
        this.subscribe(name, args);

        this.registerOutputs({ topicArn: this.topicArn, busArn: this.busArn });
    }

    /** The rule on the alert bus, its target (the topic, through a role) and that role. */
    private publisher(name: string, args: AlertTopicArgs, key: aws.kms.Key): aws.iam.Role {
        const parent = { parent: this };
        const rules = `arn:${args.partition}:events:${args.region}:${args.accountId}:rule`;
        const ruleArn = `${rules}/${ALERT_BUS_NAME}/${ALERT_RULE_NAME}`;
        const workgroups = args.athenaWorkgroups ?? [];
        const athenaRuleArns = workgroups.length > 0 ? [`${rules}/${ATHENA_FAILURES_RULE_NAME}`] : [];
        // EventBridge assumes this role only for the notification rules (the SNS key policy could
        // not pin EventBridge's service principal to them).
        const role = new aws.iam.Role(
            `${name}-publisher-role`,
            {
                description: "EventBridge publishes forwarded alarm state changes to the alert topic",
                assumeRolePolicy: JSON.stringify(
                    serviceTrustPolicy(
                        "events.amazonaws.com",
                        args.accountId,
                        athenaRuleArns.length > 0 ? [ruleArn, ...athenaRuleArns] : ruleArn,
                    ),
                ),
            },
            parent,
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-publisher-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([this.topic.arn, key.arn])
                    .apply(([topicArn, keyArn]) =>
                        JSON.stringify(policyDocument(alertPublisherStatements({ topicArn, keyArn }))),
                    ),
            },
            parent,
        );
        const rule = new aws.cloudwatch.EventRule(
            `${name}-rule`,
            {
                name: ALERT_RULE_NAME,
                eventBusName: this.bus.name,
                description: "Alarms of the admitted accounts going into ALARM, or back to OK",
                eventPattern: JSON.stringify(notifiedAlarmsPattern(args.sources.map((s) => s.accountId))),
            },
            parent,
        );
        new aws.cloudwatch.EventTarget(
            `${name}-to-topic`,
            {
                rule: rule.name,
                eventBusName: this.bus.name,
                targetId: "alert-topic",
                arn: this.topic.arn,
                roleArn: role.arn,
                inputTransformer: {
                    inputPaths: { ...ALARM_MESSAGE.inputPaths },
                    inputTemplate: ALARM_MESSAGE.inputTemplate,
                },
            },
            // The first forwarded alarm must not meet a role that may not publish yet.
            { parent: this, dependsOn: [rolePolicy] },
        );
        if (workgroups.length > 0) {
            const athenaRule = new aws.cloudwatch.EventRule(
                `${name}-athena-failures`,
                {
                    name: ATHENA_FAILURES_RULE_NAME,
                    description: "Athena queries that failed in this project's workgroups (scheduled ones included)",
                    eventPattern: JSON.stringify(failedAthenaQueriesPattern(workgroups)),
                },
                parent,
            );
            new aws.cloudwatch.EventTarget(
                `${name}-athena-failures-to-topic`,
                {
                    rule: athenaRule.name,
                    targetId: "alert-topic",
                    arn: this.topic.arn,
                    roleArn: role.arn,
                    inputTransformer: {
                        inputPaths: { ...ATHENA_FAILURE_MESSAGE.inputPaths },
                        inputTemplate: ATHENA_FAILURE_MESSAGE.inputTemplate,
                    },
                },
                { parent: this, dependsOn: [rolePolicy] },
            );
        }
        return role;
    }

    /** One subscription per recipient, named by a digest of the endpoint so reordering the list changes nothing. */
    private subscribe(name: string, args: AlertTopicArgs): void {
        const recipients: { protocol: string; endpoint: string }[] = [
            ...args.emails.map((endpoint) => ({ protocol: "email", endpoint })),
            ...args.subscriptions,
        ];
        for (const recipient of recipients) {
            const digest = createHash("sha256").update(recipient.endpoint).digest("hex").slice(0, 8);
            new aws.sns.TopicSubscription(
                `${name}-${recipient.protocol}-${digest}`,
                { topic: this.topic.arn, protocol: recipient.protocol, endpoint: recipient.endpoint },
                { parent: this },
            );
        }
    }
}
