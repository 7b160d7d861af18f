/** How the public-access policies word what they found, so every message reads the same way. */
import { AccessResult, Finding, describeActions } from "./access";
import { statementLabel } from "./document";
import { identityProvider, identityProviderHost } from "./identityProviders";

/** "statement PublicRead allows s3:GetObject to anonymous callers from the internet" */
export const findingSentence = (f: Finding) =>
    `${statementLabel(f.statement)} allows ${describeActions(f)} to ${f.adversary.description}`;

/** The fix of a wildcard principal: name the principals, or a condition callers cannot forge. */
export const PRINCIPALS_FIX =
    "name the principals, or limit a wildcard with a condition callers cannot forge (aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceVpce, or a source IP within allowedCidrs)";

/** The fix of a service acting for any account (the confused deputy), where the service sets aws:SourceAccount. */
export const SERVICE_FIX =
    "add an aws:SourceAccount condition naming your own account (and aws:SourceArn naming the exact source)";

/** What to change, by who got in; `serviceFix` replaces the confused-deputy advice where another condition fits. */
export function fixFor(f: Finding, serviceFix = SERVICE_FIX): string {
    const p = f.adversary.principal;
    switch (p.kind) {
        case "service":
            return serviceFix;
        case "federated":
            return identityProvider(identityProviderHost(p.provider)).fix;
        default:
            return PRINCIPALS_FIX;
    }
}

export const UNREADABLE_FIX = "give it as JSON text or an object with a Statement list";

/** The fix of an ambiguous document. */
export const AMBIGUOUS_FIX = "write each key once, spelled as AWS spells it (Access Analyzer reports this as an error)";

/**
 * The message for a document that cannot be shown to be private because it cannot be read, or
 * reads two ways; `also` adds a clause ("and the domain d is not in a VPC").
 */
export function unreadableMessage(subject: string, result: AccessResult & { readable: false }, also = ""): string {
    const clause = also ? ` and ${also}` : "";
    return result.ambiguity
        ? `${subject} is ambiguous: ${result.ambiguity}. AWS and this pack could read it differently${clause}, so it cannot be shown to be private; ${AMBIGUOUS_FIX}.`
        : `${subject} cannot be read as a policy document${clause}, so it cannot be shown to be private; ${UNREADABLE_FIX}.`;
}

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
