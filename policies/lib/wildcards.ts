/**
 * When is an Action or Resource pattern "everything"? Decided on the IAM glob, not the text:
 * `s3:*`, `s3:?*`, `S3:**` and `s3*` all match every S3 action; `*:*` and `*` every action of
 * every service; `arn:aws:s3:::*` every bucket, `arn:*` every resource.
 */
import { globCovers, parsePattern } from "./glob";

const onlyWildcards = (text: string) => text.length > 0 && /^[*?]*$/.test(text) && text.includes("*");

/**
 * Does the action pattern match every action of `service` ("s3")? Without a service: every
 * action of some service (the pattern's own, or all services when its service part is a wildcard).
 */
export function coversEveryAction(pattern: string, service?: string): boolean {
    const p = pattern.toLowerCase();
    const colon = p.indexOf(":");
    const servicePart = colon < 0 ? p : p.slice(0, colon);
    const actionPart = colon < 0 ? "" : p.slice(colon + 1);
    const serviceWild = parsePattern(servicePart).some((t) => t.kind !== "char");
    if (service !== undefined) {
        const s = service.toLowerCase();
        // Every action name has at least one character, so `s3:?*` is as wide as `s3:*`.
        return globCovers(p, `${s}:*`, true) || (onlyWildcards(actionPart) && globCovers(servicePart, s, true));
    }
    if (colon < 0) return serviceWild && p.endsWith("*");
    return onlyWildcards(actionPart) || (serviceWild && globCovers(p, `${servicePart}:*`, true));
}

/** ARN fields: arn:partition:service:region:account:resource (the resource may contain colons). */
function arnFields(pattern: string): string[] {
    const parts = pattern.split(":");
    return parts.length <= 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(":")];
}

/** Does the resource pattern match every resource of its service (or everything)? */
export function isEveryResource(pattern: string): boolean {
    if (onlyWildcards(pattern)) return true;
    const fields = arnFields(pattern);
    if (fields.length < 6) return fields[fields.length - 1].includes("*");
    // `arn:aws:s3:::*`, `arn:aws:s3:::*/*`, `arn:aws:sqs:us-east-1:111111111111:*`
    return /^[*?/]*$/.test(fields[5]) && fields[5].includes("*");
}

/** Does the resource pattern match every role of an account (what iam:PassRole on it can pass)? */
export function isEveryRole(pattern: string): boolean {
    if (isEveryResource(pattern)) return true;
    const fields = arnFields(pattern);
    return fields.length === 6 && /^role\/[*?/]*$/.test(fields[5]) && fields[5].includes("*");
}
