import { ResourceValidationPolicy } from "@pulumi/policy";
import { isDefaultProvider } from "./pulumiExplicitProvider";
import { listProperty } from "./lib/props";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

/**
 * CrossGuard hands a provider its inputs as the engine registers them: `allowedAccountIds`
 * arrives as JSON text ('["111111111111"]') in `pulumi preview --policy-pack`, as a list under
 * other callers. Default providers are left to pulumi-explicit-provider, which refuses their use.
 */
export const pulumiProviderAllowedAccountIds: ResourceValidationPolicy = {
    name: "pulumi-provider-allowed-account-ids",
    description:
        "Every explicit AWS provider must pin allowedAccountIds, so a deployment with the wrong credentials stops before it changes anything.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TYPES.accountPinnedProvider, (props, args, report) => {
        if (isDefaultProvider(args.name)) return;
        const ids = listProperty(props.allowedAccountIds);
        if (!ids || ids.length === 0) {
            report(
                `Provider ${args.name} (${args.type}) does not pin allowedAccountIds; set allowedAccountIds to the stack's account.`,
            );
            return;
        }
        const invalid = ids.filter((id) => typeof id !== "string" || !/^\d{12}$/.test(id));
        if (invalid.length > 0) {
            report(
                `Provider ${args.name} (${args.type}) lists allowedAccountIds that are not 12-digit account IDs (${invalid.map(String).join(", ")}); list the stack's account ID.`,
            );
        }
    }),
};
