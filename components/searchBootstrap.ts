import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bootstrapHandlerFactory } from "../handlers/bootstrapLambda";
import { searchDefinitions } from "../handlers/searchDefinitions";
import { SEARCH_BOOTSTRAP_FUNCTION } from "../names";
import { inlineFunction } from "./inlineFunction";
import { SearchDomain } from "./searchDomain";

export interface SearchBootstrapArgs {
    readonly search: SearchDomain;
    readonly indexPrefix: string;
    /** Days before the ISM policy deletes an index. */
    readonly retentionDays: number;
    readonly adminRoleArns: readonly string[];
}

/**
 * Applies the index template, ISM retention, access-control roles and dashboards at deploy time,
 * from a Lambda inside the VPC running as the master role. The definitions are the invocation's
 * input, so changing any of them re-invokes it; every request is an idempotent overwrite.
 */
export class SearchBootstrap extends pulumi.ComponentResource {
    readonly invocation: aws.lambda.Invocation;

    constructor(name: string, args: SearchBootstrapArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:SearchBootstrap", name, {}, opts);
        const fn = inlineFunction(
            name,
            {
                functionName: SEARCH_BOOTSTRAP_FUNCTION,
                description: "Applies OpenSearch index template, ISM policy, roles and dashboards",
                role: args.search.masterRole,
                statements: () => [
                    {
                        Sid: "ConfigureDomain",
                        Effect: "Allow",
                        Action: ["es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut"],
                        Resource: `${args.search.domainArn}/*`,
                    },
                ],
                callbackFactory: bootstrapHandlerFactory,
                packages: ["@opensearch-project/opensearch"],
                environment: { OPENSEARCH_ENDPOINT: args.search.endpoint },
                vpcConfig: {
                    subnetIds: args.search.clientSubnetIds,
                    securityGroupIds: args.search.clientSecurityGroupIds,
                },
                timeoutSec: 300,
                memoryMiB: 256,
            },
            this,
        );
        const requests = pulumi
            .all([args.search.masterRole.arn, args.search.loaderRole.arn])
            .apply(([masterRoleArn, loaderRoleArn]) =>
                searchDefinitions({
                    indexPrefix: args.indexPrefix,
                    retentionDays: args.retentionDays,
                    masterRoleArn,
                    loaderRoleArn,
                    adminRoleArns: args.adminRoleArns,
                }),
            );
        this.invocation = new aws.lambda.Invocation(
            `${name}-apply`,
            { functionName: fn.name, input: requests.apply((r) => JSON.stringify({ requests: r })) },
            { parent: this, dependsOn: [args.search.domain] },
        );
        this.registerOutputs({ functionName: fn.name });
    }
}
