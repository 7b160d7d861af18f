/** The parts of an S3 event notification the handlers read. */
export interface S3EventRecord {
    eventName?: string;
    s3: {
        bucket: { name: string };
        object: { key: string; size?: number };
    };
}

export interface S3Event {
    Records?: S3EventRecord[];
}

/**
 * S3 URL-encodes object keys in event notifications, form style: a space arrives as `+`, a
 * literal `+` as `%2B`, non-ASCII as percent-encoded UTF-8.
 */
export function decodeEventKey(key: string): string {
    return decodeURIComponent(key.replace(/\+/g, " "));
}
