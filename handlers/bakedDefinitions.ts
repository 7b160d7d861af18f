/**
 * Deploy-time Lambdas (search bootstrap, analytics DDL, QuickSight publisher) run with powerful
 * roles, so they apply only definitions baked into their code when the program is deployed. Their
 * invocation carries at most `{ digest }`: the Invocation resource's input, so that a change of
 * definitions re-runs them. Anything else in an event is refused, never executed.
 */
import { createHash } from "crypto";

/** SHA-256 of the definitions' JSON, hex: what an invocation must name to run them. */
export function definitionsDigest(definitions: unknown): string {
    return createHash("sha256").update(JSON.stringify(definitions)).digest("hex");
}

/** The only event a deploy-time Lambda accepts. */
export interface DigestEvent {
    readonly digest?: string;
}

/**
 * Throws, before anything is sent, unless `event` is empty or `{ digest }` naming exactly these
 * definitions. `what` names them in the message.
 */
export function checkInvocation(event: unknown, digest: string, what: string): void {
    const given = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
    const extra = Object.keys(given).filter((key) => key !== "digest");
    if (typeof event !== "object" || event === null || Array.isArray(event) || extra.length > 0) {
        throw new Error(
            `Refused: this function applies only the ${what} deployed with it, and its event may carry only { digest }; ` +
                `got ${Array.isArray(event) || typeof event !== "object" || event === null ? JSON.stringify(event) : `the field(s) ${extra.join(", ")}`}. Nothing was sent.`,
        );
    }
    if (given.digest !== undefined && given.digest !== digest) {
        throw new Error(
            `Refused: digest ${JSON.stringify(given.digest)} is not the digest of the ${what} deployed with this function (${digest}). ` +
                "Nothing was sent; run `pulumi up` to change them.",
        );
    }
}
