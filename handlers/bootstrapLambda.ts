/**
 * Entry point of the bootstrap Lambda. It runs as the OpenSearch master user, so it sends only the
 * requests baked into its code at deploy time; its event may carry at most their digest.
 */
import { checkInvocation, definitionsDigest } from "./bakedDefinitions";
import { AppliedRequest, HttpResponse, applyDefinitions } from "./bootstrap";
import { SearchRequest } from "./searchDefinitions";

export type BootstrapHandler = (event: unknown) => Promise<AppliedRequest[]>;

/** A callback factory with `requests` captured: serialized into the function's code. */
export function bootstrapCallbackFactory(requests: readonly SearchRequest[]): () => BootstrapHandler {
    const digest = definitionsDigest(requests);
    return () => {
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
        return async (event) => {
            checkInvocation(event, digest, "search definitions");
            return applyDefinitions(requests, async ({ method, path, body, headers }): Promise<HttpResponse> => {
                const [pathname, query] = path.split("?");
                try {
                    const response = await client.transport.request(
                        {
                            method,
                            path: pathname,
                            body,
                            querystring: Object.fromEntries(new URLSearchParams(query ?? "")),
                        },
                        { headers },
                    );
                    return { statusCode: response.statusCode, body: response.body };
                } catch (err: any) {
                    if (err?.meta?.statusCode) return { statusCode: err.meta.statusCode, body: err.meta.body };
                    throw err;
                }
            });
        };
    };
}
