/**
 * A fault-injecting HTTP proxy on loopback. It sits in front of a local stand-in (s3rver, the
 * search stand-in), forwards every request unchanged (the Host header too, so SigV4 signatures
 * made for the proxy's address still verify), and, for requests matching a rule, injects a fault
 * instead: an error status, a connection cut before or after the response headers, a body that
 * stalls, added latency, or no answer at all. Used by the tests and by `npm start -- --faults`.
 */
import * as http from "http";
import { listenOnLoopback } from "./loopback";

/** What a rule does to a matching request. */
export type Fault =
    /** Answer with this status (and body) without forwarding, e.g. 500/503 or an S3 XML error. */
    | { readonly kind: "status"; readonly status: number; readonly body?: string; readonly contentType?: string }
    /** Close the connection without sending anything. */
    | { readonly kind: "cut-before-headers" }
    /** Forward, send the status, headers and the first `bytes` of the body, then close the connection. */
    | { readonly kind: "cut-after-headers"; readonly bytes?: number }
    /** Forward, send the status, headers and the first `bytes` of the body, then send nothing more. */
    | { readonly kind: "stall-body"; readonly bytes?: number }
    /** Forward, then send the body `bytes` at a time, one piece every `everyMs`: never idle, always slow. */
    | { readonly kind: "trickle"; readonly bytes: number; readonly everyMs: number }
    /** Wait `ms` before forwarding. */
    | { readonly kind: "latency"; readonly ms: number }
    /** Read the request and never answer (a peer that accepts and hangs), until the proxy closes. */
    | { readonly kind: "hang" };

export interface FaultRule {
    /** HTTP method to match (GET, PUT...); any method when absent. */
    readonly method?: string;
    /** Matches the request path with its query string; any path when absent. */
    readonly path?: RegExp;
    /** Further condition on the request (e.g. a header, such as x-amz-copy-source for CopyObject). */
    readonly when?: (request: http.IncomingMessage) => boolean;
    /** How many matching requests get the fault; every one when absent. */
    readonly count?: number;
    readonly fault: Fault;
}

export interface ProxiedRequest {
    readonly method: string;
    readonly path: string;
    readonly headers: http.IncomingHttpHeaders;
    /** The kind of fault injected, if any. */
    readonly fault?: Fault["kind"];
}

export interface FaultProxy {
    readonly url: string;
    /** Every request seen, in order of arrival. */
    readonly requests: ProxiedRequest[];
    /** Replaces the rules; each rule's count starts afresh. */
    inject(rules: readonly FaultRule[]): void;
    /** Faults injected so far by the current rules. */
    injected(): number;
    close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 that forwards to `target` (e.g. `http://127.0.0.1:4568`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
    const upstream = new URL(target);
    if (!["127.0.0.1", "localhost", "[::1]"].includes(upstream.hostname)) {
        throw new Error(`The fault proxy forwards to loopback only; got ${target}.`);
    }
    let rules: { rule: FaultRule; left: number }[] = [];
    let injectedCount = 0;
    const requests: ProxiedRequest[] = [];
    const agent = new http.Agent({ keepAlive: false });

    const take = (req: http.IncomingMessage): Fault | undefined => {
        for (const entry of rules) {
            const { rule } = entry;
            if (entry.left <= 0) continue;
            if (rule.method && rule.method !== req.method) continue;
            if (rule.path && !rule.path.test(req.url ?? "")) continue;
            if (rule.when && !rule.when(req)) continue;
            entry.left--;
            injectedCount++;
            return rule.fault;
        }
        return undefined;
    };

    const forward = (req: http.IncomingMessage, res: http.ServerResponse, fault?: Fault) => {
        const outbound = http.request(
            {
                host: upstream.hostname.replace(/^\[|\]$/g, ""),
                port: upstream.port,
                method: req.method,
                path: req.url,
                headers: req.headers,
                agent,
            },
            (answer) => {
                res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
                if (fault?.kind === "trickle") {
                    trickle(answer, res, fault.bytes, fault.everyMs);
                    return;
                }
                if (fault?.kind !== "cut-after-headers" && fault?.kind !== "stall-body") {
                    answer.pipe(res);
                    return;
                }
                // Send the headers and the first bytes now, then cut or go silent once they are out.
                let budget = fault.bytes ?? 0;
                const stop = () => {
                    answer.destroy();
                    if (fault.kind === "cut-after-headers") res.socket?.destroy();
                };
                if (budget === 0) {
                    res.write("", () => stop());
                    return;
                }
                answer.on("data", (chunk: Buffer) => {
                    if (budget <= 0) return;
                    const part = chunk.subarray(0, budget);
                    budget -= part.length;
                    if (budget > 0) res.write(part);
                    else res.write(part, () => stop());
                });
                answer.on("end", () => {
                    if (budget > 0) res.write("", () => stop());
                });
            },
        );
        outbound.on("error", (err) => {
            if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
            res.end(`fault proxy: upstream failed: ${err.message}`);
        });
        req.pipe(outbound);
    };

    const server = http.createServer((req, res) => {
        const fault = take(req);
        requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, fault: fault?.kind });
        switch (fault?.kind) {
            case "status": {
                // Read the request first, as a server does before answering.
                req.resume();
                req.on("end", () => {
                    res.writeHead(fault.status, { "content-type": fault.contentType ?? "text/plain" });
                    res.end(fault.body ?? "");
                });
                return;
            }
            case "cut-before-headers":
                req.resume();
                req.on("end", () => req.socket.destroy());
                return;
            case "latency":
                setTimeout(() => forward(req, res), fault.ms);
                return;
            case "hang":
                req.resume();
                return;
            default:
                forward(req, res, fault);
        }
    });
    const loopback = await listenOnLoopback(server);
    return {
        url: loopback.url,
        requests,
        inject(next) {
            rules = next.map((rule) => ({ rule, left: rule.count ?? Number.POSITIVE_INFINITY }));
            injectedCount = 0;
        },
        injected: () => injectedCount,
        async close() {
            agent.destroy();
            await loopback.close();
        },
    };
}

/** Sends `answer`'s body to `res` `bytes` at a time, one piece every `everyMs`, then ends it. */
function trickle(answer: http.IncomingMessage, res: http.ServerResponse, bytes: number, everyMs: number): void {
    let pending = Buffer.alloc(0);
    let ended = false;
    answer.on("data", (chunk: Buffer) => (pending = Buffer.concat([pending, chunk])));
    answer.on("end", () => (ended = true));
    const tick = setInterval(() => {
        if (pending.length > 0) {
            res.write(pending.subarray(0, bytes));
            pending = pending.subarray(bytes);
        } else if (ended) {
            clearInterval(tick);
            res.end();
        }
    }, everyMs);
    res.on("close", () => clearInterval(tick));
}
