/** Entry point of the bootstrap Lambda; its event is `{ requests: SearchRequest[] }`. */
import { AppliedRequest, HttpResponse, applyDefinitions } from "./bootstrap";
import { SearchRequest } from "./searchDefinitions";

export function bootstrapHandlerFactory(): (event: { requests: SearchRequest[] }) => Promise<AppliedRequest[]> {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { Client } = require("@opensearch-project/opensearch");
    const { AwsSigv4Signer } = require("@opensearch-project/opensearch/aws");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const endpoint = process.env.OPENSEARCH_ENDPOINT;
    if (!endpoint) throw new Error("Bootstrap environment is missing OPENSEARCH_ENDPOINT.");
    const client = new Client({
        ...AwsSigv4Signer({ region: process.env.AWS_REGION, service: "es" }),
        node: endpoint,
        requestTimeout: 60_000,
    });
    return (event) =>
        applyDefinitions(event.requests, async ({ method, path, body, headers }): Promise<HttpResponse> => {
            const [pathname, query] = path.split("?");
            try {
                const response = await client.transport.request(
                    { method, path: pathname, body, querystring: Object.fromEntries(new URLSearchParams(query ?? "")) },
                    { headers },
                );
                return { statusCode: response.statusCode, body: response.body };
            } catch (err: any) {
                if (err?.meta?.statusCode) return { statusCode: err.meta.statusCode, body: err.meta.body };
                throw err;
            }
        });
}
