import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ResourceResponseSettings } from "../config";
import { ApplierSettings } from "../handlers/applier";
import { APPLIER_ENVIRONMENT, applierCallbackFactory } from "../handlers/applierLambda";
import { MAX_ADDRESSES_PER_IP_SET } from "../handlers/blocklist";
import { METRICS_NAMESPACE } from "../handlers/metrics";
import { ALARM_NAME_PREFIX, BLOCKLIST_IP_SETS, blocklistApplierName, blocklistSyncRoleName } from "../names";
import { inlineFunction, lambdaRole } from "./inlineFunction";
import { PolicyStatement, policyDocument, rolesOutsideStack } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

export interface BlocklistEnforcementArgs {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    /** The logging account's publisher role: the only principal that may assume the sync role. */
    readonly publisherRoleArn: string;
    /** This account's own limits on what its IP sets may hold (resource stack `response`). */
    readonly limits: ResourceResponseSettings;
    /** Where the applier's alarms notify. Default: nowhere (state changes are forwarded by ResourceHealth). */
    readonly alarmActions?: pulumi.Input<string>[];
}

/** The applier's timeout, seconds: two sets, each with up to 6 attempts and pauses of at most 16 s. */
export const APPLIER_TIMEOUT_SEC = 60;

/**
 * The receiving end of the central blocklist in one account and Region: the two REGIONAL IP sets
 * (IPv4, IPv6) the web ACL's blocklist rule references, the applier Lambda that alone writes them
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

    constructor(name: string, args: BlocklistEnforcementArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:BlocklistEnforcement", name, {}, opts);
        requireProvider("BlocklistEnforcement", name, opts, "resource");
        const ipSet = (family: "ipv4" | "ipv6") =>
            new aws.wafv2.IpSet(
                `${name}-${family}`,
                {
                    name: BLOCKLIST_IP_SETS[family],
                    description: `Client ${family === "ipv4" ? "IPv4" : "IPv6"} ranges blocked by the central WAF blocklist (written by its publisher)`,
                    scope: "REGIONAL",
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
                name: blocklistSyncRoleName(args.region),
                description: `Lets the central blocklist publisher ask this Region's applier to update the blocklist IP sets`,
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
        this.alarms(name, args);
        this.registerOutputs({
            ipv4Arn: this.ipv4.arn,
            ipv6Arn: this.ipv6.arn,
            syncRoleArn: this.syncRole.arn,
            applierArn: this.applier.arn,
        });
    }

    /** The applier: checks what the publisher asks for against this account's limits, then writes the two sets. */
    private applierFunction(name: string, args: BlocklistEnforcementArgs): aws.lambda.CallbackFunction<any, any> {
        const functionName = blocklistApplierName(args.region);
        const role = lambdaRole(`${name}-applier-role`, args.accountId, this, {
            name: functionName,
            description: `Writes the central blocklist into the WAF IP sets of ${args.region}, within this account's limits`,
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
                callbackFactory: applierCallbackFactory(applierSettings(args.limits), functionName),
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
    private alarms(name: string, args: BlocklistEnforcementArgs): void {
        const functionName = blocklistApplierName(args.region);
        const common = {
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            treatMissingData: "notBreaching",
            // CloudWatch cannot notify a topic of another account: these reach the alert topic by
            // the stack's alarm forwarding (EventBridge), as every resource-stack alarm does.
            ...(args.alarmActions ? { alarmActions: args.alarmActions, okActions: args.alarmActions } : {}),
        };
        new aws.cloudwatch.MetricAlarm(
            `${name}-refused-alarm`,
            {
                ...common,
                name: `${ALARM_NAME_PREFIX}blocklist-refused-${args.region}`,
                alarmDescription: `The blocklist applier of ${args.region} refused ranges the logging account asked it to block (too broad, not globally reachable, too many, malformed). Nothing refused was written. Read the log lines 'applier refused' in /aws/lambda/${functionName}; if the logging account did not mean to send them, treat it as compromised.`,
                namespace: METRICS_NAMESPACE,
                metricName: "BlocklistEntriesRefused",
                dimensions: { FunctionName: functionName },
            },
            // Named after the applier: put after it.
            { parent: this, dependsOn: [this.applier] },
        );
        new aws.cloudwatch.MetricAlarm(
            `${name}-applier-errors-alarm`,
            {
                ...common,
                name: `${ALARM_NAME_PREFIX}blocklist-applier-${args.region}-errors`,
                alarmDescription: `The blocklist applier of ${args.region} failed (WAF unreachable, throttled or denied): its IP sets no longer follow the blocklist. The publisher retries at its next sync.`,
                namespace: "AWS/Lambda",
                metricName: "Errors",
                dimensions: { FunctionName: functionName },
            },
            // Named after the applier: put after it.
            { parent: this, dependsOn: [this.applier] },
        );
    }
}

/** The applier's baked settings, from the resource stack's own `response` settings. */
export function applierSettings(limits: ResourceResponseSettings): ApplierSettings {
    return {
        ipSetNames: BLOCKLIST_IP_SETS,
        broadestPrefix: { ipv4: limits.maxPrefixIpv4, ipv6: limits.maxPrefixIpv6 },
        allowlist: limits.allowlist,
        maxAddresses: MAX_ADDRESSES_PER_IP_SET,
        maxAttempts: 6,
        baseDelayMs: 500,
        minUpdateIntervalMs: 1100,
    };
}
