import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { packagesFor } from "./lambdaPackaging";
import { PolicyStatement, policyDocument, lambdaTrustPolicy } from "./policyDocuments";

export interface InlineFunctionArgs {
    /** Physical function name; also names its log group. */
    readonly functionName: string;
    readonly description: string;
    /** The execution role; its inline policy is attached here. */
    readonly role: aws.iam.Role;
    /** What the function may do besides writing its own logs (and managing VPC interfaces). */
    readonly statements: (logGroupArn: string) => pulumi.Input<PolicyStatement[]>;
    /** Serialized as the function's code (`__index.js`). */
    readonly callbackFactory: aws.lambda.CallbackFactory<any, any>;
    /** npm packages to ship with the code (the runtime provides the AWS SDK). */
    readonly packages: readonly string[];
    readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Runs the function in these subnets; its network-interface permissions are scoped to them. */
    readonly vpcConfig?: VpcAccess;
    readonly timeoutSec: number;
    readonly memoryMiB: number;
    /** Concurrent executions reserved (and allowed). Default: unreserved. */
    readonly reservedConcurrency?: number;
    /** Retention of the function's logs, days. Default 30. */
    readonly logRetentionDays?: number;
    /**
     * Resources its policy or environment names by a fixed name or ARN (a table, a workgroup, a
     * domain), which must exist before the function may use them. Default none.
     */
    readonly after?: pulumi.Input<pulumi.Resource>[];
}

/** An execution role only Lambda may assume, and only for `accountId`; its policy comes from inlineFunction. */
export function lambdaRole(
    name: string,
    accountId: string,
    parent: pulumi.Resource,
    extra: Omit<aws.iam.RoleArgs, "assumeRolePolicy"> = {},
): aws.iam.Role {
    return new aws.iam.Role(
        name,
        { ...extra, assumeRolePolicy: JSON.stringify(lambdaTrustPolicy(accountId)) },
        { parent },
    );
}

/** Where a VPC-attached function runs: its subnets and security groups, and their account. */
export interface VpcAccess {
    readonly subnetIds: pulumi.Input<string[]>;
    readonly securityGroupIds: pulumi.Input<string[]>;
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
}

/**
 * What Lambda needs to manage a VPC function's network interfaces, scoped as far as EC2 allows:
 * interfaces are created only in the function's subnets with its security groups, and managed only
 * in those subnets. The two Describe actions have no resource-level permissions.
 */
export function vpcAccessStatements(p: {
    subnetIds: readonly string[];
    securityGroupIds: readonly string[];
    accountId: string;
    region: string;
    partition: string;
}): PolicyStatement[] {
    const ec2 = (resource: string) => `arn:${p.partition}:ec2:${p.region}:${p.accountId}:${resource}`;
    const subnets = p.subnetIds.map((id) => ec2(`subnet/${id}`));
    return [
        {
            Sid: "DescribeNetwork",
            Effect: "Allow",
            Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            Resource: "*",
        },
        {
            Sid: "CreateInterfacesInOwnSubnets",
            Effect: "Allow",
            Action: "ec2:CreateNetworkInterface",
            Resource: [
                ec2("network-interface/*"),
                ...subnets,
                ...p.securityGroupIds.map((id) => ec2(`security-group/${id}`)),
            ],
        },
        {
            Sid: "ManageInterfacesInOwnSubnets",
            Effect: "Allow",
            Action: ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"],
            Resource: ec2("network-interface/*"),
            Condition: { ArnEquals: { "ec2:Subnet": subnets } },
        },
    ];
}

/**
 * An inline callback Lambda on Node.js 22 with its own log group and a least-privilege inline
 * policy on the given role (never the broad managed policies CallbackFunction attaches by
 * default). Children are created under `parent`.
 */
export function inlineFunction(
    name: string,
    args: InlineFunctionArgs,
    parent: pulumi.Resource,
): aws.lambda.CallbackFunction<any, any> {
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-logs`,
        { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays ?? 30 },
        { parent },
    );
    const policy = new aws.iam.RolePolicy(
        `${name}-policy`,
        {
            role: args.role.id,
            policy: logGroup.arn.apply((logGroupArn) =>
                pulumi.all([args.statements(logGroupArn), vpcStatements(args.vpcConfig)]).apply(([own, vpc]) =>
                    JSON.stringify(
                        policyDocument([
                            ...own,
                            {
                                Sid: "WriteOwnLogs",
                                Effect: "Allow",
                                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                                Resource: `${logGroupArn.replace(/:\*$/, "")}:*`,
                            },
                            ...vpc,
                        ]),
                    ),
                ),
            ),
        },
        { parent, dependsOn: args.after },
    );
    return new aws.lambda.CallbackFunction(
        `${name}-function`,
        {
            name: args.functionName,
            description: args.description,
            role: args.role,
            runtime: aws.lambda.Runtime.NodeJS22dX,
            timeout: args.timeoutSec,
            memorySize: args.memoryMiB,
            reservedConcurrentExecutions: args.reservedConcurrency,
            callbackFactory: args.callbackFactory,
            codePathOptions: packagesFor(args.packages),
            environment: { variables: args.environment },
            vpcConfig: args.vpcConfig && {
                subnetIds: args.vpcConfig.subnetIds,
                securityGroupIds: args.vpcConfig.securityGroupIds,
            },
            loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        },
        // The function must not run before it may log and act.
        { parent, dependsOn: [policy, logGroup, ...(args.after ?? [])] },
    );
}

function vpcStatements(vpc: VpcAccess | undefined): pulumi.Output<PolicyStatement[]> {
    if (!vpc) return pulumi.output([]);
    return pulumi
        .all([vpc.subnetIds, vpc.securityGroupIds])
        .apply(([subnetIds, securityGroupIds]) => vpcAccessStatements({ ...vpc, subnetIds, securityGroupIds }));
}
