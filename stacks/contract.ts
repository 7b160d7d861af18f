/**
 * What the logging stack exports and resource stacks read through their StackReference. One
 * list, so a renamed output breaks the tests instead of a deployment.
 */
export interface LoggingStackOutputs {
    loggingAccountId: string;
    loggingRegion: string;
    partition: string;
    centralBucketName: string;
    centralBucketArn: string;
    centralKeyArn: string;
    /** The central object-key layout, `<account_id>/<region>/<firehose_name>/...`. */
    objectKeyLayout: string;
    /** Account ID → Regions allowed to ship logs. */
    allowedAccounts: Record<string, string[]>;
    /** `off`, `count` or `block`: whether resource stacks add the blocklist rule, and its action. */
    responseMode: "off" | "count" | "block";
    /** The role the blocklist publisher runs as; resource stacks' sync roles trust it alone. */
    blocklistPublisherRoleArn: string;
    /** The event bus resource stacks forward their alarm state changes to. */
    alertBusArn: string;
}

export const LOGGING_OUTPUT_NAMES: readonly (keyof LoggingStackOutputs)[] = [
    "loggingAccountId",
    "loggingRegion",
    "partition",
    "centralBucketName",
    "centralBucketArn",
    "centralKeyArn",
    "objectKeyLayout",
    "allowedAccounts",
    "responseMode",
    "blocklistPublisherRoleArn",
    "alertBusArn",
];
