/**
 * The bootstrap: applies the search definitions in order, each idempotently, and fails loudly
 * (so `pulumi up` fails) if any is refused.
 */
import { SearchRequest } from "./searchDefinitions";

export interface HttpResponse {
    readonly statusCode: number;
    readonly body: any;
}

export type SearchTransport = (request: {
    method: string;
    path: string;
    body?: unknown;
    headers?: Record<string, string>;
}) => Promise<HttpResponse>;

export interface AppliedRequest {
    readonly method: string;
    readonly path: string;
    readonly statusCode: number;
}

export async function applyDefinitions(
    requests: readonly SearchRequest[],
    send: SearchTransport,
): Promise<AppliedRequest[]> {
    const applied: AppliedRequest[] = [];
    for (const request of requests) {
        let path = request.path;
        if (request.optimisticConcurrency) {
            const current = await send({ method: "GET", path });
            if (current.statusCode === 200 && current.body?._seq_no !== undefined) {
                path += `${path.includes("?") ? "&" : "?"}if_seq_no=${current.body._seq_no}&if_primary_term=${current.body._primary_term}`;
            }
        }
        // Dashboards' API refuses writes without its XSRF header.
        const headers = path.startsWith("/_dashboards/") ? { "osd-xsrf": "true" } : undefined;
        const response = await send({ method: request.method, path, body: request.body, headers });
        if (response.statusCode < 200 || response.statusCode >= 300) {
            throw new Error(
                `${request.method} ${request.path} was refused with HTTP ${response.statusCode}: ${JSON.stringify(response.body).slice(0, 500)}`,
            );
        }
        applied.push({ method: request.method, path: request.path, statusCode: response.statusCode });
    }
    return applied;
}
