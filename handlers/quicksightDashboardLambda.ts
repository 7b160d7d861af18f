/** Entry point of the QuickSight dashboard Lambda; its event is a DashboardInput. */
import { DashboardInput, publishDashboard, versionOf } from "./quicksightDashboard";

export function quickSightDashboardHandlerFactory(): (
    event: DashboardInput,
) => Promise<{ action: string; versionNumber: number }> {
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
    return (event) =>
        publishDashboard(event, {
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
}
