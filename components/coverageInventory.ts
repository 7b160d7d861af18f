import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { coverageRoleName } from "../names";
import { PolicyStatement, policyDocument } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

export interface CoverageInventoryArgs {
    readonly accountId: string;
    /** The stack's Region, or `global` (CloudFront web ACLs, listed through us-east-1). */
    readonly region: string;
    readonly partition: string;
    readonly loggingAccountId: string;
    /** The logging account's coverage Lambda role: the only principal that may assume this role. */
    readonly scannerRoleArn: string;
}

/** The exact permissions of the inventory role: read web ACLs and their logging configuration, nothing else. */
export function coverageInventoryStatements(p: {
    accountId: string;
    region: string;
    partition: string;
}): PolicyStatement[] {
    const global = p.region === "global";
    const webAcls = `arn:${p.partition}:wafv2:${global ? "us-east-1" : p.region}:${p.accountId}:${global ? "global" : "regional"}/webacl/*/*`;
    return [
        {
            Sid: "ReadWebAcls",
            Effect: "Allow",
            Action: ["wafv2:GetLoggingConfiguration", "wafv2:GetWebACL"],
            Resource: webAcls,
        },
        {
            // WAF's List actions take no resource-level permissions; this one reveals web ACL
            // names and IDs, which the scan needs to read each one.
            Sid: "ListWebAcls",
            Effect: "Allow",
            Action: "wafv2:ListWebACLs",
            Resource: "*",
        },
    ];
}

/** Trusts the logging account's scanner role alone (by `aws:PrincipalArn`, so the role need not exist yet). */
export function coverageTrustPolicy(p: { partition: string; loggingAccountId: string; scannerRoleArn: string }) {
    return policyDocument([
        {
            Effect: "Allow",
            // IAM refuses a principal naming a role that does not exist yet ("Invalid principal in
            // policy"); the account root with a PrincipalArn condition admits the same one role.
            Principal: { AWS: `arn:${p.partition}:iam::${p.loggingAccountId}:root` },
            Action: "sts:AssumeRole",
            Condition: { ArnEquals: { "aws:PrincipalArn": p.scannerRoleArn } },
        },
    ]);
}

/**
 * The read-only role the logging account's coverage scan assumes in this account and Region to
 * list every web ACL and read its rules and logging configuration: web ACLs the platform did not
 * create (by hand, by another tool) are reported if they do not log to it or lack its blocklist.
 */
export class CoverageInventory extends pulumi.ComponentResource {
    readonly role: aws.iam.Role;

    constructor(name: string, args: CoverageInventoryArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:CoverageInventory", name, {}, opts);
        requireProvider("CoverageInventory", name, opts, "resource");
        this.role = new aws.iam.Role(
            `${name}-role`,
            {
                name: coverageRoleName(args.region),
                description: `Lets the central coverage scan read the web ACLs of ${args.region} and their logging configuration`,
                maxSessionDuration: 3600,
                assumeRolePolicy: JSON.stringify(coverageTrustPolicy(args)),
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-policy`,
            { role: this.role.id, policy: JSON.stringify(policyDocument(coverageInventoryStatements(args))) },
            { parent: this },
        );
        this.registerOutputs({ roleArn: this.role.arn });
    }
}
