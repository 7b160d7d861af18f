/**
 * Entry point of the publisher Lambda: started by the blocklist table's stream after each change
 * and by EventBridge Scheduler for the periodic full sync. The targets (every admitted account and
 * Region with the role to assume there) and the allowlist are baked into its code at deploy time;
 * the event is ignored, since every run syncs the whole state.
 */
import { wafHomeOf } from "../layout";
import { dynamoBlocklistStore } from "./blocklistStore";
import { LambdaContext, emitCounts } from "./detectorLambda";
import { IpSetCalls, PublishSummary, PublisherSettings, SyncTarget, publish } from "./publisher";

export const PUBLISHER_ENVIRONMENT = { blocklistTable: "BLOCKLIST_TABLE" } as const;

/** The session name the publisher uses in every target account; it shows in their CloudTrail. */
export const PUBLISHER_SESSION = "central-waf-logs-publisher";

export function publisherCallbackFactory(
    settings: PublisherSettings,
    targets: readonly SyncTarget[],
): () => (event: unknown, context?: LambdaContext) => Promise<PublishSummary> {
    return () => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const dynamoSdk = require("@aws-sdk/client-dynamodb");
        const stsSdk = require("@aws-sdk/client-sts");
        const wafSdk = require("@aws-sdk/client-wafv2");
        /* eslint-enable @typescript-eslint/no-require-imports */
        const table = process.env[PUBLISHER_ENVIRONMENT.blocklistTable];
        if (!table) throw new Error(`Publisher environment is missing ${PUBLISHER_ENVIRONMENT.blocklistTable}.`);
        const store = dynamoBlocklistStore(dynamoSdk, new dynamoSdk.DynamoDBClient({}), {
            blocklist: table,
            audit: "",
        });
        const sts = new stsSdk.STSClient({});

        const connect = async (target: SyncTarget): Promise<IpSetCalls> => {
            const { Credentials } = await sts.send(
                new stsSdk.AssumeRoleCommand({
                    RoleArn: target.roleArn,
                    RoleSessionName: PUBLISHER_SESSION,
                    DurationSeconds: 900,
                }),
            );
            // A `global` target is an account's CloudFront web ACLs: CLOUDFRONT-scope sets, in us-east-1.
            const { region, scope: Scope } = wafHomeOf(target.region);
            const waf = new wafSdk.WAFV2Client({
                region,
                credentials: {
                    accessKeyId: Credentials.AccessKeyId,
                    secretAccessKey: Credentials.SecretAccessKey,
                    sessionToken: Credentials.SessionToken,
                },
            });
            return {
                close: () => waf.destroy(),
                async list() {
                    const sets: { name: string; id: string }[] = [];
                    let NextMarker: string | undefined;
                    do {
                        const page = await waf.send(new wafSdk.ListIPSetsCommand({ Scope, Limit: 100, NextMarker }));
                        sets.push(...(page.IPSets ?? []).map((s: any) => ({ name: s.Name, id: s.Id })));
                        NextMarker = page.IPSets?.length ? page.NextMarker : undefined;
                    } while (NextMarker);
                    return sets;
                },
                async get(set) {
                    const { IPSet, LockToken } = await waf.send(
                        new wafSdk.GetIPSetCommand({ Name: set.name, Scope, Id: set.id }),
                    );
                    return { addresses: IPSet?.Addresses ?? [], lockToken: LockToken, description: IPSet?.Description };
                },
                async update(set, addresses, state) {
                    await waf.send(
                        new wafSdk.UpdateIPSetCommand({
                            Name: set.name,
                            Scope,
                            Id: set.id,
                            Addresses: [...addresses],
                            LockToken: state.lockToken,
                            // UpdateIPSet replaces every setting: keep the description.
                            Description: state.description,
                        }),
                    );
                },
            };
        };

        return async () =>
            publish(
                {
                    entries: () => store.all(),
                    targets,
                    connect,
                    now: Date.now,
                    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
                    log: (line) => console.log(line),
                    metrics: (values, target) =>
                        emitCounts(
                            values,
                            target ? { TargetAccount: target.accountId, TargetRegion: target.region } : {},
                        ),
                },
                settings,
            );
    };
}
