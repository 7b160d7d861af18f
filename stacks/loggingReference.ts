import * as pulumi from "@pulumi/pulumi";
import { ConfigError, PROJECT, ResourceStackConfig } from "../config";
import { stackFile } from "../config/reader";
import { LOGGING_OUTPUT_NAMES, LoggingStackOutputs } from "./contract";

/**
 * Reads the logging stack's outputs and checks this resource stack is one it admits. Resolved
 * as plain values (not Outputs) so a misconfiguration fails the preview with one clear message
 * rather than deep inside a resource.
 */
export async function readLoggingStack(config: ResourceStackConfig): Promise<LoggingStackOutputs> {
    // A StackReference is a Pulumi resource, not an AWS one: it takes no AWS provider.
    const reference = new pulumi.StackReference(config.loggingStack);
    const values: Partial<Record<keyof LoggingStackOutputs, unknown>> = {};
    for (const name of LOGGING_OUTPUT_NAMES) {
        const details = await reference.getOutputDetails(name);
        const value = details.value ?? details.secretValue;
        if (value === undefined) {
            throw new ConfigError([
                `Logging stack ${config.loggingStack} has no output "${name}" (read by ${PROJECT}:loggingStack). ` +
                    `Fix: run \`pulumi up -s logging\` with this version of the program, then retry.`,
            ]);
        }
        values[name] = value;
    }
    const outputs = values as LoggingStackOutputs;
    // The logging stack's own file, where resourceAccounts is set (the last part of its name).
    const loggingFile = stackFile(config.loggingStack.split("/").pop()!);
    const allowedRegions = outputs.allowedAccounts[config.accountId];
    if (!allowedRegions) {
        throw new ConfigError([
            `Account ${config.accountId} (${PROJECT}:accountId) is not a resource account of logging stack ${config.loggingStack}, ` +
                `which admits ${Object.keys(outputs.allowedAccounts).join(", ")}. ` +
                `Fix: add it to ${PROJECT}:resourceAccounts in ${loggingFile} and run \`pulumi up -s logging\`, or correct ${PROJECT}:accountId.`,
        ]);
    }
    if (!allowedRegions.includes(config.location)) {
        throw new ConfigError([
            `Region ${config.location} (${PROJECT}:region) is not allowed for account ${config.accountId} by logging stack ${config.loggingStack}, ` +
                `which admits ${allowedRegions.join(", ")}. ` +
                `Fix: add ${config.location} to that account's regions in ${PROJECT}:resourceAccounts in ${loggingFile} and run \`pulumi up -s logging\`, or correct ${PROJECT}:region.`,
        ]);
    }
    return outputs;
}
