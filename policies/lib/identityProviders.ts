/**
 * Web identity (OIDC) issuers, as trust policies name them under `Federated`, and the claims that
 * tell one customer's tokens from another's.
 *
 * Every OIDC issuer is treated as public: most are shared by every customer of a service (GitHub,
 * GitLab.com, Terraform Cloud, Buildkite, Pulumi Cloud, Codefresh, Google...), and a growing list of
 * "public" issuers would let the next one through. A trust policy keeps outsiders out only when a
 * condition pins a subject-like claim: `sub`, or the issuer's documented organization claim. IAM
 * reads only a few claims as condition keys (`aud`, `sub`, and a few per provider), so those are
 * the ones modelled; any other key is one the caller chooses.
 *
 * For the issuers below the claim format is known, so a wildcard may follow the organization
 * (`repo:my-org/*`) but never cover it. For any other issuer `sub` is read as entirely the
 * caller's own: only an exact `sub` keeps others out.
 *
 * Issuers whose URL itself names one organization, enterprise, tenant or cluster (CircleCI,
 * Bitbucket, Azure DevOps, GitHub Enterprise Cloud's custom issuer, EKS) are that organization's
 * own, like a SAML provider: their tokens come only from it.
 */

export interface IdentityProvider {
    /** Claim name (without the `<host>:` prefix) to the shapes of an outsider's value (see glob.ts templates). */
    readonly claims: Readonly<Record<string, readonly string[]>>;
    /** What to change, for messages. */
    readonly fix: string;
}

const ciProvider = (host: string, sub: string, shape: string): IdentityProvider => ({
    claims: { sub: [sub] },
    fix: `require ${host}:sub to name your own organization (${shape}; a wildcard may follow the organization, never cover it)`,
});

const KNOWN: Readonly<Record<string, IdentityProvider>> = {
    "cognito-identity.amazonaws.com": {
        claims: { aud: ["{owned}"], sub: ["{owned}"] },
        fix: "require cognito-identity.amazonaws.com:aud to name your own identity pool",
    },
    "accounts.google.com": {
        claims: { aud: ["{owned}"], azp: ["{owned}"], sub: ["{owned}"] },
        fix: "require accounts.google.com:aud to name your own OAuth client (and sub your own users)",
    },
    "graph.facebook.com": {
        claims: { app_id: ["{owned}"], id: ["{owned}"] },
        fix: "require graph.facebook.com:app_id to name your own app",
    },
    "www.amazon.com": {
        claims: { app_id: ["{owned}"], user_id: ["{owned}"] },
        fix: "require www.amazon.com:app_id to name your own app",
    },
    "token.actions.githubusercontent.com": ciProvider(
        "token.actions.githubusercontent.com",
        "repo:{owned^/:}/{any}",
        "repo:<org>/<repo>:...",
    ),
    "gitlab.com": ciProvider("gitlab.com", "project_path:{owned^/:}/{any}", "project_path:<group>/<project>:..."),
    "app.terraform.io": ciProvider("app.terraform.io", "organization:{owned^:}:{any}", "organization:<org>:..."),
    "agent.buildkite.com": ciProvider(
        "agent.buildkite.com",
        "organization:{owned^:}:{any}",
        "organization:<org-slug>:pipeline:...",
    ),
    // Pulumi Cloud's audience is the organization's name (ESC: "aws:<org>"), its subject pulumi:<service>:org:<org>:...
    "api.pulumi.com/oidc": {
        claims: { aud: ["{owned}", "aws:{owned}"], sub: ["pulumi:{any^:}:org:{owned^:}:{any}"] },
        fix: "require api.pulumi.com/oidc:aud to name your own Pulumi organization (or sub pulumi:<service>:org:<org>:...)",
    },
};

/** Issuers whose URL names one organization, enterprise, tenant or cluster: that organization's own. */
const ORGANIZATION_ISSUERS = [
    // GitHub Enterprise Cloud's custom issuer, unique to one enterprise.
    /^token\.actions\.githubusercontent\.com\/[^/*?]+$/,
    /^oidc\.circleci\.com\/org\/[^/*?]+$/,
    /^api\.bitbucket\.org\/2\.0\/workspaces\/[^/*?]+\/pipelines-config\/identity\/oidc$/,
    /^vstoken\.dev\.azure\.com\/[^/*?]+$/,
    /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\/[^/*?]+$/,
];

/** The host (and path) a Federated principal names: itself, or the issuer of an IAM OIDC provider ARN. */
export function identityProviderHost(federated: string): string {
    const m = /^arn:[^:]*:iam::[^:]*:oidc-provider\/(.+)$/.exec(federated);
    return (m ? m[1] : federated).replace(/^https:\/\//i, "").toLowerCase();
}

/**
 * Is this Federated principal a web identity issuer outsiders can get tokens from? Every one is,
 * except SAML providers and issuers that belong to one organization.
 */
export function isSharedIdentityProvider(federated: string): boolean {
    if (/^arn:[^:]*:iam::[^:]*:saml-provider\//.test(federated)) return false;
    const host = identityProviderHost(federated);
    return !ORGANIZATION_ISSUERS.some((re) => re.test(host));
}

/** The claims and fix of an issuer: known ones by their format, any other by its `sub` alone. */
export function identityProvider(host: string): IdentityProvider {
    return (
        KNOWN[host] ?? {
            claims: { sub: ["{owned}"] },
            fix: `require ${host}:sub to name your own identities exactly (the pack does not know this issuer's claim format, so a wildcard in sub may cover other customers)`,
        }
    );
}
