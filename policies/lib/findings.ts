/** How the public-access policies word what they found, so every message reads the same way. */
import { Finding, describeActions } from "./access";
import { statementLabel } from "./document";

/** "statement PublicRead allows s3:GetObject to anonymous callers from the internet" */
export const findingSentence = (f: Finding) =>
    `${statementLabel(f.statement)} allows ${describeActions(f)} to ${f.adversary.description}`;

/** What to change, by who got in. */
export function fixFor(f: Finding): string {
    switch (f.adversary.principal.kind) {
        case "service":
            return "add an aws:SourceAccount condition naming your own account (and aws:SourceArn naming the exact source)";
        case "federated":
            return "require the identity provider's sub (and aud) claims to name your own identities exactly";
        default:
            return "name the principals, or limit a wildcard with a condition callers cannot forge (aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceVpce, or a source IP within allowedCidrs)";
    }
}

export const UNREADABLE_FIX = "give it as JSON text or an object with a Statement list";

/** The allowedCidrs setting every public-access policy takes. */
export const ALLOWED_CIDRS_SCHEMA = {
    allowedCidrs: {
        type: "array",
        items: { type: "string" },
        default: [],
        description:
            "Public source ranges the organization owns (its egress). A wildcard principal limited to these is not public; any other public address is.",
    },
} as const;

export interface AllowedCidrsConfig {
    allowedCidrs?: string[];
}
