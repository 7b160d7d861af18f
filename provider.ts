import * as aws from "@pulumi/aws";
import { PROJECT, StackConfig } from "./config";

/**
 * The one provider every resource and invoke of a stack goes through. It is pinned to the
 * stack's account, so a deployment with the wrong credentials stops before touching anything,
 * and default providers are disabled in Pulumi.yaml so nothing can bypass it.
 */
export function stackProvider(config: StackConfig): aws.Provider {
    return new aws.Provider(`${PROJECT}-${config.stack}`, {
        region: config.region as aws.Region,
        allowedAccountIds: [config.accountId],
        assumeRoles: config.deploymentRoleArn
            ? [{ roleArn: config.deploymentRoleArn, sessionName: `${PROJECT}-${config.stack}` }]
            : undefined,
        defaultTags: { tags: { project: PROJECT, stack: config.stack, "managed-by": "pulumi" } },
    });
}
