/**
 * Entry point of the blocklist applier Lambda in a resource account and Region: invoked
 * synchronously by the logging account's publisher (through the sync role, which may do nothing
 * else), with the desired contents of the two IP sets as its payload. Limits and the allowlist
 * are baked into its code by the resource stack; the sets' IDs come from its environment.
 */
import { ApplierSettings, ApplyResult, IpSetCalls, applyBlocklist } from "./applier";
import { InvocationContext, invocationBudget } from "./invocation";
import { emitMetrics } from "./metrics";

export const APPLIER_ENVIRONMENT = { ipv4SetId: "IPV4_SET_ID", ipv6SetId: "IPV6_SET_ID" } as const;

/** Bounds every WAF call: a hung endpoint must not hold the applier (and its caller) until the timeout. */
export const APPLIER_CALL_TIMEOUT_MS = 10_000;

export function applierCallbackFactory(
    settings: ApplierSettings,
    functionName: string,
): () => (event: unknown, context?: Partial<InvocationContext>) => Promise<ApplyResult> {
    return () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const wafSdk = require("@aws-sdk/client-wafv2");
        const ids = {
            ipv4: process.env[APPLIER_ENVIRONMENT.ipv4SetId],
            ipv6: process.env[APPLIER_ENVIRONMENT.ipv6SetId],
        };
        if (!ids.ipv4 || !ids.ipv6) {
            throw new Error(
                `Applier environment is missing ${APPLIER_ENVIRONMENT.ipv4SetId} or ${APPLIER_ENVIRONMENT.ipv6SetId}.`,
            );
        }
        const waf = new wafSdk.WAFV2Client({
            requestHandler: { connectionTimeout: 3000, requestTimeout: APPLIER_CALL_TIMEOUT_MS },
        });
        /** One WAF call, bounded by its own timeout and by the invocation's budget (`deadline`). */
        const send = async (command: { constructor: { name: string } }, deadline: AbortSignal | undefined) => {
            const signal = AbortSignal.any([
                AbortSignal.timeout(APPLIER_CALL_TIMEOUT_MS),
                ...(deadline ? [deadline] : []),
            ]);
            try {
                return await waf.send(command, { abortSignal: signal });
            } catch (err) {
                if (!signal.aborted) throw err;
                const timeout = new Error(
                    `AWS WAF did not answer ${command.constructor.name.replace(/Command$/, "")} within ${APPLIER_CALL_TIMEOUT_MS} ms or before the applier's deadline; nothing more was written, and the publisher's next sync retries`,
                );
                timeout.name = "WafTimeout";
                throw timeout;
            }
        };
        const set = (family: "ipv4" | "ipv6") => ({
            Name: settings.ipSetNames[family],
            // CLOUDFRONT in a global stack: its applier runs in us-east-1, where those sets live.
            Scope: settings.scope ?? "REGIONAL",
            Id: ids[family],
        });
        const callsUntil = (deadline: AbortSignal | undefined): IpSetCalls => ({
            async get(family) {
                const { IPSet, LockToken } = await send(new wafSdk.GetIPSetCommand(set(family)), deadline);
                return { addresses: IPSet?.Addresses ?? [], lockToken: LockToken, description: IPSet?.Description };
            },
            async update(family, addresses, state) {
                await send(
                    new wafSdk.UpdateIPSetCommand({
                        ...set(family),
                        Addresses: [...addresses],
                        LockToken: state.lockToken,
                        // UpdateIPSet replaces every setting: keep the description.
                        Description: state.description,
                    }),
                    deadline,
                );
            },
        });
        return async (event: unknown, context?: Partial<InvocationContext>) => {
            // Stop before Lambda's timeout, so the failure is ours and says what hung.
            const budget = invocationBudget(context);
            const deadline = budget ? AbortSignal.timeout(Math.max(0, budget())) : undefined;
            return applyBlocklist(
                event,
                {
                    calls: callsUntil(deadline),
                    now: Date.now,
                    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
                    log: (line) => console.log(line),
                    metrics: (values) =>
                        emitMetrics({
                            timestamp: Date.now(),
                            dimensions: { FunctionName: functionName },
                            metrics: Object.entries(values).map(([name, value]) => ({ name, value })),
                        }),
                },
                settings,
            );
        };
    };
}
