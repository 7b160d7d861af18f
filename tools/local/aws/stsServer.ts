/**
 * A loopback STS speaking the query protocol (form-encoded POST, XML answers) for the two
 * operations the response loop uses, AssumeRole and GetCallerIdentity, so deployed Lambda code
 * reaches it through `AWS_ENDPOINT_URL_STS` with the unmodified `@aws-sdk/client-sts`.
 *
 * It keeps a registry of principals: base credentials registered by the test (say, the publisher
 * Lambda's role) and the temporary credentials every successful AssumeRole issues. The WAF
 * stand-in identifies its callers through `resolveCaller`, so an IP set written with assumed
 * credentials is attributed to the assumed-role session, as IAM would attribute it.
 *
 * What it checks of SigV4: the Authorization header's shape, the access key ID, the credential
 * scope's service, the session token of temporary credentials and their expiry. It does not
 * recompute signatures (the SDK computes them; the secret is not what these tests are about).
 */
import { createHash, randomBytes } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";

/** Who signed a request: the account and the principal IAM would evaluate. */
export interface Caller {
    readonly accountId: string;
    /** `arn:aws:iam::<acct>:role/<name>`, `arn:aws:iam::<acct>:user/<name>` or `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
    readonly principalArn: string;
}

/** What a stand-in knows of an access key ID: its principal and, for temporary credentials, their token and expiry. */
export interface KnownCredentials extends Caller {
    /** Set for temporary credentials: requests must carry it as `x-amz-security-token`. */
    readonly sessionToken?: string;
    /** Set for temporary credentials: requests signed at or after this instant are refused as expired. */
    readonly expiration?: Date;
    /** For an assumed-role session, the role ARN as passed to AssumeRole (with its path). */
    readonly roleArn?: string;
}

/** Maps an access key ID to what is known of it; undefined for a key no one issued. */
export type ResolveCaller = (accessKeyId: string) => KnownCredentials | undefined;

/** Why a request's identity was refused, before any operation ran. */
export type AuthenticationFailure = "missing" | "malformed" | "unknown-key" | "bad-token" | "expired" | "wrong-service";

export type Authentication =
    | { readonly ok: true; readonly caller: Caller; readonly accessKeyId: string; readonly region: string }
    | { readonly ok: false; readonly failure: AuthenticationFailure };

const AUTHORIZATION =
    /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=[^,\s]+,\s*Signature=[0-9a-f]{64}$/;

/**
 * Identifies the caller of a SigV4-signed request: the access key ID and Region come from the
 * `Authorization` header's credential scope, the principal from `resolveCaller`.
 */
export function authenticate(
    headers: http.IncomingHttpHeaders,
    service: string,
    resolveCaller: ResolveCaller,
    nowMs: number,
): Authentication {
    const header = headers.authorization;
    if (header === undefined) return { ok: false, failure: "missing" };
    const parsed = AUTHORIZATION.exec(header);
    if (!parsed) return { ok: false, failure: "malformed" };
    const [, accessKeyId, , region, scopeService] = parsed;
    if (scopeService !== service) return { ok: false, failure: "wrong-service" };
    const known = resolveCaller(accessKeyId);
    if (!known) return { ok: false, failure: "unknown-key" };
    const token = headers["x-amz-security-token"];
    if (token !== known.sessionToken) return { ok: false, failure: "bad-token" };
    if (known.expiration && nowMs >= known.expiration.getTime()) return { ok: false, failure: "expired" };
    return { ok: true, caller: { accountId: known.accountId, principalArn: known.principalArn }, accessKeyId, region };
}

const PRINCIPAL_ARN =
    /^arn:aws:(?:iam::(\d{12}):(?:role|user)\/[\w+=,.@/-]+|sts::(\d{12}):assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+)$/;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** The account of a principal ARN, or undefined when the ARN is not an IAM user, role or assumed-role session. */
export function accountOfPrincipal(principalArn: string): string | undefined {
    const m = PRINCIPAL_ARN.exec(principalArn);
    return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * The role behind an assumed-role session ARN, as a trust policy names it. Session ARNs drop the
 * role's path, so a role with a path comes back without it.
 */
export function sessionRoleArn(principalArn: string): string | undefined {
    const m = /^arn:aws:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+$/.exec(principalArn);
    return m ? `arn:aws:iam::${m[1]}:role/${m[2]}` : undefined;
}

/** One AssumeRole call as the stand-in saw it. */
export interface AssumeRoleCall {
    /** The signer, when it was identified. */
    readonly callerPrincipalArn?: string;
    readonly roleArn?: string;
    readonly roleSessionName?: string;
    readonly externalId?: string;
    /** `ok`, or the error code returned. */
    readonly outcome: string;
    /** The temporary access key ID issued, on success. */
    readonly issuedAccessKeyId?: string;
}

export interface StsServerOptions {
    /**
     * The trust policy of every role, in one function: may `callerPrincipalArn` assume `roleArn`
     * (with `externalId`, when the caller sent one)? False answers AccessDenied, as IAM does.
     * Required, so that a forgotten trust decision fails instead of admitting everyone.
     */
    readonly mayAssume: (callerPrincipalArn: string, roleArn: string, externalId: string | undefined) => boolean;
    /** The clock, in epoch milliseconds, for credential expiry. Default: `Date.now`. */
    readonly now?: () => number;
    /** Every role's MaxSessionDuration in seconds (IAM allows 3600 to 43200). Default: 3600, IAM's default. */
    readonly maxSessionDurationSeconds?: number;
}

export interface StsServer {
    /** `http://127.0.0.1:<port>`. */
    readonly url: string;
    /** Every AssumeRole call, in arrival order. */
    readonly assumeRoleCalls: readonly AssumeRoleCall[];
    /** Registers long-term (or otherwise pre-existing) credentials: an access key ID and its principal. */
    register(accessKeyId: string, principalArn: string): void;
    /** What is known of an access key ID: registered, or issued by AssumeRole. Pass it to the WAF stand-in. */
    resolveCaller: ResolveCaller;
    /** The environment the unmodified SDK needs to reach this STS. */
    lambdaEnvironment(): Record<string, string>;
    close(): Promise<void>;
}

interface QueryError {
    readonly status: number;
    readonly code: string;
    readonly message: string;
}

/**
 * AWS's own texts, as seen in STS answers (CLI and SDK error output): `InvalidClientTokenId`,
 * `ExpiredToken` and `AccessDenied` are 403 Sender faults; validation failures are 400
 * `ValidationError` with the Coral "1 validation error detected" text.
 */
const AUTH_ERRORS: Record<AuthenticationFailure, QueryError> = {
    missing: { status: 403, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token" },
    malformed: {
        status: 400,
        code: "IncompleteSignature",
        message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
    },
    "unknown-key": {
        status: 403,
        code: "InvalidClientTokenId",
        message: "The security token included in the request is invalid.",
    },
    "bad-token": {
        status: 403,
        code: "InvalidClientTokenId",
        message: "The security token included in the request is invalid.",
    },
    expired: { status: 403, code: "ExpiredToken", message: "The security token included in the request is expired" },
    "wrong-service": {
        status: 403,
        code: "SignatureDoesNotMatch",
        message: "Credential should be scoped to correct service: 'sts'. ",
    },
};

const XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";
const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
/** IAM's cap on a session assumed with credentials that are themselves an assumed-role session. */
const ROLE_CHAINING_LIMIT_SECONDS = 3600;

/** Starts the STS stand-in on an ephemeral loopback port. */
export async function startStsServer(options: StsServerOptions): Promise<StsServer> {
    const now = options.now ?? Date.now;
    const maxSession = options.maxSessionDurationSeconds ?? 3600;
    if (!Number.isInteger(maxSession) || maxSession < 3600 || maxSession > 43200) {
        throw new Error(
            `startStsServer: maxSessionDurationSeconds must be a whole number from 3600 to 43200 (IAM's range), got ${maxSession}.`,
        );
    }
    const principals = new Map<string, KnownCredentials>();
    const assumeRoleCalls: AssumeRoleCall[] = [];
    const resolveCaller: ResolveCaller = (accessKeyId) => principals.get(accessKeyId);

    const assumeRole = (caller: Caller, params: URLSearchParams): { xml?: string; error?: QueryError } => {
        const roleArn = params.get("RoleArn") ?? undefined;
        const sessionName = params.get("RoleSessionName") ?? undefined;
        const externalId = params.get("ExternalId") ?? undefined;
        const durationText = params.get("DurationSeconds");
        const record = (outcome: string, issuedAccessKeyId?: string) =>
            assumeRoleCalls.push(
                withoutUndefined({
                    callerPrincipalArn: caller.principalArn,
                    roleArn,
                    roleSessionName: sessionName,
                    externalId,
                    outcome,
                    issuedAccessKeyId,
                }),
            );
        const invalid = (message: string) => {
            record("ValidationError");
            return { error: { status: 400, code: "ValidationError", message } };
        };
        if (roleArn === undefined) {
            return invalid(
                "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
            );
        }
        if (sessionName === undefined) {
            return invalid(
                "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
            );
        }
        const constraint = (
            member: string,
            value: string,
            pattern: RegExp,
            patternText: string,
            min: number,
            max: number,
        ) => {
            const problem = !pattern.test(value)
                ? `Member must satisfy regular expression pattern: ${patternText}`
                : value.length < min
                  ? `Member must have length greater than or equal to ${min}`
                  : value.length > max
                    ? `Member must have length less than or equal to ${max}`
                    : undefined;
            return (
                problem &&
                `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${problem}`
            );
        };
        const badSessionName = constraint("roleSessionName", sessionName, SESSION_NAME, "[\\w+=,.@-]*", 2, 64);
        if (badSessionName) return invalid(badSessionName);
        const badExternalId =
            externalId === undefined
                ? undefined
                : constraint("externalId", externalId, EXTERNAL_ID, "[\\w+=,.@:\\/-]*", 2, 1224);
        if (badExternalId) return invalid(badExternalId);
        const duration = durationText === null ? 3600 : Number(durationText);
        if (!Number.isInteger(duration) || duration < 900) {
            return invalid(
                `1 validation error detected: Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: ` +
                    "Member must have value greater than or equal to 900",
            );
        }
        const chained = caller.principalArn.includes(":assumed-role/");
        if (chained && duration > ROLE_CHAINING_LIMIT_SECONDS) {
            return invalid(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            );
        }
        if (duration > maxSession) {
            return invalid("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        }
        const role = ROLE_ARN.exec(roleArn);
        // IAM answers a role that does not exist exactly as a role that does not trust the caller.
        if (!role || !options.mayAssume(caller.principalArn, roleArn, externalId)) {
            record("AccessDenied");
            return {
                error: {
                    status: 403,
                    code: "AccessDenied",
                    message: `User: ${caller.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
                },
            };
        }
        const [, accountId, roleName] = role;
        const accessKeyId = `ASIA${randomBytes(10).toString("hex").toUpperCase().slice(0, 16)}`;
        const secretAccessKey = randomBytes(30).toString("base64");
        const sessionToken = randomBytes(96).toString("base64");
        const expiration = new Date(now() + duration * 1000);
        const principalArn = `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
        principals.set(accessKeyId, { accountId, principalArn, sessionToken, expiration, roleArn });
        record("ok", accessKeyId);
        return {
            xml: response(
                "AssumeRole",
                `<AssumedRoleUser><Arn>${escapeXml(principalArn)}</Arn>` +
                    `<AssumedRoleId>${roleId(roleArn)}:${escapeXml(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
                    `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId>` +
                    `<SecretAccessKey>${escapeXml(secretAccessKey)}</SecretAccessKey>` +
                    `<SessionToken>${escapeXml(sessionToken)}</SessionToken>` +
                    `<Expiration>${isoSeconds(expiration)}</Expiration></Credentials>`,
            ),
        };
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const reply = (status: number, xml: string) => {
                res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId() });
                res.end(xml);
            };
            const fail = (error: QueryError) => reply(error.status, errorXml(error));
            const params = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
            const action = params.get("Action");
            const auth = authenticate(req.headers, "sts", resolveCaller, now());
            if (!auth.ok) {
                if (action === "AssumeRole") {
                    assumeRoleCalls.push(
                        withoutUndefined({
                            roleArn: params.get("RoleArn") ?? undefined,
                            roleSessionName: params.get("RoleSessionName") ?? undefined,
                            externalId: params.get("ExternalId") ?? undefined,
                            outcome: AUTH_ERRORS[auth.failure].code,
                        }),
                    );
                }
                return fail(AUTH_ERRORS[auth.failure]);
            }
            if (req.method !== "POST" || params.get("Version") !== "2011-06-15") {
                return fail({
                    status: 400,
                    code: "InvalidAction",
                    message: `Could not find operation ${action} for version ${params.get("Version")}`,
                });
            }
            if (action === "GetCallerIdentity") {
                return reply(
                    200,
                    response(
                        "GetCallerIdentity",
                        `<Arn>${escapeXml(auth.caller.principalArn)}</Arn>` +
                            `<UserId>${escapeXml(userIdOf(principals.get(auth.accessKeyId)!))}</UserId>` +
                            `<Account>${auth.caller.accountId}</Account>`,
                    ),
                );
            }
            if (action === "AssumeRole") {
                const outcome = assumeRole(auth.caller, params);
                return outcome.error ? fail(outcome.error) : reply(200, outcome.xml!);
            }
            fail({
                status: 400,
                code: "InvalidAction",
                message: `Could not find operation ${action} for version 2011-06-15`,
            });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    return {
        url,
        assumeRoleCalls,
        register(accessKeyId, principalArn) {
            if (!/^[A-Z0-9]{1,128}$/.test(accessKeyId)) {
                throw new Error(
                    `StsServer.register: accessKeyId "${accessKeyId}" is not an access key ID (upper-case letters and digits, at most 128).`,
                );
            }
            const accountId = accountOfPrincipal(principalArn);
            if (accountId === undefined) {
                throw new Error(
                    `StsServer.register: principalArn "${principalArn}" is not an IAM role, user or assumed-role session ARN ` +
                        "(e.g. arn:aws:iam::111111111111:role/publisher).",
                );
            }
            principals.set(accessKeyId, { accountId, principalArn });
        },
        resolveCaller,
        lambdaEnvironment: () => ({ AWS_ENDPOINT_URL_STS: url }),
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

function response(action: string, result: string): string {
    return (
        `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>` +
        `<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`
    );
}

function errorXml(error: QueryError): string {
    return (
        `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${error.code}</Code>` +
        `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`
    );
}

const XML_ENTITIES: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" };

function escapeXml(text: string): string {
    return text.replace(/[<>&'"]/g, (c) => XML_ENTITIES[c]);
}

/** STS writes expirations to the second. */
function isoSeconds(date: Date): string {
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function hash(text: string): string {
    return createHash("sha256").update(text).digest("hex").toUpperCase();
}

/** The log keeps only what a call carried: absent parameters are absent keys, not undefined values. */
function withoutUndefined<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** GetCallerIdentity's UserId: `<role ID>:<session>` for a role session, a stable `AIDA...` ID otherwise. */
function userIdOf(known: KnownCredentials): string {
    const role = known.roleArn ?? sessionRoleArn(known.principalArn);
    return role
        ? `${roleId(role)}:${known.principalArn.split("/").pop()}`
        : `AIDA${hash(known.principalArn).slice(0, 17)}`;
}

/** A stable role ID per role ARN, shaped as IAM's (`AROA` and 17 characters). */
function roleId(roleArn: string): string {
    return `AROA${hash(roleArn).slice(0, 17)}`;
}

function requestId(): string {
    return randomBytes(16)
        .toString("hex")
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
}
