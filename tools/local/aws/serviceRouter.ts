/**
 * One loopback endpoint in front of several AWS stand-ins, routing each request by the service its
 * SigV4 signature names (`Credential=<key>/<date>/<region>/<service>/aws4_request`), as AWS's own
 * endpoints are per service. With it, every command-line tool takes the same `--endpoint` whatever
 * services it calls. Requests are forwarded unchanged (the Host header too, so signatures made for
 * the router's address still verify where a stand-in checks them).
 */
import * as http from "http";
import { listenOnLoopback } from "./loopback";

export interface ServiceRouter {
    readonly url: string;
    /** The stand-in each service name is routed to. */
    readonly routes: Readonly<Record<string, string>>;
    close(): Promise<void>;
}

/** The service a SigV4-signed request is for (header or presigned query), if it names one. */
export function signedService(request: Pick<http.IncomingMessage, "headers" | "url">): string | undefined {
    const credential =
        /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(
            String(request.headers.authorization ?? ""),
        )?.[1] ??
        /[?&]X-Amz-Credential=[^&]*?%2F[^&]*?%2F[^&]*?%2F([^%&]+)%2Faws4_request/i.exec(request.url ?? "")?.[1];
    return credential;
}

/**
 * Starts the router on 127.0.0.1. `routes` maps a SigV4 service name (`s3`, `dynamodb`, `sqs`,
 * `lambda`, `sts`, `wafv2`, `athena`...) to a stand-in's base URL on loopback.
 */
export async function startServiceRouter(routes: Readonly<Record<string, string>>): Promise<ServiceRouter> {
    for (const [service, target] of Object.entries(routes)) {
        if (!["127.0.0.1", "localhost", "[::1]"].includes(new URL(target).hostname)) {
            throw new Error(`The service router forwards to loopback only; ${service} names ${target}.`);
        }
    }
    const agent = new http.Agent({ keepAlive: false });
    const server = http.createServer((req, res) => {
        const service = signedService(req);
        const target = service ? routes[service] : undefined;
        if (!target) {
            res.writeHead(400, { "content-type": "application/json" });
            res.end(
                JSON.stringify({
                    __type: "UnknownServiceException",
                    message: service
                        ? `No local stand-in of ${service} here; this sandbox serves ${Object.keys(routes).sort().join(", ")}.`
                        : "Requests must be signed with AWS Signature Version 4 so the service can be told.",
                }),
            );
            return;
        }
        const upstream = new URL(target);
        const forward = http.request(
            {
                host: upstream.hostname,
                port: upstream.port,
                method: req.method,
                path: req.url,
                headers: req.headers,
                agent,
            },
            (answer) => {
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(res);
            },
        );
        forward.on("error", (err) => {
            if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
            res.end(`The local ${service} stand-in did not answer: ${err.message}`);
        });
        req.pipe(forward);
    });
    const loopback = await listenOnLoopback(server);
    return {
        url: loopback.url,
        routes,
        async close() {
            await loopback.close();
            agent.destroy();
        },
    };
}
