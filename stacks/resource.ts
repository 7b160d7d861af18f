import { ResourceStackConfig } from "../config";
import { stackProvider } from "../provider";
import { readLoggingStack } from "./loggingReference";

/** An application account in one Region: reads the logging stack and ships WAF logs to it. */
export async function resourceStack(config: ResourceStackConfig): Promise<Record<string, unknown>> {
    stackProvider(config);
    const logging = await readLoggingStack(config);
    return {
        accountId: config.accountId,
        region: config.region,
        centralBucketName: logging.centralBucketName,
    };
}
