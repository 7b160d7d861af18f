/**
 * How a loader invocation fails. Every failure rejects the invocation (so Lambda retries the
 * event, then sends it to the on-failure queue with its alarm); the message starts with the kind,
 * a stable prefix operators and alarms can match on:
 *
 * - `Transient:` a retry can succeed (HTTP 429/5xx, connection errors, timeouts, a response cut
 *   short, S3 throttling and KMS throttling (`KMS.ThrottlingException`, HTTP 400), running out of
 *   invocation time).
 * - `Configuration:` the loader is not allowed or not pointed right (HTTP 401/403/404, S3 access
 *   denied, a full /tmp); a retry succeeds only once someone fixes the setting the message names.
 * - `Unexpected:` anything else (an answer the loader does not understand, a vanished object).
 *
 * Tagged Errors rather than subclasses: closure serialization rewrites classes so that
 * `extends Error` loses the message.
 */

export type FailureKind = "Transient" | "Configuration" | "Unexpected";

export function failure(kind: FailureKind, message: string): Error {
    return Object.assign(new Error(`${kind}: ${message}`), { failureKind: kind });
}

export function failureKindOf(err: unknown): FailureKind | undefined {
    return err instanceof Error ? (err as { failureKind?: FailureKind }).failureKind : undefined;
}

/** The message of any thrown value, for logs and error texts. */
export function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

/**
 * Classifies an error of an S3 call (AWS SDK v3 errors carry `$metadata.httpStatusCode` and a
 * `name`; network errors carry neither) as a loader failure that names the call and the object.
 */
export function storageFailure(err: unknown, action: string, target: string): Error {
    if (failureKindOf(err)) return err as Error;
    const e = (err ?? {}) as {
        name?: string;
        message?: string;
        code?: string;
        $metadata?: { httpStatusCode?: number };
    };
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? "Error";
    const detail = `${action} ${target} failed: ${name}: ${e.message ?? String(err)}`;
    if (e.code === "ENOSPC") {
        return failure(
            "Configuration",
            `${detail}; the function's ephemeral storage (/tmp) is too small for the rejected-lines report: raise it`,
        );
    }
    // Throttling first: S3 answers KMS throttling as HTTP 400 KMS.ThrottlingException, a passing
    // fault, not a permission to fix (the other KMS.* errors are).
    if (/Throttl|SlowDown/.test(name)) return failure("Transient", detail);
    if (status === 403 || name === "AccessDenied" || name.startsWith("KMS.") || name === "InvalidAccessKeyId") {
        return failure(
            "Configuration",
            `${detail}; check the loader role's S3 and KMS permissions and the central bucket and key policies`,
        );
    }
    if (status === 404 || name === "NoSuchKey" || name === "NoSuchBucket") return failure("Unexpected", detail);
    if (status === undefined || status === 429 || status >= 500 || /Timeout|Throttl|SlowDown/.test(name)) {
        return failure("Transient", detail);
    }
    return failure("Unexpected", detail);
}
