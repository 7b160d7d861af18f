/**
 * A loopback IAM speaking the query protocol (form-encoded POST, XML answers) for GetRole, the one
 * operation `npm run preflight` needs: does a role exist in the caller's account? Callers are
 * identified as the STS stand-in identifies them (`resolveCaller`), so a role is looked up in the
 * account of the credentials that signed, as IAM does: GetRole cannot see another account's roles.
 */
import { randomBytes } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { ResolveCaller, authenticate } from "./stsServer";

export interface IamServerOptions {
    /** Who signed: the STS stand-in's `resolveCaller`. */
    readonly resolveCaller: ResolveCaller;
}

export interface IamServer {
    /** `http://127.0.0.1:<port>`. */
    readonly url: string;
    /** Creates a role (an ARN `arn:aws:iam::<account>:role/[<path>/]<name>`); its account is the ARN's. */
    createRole(roleArn: string): void;
    close(): Promise<void>;
}

const XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/";
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;
/** IAM's RoleName pattern and length (GetRole, "Request Parameters"). */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

export async function startIamServer(options: IamServerOptions): Promise<IamServer> {
    /** `<account>/<role name>` → the role's ARN (names are unique per account, whatever the path). */
    const roles = new Map<string, string>();
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const reply = (status: number, xml: string) => {
                res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId() });
                res.end(xml);
            };
            const fail = (status: number, code: string, message: string) =>
                reply(
                    status,
                    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code>` +
                        `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
                );
            const auth = authenticate(req.headers, "iam", options.resolveCaller, Date.now());
            if (!auth.ok) {
                return auth.failure === "expired"
                    ? fail(403, "ExpiredToken", "The security token included in the request is expired")
                    : fail(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
            }
            const params = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
            const action = params.get("Action");
            if (req.method !== "POST" || params.get("Version") !== "2010-05-08" || action !== "GetRole") {
                return fail(400, "InvalidAction", `Could not find operation ${action} for version 2010-05-08`);
            }
            const name = params.get("RoleName") ?? "";
            if (!ROLE_NAME.test(name)) {
                return fail(
                    400,
                    "ValidationError",
                    `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
                );
            }
            const arn = roles.get(`${auth.caller.accountId}/${name}`);
            // IAM's own text for a missing role (NoSuchEntity, HTTP 404).
            if (!arn) return fail(404, "NoSuchEntity", `The role with name ${name} cannot be found.`);
            const [, , rolePath] = ROLE_ARN.exec(arn)!;
            reply(
                200,
                `<GetRoleResponse xmlns="${XMLNS}"><GetRoleResult><Role>` +
                    `<Path>/${escapeXml(rolePath)}</Path><RoleName>${escapeXml(name)}</RoleName>` +
                    `<RoleId>AROA${randomBytes(9).toString("hex").toUpperCase().slice(0, 17)}</RoleId>` +
                    `<Arn>${escapeXml(arn)}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>` +
                    `<MaxSessionDuration>3600</MaxSessionDuration></Role></GetRoleResult>` +
                    `<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></GetRoleResponse>`,
            );
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        url,
        createRole(roleArn) {
            const m = ROLE_ARN.exec(roleArn);
            if (!m) {
                throw new Error(
                    `IamServer.createRole: "${roleArn}" is not a role ARN (arn:aws:iam::<account>:role/<name>).`,
                );
            }
            roles.set(`${m[1]}/${m[3]}`, roleArn);
        },
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

const XML_ENTITIES: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" };

function escapeXml(text: string): string {
    return text.replace(/[<>&'"]/g, (c) => XML_ENTITIES[c]);
}

function requestId(): string {
    return randomBytes(16)
        .toString("hex")
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
}
