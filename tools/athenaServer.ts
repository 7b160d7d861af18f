/**
 * A loopback server speaking the two Athena JSON operations the DDL Lambda uses
 * (StartQueryExecution, GetQueryExecution), so its serialized code runs with the real AWS SDK.
 * Each query reports RUNNING once, then SUCCEEDED, or FAILED when it matches `failWhen`.
 */
import * as http from "http";
import { AddressInfo } from "net";

export interface StartedQuery {
    readonly id: string;
    readonly sql: string;
    readonly workGroup?: string;
    readonly database?: string;
}

export interface AthenaServer {
    readonly url: string;
    readonly started: StartedQuery[];
    failWhen(pattern: RegExp | undefined): void;
    close(): Promise<void>;
}

export async function startAthenaServer(): Promise<AthenaServer> {
    const started: StartedQuery[] = [];
    const polls = new Map<string, number>();
    let failing: RegExp | undefined;
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
            const operation = String(req.headers["x-amz-target"] ?? "")
                .split(".")
                .pop();
            const reply = (status: number, payload: unknown) => {
                res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify(payload));
            };
            if (operation === "StartQueryExecution") {
                const id = `q-${started.length + 1}`;
                started.push({
                    id,
                    sql: body.QueryString,
                    workGroup: body.WorkGroup,
                    database: body.QueryExecutionContext?.Database,
                });
                return reply(200, { QueryExecutionId: id });
            }
            if (operation === "GetQueryExecution") {
                const query = started.find((q) => q.id === body.QueryExecutionId);
                if (!query) return reply(400, { __type: "InvalidRequestException", Message: "unknown query" });
                const count = (polls.get(query.id) ?? 0) + 1;
                polls.set(query.id, count);
                const state = count === 1 ? "RUNNING" : failing?.test(query.sql) ? "FAILED" : "SUCCEEDED";
                const reason = state === "FAILED" ? "line 1:8: mismatched input" : undefined;
                return reply(200, {
                    QueryExecution: { QueryExecutionId: query.id, Status: { State: state, StateChangeReason: reason } },
                });
            }
            reply(400, { __type: "UnknownOperationException", Message: String(operation) });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        started,
        failWhen(pattern) {
            failing = pattern;
        },
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
