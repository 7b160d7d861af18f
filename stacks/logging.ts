import * as pulumi from "@pulumi/pulumi";
import { CentralLogBucket } from "../components/centralLogBucket";
import { LoggingStackConfig } from "../config";
import { CENTRAL_LAYOUT } from "../layout";
import { stackProvider } from "../provider";
import { LoggingStackOutputs } from "./contract";

type Exported<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The central logging account: the bucket every Region ships into. */
export async function loggingStack(config: LoggingStackConfig): Promise<Exported<LoggingStackOutputs>> {
    const provider = stackProvider(config);
    const central = new CentralLogBucket(
        "central-waf-logs",
        {
            loggingAccountId: config.accountId,
            region: config.region,
            partition: config.partition,
            writers: config.resourceAccounts,
            lifecycle: config.centralBucket,
        },
        { provider },
    );
    return {
        loggingAccountId: config.accountId,
        loggingRegion: config.region,
        partition: config.partition,
        centralBucketName: central.bucketName,
        centralBucketArn: central.bucketArn,
        centralKeyArn: central.keyArn,
        objectKeyLayout: CENTRAL_LAYOUT,
        allowedAccounts: Object.fromEntries(config.resourceAccounts.map((a) => [a.accountId, [...a.regions]])),
    };
}
