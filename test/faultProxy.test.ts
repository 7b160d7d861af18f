import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { FaultProxy, startFaultProxy } from "../tools/local/aws/faultProxy";

/** A loopback upstream that echoes what it received. */
async function echoServer(): Promise<{ url: string; close: () => Promise<void> }> {
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = JSON.stringify({
                method: req.method,
                url: req.url,
                host: req.headers.host,
                signature: req.headers.authorization,
                body: Buffer.concat(chunks).toString(),
                padding: "p".repeat(2000),
            });
            res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
            res.end(body);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
            new Promise((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

/** One request through the proxy: the status and body, or the error the client saw. */
function call(
    proxy: FaultProxy,
    method: string,
    path: string,
    body = "",
    timeoutMs = 2000,
): Promise<{ status?: number; body?: any; error?: string; headersArrived: boolean }> {
    return new Promise((resolve) => {
        let headersArrived = false;
        const req = http.request(
            `${proxy.url}${path}`,
            { method, agent: false, headers: { authorization: "AWS4-HMAC-SHA256 signed-for-proxy" } },
            (res) => {
                headersArrived = true;
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("error", (err) => resolve({ status: res.statusCode, error: err.message, headersArrived }));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString();
                    resolve({
                        status: res.statusCode,
                        body: text.startsWith("{") ? JSON.parse(text) : text,
                        headersArrived,
                    });
                });
            },
        );
        req.setTimeout(timeoutMs, () => req.destroy(new Error("client timeout")));
        req.on("error", (err) => resolve({ error: err.message, headersArrived }));
        req.end(body);
    });
}

describe("fault proxy (tools/local/aws/faultProxy.ts)", () => {
    let upstream: Awaited<ReturnType<typeof echoServer>>;
    let proxy: FaultProxy;
    before(async () => {
        upstream = await echoServer();
        proxy = await startFaultProxy(upstream.url);
    });
    after(async () => {
        await proxy?.close();
        await upstream?.close();
    });
    beforeEach(() => {
        proxy.inject([]);
        proxy.requests.length = 0;
    });

    it("forwards method, path, body and headers unchanged, the Host too (SigV4 signs it)", async () => {
        const answer = await call(proxy, "PUT", "/bucket/key?x-id=PutObject", "payload");
        assert.deepStrictEqual(
            { ...answer.body, padding: undefined },
            {
                method: "PUT",
                url: "/bucket/key?x-id=PutObject",
                host: new URL(proxy.url).host,
                signature: "AWS4-HMAC-SHA256 signed-for-proxy",
                body: "payload",
                padding: undefined,
            },
        );
        assert.deepStrictEqual(
            proxy.requests.map((r) => [r.method, r.path, r.fault]),
            [["PUT", "/bucket/key?x-id=PutObject", undefined]],
        );
    });

    it("applies a rule to matching requests only, `count` times, then forwards again", async () => {
        proxy.inject([
            { method: "GET", path: /\/b\//, count: 2, fault: { kind: "status", status: 503, body: "busy" } },
        ]);
        const answers = [
            await call(proxy, "PUT", "/b/k"),
            await call(proxy, "GET", "/other"),
            await call(proxy, "GET", "/b/k"),
            await call(proxy, "GET", "/b/k"),
            await call(proxy, "GET", "/b/k"),
        ];
        assert.deepStrictEqual(
            answers.map((a) => [a.status, typeof a.body === "string" ? a.body : a.body.url]),
            [
                [200, "/b/k"],
                [200, "/other"],
                [503, "busy"],
                [503, "busy"],
                [200, "/b/k"],
            ],
        );
        assert.strictEqual(proxy.injected(), 2);
    });

    it("matches on headers with `when` (CopyObject is a PUT with x-amz-copy-source)", async () => {
        proxy.inject([
            {
                when: (req) => req.headers.authorization === "AWS4-HMAC-SHA256 signed-for-proxy",
                fault: { kind: "status", status: 500 },
            },
        ]);
        assert.strictEqual((await call(proxy, "GET", "/x")).status, 500);
    });

    it("cuts a connection before the headers, or after them and part of the body", async () => {
        proxy.inject([{ count: 1, fault: { kind: "cut-before-headers" } }]);
        const before = await call(proxy, "GET", "/x");
        assert.deepStrictEqual([before.headersArrived, before.error], [false, "socket hang up"]);
        proxy.inject([{ count: 1, fault: { kind: "cut-after-headers", bytes: 100 } }]);
        const after = await call(proxy, "GET", "/x");
        assert.deepStrictEqual([after.headersArrived, after.status, after.error], [true, 200, "aborted"]);
    });

    it("stalls a body after its headers until the client gives up; adds latency without changing the answer", async () => {
        proxy.inject([{ count: 1, fault: { kind: "stall-body", bytes: 10 } }]);
        const stalled = await call(proxy, "GET", "/x", "", 200);
        assert.deepStrictEqual([stalled.headersArrived, stalled.error], [true, "client timeout"]);
        proxy.inject([{ count: 1, fault: { kind: "latency", ms: 20 } }]);
        const slow = await call(proxy, "GET", "/slow");
        assert.deepStrictEqual([slow.status, slow.body.url], [200, "/slow"]);
        assert.deepStrictEqual(
            proxy.requests.map((r) => r.fault),
            ["stall-body", "latency"],
        );
    });

    it("forwards to loopback only", async () => {
        await assert.rejects(startFaultProxy("http://s3.amazonaws.com"), {
            message: "The fault proxy forwards to loopback only; got http://s3.amazonaws.com.",
        });
    });
});
