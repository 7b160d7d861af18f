/**
 * A loopback server for the four QuickSight dashboard operations the dashboard Lambda calls
 * (REST JSON), keeping dashboards in memory, so the deployed code runs with the real AWS SDK.
 */
import * as http from "http";
import { AddressInfo } from "net";

export interface StoredDashboard {
    name: string;
    definition: any;
    permissions?: any[];
    versions: number;
    published: number;
}

export interface QuickSightServer {
    readonly url: string;
    readonly dashboards: Map<string, StoredDashboard>;
    readonly calls: string[];
    close(): Promise<void>;
}

export async function startQuickSightServer(): Promise<QuickSightServer> {
    const dashboards = new Map<string, StoredDashboard>();
    const calls: string[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
            const m = /^\/accounts\/(\d{12})\/dashboards\/([^/?]+)(?:\/versions\/(\d+))?/.exec(req.url ?? "");
            const reply = (status: number, payload: unknown, error?: string) => {
                res.writeHead(status, {
                    "content-type": "application/json",
                    ...(error ? { "x-amzn-errortype": error } : {}),
                });
                res.end(JSON.stringify(payload));
            };
            if (!m) return reply(404, { Message: "unknown route" }, "UnknownOperationException");
            const [, account, id, version] = m;
            const arn = `arn:aws:quicksight:us-east-1:${account}:dashboard/${id}`;
            const existing = dashboards.get(id);
            const operation = `${req.method} ${version ? "versions" : "dashboard"}`;
            calls.push(operation);
            if (operation === "GET dashboard") {
                return existing
                    ? reply(200, {
                          Dashboard: { DashboardId: id, Arn: arn, Version: { VersionNumber: existing.versions } },
                          Status: 200,
                      })
                    : reply(404, { Message: `Dashboard ${id} not found` }, "ResourceNotFoundException");
            }
            if (operation === "POST dashboard") {
                if (existing) return reply(409, { Message: "exists" }, "ResourceExistsException");
                dashboards.set(id, {
                    name: body.Name,
                    definition: body.Definition,
                    permissions: body.Permissions,
                    versions: 1,
                    published: 1,
                });
                return reply(202, { Arn: arn, VersionArn: `${arn}/version/1`, DashboardId: id, Status: 202 });
            }
            if (operation === "PUT dashboard" && existing) {
                existing.versions++;
                existing.definition = body.Definition;
                return reply(202, {
                    Arn: arn,
                    VersionArn: `${arn}/version/${existing.versions}`,
                    DashboardId: id,
                    Status: 202,
                });
            }
            if (operation === "PUT versions" && existing) {
                existing.published = Number(version);
                return reply(200, { DashboardId: id, DashboardArn: arn, Status: 200 });
            }
            reply(404, { Message: `Dashboard ${id} not found` }, "ResourceNotFoundException");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        dashboards,
        calls,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
