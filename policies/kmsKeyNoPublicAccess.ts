import { ResourceValidationPolicy } from "@pulumi/policy";
import { publicAccess } from "./lib/access";
import { ALLOWED_CIDRS_SCHEMA, AllowedCidrsConfig, findingSentence, fixFor, UNREADABLE_FIX } from "./lib/findings";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export const kmsKeyNoPublicAccess: ResourceValidationPolicy = {
    name: "kms-key-no-public-access",
    description:
        "No KMS key policy may let anyone outside the organization use or manage the key: anonymous callers, principals of any account, or a service acting for any account.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: forTypes(TYPES.kmsKey, (props, args, report) => {
        // aws.kms.Key and aws.kms.KeyPolicy carry `policy`; aws-native's Key carries `keyPolicy`.
        const policy = props.policy ?? props.keyPolicy;
        // No policy on a Key means AWS's default: the key's own account only.
        if (policy === undefined || policy === null || policy === "") return;
        const subject = `KMS key policy ${args.name}`;
        const { allowedCidrs } = args.getConfig<AllowedCidrsConfig>();
        const result = publicAccess(policy, { allowedCidrs, actionScope: "kms:*" });
        if (!result.readable) {
            report(
                `${subject} cannot be read as a policy document, so it cannot be shown to be private; ${UNREADABLE_FIX}.`,
            );
            return;
        }
        for (const f of result.findings) report(`${subject}: ${findingSentence(f)}; ${fixFor(f)}.`);
    }),
};
