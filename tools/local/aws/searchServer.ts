/**
 * A loopback HTTP server that speaks enough of the OpenSearch REST API to test the loader and
 * the bootstrap for real: `_bulk` with its NDJSON contract (framing and content type checked,
 * per-item results, partial failures, whole-request 429s), and a document store for any other
 * PUT/POST/GET, including the ISM policy's optimistic concurrency. Stands in for a cluster, which
 * cannot be installed here; when OPENSEARCH_URL is set, tests use the real one instead.
 */
import * as http from "http";
import { AddressInfo } from "net";

export interface StoredDocument {
    readonly index: string;
    readonly id: string;
    readonly source: any;
}

export interface ReceivedRequest {
    readonly method: string;
    readonly path: string;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

export interface FailureInjection {
    /** Answer the first N `_bulk` requests with 429 as a whole. */
    throttleFirstBulkRequests?: number;
    /** Answer the next `count` `_bulk` requests with `status` as a whole (401, 403, 404, 500...). */
    failBulkRequests?: { readonly count: number; readonly status: number; readonly body?: unknown };
    /** Answer `_bulk` bodies larger than this with 413, as a domain's HTTP payload limit does. */
    maxBodyBytes?: number;
    /** Cut the next `count` `_bulk` responses after the headers and `bytes` of the body. */
    cutBulkResponses?: { readonly count: number; readonly bytes?: number };
    /** Send the headers and `bytes` of the next `count` `_bulk` responses, then nothing more. */
    stallBulkResponses?: { readonly count: number; readonly bytes?: number };
    /** Per item: a status and error type to answer instead of indexing, or undefined to index. */
    failItem?: (doc: StoredDocument, attempt: number) => { status: number; type: string } | undefined;
    /** Called for every `_bulk` request as it arrives, with its 1-based number (e.g. to advance a test clock). */
    onBulkRequest?: (count: number) => void;
}

export type OutageMode = "refuse" | "503";

export interface SearchServer {
    readonly url: string;
    readonly documents: Map<string, StoredDocument>;
    readonly requests: ReceivedRequest[];
    /** Bodies of objects stored by PUT/POST outside `_bulk`, by path without the query. */
    readonly objects: Map<string, { body: any; seqNo: number }>;
    /** `_bulk` requests received since the last `inject`. */
    bulkRequests(): number;
    inject(failures: FailureInjection): void;
    /**
     * A cluster outage for `ms`: the port refuses connections (`refuse`, open connections are
     * dropped), or every request is answered 503 (`503`). Resolves when the outage has begun.
     */
    outage(ms: number, mode: OutageMode): Promise<void>;
    close(): Promise<void>;
}

export interface SearchServerOptions {
    /**
     * Keep what a test inspects: every request with its body, every document's source, each
     * document's attempt count. Default true. A long local run turns it off, so memory grows only
     * by one ID per document indexed.
     */
    readonly keep?: boolean;
}

export async function startSearchServer(options: SearchServerOptions = {}): Promise<SearchServer> {
    const keep = options.keep ?? true;
    const documents = new Map<string, StoredDocument>();
    const objects = new Map<string, { body: any; seqNo: number }>();
    const requests: ReceivedRequest[] = [];
    const attempts = new Map<string, number>();
    let failures: FailureInjection = {};
    let bulkRequests = 0;
    let failed = 0;
    let cut = 0;
    let stalled = 0;
    let unavailableUntil = 0;
    let seqNo = 0;

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const url = new URL(req.url ?? "/", "http://localhost");
            if (keep) {
                requests.push({
                    method: req.method ?? "",
                    path: `${url.pathname}${url.search}`,
                    headers: req.headers,
                    body,
                });
            }
            const reply = (status: number, payload: unknown) => {
                res.writeHead(status, { "content-type": "application/json" });
                res.end(JSON.stringify(payload));
            };
            if (Date.now() < unavailableUntil) {
                return reply(503, { error: { type: "unavailable", reason: "injected outage" }, status: 503 });
            }
            if (url.pathname === "/_bulk" && req.method === "POST") {
                bulkRequests++;
                failures.onBulkRequest?.(bulkRequests);
                if (bulkRequests <= (failures.throttleFirstBulkRequests ?? 0)) {
                    return reply(429, {
                        error: { type: "es_rejected_execution_exception", reason: "queue full" },
                        status: 429,
                    });
                }
                const failing = failures.failBulkRequests;
                if (failing && failed < failing.count) {
                    failed++;
                    return reply(failing.status, failing.body ?? { error: { type: "injected", reason: "injected" } });
                }
                if (failures.maxBodyBytes !== undefined && Buffer.byteLength(body) > failures.maxBodyBytes) {
                    // The shape of the domain's own answer to an oversized request.
                    return reply(413, { Message: `Request size exceeded ${failures.maxBodyBytes} bytes` });
                }
                if (failures.cutBulkResponses && cut < failures.cutBulkResponses.count) {
                    cut++;
                    return bulk(req, body, partial(res, failures.cutBulkResponses.bytes ?? 0, "cut"));
                }
                if (failures.stallBulkResponses && stalled < failures.stallBulkResponses.count) {
                    stalled++;
                    return bulk(req, body, partial(res, failures.stallBulkResponses.bytes ?? 0, "stall"));
                }
                return bulk(req, body, reply);
            }
            const doc = /^\/([^/_][^/]*)\/_doc\/([^/]+)$/.exec(url.pathname);
            if (req.method === "GET" && doc) {
                // The get-document API: `found` and the source, or 404 with found false.
                const [index, id] = [decodeURIComponent(doc[1]), decodeURIComponent(doc[2])];
                const indexed = documents.get(`${index}/${id}`);
                return indexed
                    ? reply(200, { _index: index, _id: id, _version: 1, found: true, _source: indexed.source ?? {} })
                    : reply(404, { _index: index, _id: id, found: false });
            }
            const stored = objects.get(url.pathname);
            if (req.method === "GET") {
                return stored
                    ? reply(200, { ...stored.body, _seq_no: stored.seqNo, _primary_term: 1 })
                    : reply(404, { error: { type: "resource_not_found_exception" } });
            }
            if (
                url.pathname.startsWith("/_plugins/_ism/policies/") &&
                stored &&
                url.searchParams.get("if_seq_no") !== String(stored.seqNo)
            ) {
                return reply(409, {
                    error: { type: "version_conflict_engine_exception", reason: "policy exists; pass if_seq_no" },
                });
            }
            try {
                objects.set(url.pathname, { body: body ? JSON.parse(body) : {}, seqNo: ++seqNo });
            } catch {
                return reply(400, { error: { type: "parse_exception", reason: "body is not JSON" } });
            }
            return reply(stored ? 200 : 201, { acknowledged: true });
        });
    });

    /** A reply that sends the headers (announcing the whole body) and `bytes` of it, then cuts or stalls. */
    function partial(res: http.ServerResponse, bytes: number, how: "cut" | "stall") {
        return (status: number, payload: unknown) => {
            const data = Buffer.from(JSON.stringify(payload));
            res.writeHead(status, { "content-type": "application/json", "content-length": data.length });
            res.write(data.subarray(0, Math.min(bytes, data.length - 1)), () => {
                if (how === "cut") res.socket?.destroy();
            });
        };
    }

    function bulk(req: http.IncomingMessage, body: string, reply: (status: number, payload: unknown) => void): void {
        if (req.headers["content-type"] !== "application/x-ndjson") {
            return reply(406, {
                error: { type: "illegal_argument_exception", reason: `content type ${req.headers["content-type"]}` },
            });
        }
        if (!body.endsWith("\n")) {
            return reply(400, {
                error: {
                    type: "illegal_argument_exception",
                    reason: "The bulk request must be terminated by a newline [\\n]",
                },
            });
        }
        const lines = body.slice(0, -1).split("\n");
        if (lines.length % 2 !== 0)
            return reply(400, { error: { type: "illegal_argument_exception", reason: "odd line count" } });
        const items: unknown[] = [];
        for (let i = 0; i < lines.length; i += 2) {
            let action: any;
            let source: any;
            try {
                action = JSON.parse(lines[i]).index;
                source = JSON.parse(lines[i + 1]);
            } catch {
                return reply(400, { error: { type: "json_parse_exception", reason: `line ${i + 1}` } });
            }
            if (!action?._index || !action?._id) {
                return reply(400, {
                    error: { type: "action_request_validation_exception", reason: "index and id required" },
                });
            }
            const doc = { index: action._index, id: action._id, source };
            const key = `${doc.index}/${doc.id}`;
            const attempt = (attempts.get(key) ?? 0) + 1;
            if (keep || failures.failItem) attempts.set(key, attempt);
            const failure = failures.failItem?.(doc, attempt);
            if (failure) {
                items.push({
                    index: {
                        _index: doc.index,
                        _id: doc.id,
                        status: failure.status,
                        error: { type: failure.type, reason: "injected" },
                    },
                });
                continue;
            }
            const created = !documents.has(key);
            documents.set(key, keep ? doc : { index: doc.index, id: doc.id, source: undefined });
            items.push({
                index: {
                    _index: doc.index,
                    _id: doc.id,
                    status: created ? 201 : 200,
                    result: created ? "created" : "updated",
                },
            });
        }
        const errors = items.some((item: any) => item.index.status >= 300);
        reply(200, { took: 1, errors, items });
    }

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    let reopening: Promise<void> = Promise.resolve();
    return {
        url: `http://127.0.0.1:${port}`,
        documents,
        requests,
        objects,
        bulkRequests: () => bulkRequests,
        inject(next) {
            failures = next;
            bulkRequests = 0;
            failed = 0;
            cut = 0;
            stalled = 0;
            attempts.clear();
        },
        async outage(ms, mode) {
            if (mode === "503") {
                unavailableUntil = Date.now() + ms;
                return;
            }
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            });
            reopening = new Promise((resolve) => setTimeout(() => server.listen(port, "127.0.0.1", resolve), ms));
        },
        close: async () => {
            await reopening;
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                // Stalled responses and keep-alive connections would hold close() open.
                server.closeAllConnections();
            });
        },
    };
}
