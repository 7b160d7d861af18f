/**
 * Deploy order read from a recorded plan. Pulumi creates a resource only after the resources it
 * depends on (its `dependsOn` and the resources its input values came from); a resource whose input
 * merely spells another resource's ARN, name or ID as text has no such edge, and the engine may
 * create it first: a bucket notification before the permission that lets S3 invoke its function
 * (S3 refuses it), a DDL statement before the table it reads (Athena fails it). These checks find
 * such references in every input, so the order is declared, not lucky.
 */
import { ProgramRun, RecordedResource } from "./mockEngine";

/** A resource input that names another resource of the stack without depending on it. */
export interface UndeclaredReference {
    /** `<type>::<name>` of the resource whose input names the other. */
    readonly resource: string;
    /** The input property path, e.g. `policy` or `environment.variables.QUEUE_URL`. */
    readonly input: string;
    /** `<type>::<name>` of the resource named. */
    readonly names: string;
    /** The identifier found (an ARN, name, ID or URL). */
    readonly value: string;
}

const label = (r: RecordedResource) => `${r.type}::${r.name}`;

/** The URNs a resource depends on, directly or through the resources it depends on. */
export function dependencyClosure(run: ProgramRun): Map<string, Set<string>> {
    const direct = new Map<string, string[]>(
        run.resources.map((r) => [r.urn, [...r.dependsOn, ...Object.values(r.propertyDependencies).flat()]]),
    );
    const closure = new Map<string, Set<string>>();
    const visit = (urn: string): Set<string> => {
        const known = closure.get(urn);
        if (known) return known;
        const result = new Set<string>();
        closure.set(urn, result);
        for (const dep of direct.get(urn) ?? []) {
            result.add(dep);
            for (const transitive of visit(dep)) result.add(transitive);
        }
        return result;
    };
    for (const resource of run.resources) visit(resource.urn);
    return closure;
}

/**
 * How a resource can be named in another's inputs: its ARNs, URL and endpoint anywhere in a value
 * (policies embed ARNs in JSON text), its own physical name and its ID as a whole value, and a
 * bucket as the host of an `s3://` location. A name the resource took from another resource's
 * output (a bucket policy's `bucket`, an invoke config's `functionName`) is that other's identity.
 */
function identifiersOf(resource: RecordedResource): { embedded: string[]; whole: string[] } {
    const s = resource.state;
    const own = (key: string) => ((resource.propertyDependencies[key] ?? []).length === 0 ? s[key] : undefined);
    const texts = (...values: unknown[]) =>
        values.filter((v): v is string => typeof v === "string" && v.length >= 6 && !v.includes("${"));
    const bucket = resource.type === "aws:s3/bucket:Bucket" ? s.bucket : undefined;
    const whole = texts(resource.id, own("name"), bucket, own("domainName"), own("functionName"));
    const embedded = texts(s.arn, s.streamArn, s.url, s.endpoint, s.invokeArn);
    if (typeof bucket === "string") embedded.push(`s3://${bucket}/`);
    return { embedded, whole };
}

/** Every string leaf of an input value, with its property path. */
function leaves(value: unknown, path: string, out: [string, string][] = []): [string, string][] {
    if (typeof value === "string") out.push([path, value]);
    else if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
    else if (value && typeof value === "object") {
        for (const [key, v] of Object.entries(value)) leaves(v, path ? `${path}.${key}` : key, out);
    }
    return out;
}

/** `text` contains `id` not followed by more of a name (so `fn` is not found in `fn-2`). */
function containsIdentifier(text: string, id: string): boolean {
    for (let at = text.indexOf(id); at >= 0; at = text.indexOf(id, at + 1)) {
        if (!/[A-Za-z0-9_.-]/.test(text.charAt(at + id.length)) || id.endsWith("/")) return true;
    }
    return false;
}

/**
 * Inputs of custom resources that name another custom resource of the same stack (by ARN, URL,
 * `s3://` location, or a whole value equal to its name or ID) that the resource does not depend on,
 * directly or transitively. Not references: a resource's own identifiers, and the `Condition` of a
 * policy statement (`aws:SourceArn` names the resource that will use a grant, which must exist
 * first: a forward reference by design). A name several resources share (a function and its role)
 * is satisfied by a dependency on any of them.
 */
export function undeclaredReferences(run: ProgramRun): UndeclaredReference[] {
    const closure = dependencyClosure(run);
    const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:"));
    const targets = custom.map((r) => ({ resource: r, ...identifiersOf(r) }));
    const found: UndeclaredReference[] = [];
    for (const resource of custom) {
        const deps = closure.get(resource.urn) ?? new Set<string>();
        const self = identifiersOf(resource);
        for (const [input, raw] of leaves(resource.inputs, "")) {
            const text = withoutConditions(raw);
            // A resource's own name and ARN in its inputs (a log group's, a role's) name no one else.
            if (self.whole.includes(text) || self.embedded.includes(text)) continue;
            // Per identifier found, the resources it may name (a name a function and its role share).
            const byValue = new Map<string, RecordedResource[]>();
            for (const target of targets) {
                if (target.resource.urn === resource.urn) continue;
                const values = [
                    ...target.whole.filter((id) => id === text),
                    ...target.embedded.filter((id) => containsIdentifier(text, id)),
                ];
                for (const value of values) byValue.set(value, [...(byValue.get(value) ?? []), target.resource]);
            }
            for (const [value, named] of byValue) {
                if (named.some((t) => deps.has(t.urn))) continue;
                for (const target of named)
                    found.push({ resource: label(resource), input, names: label(target), value });
            }
        }
    }
    return found;
}

/** A policy document's text without its statements' conditions; any other text unchanged. */
function withoutConditions(text: string): string {
    const doc = policyJson(text);
    if (!doc) return text;
    return JSON.stringify({ ...doc, Statement: doc.Statement.map(({ Condition: _, ...rest }) => rest) });
}

function policyJson(text: string): { Statement: Record<string, unknown>[] } | undefined {
    if (!text.trimStart().startsWith("{")) return undefined;
    try {
        const doc = JSON.parse(text);
        return Array.isArray(doc?.Statement) ? doc : undefined;
    } catch {
        return undefined;
    }
}

/**
 * IAM role ARNs named as principals (`Principal.AWS`) in the policy documents of a stack's inputs
 * that the stack does not create. IAM refuses a trust or resource policy whose principal names a
 * role that does not exist ("Invalid principal in policy"), so such a role must be admitted as its
 * account's root with an `aws:PrincipalArn` condition instead.
 */
export function principalsOutsideStack(run: ProgramRun): { resource: string; input: string; principal: string }[] {
    const roles = new Set(run.resources.filter((r) => r.type === "aws:iam/role:Role").map((r) => r.state.arn));
    const found: { resource: string; input: string; principal: string }[] = [];
    for (const resource of run.resources.filter((r) => r.custom)) {
        for (const [input, text] of leaves(resource.inputs, "")) {
            for (const principal of awsPrincipals(text)) {
                if (/^arn:[\w-]+:iam::\d{12}:role\//.test(principal) && !roles.has(principal)) {
                    found.push({ resource: label(resource), input, principal });
                }
            }
        }
    }
    return found;
}

function awsPrincipals(text: string): string[] {
    return (policyJson(text)?.Statement ?? []).flatMap((s) => {
        const principal = s.Principal as { AWS?: unknown } | string | undefined;
        const aws = typeof principal === "object" ? principal.AWS : [];
        return (Array.isArray(aws) ? aws : [aws]).filter((p): p is string => typeof p === "string");
    });
}
