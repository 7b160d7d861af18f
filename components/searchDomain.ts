import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { searchLoaderRoleName, searchMasterRoleName } from "../names";
import { VpcAccess } from "./inlineFunction";
import { PolicyStatement, lambdaTrustPolicy, policyDocument, rolesOutsideStack } from "./policyDocuments";
import { requireProvider } from "./requireProvider";

/** Where the domain lives: a VPC this component creates, or existing subnets and security groups. */
export type SearchNetwork =
    | { readonly kind: "create"; readonly availabilityZones: number }
    | {
          readonly kind: "existing";
          readonly subnetIds: readonly string[];
          readonly securityGroupIds: readonly string[];
      };

export interface SearchDomainArgs {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    /** Domain name (3-28 characters); fixed, since the access policy must name the domain ARN. */
    readonly domainName: string;
    /** `OpenSearch_2.x`. */
    readonly engineVersion: string;
    readonly instanceType: string;
    /** Data nodes; more than one turns on zone awareness. */
    readonly instanceCount: number;
    /** gp3 volume per data node, GiB. */
    readonly volumeSizeGiB: number;
    readonly network: SearchNetwork;
    /** Customer-managed key for encryption at rest (the central key). */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Roles that may assume the master role and use the domain. At least one. */
    readonly adminRoleArns: readonly string[];
    /** Retention of slow and error logs, days. Default 30. */
    readonly logRetentionDays?: number;
}

/** Every HTTP verb of the domain API, spelled out: no `es:*`. */
const ALL_HTTP = [
    "es:ESHttpDelete",
    "es:ESHttpGet",
    "es:ESHttpHead",
    "es:ESHttpPatch",
    "es:ESHttpPost",
    "es:ESHttpPut",
];
/** The loader only posts `_bulk` requests: the same action and path as its IAM policy grants. */
const LOADER_HTTP = ["es:ESHttpPost"];
const LOG_TYPES = {
    INDEX_SLOW_LOGS: "index-slow",
    SEARCH_SLOW_LOGS: "search-slow",
    ES_APPLICATION_LOGS: "application",
} as const;

export function domainAccessPolicyStatements(p: {
    domainArn: string;
    masterRoleArn: string;
    loaderRoleArn: string;
    adminRoleArns: readonly string[];
}): PolicyStatement[] {
    return [
        {
            Sid: "AdministerDomain",
            Effect: "Allow",
            Principal: { AWS: p.masterRoleArn },
            Action: ALL_HTTP,
            Resource: `${p.domainArn}/*`,
        },
        {
            Sid: "AdministerDomainAsAdmins",
            ...rolesOutsideStack(p.adminRoleArns),
            Action: ALL_HTTP,
            Resource: `${p.domainArn}/*`,
        },
        {
            Sid: "LoaderBulkIndexes",
            Effect: "Allow",
            Principal: { AWS: p.loaderRoleArn },
            Action: LOADER_HTTP,
            Resource: `${p.domainArn}/_bulk`,
        },
    ];
}

/**
 * A private Amazon OpenSearch Service domain for WAF logs: inside a VPC, never public; fine-
 * grained access control with an IAM master role (no passwords); encryption at rest with the
 * central key, node-to-node encryption, HTTPS only with TLS 1.2+; gp3 storage; slow and error
 * logs to CloudWatch. Also owns the identities that talk to it (master and loader roles) and the
 * network they use (subnets, a security group the domain admits on 443 only).
 */
export class SearchDomain extends pulumi.ComponentResource {
    readonly domain: aws.opensearch.Domain;
    readonly endpoint: pulumi.Output<string>;
    readonly domainArn: string;
    readonly masterRole: aws.iam.Role;
    readonly loaderRole: aws.iam.Role;
    /** The roles' ARNs, known before they exist (fixed names): deploy-time code is built from them. */
    readonly masterRoleArn: string;
    readonly loaderRoleArn: string;
    /** Subnets and security groups for Lambdas that call the domain. */
    readonly clientSubnetIds: pulumi.Output<string[]>;
    readonly clientSecurityGroupIds: pulumi.Output<string[]>;
    /** The same, as a Lambda's VPC configuration. */
    readonly clientVpc: VpcAccess;

    constructor(name: string, args: SearchDomainArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:SearchDomain", name, {}, opts);
        requireProvider("SearchDomain", name, opts, "logging");
        if (args.adminRoleArns.length === 0) {
            throw new Error(
                `SearchDomain ${name}: args.adminRoleArns is empty; name at least one role that may administer the domain.`,
            );
        }
        const parent = { parent: this };
        this.domainArn = `arn:${args.partition}:es:${args.region}:${args.accountId}:domain/${args.domainName}`;
        const roleArn = (roleName: string) => `arn:${args.partition}:iam::${args.accountId}:role/${roleName}`;
        this.masterRoleArn = roleArn(searchMasterRoleName());
        this.loaderRoleArn = roleArn(searchLoaderRoleName());

        this.masterRole = new aws.iam.Role(
            `${name}-master-role`,
            {
                name: searchMasterRoleName(),
                description: `OpenSearch master user of ${args.domainName}; runs the bootstrap, assumable by the admins`,
                assumeRolePolicy: JSON.stringify(
                    policyDocument([
                        ...lambdaTrustPolicy(args.accountId).Statement,
                        { Sid: "AssumedByAdmins", ...rolesOutsideStack(args.adminRoleArns), Action: "sts:AssumeRole" },
                    ]),
                ),
            },
            parent,
        );
        this.loaderRole = new aws.iam.Role(
            `${name}-loader-role`,
            {
                name: searchLoaderRoleName(),
                description: `Indexes central WAF logs into ${args.domainName}`,
                assumeRolePolicy: JSON.stringify(lambdaTrustPolicy(args.accountId)),
            },
            parent,
        );

        const network = this.networkFor(name, args.network, args.region);
        this.clientSubnetIds = network.subnetIds;
        this.clientSecurityGroupIds = network.clientSecurityGroupIds;
        this.clientVpc = {
            subnetIds: network.subnetIds,
            securityGroupIds: network.clientSecurityGroupIds,
            accountId: args.accountId,
            region: args.region,
            partition: args.partition,
        };

        const { groups: logGroups, delivery } = this.logGroups(name, args);
        this.domain = new aws.opensearch.Domain(
            `${name}-domain`,
            {
                domainName: args.domainName,
                engineVersion: args.engineVersion,
                clusterConfig: {
                    instanceType: args.instanceType,
                    instanceCount: args.instanceCount,
                    zoneAwarenessEnabled: args.instanceCount > 1,
                    zoneAwarenessConfig:
                        args.instanceCount > 1
                            ? { availabilityZoneCount: Math.min(args.instanceCount, zonesOf(args.network)) }
                            : undefined,
                },
                ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: args.volumeSizeGiB },
                vpcOptions: {
                    // One subnet per zone the domain spans.
                    subnetIds: network.subnetIds.apply((ids) =>
                        ids.slice(0, args.instanceCount > 1 ? Math.min(args.instanceCount, zonesOf(args.network)) : 1),
                    ),
                    securityGroupIds: network.domainSecurityGroupIds,
                },
                encryptAtRest: { enabled: true, kmsKeyId: args.kmsKeyArn },
                nodeToNodeEncryption: { enabled: true },
                domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" },
                advancedSecurityOptions: {
                    enabled: true,
                    internalUserDatabaseEnabled: false,
                    masterUserOptions: { masterUserArn: this.masterRole.arn },
                },
                logPublishingOptions: Object.entries(logGroups).map(([logType, group]) => ({
                    logType,
                    cloudwatchLogGroupArn: group.arn,
                    enabled: true,
                })),
                accessPolicies: pulumi
                    .all([this.masterRole.arn, this.loaderRole.arn])
                    .apply(([masterRoleArn, loaderRoleArn]) =>
                        JSON.stringify(
                            policyDocument(
                                domainAccessPolicyStatements({
                                    domainArn: this.domainArn,
                                    masterRoleArn,
                                    loaderRoleArn,
                                    adminRoleArns: args.adminRoleArns,
                                }),
                            ),
                        ),
                    ),
            },
            // OpenSearch checks at creation that CloudWatch Logs lets it publish to these groups.
            { parent: this, dependsOn: [delivery] },
        );
        this.endpoint = this.domain.endpoint.apply((host) => `https://${host}`);
        this.registerOutputs({ endpoint: this.endpoint, domainArn: this.domainArn });
    }

    private networkFor(name: string, network: SearchNetwork, region: string) {
        if (network.kind === "existing") {
            const ids = pulumi.output([...network.securityGroupIds]);
            return {
                subnetIds: pulumi.output([...network.subnetIds]),
                domainSecurityGroupIds: ids,
                clientSecurityGroupIds: ids,
            };
        }
        const parent = { parent: this };
        const vpc = new awsx.ec2.Vpc(
            `${name}-vpc`,
            {
                numberOfAvailabilityZones: network.availabilityZones,
                // Isolated subnets: no route to the internet at all; S3 through a gateway endpoint.
                natGateways: { strategy: awsx.ec2.NatGatewayStrategy.None },
                subnetSpecs: [{ type: awsx.ec2.SubnetType.Isolated }],
            },
            parent,
        );
        const s3Endpoint = new aws.ec2.VpcEndpoint(
            `${name}-s3-endpoint`,
            {
                vpcId: vpc.vpcId,
                serviceName: `com.amazonaws.${region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: vpc.routeTables.apply((tables) => pulumi.all(tables.map((t) => t.id))),
            },
            parent,
        );
        const domainGroup = new aws.ec2.SecurityGroup(
            `${name}-domain-sg`,
            { vpcId: vpc.vpcId, description: "OpenSearch domain: HTTPS from the search clients only" },
            parent,
        );
        const clientGroup = new aws.ec2.SecurityGroup(
            `${name}-clients-sg`,
            { vpcId: vpc.vpcId, description: "Lambdas that call OpenSearch and S3" },
            parent,
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-domain-from-clients`,
            {
                securityGroupId: domainGroup.id,
                referencedSecurityGroupId: clientGroup.id,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
            },
            parent,
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-clients-to-domain`,
            {
                securityGroupId: clientGroup.id,
                referencedSecurityGroupId: domainGroup.id,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
            },
            parent,
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-clients-to-s3`,
            {
                securityGroupId: clientGroup.id,
                prefixListId: s3Endpoint.prefixListId,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
            },
            parent,
        );
        return {
            subnetIds: vpc.isolatedSubnetIds,
            domainSecurityGroupIds: pulumi.output([domainGroup.id]),
            clientSecurityGroupIds: pulumi.output([clientGroup.id]),
        };
    }

    private logGroups(
        name: string,
        args: SearchDomainArgs,
    ): { groups: Record<string, aws.cloudwatch.LogGroup>; delivery: aws.cloudwatch.LogResourcePolicy } {
        const parent = { parent: this };
        const groups = Object.fromEntries(
            Object.entries(LOG_TYPES).map(([logType, suffix]) => [
                logType,
                new aws.cloudwatch.LogGroup(
                    `${name}-${suffix}-logs`,
                    {
                        name: `/aws/opensearch/${args.domainName}/${suffix}`,
                        retentionInDays: args.logRetentionDays ?? 30,
                    },
                    parent,
                ),
            ]),
        );
        const delivery = new aws.cloudwatch.LogResourcePolicy(
            `${name}-log-delivery`,
            {
                policyName: `${args.domainName}-opensearch-logs`,
                policyDocument: pulumi.all(Object.values(groups).map((g) => g.arn)).apply((arns) =>
                    JSON.stringify(
                        policyDocument([
                            {
                                Effect: "Allow",
                                Principal: { Service: "es.amazonaws.com" },
                                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                                Resource: arns.map((arn) => `${arn}:*`),
                                // Only this domain's log delivery, not another domain's.
                                Condition: {
                                    StringEquals: { "aws:SourceAccount": args.accountId },
                                    ArnEquals: { "aws:SourceArn": this.domainArn },
                                },
                            },
                        ]),
                    ),
                ),
            },
            parent,
        );
        return { groups, delivery };
    }
}

function zonesOf(network: SearchNetwork): number {
    return network.kind === "create" ? network.availabilityZones : Math.min(3, network.subnetIds.length);
}
