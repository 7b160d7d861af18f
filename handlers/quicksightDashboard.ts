/**
 * Creates the QuickSight dashboard, or updates it and publishes the new version when it exists:
 * re-running with the same definition leaves one dashboard, at the latest version.
 */

export interface DashboardInput {
    readonly dashboardId: string;
    readonly name: string;
    readonly definition: Record<string, unknown>;
    readonly ownerArn: string;
    readonly ownerActions: readonly string[];
}

export interface QuickSightCalls {
    /** Resolves undefined when the dashboard does not exist. */
    describe(dashboardId: string): Promise<{ versionNumber: number } | undefined>;
    create(input: DashboardInput): Promise<{ versionNumber: number }>;
    update(input: DashboardInput): Promise<{ versionNumber: number }>;
    publish(dashboardId: string, versionNumber: number): Promise<void>;
}

export async function publishDashboard(
    input: DashboardInput,
    quicksight: QuickSightCalls,
): Promise<{ action: "created" | "updated"; versionNumber: number }> {
    if (!(await quicksight.describe(input.dashboardId))) {
        const created = await quicksight.create(input);
        return { action: "created", versionNumber: created.versionNumber };
    }
    const updated = await quicksight.update(input);
    await quicksight.publish(input.dashboardId, updated.versionNumber);
    return { action: "updated", versionNumber: updated.versionNumber };
}

/** The version number at the end of a dashboard version ARN (`.../version/3`). */
export function versionOf(versionArn: string | undefined): number {
    const version = Number(/\/version\/(\d+)$/.exec(versionArn ?? "")?.[1]);
    if (!Number.isInteger(version)) throw new Error(`QuickSight returned no dashboard version (${versionArn}).`);
    return version;
}
