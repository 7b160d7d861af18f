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
    readonly vpcConfig?: { subnetIds: pulumi.Input<string[]>; securityGroupIds: pulumi.Input<string[]> };
    readonly timeoutSec: number;
    readonly memoryMiB: number;
    /** Retention of the function's logs, days. Default 30. */
    readonly logRetentionDays?: number;
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

/** VPC-attached functions manage their network interfaces; EC2 allows these on `*` only. */
const VPC_ACCESS: PolicyStatement = {
    Sid: "ManageVpcNetworkInterfaces",
    Effect: "Allow",
    Action: [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:UnassignPrivateIpAddresses",
    ],
    Resource: "*",
};

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
                pulumi.output(args.statements(logGroupArn)).apply((own) =>
                    JSON.stringify(
                        policyDocument([
                            ...own,
                            {
                                Sid: "WriteOwnLogs",
                                Effect: "Allow",
                                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                                Resource: `${logGroupArn.replace(/:\*$/, "")}:*`,
                            },
                            ...(args.vpcConfig ? [VPC_ACCESS] : []),
                        ]),
                    ),
                ),
            ),
        },
        { parent },
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
            callbackFactory: args.callbackFactory,
            codePathOptions: packagesFor(args.packages),
            environment: { variables: args.environment },
            vpcConfig: args.vpcConfig,
            loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        },
        // The function must not run before it may log and act.
        { parent, dependsOn: [policy, logGroup] },
    );
}
