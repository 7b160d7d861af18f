import { ResourceValidationPolicy } from "@pulumi/policy";
import { publicAccess } from "./lib/access";
import { ALLOWED_CIDRS_SCHEMA, AllowedCidrsConfig, findingSentence, UNREADABLE_FIX } from "./lib/findings";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

/**
 * Trust policies are judged against principals of any account and identities of public web
 * identity providers. Service principals (lambda.amazonaws.com...) are deliberately allowed:
 * a service assumes a role only for a resource someone configured with it, which takes
 * iam:PassRole in the role's own account.
 */
export const iamRoleTrustNoPublicAssume: ResourceValidationPolicy = {
    name: "iam-role-trust-no-public-assume",
    description:
        "No IAM role may be assumable by principals of any AWS account or by any identity of a public identity provider (GitHub, Cognito, Google...).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: forTypes(TYPES.role, (props, args, report) => {
        const policy = props.assumeRolePolicy ?? props.assumeRolePolicyDocument;
        if (policy === undefined || policy === null || policy === "") return;
        const subject = `Role ${args.name}'s trust policy`;
        const { allowedCidrs } = args.getConfig<AllowedCidrsConfig>();
        const result = publicAccess(policy, { kind: "trust", allowedCidrs, actionScope: "sts:*" });
        if (!result.readable) {
            report(
                `${subject} cannot be read as a policy document, so it cannot be shown to be private; ${UNREADABLE_FIX}.`,
            );
            return;
        }
        for (const f of result.findings) {
            const fix =
                f.adversary.principal.kind === "federated"
                    ? "require the provider's sub claim to name your own repositories or identities exactly (and aud to be yours)"
                    : "name the trusted principals, or limit them with aws:PrincipalOrgID or aws:PrincipalArn (sts:ExternalId is chosen by the caller and keeps no one out)";
            report(`${subject}: ${findingSentence(f)}; ${fix}.`);
        }
    }),
};
