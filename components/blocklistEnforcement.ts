import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ResourceResponseSettings } from "../config";
import { ApplierSettings } from "../handlers/applier";
import { APPLIER_ENVIRONMENT, applierCallbackFactory } from "../handlers/applierLambda";
import { MAX_ADDRESSES_PER_IP_SET } from "../handlers/blocklist";
import { METRICS_NAMESPACE } from "../handlers/metrics";
import {
    ALARM_NAME_PREFIX,
    BLOCKLIST_IP_SETS,
    BLOCKLIST_LABEL,
    BLOCKLIST_RULE_GROUP,
    blocklistApplierName,
    blocklistSyncRoleName,
} from "../names";
import { inlineFunction, lambdaRole } from "./inlineFunction";
import { PolicyStatement, policyDocument, rolesOutsideStack } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

export interface BlocklistEnforcementArgs {
    readonly accountId: string;
    readonly region: string;
    /** The stack's Region name in the central layout (`global` for CloudFront), naming the sync role. Default: the Region. */
    readonly location?: string;
    /** WAF scope of the IP sets and the rule group: CLOUDFRONT in a global stack (us-east-1). Default REGIONAL. */
    readonly scope?: "REGIONAL" | "CLOUDFRONT";
    readonly partition: string;
    /** The logging account's publisher role: the only principal that may assume the sync role. */
    readonly publisherRoleArn: string;
    /** This account's own limits on what its IP sets may hold (resource stack `response`). */
    readonly limits: ResourceResponseSettings;
    /** Where the applier's alarms notify. Default: nowhere (state changes are forwarded by ResourceHealth). */
    readonly alarmActions?: pulumi.Input<string>[];
    /** The rule group's action on blocklisted clients: `count` (and label) or `block`. */
    readonly action: "count" | "block";
}

/** The applier's timeout, seconds: two sets, each with up to 6 attempts and pauses of at most 16 s. */
export const APPLIER_TIMEOUT_SEC = 60;

/**
 * Web ACL capacity units of the blocklist rule group. Each IP set reference statement costs 1 WCU
 * (AWS WAF Developer Guide, "IP set match rule statement"): 2 are used. A rule group's capacity is
 * fixed when it is created and every web ACL referencing it pays the declared capacity, so it is
 * declared with a little room (a forwarded-IP variant costs 5 per statement) and no more.
 */
export const BLOCKLIST_RULE_GROUP_CAPACITY = 10;
/** WCUs the rule group's rules use today: one IP set reference statement per address family. */
export const BLOCKLIST_RULE_GROUP_USED_WCU = 2;

/**
 * The receiving end of the central blocklist in one account and Region (or its CloudFront web
 * ACLs): the two IP sets (IPv4, IPv6; REGIONAL, or CLOUDFRONT in a global stack, whose resources
 * live in us-east-1) the web ACL's blocklist rule references, the rule group holding the same
 * rules for web ACLs the platform does not own, the applier Lambda that alone writes the sets
 * after checking the desired state against this account's limits (prefix breadth, global
 * reachability, set size, its own allowlist), and the role the logging account's publisher
 * assumes, which trusts the publisher's role alone and may only invoke the applier.
 */
export class BlocklistEnforcement extends pulumi.ComponentResource {
    readonly ipv4: aws.wafv2.IpSet;
    readonly ipv6: aws.wafv2.IpSet;
    readonly syncRole: aws.iam.Role;
    /** The only writer of the two sets: the sync role may invoke it and do nothing else. */
    readonly applier: aws.lambda.CallbackFunction<any, any>;
    /** The applier's alarms (the global stack's alarm forwarding names them). */
    readonly alarmResources: aws.cloudwatch.MetricAlarm[];
    /** The two blocklist rules, for web ACLs the platform does not own: one rule-group reference, first in the ACL. */
    readonly ruleGroup: aws.wafv2.RuleGroup;

    constructor(name: string, args: BlocklistEnforcementArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:BlocklistEnforcement", name, {}, opts);
        requireProvider("BlocklistEnforcement", name, opts, "resource");
        const ipSet = (family: "ipv4" | "ipv6") =>
            new aws.wafv2.IpSet(
                `${name}-${family}`,
                {
                    name: BLOCKLIST_IP_SETS[family],
                    description: `Client ${family === "ipv4" ? "IPv4" : "IPv6"} ranges blocked by the central WAF blocklist (written by its publisher)`,
                    scope: args.scope ?? "REGIONAL",
                    ipAddressVersion: family === "ipv4" ? "IPV4" : "IPV6",
                    addresses: [],
                },
                // The publisher owns the addresses: a deployment must never reset them.
                { parent: this, ignoreChanges: ["addresses"] },
            );
        this.ipv4 = ipSet("ipv4");
        this.ipv6 = ipSet("ipv6");

        this.applier = this.applierFunction(name, args);

        this.syncRole = new aws.iam.Role(
            `${name}-sync-role`,
            {
                name: blocklistSyncRoleName(locationOf(args)),
                description: `Lets the central blocklist publisher ask the applier of ${locationOf(args)} to update the blocklist IP sets`,
                // Short sessions: the publisher needs seconds per sync.
                maxSessionDuration: 3600,
                assumeRolePolicy: JSON.stringify(
                    policyDocument([
                        // The publisher's role lives in the logging stack: admitted by ARN condition.
                        {
                            Sid: "AssumedByPublisher",
                            ...rolesOutsideStack([args.publisherRoleArn]),
                            Action: "sts:AssumeRole",
                        },
                    ]),
                ),
            },
            { parent: this },
        );
        // Invoke the applier, nothing else: no WAF action, so the logging account cannot get past
        // the applier's checks even with this role.
        new aws.iam.RolePolicy(
            `${name}-sync-policy`,
            {
                role: this.syncRole.id,
                policy: this.applier.arn.apply((applierArn) =>
                    JSON.stringify(
                        policyDocument([
                            {
                                Sid: "InvokeBlocklistApplier",
                                Effect: "Allow",
                                Action: "lambda:InvokeFunction",
                                Resource: applierArn,
                            },
                        ]),
                    ),
                ),
            },
            { parent: this },
        );
        this.alarmResources = this.alarms(name, args);
        this.ruleGroup = this.blocklistRuleGroup(name, args);
        this.registerOutputs({
            ipv4Arn: this.ipv4.arn,
            ipv6Arn: this.ipv6.arn,
            syncRoleArn: this.syncRole.arn,
            applierArn: this.applier.arn,
            ruleGroupArn: this.ruleGroup.arn,
        });
    }

    /** The applier: checks what the publisher asks for against this account's limits, then writes the two sets. */
    private applierFunction(name: string, args: BlocklistEnforcementArgs): aws.lambda.CallbackFunction<any, any> {
        const functionName = blocklistApplierName(locationOf(args));
        const role = lambdaRole(`${name}-applier-role`, args.accountId, this, {
            name: functionName,
            description: `Writes the central blocklist into the WAF IP sets of ${locationOf(args)}, within this account's limits`,
        });
        return inlineFunction(
            `${name}-applier`,
            {
                functionName,
                description: "Checks the central blocklist against this account's limits and writes its WAF IP sets",
                role,
                statements: () =>
                    pulumi.all([this.ipv4.arn, this.ipv6.arn]).apply(([ipv4Arn, ipv6Arn]): PolicyStatement[] => [
                        {
                            Sid: "UpdateBlocklistSets",
                            Effect: "Allow",
                            Action: ["wafv2:GetIPSet", "wafv2:UpdateIPSet"],
                            Resource: [ipv4Arn, ipv6Arn],
                        },
                    ]),
                callbackFactory: applierCallbackFactory(
                    applierSettings(args.limits, args.scope ?? "REGIONAL"),
                    functionName,
                ),
                packages: ["ipaddr.js"],
                // The sets' IDs: no wafv2:ListIPSets needed to find them.
                environment: {
                    [APPLIER_ENVIRONMENT.ipv4SetId]: this.ipv4.id,
                    [APPLIER_ENVIRONMENT.ipv6SetId]: this.ipv6.id,
                },
                timeoutSec: APPLIER_TIMEOUT_SEC,
                memoryMiB: 256,
            },
            this,
        );
    }

    /** Refusals and failures, in this account (forwarded to the logging account's alert bus by ResourceHealth). */
    private alarms(name: string, args: BlocklistEnforcementArgs): aws.cloudwatch.MetricAlarm[] {
        const functionName = blocklistApplierName(locationOf(args));
        const common = {
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            treatMissingData: "notBreaching",
            // No actions unless given: CloudWatch cannot publish to a topic in another account or Region.
            ...(args.alarmActions ? { alarmActions: args.alarmActions, okActions: args.alarmActions } : {}),
        };
        const refused = new aws.cloudwatch.MetricAlarm(
            `${name}-refused-alarm`,
            {
                ...common,
                name: `${ALARM_NAME_PREFIX}blocklist-refused-${locationOf(args)}`,
                alarmDescription: `The blocklist applier of ${locationOf(args)} refused ranges the logging account asked it to block (too broad, not globally reachable, too many, malformed). Nothing refused was written. Read the applier refused lines in /aws/lambda/${functionName}; if the logging account did not mean to send them, treat it as compromised.`,
                namespace: METRICS_NAMESPACE,
                metricName: "BlocklistEntriesRefused",
                dimensions: { FunctionName: functionName },
            },
            // Named after the applier: put after it.
            { parent: this, dependsOn: [this.applier] },
        );
        const errors = new aws.cloudwatch.MetricAlarm(
            `${name}-applier-errors-alarm`,
            {
                ...common,
                name: `${ALARM_NAME_PREFIX}blocklist-applier-${locationOf(args)}-errors`,
                alarmDescription: `The blocklist applier of ${locationOf(args)} failed (WAF unreachable, throttled or denied): its IP sets no longer follow the blocklist. The publisher retries at its next sync.`,
                namespace: "AWS/Lambda",
                metricName: "Errors",
                dimensions: { FunctionName: functionName },
            },
            // Named after the applier: put after it.
            { parent: this, dependsOn: [this.applier] },
        );
        return [refused, errors];
    }

    /** One rule per address family, each an IP set reference statement (1 WCU), acting per the response mode. */
    private blocklistRuleGroup(name: string, args: BlocklistEnforcementArgs): aws.wafv2.RuleGroup {
        const visibility = (metricName: string) => ({
            cloudwatchMetricsEnabled: true,
            sampledRequestsEnabled: true,
            metricName,
        });
        const rule = (family: "ipv4" | "ipv6", priority: number) => ({
            name: `central-blocklist-${family}`,
            priority,
            action: args.action === "block" ? { block: {} } : { count: {} },
            ruleLabels: [{ name: BLOCKLIST_LABEL }],
            statement: { ipSetReferenceStatement: { arn: this[family].arn } },
            visibilityConfig: visibility(`central-blocklist-${family}`),
        });
        return new aws.wafv2.RuleGroup(
            `${name}-rule-group`,
            {
                name: BLOCKLIST_RULE_GROUP,
                description: "The central WAF blocklist: reference it first in your web ACL (written by its applier)",
                scope: args.scope ?? "REGIONAL",
                capacity: BLOCKLIST_RULE_GROUP_CAPACITY,
                rules: [rule("ipv4", 0), rule("ipv6", 1)],
                visibilityConfig: visibility(BLOCKLIST_RULE_GROUP),
            },
            { parent: this },
        );
    }
}

/** The stack's location: its Region, or `global` for its CloudFront web ACLs (resources in us-east-1). */
const locationOf = (args: BlocklistEnforcementArgs) => args.location ?? args.region;

/** The applier's baked settings, from the resource stack's own `response` settings. */
export function applierSettings(
    limits: ResourceResponseSettings,
    scope: "REGIONAL" | "CLOUDFRONT" = "REGIONAL",
): ApplierSettings {
    return {
        ipSetNames: BLOCKLIST_IP_SETS,
        scope,
        broadestPrefix: { ipv4: limits.maxPrefixIpv4, ipv6: limits.maxPrefixIpv6 },
        allowlist: limits.allowlist,
        maxAddresses: MAX_ADDRESSES_PER_IP_SET,
        maxAttempts: 6,
        baseDelayMs: 500,
        minUpdateIntervalMs: 1100,
    };
}
