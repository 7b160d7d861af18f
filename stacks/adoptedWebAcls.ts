import * as aws from "@pulumi/aws";
import { PROJECT, ResourceStackConfig } from "../config";

/** The CloudFormation type Cloud Control reads a web ACL's logging configuration as; its identifier is the ACL's ARN. */
export const LOGGING_CONFIGURATION_TYPE = "AWS::WAFv2::LoggingConfiguration";

/**
 * How the AWS provider reports a logging configuration that does not exist: its Cloud Control data
 * source turns ResourceNotFoundException (and handler errors saying "not found") into "couldn't find
 * resource" (terraform-provider-aws, internal/service/cloudcontrol). Anything else is a real failure.
 */
const NOT_FOUND = /couldn't find resource|ResourceNotFoundException|not found/i;

/**
 * Where an existing web ACL logs today, read at plan time (so `pulumi preview` shows a conflict):
 * @pulumi/aws has no WAF logging data source, so through Cloud Control's GetResource, which reads
 * AWS::WAFv2::LoggingConfiguration with wafv2:GetLoggingConfiguration. Undefined when it logs nowhere.
 */
async function currentDestinations(arn: string, at: string, provider: aws.Provider): Promise<string[] | undefined> {
    try {
        const found = await aws.cloudcontrol.getResource(
            { typeName: LOGGING_CONFIGURATION_TYPE, identifier: arn },
            { provider },
        );
        const properties = JSON.parse(found.properties) as { LogDestinationConfigs?: string[] };
        return properties.LogDestinationConfigs ?? [];
    } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (NOT_FOUND.test(message)) return undefined;
        throw new Error(
            `Could not read the logging configuration of web ACL ${arn} (${PROJECT}:${at}): ${message} ` +
                `Fix: let the deployment role call cloudformation:GetResource and wafv2:GetLoggingConfiguration, then retry.`,
            { cause: err },
        );
    }
}

/**
 * WAF keeps one logging configuration per web ACL, and creating one replaces the current one
 * without a word. So before the stack points an adopted web ACL at its stream, this stops the
 * deployment when the web ACL logs somewhere else (naming it and where), unless its entry says
 * `replaceLoggingConfiguration: true`. A web ACL already logging to this stack's stream is this
 * stack's own earlier deployment.
 */
export async function checkAdoptedLogging(
    config: ResourceStackConfig,
    provider: aws.Provider,
    streamArn: string,
): Promise<void> {
    const conflicts = await Promise.all(
        config.existingWebAcls.map(async (acl, i) => {
            const at = `existingWebAcls[${i}]`;
            if (acl.replaceLoggingConfiguration) return undefined;
            const destinations = await currentDestinations(acl.arn, at, provider);
            if (destinations === undefined || (destinations.length === 1 && destinations[0] === streamArn)) {
                return undefined;
            }
            return (
                `Web ACL ${acl.arn} (${PROJECT}:${at}) already logs to ${destinations.join(", ") || "(no destination)"}, ` +
                `and WAF keeps one logging configuration per web ACL. Fix: agree with the web ACL's owner that its logs ` +
                `move to the central bucket, then set replaceLoggingConfiguration: true on that entry; or remove it from ${PROJECT}:existingWebAcls.`
            );
        }),
    );
    const found = conflicts.filter((c): c is string => c !== undefined);
    if (found.length > 0) throw new Error(found.join("\n"));
}
