import { PolicyResource } from "@pulumi/policy";
import { TYPES, bucketNameOf } from "./resources";

/**
 * The resources of the given types that configure `bucket`: their `bucket` property names it,
 * or (when names are not known yet, in a preview of a new stack) their `bucket` property was
 * computed from it. A mere dependency does not count: a block that depends on bucket A but names
 * bucket B protects B only.
 */
export function configurationsOf(
    bucket: PolicyResource,
    resources: readonly PolicyResource[],
    types: string | readonly string[],
): PolicyResource[] {
    const wanted = typeof types === "string" ? [types] : types;
    const name = bucketNameOf(bucket.type, bucket.props);
    return resources.filter((r) => {
        if (!wanted.includes(r.type)) return false;
        const named = bucketNameOf(r.type, r.props);
        if (named !== undefined) return named === name;
        return (r.propertyDependencies?.bucket ?? []).some((d) => d.urn === bucket.urn);
    });
}

export const bucketsIn = (resources: readonly PolicyResource[]) =>
    resources.filter((r) => TYPES.bucket.includes(r.type));

export function describeBucket(bucket: PolicyResource): string {
    const name = bucketNameOf(bucket.type, bucket.props);
    return `Bucket ${bucket.name}${name ? ` (${name})` : ""}`;
}
