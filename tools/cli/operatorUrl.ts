/**
 * The operator's way to change the blocklist: a SigV4-signed POST to the blocklist operator
 * function's URL (AWS_IAM auth), found with GetFunctionUrlConfig. Lambda authenticates the
 * signature and names the caller to the function, which checks the change and writes it with
 * its audit record; the operator's own credentials cannot write the tables.
 */
import { createHash, createHmac } from "crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { ChangeRequest } from "../../handlers/blocklistChange";
import { BLOCKLIST_OPERATOR_FUNCTION } from "../../names";
import { userError } from "./shell";

/** SHA-256 (or its HMAC, given a secret) as the signer expects it, on Node's crypto. */
class NodeSha256 {
    private readonly hash;
    constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
        this.hash =
            secret === undefined
                ? createHash("sha256")
                : createHmac("sha256", typeof secret === "string" ? secret : Buffer.from(secret as ArrayBuffer));
    }
    update(data: string | ArrayBuffer | ArrayBufferView): void {
        this.hash.update(typeof data === "string" ? data : Buffer.from(data as ArrayBuffer));
    }
    async digest(): Promise<Uint8Array> {
        return new Uint8Array(this.hash.digest());
    }
    reset(): void {
        // One use per instance.
    }
}

export interface Credentials {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
}

/** Signs `request` for the function URL `url` and posts it; returns the operator function's message. */
export async function postChange(
    url: string,
    request: ChangeRequest,
    credentials: Credentials,
    region: string,
): Promise<string> {
    const target = new URL(url);
    const body = JSON.stringify(request);
    const signer = new SignatureV4({ service: "lambda", region, credentials, sha256: NodeSha256 });
    const signed = await signer.sign({
        method: "POST",
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port ? Number(target.port) : undefined,
        path: target.pathname,
        query: {},
        headers: { host: target.host, "content-type": "application/json" },
        body,
    });
    const response = await fetch(target, {
        method: "POST",
        headers: signed.headers as Record<string, string>,
        body,
        signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let answer: { message?: string; refused?: string; Message?: string } = {};
    try {
        answer = JSON.parse(text);
    } catch {
        // Not JSON: reported below with the status.
    }
    if (response.ok && typeof answer.message === "string") return answer.message;
    if (typeof answer.refused === "string") throw userError(answer.refused);
    if (response.status === 403) {
        throw userError(
            `The blocklist operator function refused these credentials (${answer.Message ?? text.slice(0, 200)}). Fix: use a role of the logging account with the policy the logging stack exports as blocklistOperatorPolicyArn.`,
        );
    }
    throw new Error(
        `The blocklist operator function answered HTTP ${response.status}: ${text.slice(0, 300)} (its log group /aws/lambda/${BLOCKLIST_OPERATOR_FUNCTION} has the cause).`,
    );
}
