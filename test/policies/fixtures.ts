/** Shared pieces of the policy fixtures: documents, statements and the fix texts messages end with. */

export const doc = (...statements: Record<string, unknown>[]) => ({ Version: "2012-10-17", Statement: statements });
export const text = (...statements: Record<string, unknown>[]) => JSON.stringify(doc(...statements));

/** The fix every anonymous / any-account finding ends with. */
export const FIX_PRINCIPALS =
    "name the principals, or limit a wildcard with a condition callers cannot forge (aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceVpce, or a source IP within allowedCidrs)";
/** The fix of a service acting for any account (the confused deputy). */
export const FIX_SERVICE =
    "add an aws:SourceAccount condition naming your own account (and aws:SourceArn naming the exact source)";

export const ANONYMOUS = "anonymous callers from the internet";
export const ANONYMOUS_VPCE = "anonymous callers through a VPC endpoint of their own";
export const ANY_ACCOUNT = "principals of any AWS account";
export const ANY_SERVICE = "any AWS service acting for any account";

export const UNREADABLE = "give it as JSON text or an object with a Statement list";
export const AMBIGUOUS_FIX = "write each key once, spelled as AWS spells it (Access Analyzer reports this as an error)";
