/**
 * Entry point of the QuickSight dashboard Lambda. It may grant dashboard permissions, so it
 * publishes only the dashboard baked into its code at deploy time; its event may carry at most
 * that dashboard's digest.
 */
import { checkInvocation, definitionsDigest } from "./bakedDefinitions";
import { DashboardInput, publishDashboard, versionOf } from "./quicksightDashboard";

export type QuickSightDashboardHandler = (event: unknown) => Promise<{ action: string; versionNumber: number }>;

/** A callback factory with the dashboard captured: serialized into the function's code. */
export function quickSightDashboardCallbackFactory(dashboard: DashboardInput): () => QuickSightDashboardHandler {
    const digest = definitionsDigest(dashboard);
    return () => quickSightDashboardHandler(dashboard, digest);
}

function quickSightDashboardHandler(dashboard: DashboardInput, digest: string): QuickSightDashboardHandler {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const qs = require("@aws-sdk/client-quicksight");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const accountId = process.env.QUICKSIGHT_ACCOUNT_ID;
    if (!accountId) throw new Error("QuickSight dashboard environment is missing QUICKSIGHT_ACCOUNT_ID.");
    const client = new qs.QuickSightClient({});
    const common = (input: DashboardInput) => ({
        AwsAccountId: accountId,
        DashboardId: input.dashboardId,
        Name: input.name,
        Definition: input.definition,
    });
    return async (event) => {
        checkInvocation(event, digest, "dashboard definition");
        return publishDashboard(dashboard, {
            describe: async (DashboardId) => {
                try {
                    const found = await client.send(
                        new qs.DescribeDashboardCommand({ AwsAccountId: accountId, DashboardId }),
                    );
                    return { versionNumber: found.Dashboard?.Version?.VersionNumber ?? 0 };
                } catch (err: any) {
                    if (err?.name === "ResourceNotFoundException") return undefined;
                    throw err;
                }
            },
            create: async (input) => {
                const created = await client.send(
                    new qs.CreateDashboardCommand({
                        ...common(input),
                        Permissions: [{ Principal: input.ownerArn, Actions: [...input.ownerActions] }],
                    }),
                );
                return { versionNumber: versionOf(created.VersionArn) };
            },
            update: async (input) => ({
                versionNumber: versionOf((await client.send(new qs.UpdateDashboardCommand(common(input)))).VersionArn),
            }),
            publish: async (DashboardId, VersionNumber) => {
                await client.send(
                    new qs.UpdateDashboardPublishedVersionCommand({
                        AwsAccountId: accountId,
                        DashboardId,
                        VersionNumber,
                    }),
                );
            },
        });
    };
}
