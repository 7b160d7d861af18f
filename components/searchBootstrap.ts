import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { definitionsDigest } from "../handlers/bakedDefinitions";
import { bootstrapCallbackFactory } from "../handlers/bootstrapLambda";
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
 * from a Lambda inside the VPC running as the master role. The definitions are baked into the
 * function's code (it runs nothing else); their digest is the invocation's input, so changing any
 * of them re-invokes it. Every request is an idempotent overwrite.
 */
export class SearchBootstrap extends pulumi.ComponentResource {
    readonly invocation: aws.lambda.Invocation;

    constructor(name: string, args: SearchBootstrapArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:SearchBootstrap", name, {}, opts);
        const requests = searchDefinitions({
            indexPrefix: args.indexPrefix,
            retentionDays: args.retentionDays,
            masterRoleArn: args.search.masterRoleArn,
            loaderRoleArn: args.search.loaderRoleArn,
            adminRoleArns: args.adminRoleArns,
        });
        const fn = inlineFunction(
            name,
            {
                functionName: SEARCH_BOOTSTRAP_FUNCTION,
                description: "Applies OpenSearch index template, ISM policy, roles and dashboards",
                role: args.search.masterRole,
                // Its policy names the domain by ARN.
                after: [args.search.domain],
                statements: () => [
                    {
                        Sid: "ConfigureDomain",
                        Effect: "Allow",
                        Action: ["es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut"],
                        Resource: `${args.search.domainArn}/*`,
                    },
                ],
                callbackFactory: bootstrapCallbackFactory(requests),
                packages: ["@opensearch-project/opensearch"],
                environment: { OPENSEARCH_ENDPOINT: args.search.endpoint },
                vpcConfig: args.search.clientVpc,
                timeoutSec: 300,
                memoryMiB: 256,
            },
            this,
        );
        this.invocation = new aws.lambda.Invocation(
            `${name}-apply`,
            { functionName: fn.name, input: JSON.stringify({ digest: definitionsDigest(requests) }) },
            { parent: this, dependsOn: [args.search.domain] },
        );
        this.registerOutputs({ functionName: fn.name });
    }
}
