import { PolicyResource } from "@pulumi/policy";
import { TYPES, bucketNameOf } from "./resources";

/**
 * The configuration resources of a given type that belong to `bucket`: same bucket name, or a
 * dependency on the bucket (names can be unknown during a preview of a new stack).
 */
export function configurationsOf(
    bucket: PolicyResource,
    resources: readonly PolicyResource[],
    types: string | readonly string[],
): PolicyResource[] {
    const wanted = typeof types === "string" ? [types] : types;
    const name = bucketNameOf(bucket.props);
    return resources.filter(
        (r) =>
            wanted.includes(r.type) &&
            ((name !== undefined && bucketNameOf(r.props) === name) ||
                (r.propertyDependencies?.bucket ?? r.dependencies ?? []).some((d) => d.urn === bucket.urn)),
    );
}

export const bucketsIn = (resources: readonly PolicyResource[]) =>
    resources.filter((r) => TYPES.bucket.includes(r.type));

export const describeBucket = (bucket: PolicyResource) =>
    `Bucket ${bucket.name}${bucketNameOf(bucket.props) ? ` (${bucketNameOf(bucket.props)})` : ""}`;
