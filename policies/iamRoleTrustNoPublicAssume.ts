import { ResourceValidationPolicy } from "@pulumi/policy";
import { Finding, publicAccess } from "./lib/access";
import { ALLOWED_CIDRS_SCHEMA, AllowedCidrsConfig, findingSentence, fixFor, unreadableMessage } from "./lib/findings";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

const TRUST_FIX = "name the trusted principals, or limit them with aws:PrincipalOrgID or aws:PrincipalArn";

/** Does the statement rely on sts:ExternalId (which the caller chooses)? */
const usesExternalId = (f: Finding) =>
    f.statement.conditions !== "unreadable" &&
    f.statement.conditions.some((c) => c.key.toLowerCase() === "sts:externalid");

function trustFix(f: Finding): string {
    if (f.adversary.principal.kind === "federated") return fixFor(f);
    return usesExternalId(f) ? `${TRUST_FIX} (sts:ExternalId is chosen by the caller and keeps no one out)` : TRUST_FIX;
}

/**
 * Trust policies are judged against principals of any account and identities of web identity
 * issuers outsiders can get tokens from (every OIDC issuer but those that belong to one
 * organization, see lib/identityProviders.ts). Service principals (lambda.amazonaws.com...) are
 * deliberately allowed: a service assumes a role only for a resource someone configured with it,
 * which takes iam:PassRole in the role's own account.
 */
export const iamRoleTrustNoPublicAssume: ResourceValidationPolicy = {
    name: "iam-role-trust-no-public-assume",
    description:
        "No IAM role may be assumable by principals of any AWS account or by any identity of a web identity issuer others share (GitHub, Buildkite, Pulumi Cloud, Cognito, Google...).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: forTypes(TYPES.role, (props, args, report) => {
        const policy = props.assumeRolePolicy ?? props.assumeRolePolicyDocument;
        if (policy === undefined || policy === null || policy === "") return;
        const subject = `Role ${args.name}'s trust policy`;
        const { allowedCidrs } = args.getConfig<AllowedCidrsConfig>();
        const result = publicAccess(policy, { kind: "trust", allowedCidrs, actionScope: "sts:*" });
        if (!result.readable) {
            report(unreadableMessage(subject, result));
            return;
        }
        for (const f of result.findings) report(`${subject}: ${findingSentence(f)}; ${trustFix(f)}.`);
    }),
};
