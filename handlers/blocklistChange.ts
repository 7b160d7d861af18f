/**
 * An operator's change to the central blocklist (add, remove, promote), checked and written with
 * its audit record. It runs inside the blocklist operator Lambda, the only way an operator can
 * change the table: their policy lets them call its IAM-authenticated function URL, not write the
 * table, so no change can skip these checks or the audit record, and the actor recorded is the
 * caller AWS authenticated, not a name the caller wrote.
 */
import {
    BlockEntry,
    BlockPolicy,
    auditOf,
    isActive,
    operatorBlock,
    operatorPromote,
    operatorRelease,
} from "./blocklist";
import { BlocklistStore } from "./blocklistStore";
import { IpRange, allowlisted, notGloballyReachable, parseRange } from "./ipRange";

/** Longest reason, in characters: the entry, the audit trail and `list` print it whole. */
export const MAX_REASON_LENGTH = 500;
/** Longest block or release an operator may ask for: 30 days. */
export const MAX_CHANGE_MINUTES = 43_200;

export const CHANGE_COMMANDS = ["add", "remove", "promote"] as const;

export interface ChangeRequest {
    readonly command: (typeof CHANGE_COMMANDS)[number];
    /** The address or CIDR range. */
    readonly target: string;
    /** Why, for the audit trail: one line of plain text. */
    readonly reason: string;
    /** add: how long to block (default blockMinutes); remove: how long the detector leaves it alone (default 60). */
    readonly minutes?: number;
}

/**
 * A change refused for what it asks (the caller can fix it); nothing but a refusal record was
 * written. An Error named ChangeRefused, not a subclass: Pulumi serializes an Error subclass's
 * constructor as `Error.call(this, message)`, which sets no message.
 */
export function changeRefused(message: string): Error {
    const refusal = new Error(message);
    refusal.name = "ChangeRefused";
    return refusal;
}

export function isChangeRefused(err: unknown): err is Error {
    return err instanceof Error && err.name === "ChangeRefused";
}

export interface ChangeDependencies {
    readonly store: BlocklistStore;
    /** Who asks, as AWS authenticated them. */
    readonly actor: string;
    readonly now: number;
    /** The logging stack's block durations and allowlist. */
    readonly policy: BlockPolicy;
}

/**
 * Characters a reason may not hold: controls (CR and LF included, DEL, C1), format characters
 * (bidirectional marks and overrides, zero-width characters, the BOM, tag characters), lone
 * surrogates, private-use characters, and Unicode's line and paragraph separators. Printed raw,
 * they move the cursor, recolour the terminal, reorder or hide text, or forge a second line of
 * the audit trail.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/u;

export function isControl(code: number): boolean {
    return UNPRINTABLE.test(String.fromCodePoint(code));
}

const codePoint = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;

/** Why `reason` cannot be stored, or undefined. */
export function reasonProblem(reason: string): string | undefined {
    const characters = [...reason];
    const at = characters.findIndex((c) => isControl(c.codePointAt(0)!));
    if (at >= 0) {
        return `--reason contains a control character (${codePoint(characters[at].codePointAt(0)!)} at character ${at + 1}); write the reason as one line of plain text.`;
    }
    if (characters.length > MAX_REASON_LENGTH) {
        return `--reason is ${characters.length} characters long; keep it to ${MAX_REASON_LENGTH} (the entry, the audit trail and list print it whole).`;
    }
    return undefined;
}

/**
 * The request in `body` (the function URL's JSON), checked field by field: the Lambda trusts
 * nothing the CLI checked, because anyone with the operator policy can call it without the CLI.
 */
export function parseChangeRequest(body: unknown): ChangeRequest {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
        throw changeRefused('The request must be a JSON object: {"command", "target", "reason", "minutes"?}.');
    }
    const fields = body as Record<string, unknown>;
    const unknownField = Object.keys(fields).find((k) => !["command", "target", "reason", "minutes"].includes(k));
    if (unknownField !== undefined) {
        throw changeRefused(
            `Unknown field ${JSON.stringify(unknownField).slice(0, 80)}: a request has command, target, reason and minutes (the actor is the caller AWS authenticated).`,
        );
    }
    const { command, target, reason, minutes } = fields;
    if (!CHANGE_COMMANDS.includes(command as never)) {
        throw changeRefused(`command must be one of ${CHANGE_COMMANDS.join(", ")}.`);
    }
    if (typeof target !== "string" || target.length === 0 || target.length > 64) {
        throw changeRefused("target must be an IP address or CIDR range.");
    }
    if (typeof reason !== "string" || reason.trim() === "") {
        throw changeRefused(`${command} needs --reason "<why>": the audit trail keeps it.`);
    }
    const problem = reasonProblem(reason.trim());
    if (problem) throw changeRefused(problem);
    if (minutes !== undefined && !(Number.isInteger(minutes) && (minutes as number) >= 1)) {
        throw changeRefused(`--minutes takes a whole number from 1 to ${MAX_CHANGE_MINUTES} (30 days).`);
    }
    if ((minutes as number) > MAX_CHANGE_MINUTES) {
        throw changeRefused(`--minutes takes a whole number from 1 to ${MAX_CHANGE_MINUTES} (30 days).`);
    }
    return {
        command: command as ChangeRequest["command"],
        target,
        reason: reason.trim(),
        ...(minutes === undefined ? {} : { minutes: minutes as number }),
    };
}

/** Text from the table as it may be printed: control characters shown as \u{...} escapes. */
export function printable(text: unknown): string {
    return [...String(text)]
        .map((c) => (isControl(c.codePointAt(0)!) ? `\\u{${c.codePointAt(0)!.toString(16)}}` : c))
        .join("");
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

/** The range a command names; remove and promote accept any breadth, since add never stored a broader one. */
export function rangeOf(target: string, command: "add" | "remove" | "promote" | "history"): IpRange {
    const range = parseRange(
        target,
        command === "add"
            ? {}
            : {
                  breadthFix:
                      "no entry is ever that broad (add refuses it), so there is nothing to find; give the address or range that was blocked",
              },
    );
    if ("problem" in range) throw changeRefused(`Cannot use ${printable(target)}: ${range.problem}.`);
    return range;
}

/**
 * Applies one checked change: the new entry and its audit record in one conditional transaction,
 * retried when the detector wrote the same range in between. A refusal (not globally reachable,
 * allowlisted) is itself audited. Returns what happened, for the operator to read.
 */
export async function changeBlocklist(request: ChangeRequest, deps: ChangeDependencies): Promise<string> {
    const { store, actor, now, policy } = deps;
    const range = rangeOf(request.target, request.command);
    const minutes = request.minutes ?? (request.command === "add" ? policy.blockMinutes : 60);
    for (let attempt = 1; attempt <= 3; attempt++) {
        const existing = await store.get(range.cidr);
        let entry: BlockEntry;
        if (request.command === "add") {
            const block = notGloballyReachable(range.cidr);
            if (block) {
                await store.audit(
                    auditOf("refuse", { cidr: range.cidr, reason: request.reason }, actor, now, {
                        notGloballyReachable: block,
                    }),
                );
                throw changeRefused(
                    `Refused: ${range.cidr} overlaps ${block}, which is not globally reachable (IANA special-purpose address registry): no client on the internet has such an address, so blocking it could only cut off your own networks. Fix: block the public address the client really has.`,
                );
            }
            const protectedBy = allowlisted(range.cidr, policy.allowlist);
            if (protectedBy) {
                await store.audit(
                    auditOf("refuse", { cidr: range.cidr, reason: request.reason }, actor, now, {
                        allowlisted: protectedBy,
                    }),
                );
                throw changeRefused(
                    `Refused: ${range.cidr} overlaps the allowlisted range ${protectedBy} (central-waf-logs:response.allowlist), which is never blocked. Fix: remove it from the allowlist in Pulumi.<logging stack>.yaml first if it really must be blocked.`,
                );
            }
            entry = operatorBlock(existing, range, minutes, request.reason, now, policy, actor);
        } else if (request.command === "promote") {
            if (!existing || !isActive(existing, now)) {
                throw changeRefused(
                    `${range.cidr} is not blocked; nothing to promote (list shows the active entries).`,
                );
            }
            if ((existing.scope ?? "global") === "global") {
                throw changeRefused(
                    `${range.cidr} is already blocked in every account and Region; nothing to promote.`,
                );
            }
            entry = operatorPromote(existing, now, actor);
        } else {
            if (!existing || (!isActive(existing, now) && (existing.suppressedUntil ?? 0) <= now)) {
                throw changeRefused(`${range.cidr} is not blocked; nothing to remove (list shows the active entries).`);
            }
            entry = operatorRelease(existing, minutes, request.reason, now, policy, actor);
        }
        const action = request.command === "add" ? "add" : request.command === "promote" ? "promote" : "release";
        const record = auditOf(action, { cidr: entry.cidr, reason: request.reason }, actor, now, entry);
        if (await store.write(entry, record)) return outcomeOf(request, entry, existing, minutes, now);
    }
    throw changeRefused(
        `${range.cidr} kept changing while this command ran (the detector writes it too); run it again.`,
    );
}

function outcomeOf(
    request: ChangeRequest,
    entry: BlockEntry,
    existing: BlockEntry | undefined,
    minutes: number,
    now: number,
): string {
    if (request.command === "promote") {
        return `Promoted ${entry.cidr}: blocked in every account and Region until ${iso(entry.blockedUntil)} (it was local to ${(existing?.locations ?? []).join(" ") || "nowhere"}). The publisher writes it to every IP set within minutes.`;
    }
    if (request.command === "remove") {
        return `Released ${entry.cidr}; the detector leaves it alone until ${iso(entry.suppressedUntil!)}, and its repeat count starts over (if it returns, it is blocked as a first offense). The publisher removes it from every IP set within minutes.`;
    }
    const kept =
        entry.blockedUntil > now + minutes * 60_000
            ? `: it was already blocked until then, later than the ${minutes} minutes asked for, and add never shortens a block (to shorten it, remove it, then add it again)`
            : "";
    return `Blocked ${entry.cidr} until ${iso(entry.blockedUntil)} (offense ${entry.offenses})${kept}. The publisher writes it to every IP set within minutes.`;
}
