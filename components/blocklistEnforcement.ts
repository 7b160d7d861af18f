import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BLOCKLIST_IP_SETS, blocklistSyncRoleName } from "../names";
import { policyDocument, rolesOutsideStack } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

export interface BlocklistEnforcementArgs {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    /** The logging account's publisher role: the only principal that may assume the sync role. */
    readonly publisherRoleArn: string;
}

/**
 * The receiving end of the central blocklist in one account and Region: the two REGIONAL IP sets
 * (IPv4, IPv6) the web ACL's blocklist rule references, and the role the logging account's
 * publisher assumes to fill them. That role trusts the publisher's role alone and may only read
 * and update these two sets (and list the Region's IP sets, to find their IDs).
 */
export class BlocklistEnforcement extends pulumi.ComponentResource {
    readonly ipv4: aws.wafv2.IpSet;
    readonly ipv6: aws.wafv2.IpSet;
    readonly syncRole: aws.iam.Role;

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

        this.syncRole = new aws.iam.Role(
            `${name}-sync-role`,
            {
                name: blocklistSyncRoleName(args.region),
                description: `Lets the central blocklist publisher update the blocklist IP sets of ${args.region}`,
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
        this.registerOutputs({ ipv4Arn: this.ipv4.arn, ipv6Arn: this.ipv6.arn, syncRoleArn: this.syncRole.arn });
    }
}
