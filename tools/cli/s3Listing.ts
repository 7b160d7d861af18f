import { ListObjectsCommand, S3Client } from "@aws-sdk/client-s3";

/**
 * Every key under `prefix`, through ListObjects (V1) and its marker: s3rver pages ListObjectsV2
 * with DES-encrypted continuation tokens, a cipher OpenSSL 3 (Node.js 17 and later) no longer
 * offers, so its second page is an InternalError. V1 pages by the last key instead.
 */
export async function listAllKeys(client: S3Client, bucket: string, prefix = ""): Promise<string[]> {
    const keys: string[] = [];
    let marker: string | undefined;
    for (;;) {
        const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker }));
        const listed = (page.Contents ?? []).map((o) => o.Key!);
        keys.push(...listed);
        if (!page.IsTruncated || listed.length === 0) return keys;
        marker = listed[listed.length - 1];
    }
}
