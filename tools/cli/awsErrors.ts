/**
 * AWS SDK errors that come from the caller's environment (no Region, no credentials, no network,
 * the wrong account), turned into user errors: one line that says the fix, no stack trace.
 */
import { userError } from "./shell";

const NETWORK_CODES = [
    "ECONNREFUSED",
    "ECONNRESET",
    "ENOTFOUND",
    "EAI_AGAIN",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "ENETUNREACH",
];

/** The network error code of a request that never reached its endpoint, if that is what `err` is. */
export function unreachable(err: unknown): string | undefined {
    const e = err as { code?: string; name?: string; errors?: { code?: string }[] } | undefined;
    const code = [e?.code, ...(e?.errors ?? []).map((x) => x?.code)].find(
        (c) => c !== undefined && NETWORK_CODES.includes(c),
    );
    return code ?? (e?.name === "TimeoutError" ? "TimeoutError" : undefined);
}

const DENIED = ["AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId"];
const EXPIRED = ["ExpiredToken", "ExpiredTokenException", "RequestExpired"];

/**
 * A user error for `err` if the environment caused it, else undefined (a bug: let it print its
 * stack). `what` names the service or resource in the message; `permissions` says what the caller
 * needs, for an access-denied answer.
 */
export function awsEnvironmentError(
    err: unknown,
    context: { readonly what: string; readonly permissions: string },
): Error | undefined {
    const e = err as { name?: string; message?: string } | undefined;
    if (e?.message === "Region is missing") {
        return userError(`No AWS Region to reach ${context.what} in. Fix: pass --region, or set AWS_REGION.`);
    }
    if (e?.name === "CredentialsProviderError") {
        return userError(
            `No AWS credentials found (${e.message}). Fix: sign in to the account (e.g. aws sso login, or set AWS_PROFILE).`,
        );
    }
    if (EXPIRED.includes(e?.name ?? "")) {
        return userError(`${e!.name}: ${e!.message} Fix: sign in again (e.g. aws sso login).`);
    }
    if (DENIED.includes(e?.name ?? "")) {
        return userError(`${e!.name}: ${e!.message} Fix: use credentials with ${context.permissions}.`);
    }
    const network = unreachable(err);
    if (network) return userError(`Cannot reach ${context.what} (${network}). Fix: check the network and --region.`);
    return undefined;
}
