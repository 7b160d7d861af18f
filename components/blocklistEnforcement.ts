import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BLOCKLIST_IP_SETS, BLOCKLIST_LABEL, BLOCKLIST_RULE_GROUP, blocklistSyncRoleName } from "../names";
import { policyDocument } from "./policyDocuments";
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
    /** The rule group's action on blocklisted clients: `count` (and label) or `block`. */
    readonly action: "count" | "block";
}

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
 * ACLs): the two IP sets (IPv4, IPv6; REGIONAL, or CLOUDFRONT in a global stack) the web ACL's
 * blocklist rule references, the rule group holding the same rules for web ACLs the platform does
 * not own, and the role the logging account's
 * publisher assumes to fill them. That role trusts the publisher's role alone and may only read
 * and update these two sets (and list the Region's IP sets, to find their IDs).
 */
export class BlocklistEnforcement extends pulumi.ComponentResource {
    readonly ipv4: aws.wafv2.IpSet;
    readonly ipv6: aws.wafv2.IpSet;
    readonly syncRole: aws.iam.Role;
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

        this.syncRole = new aws.iam.Role(
            `${name}-sync-role`,
            {
                name: blocklistSyncRoleName(args.location ?? args.region),
                description: `Lets the central blocklist publisher update the blocklist IP sets of ${args.region}`,
                // Short sessions: the publisher needs seconds per sync.
                maxSessionDuration: 3600,
                assumeRolePolicy: JSON.stringify(
                    policyDocument([
                        {
                            Effect: "Allow",
                            Principal: { AWS: args.publisherRoleArn },
                            Action: "sts:AssumeRole",
                        },
                    ]),
                ),
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-sync-policy`,
            {
                role: this.syncRole.id,
                policy: pulumi.all([this.ipv4.arn, this.ipv6.arn]).apply(([ipv4Arn, ipv6Arn]) =>
                    JSON.stringify(
                        policyDocument([
                            {
                                Sid: "UpdateBlocklistSets",
                                Effect: "Allow",
                                Action: ["wafv2:GetIPSet", "wafv2:UpdateIPSet"],
                                Resource: [ipv4Arn, ipv6Arn],
                            },
                            {
                                // WAF's List actions take no resource-level permissions; this one
                                // reveals IP set names and IDs, which the publisher needs to find its sets.
                                Sid: "FindBlocklistSets",
                                Effect: "Allow",
                                Action: "wafv2:ListIPSets",
                                Resource: "*",
                            },
                        ]),
                    ),
                ),
            },
            { parent: this },
        );
        this.ruleGroup = this.blocklistRuleGroup(name, args);
        this.registerOutputs({
            ipv4Arn: this.ipv4.arn,
            ipv6Arn: this.ipv6.arn,
            syncRoleArn: this.syncRole.arn,
            ruleGroupArn: this.ruleGroup.arn,
        });
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
                description: "The central WAF blocklist: reference it first in your web ACL (written by its publisher)",
                scope: args.scope ?? "REGIONAL",
                capacity: BLOCKLIST_RULE_GROUP_CAPACITY,
                rules: [rule("ipv4", 0), rule("ipv6", 1)],
                visibilityConfig: visibility(BLOCKLIST_RULE_GROUP),
            },
            { parent: this },
        );
    }
}
