/**
 * Entry point of the coverage Lambda, started on a schedule. The targets (every admitted account
 * and Region with the read-only role to assume there) and the settings are baked into its code at
 * deploy time; the event is ignored. The same connection code serves `npm run coverage`.
 */
import { emitCounts } from "./detectorLambda";
import {
    CoverageSettings,
    CoverageSummary,
    CoverageTarget,
    WebAclCalls,
    WebAclSummary,
    apiLocation,
    scanCoverage,
} from "./coverage";

/** The session name the scan uses in every target account; it shows in their CloudTrail. */
export const COVERAGE_SESSION = "central-waf-logs-coverage";

/**
 * Connects to one target through its role: STS AssumeRole, then WAFV2 in the target's API Region
 * with the scope its Region implies. `stsSdk` and `wafSdk` are the AWS SDK v3 modules (required by
 * the caller, so that the serialized Lambda code loads them at run time).
 */
export function webAclConnector(
    stsSdk: any,
    wafSdk: any,
    sts: any,
    clientOptions: Record<string, unknown> = {},
): (target: CoverageTarget) => Promise<WebAclCalls> {
    return async (target) => {
        const { Credentials } = await sts.send(
            new stsSdk.AssumeRoleCommand({
                RoleArn: target.roleArn,
                RoleSessionName: COVERAGE_SESSION,
                DurationSeconds: 900,
            }),
        );
        const { apiRegion, scope } = apiLocation(target.region);
        const waf = new wafSdk.WAFV2Client({
            ...clientOptions,
            region: apiRegion,
            credentials: {
                accessKeyId: Credentials.AccessKeyId,
                secretAccessKey: Credentials.SecretAccessKey,
                sessionToken: Credentials.SessionToken,
            },
        });
        return {
            close: () => waf.destroy(),
            async list() {
                const acls: WebAclSummary[] = [];
                let NextMarker: string | undefined;
                do {
                    const page = await waf.send(
                        new wafSdk.ListWebACLsCommand({ Scope: scope, Limit: 100, NextMarker }),
                    );
                    acls.push(...(page.WebACLs ?? []).map((a: any) => ({ name: a.Name, id: a.Id, arn: a.ARN })));
                    NextMarker = page.WebACLs?.length ? page.NextMarker : undefined;
                } while (NextMarker);
                return acls;
            },
            async rules(acl) {
                const { WebACL } = await waf.send(
                    new wafSdk.GetWebACLCommand({ Name: acl.name, Scope: scope, Id: acl.id }),
                );
                return [
                    ...(WebACL?.PreProcessFirewallManagerRuleGroups ?? []),
                    ...(WebACL?.Rules ?? []),
                    ...(WebACL?.PostProcessFirewallManagerRuleGroups ?? []),
                ];
            },
            async logDestinations(acl) {
                try {
                    const { LoggingConfiguration } = await waf.send(
                        new wafSdk.GetLoggingConfigurationCommand({ ResourceArn: acl.arn }),
                    );
                    return LoggingConfiguration?.LogDestinationConfigs ?? [];
                } catch (err) {
                    // What WAF answers for a web ACL without a logging configuration.
                    if ((err as { name?: string }).name === "WAFNonexistentItemException") return undefined;
                    throw err;
                }
            },
        };
    };
}

export function coverageCallbackFactory(
    settings: CoverageSettings,
    targets: readonly CoverageTarget[],
): () => (event: unknown) => Promise<CoverageSummary> {
    return () => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const stsSdk = require("@aws-sdk/client-sts");
        const wafSdk = require("@aws-sdk/client-wafv2");
        /* eslint-enable @typescript-eslint/no-require-imports */
        const connect = webAclConnector(stsSdk, wafSdk, new stsSdk.STSClient({}));
        return async () =>
            scanCoverage(
                {
                    targets,
                    connect,
                    log: (line) => console.log(line),
                    metrics: (values, target) =>
                        emitCounts(values, { TargetAccount: target.accountId, TargetRegion: target.region }),
                },
                settings,
            );
    };
}
