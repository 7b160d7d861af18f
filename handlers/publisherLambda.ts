/**
 * Entry point of the publisher Lambda: started by the blocklist table's stream after each change
 * and by EventBridge Scheduler for the periodic full sync. The targets (every admitted account and
 * Region with the role to assume there and the applier to invoke) and the allowlist are baked into
 * its code at deploy time;
 * the event is ignored, since every run syncs the whole state.
 */
import { wafHomeOf } from "../layout";
import { dynamoBlocklistStore } from "./blocklistStore";
import { LambdaContext, emitCounts } from "./detectorLambda";
import { invocationBudget } from "./invocation";
import { PublishSummary, PublisherSettings, SyncTarget, TargetWriter, publish } from "./publisher";

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
        const lambdaSdk = require("@aws-sdk/client-lambda");
        /* eslint-enable @typescript-eslint/no-require-imports */
        const table = process.env[PUBLISHER_ENVIRONMENT.blocklistTable];
        if (!table) throw new Error(`Publisher environment is missing ${PUBLISHER_ENVIRONMENT.blocklistTable}.`);
        const store = dynamoBlocklistStore(dynamoSdk, new dynamoSdk.DynamoDBClient({}), {
            blocklist: table,
            audit: "",
        });
        // Socket-level bounds besides each call's abort signal: a peer that accepts and never answers.
        const sts = new stsSdk.STSClient({
            requestHandler: { connectionTimeout: 3000, requestTimeout: settings.assumeRoleTimeoutMs },
        });

        const connect = async (target: SyncTarget, signal: AbortSignal): Promise<TargetWriter> => {
            const { Credentials } = await sts.send(
                new stsSdk.AssumeRoleCommand({
                    RoleArn: target.roleArn,
                    RoleSessionName: PUBLISHER_SESSION,
                    DurationSeconds: 900,
                }),
                { abortSignal: signal },
            );
            // A `global` target's applier (CloudFront web ACLs' sets) runs in us-east-1.
            const lambda = new lambdaSdk.LambdaClient({
                region: wafHomeOf(target.region).region,
                credentials: {
                    accessKeyId: Credentials.AccessKeyId,
                    secretAccessKey: Credentials.SecretAccessKey,
                    sessionToken: Credentials.SessionToken,
                },
                requestHandler: { connectionTimeout: 3000, requestTimeout: settings.applyTimeoutMs },
                // The applier is idempotent (full state), but a retry must not outlive the call's bound.
                maxAttempts: 2,
            });
            return {
                close: () => lambda.destroy(),
                async apply(request, applySignal) {
                    const answer = await lambda.send(
                        new lambdaSdk.InvokeCommand({
                            FunctionName: target.applierArn,
                            InvocationType: "RequestResponse",
                            Payload: new TextEncoder().encode(JSON.stringify(request)),
                        }),
                        { abortSignal: applySignal },
                    );
                    const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : "";
                    if (answer.FunctionError) {
                        let detail = text;
                        try {
                            const payload = JSON.parse(text);
                            detail = `${payload.errorType}: ${payload.errorMessage}`;
                        } catch {
                            // Not the runtime's error JSON: show it as it came.
                        }
                        const err = new Error(`the applier ${target.applierArn} failed: ${detail}`);
                        err.name = "ApplierFailed";
                        throw err;
                    }
                    return JSON.parse(text);
                },
            };
        };

        return async (_event, context) =>
            publish(
                {
                    entries: () => store.all(),
                    targets,
                    connect,
                    now: Date.now,
                    log: (line) => console.log(line),
                    metrics: (values, target) =>
                        emitCounts(
                            values,
                            target ? { TargetAccount: target.accountId, TargetRegion: target.region } : {},
                        ),
                    remainingMs: invocationBudget(context),
                },
                settings,
            );
    };
}
