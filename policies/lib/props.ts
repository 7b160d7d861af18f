/**
 * Reading resource properties in the shapes CrossGuard hands them over: a resource's inputs as
 * values, but a provider's inputs with lists and objects as JSON text (`allowedAccountIds` arrives
 * as '["111111111111"]' in `pulumi preview --policy-pack`). Both shapes read the same here.
 */
import { decodeJson } from "./document";

/** A list property given as a list or as JSON text of one; undefined when missing or not a list. */
export function listProperty(value: unknown): unknown[] | undefined {
    const decoded = decodeJson(value);
    if (decoded === undefined || decoded === null) return undefined;
    return Array.isArray(decoded) ? decoded : undefined;
}

/** An object property given as an object or as JSON text of one. */
export function objectProperty(value: unknown): Record<string, any> | undefined {
    const decoded = decodeJson(value);
    return typeof decoded === "object" && decoded !== null && !Array.isArray(decoded)
        ? (decoded as Record<string, any>)
        : undefined;
}

/** True for `true` and for the text "true" (any case). */
export const isTrue = (value: unknown) =>
    value === true || (typeof value === "string" && value.toLowerCase() === "true");
