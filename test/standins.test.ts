/**
 * The loopback stand-ins of the response loop (WAFV2, STS, DynamoDB), driven by the real AWS SDK
 * v3 clients, as the deployed Lambda code will drive them. A fake clock drives throttling and
 * credential expiry, so nothing here depends on timing.
 */
import {
    DynamoDBClient,
    GetItemCommand,
    PutItemCommand,
    TransactWriteItemsCommand,
    UpdateItemCommand,
    UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
    CreateIPSetCommand,
    GetIPSetCommand,
    ListIPSetsCommand,
    UpdateIPSetCommand,
    WAFV2Client,
} from "@aws-sdk/client-wafv2";
import * as assert from "assert";
import * as http from "http";
import * as path from "path";
import { LOOPBACK_CREDENTIALS, loadHandler } from "../tools/local/deployedCode";
import {
    createTableInput,
    LocalDynamo,
    recordedTables,
    startLocalDynamo,
    TableInputs,
} from "../tools/local/localDynamo";
import { runProgram } from "../tools/local/mockEngine";
import { Caller, KnownCredentials, sessionRoleArn, startStsServer, StsServer } from "../tools/local/aws/stsServer";
import {
    cidrProblem,
    ipSetMatcher,
    ipSetMatches,
    startWafServer,
    WafOperation,
    WafServer,
} from "../tools/local/aws/wafServer";

const LOGGING = "111111111111";
const APP_A = "222222222222";
const APP_B = "333333333333";
const PUBLISHER_SESSION = `arn:aws:sts::${LOGGING}:assumed-role/blocklist-publisher/blocklist-publisher`;
const WRITER_A = `arn:aws:iam::${APP_A}:role/blocklist-writer`;
const WRITER_B = `arn:aws:iam::${APP_B}:role/blocklist-writer`;
const START = Date.UTC(2026, 10, 27, 12, 0, 0);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const NONEXISTENT = "AWS WAF couldn’t perform the operation because your resource doesn’t exist.";
const OPTIMISTIC_LOCK =
    "AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it. Reapply your changes.";
const LIMITS =
    "WAF couldn’t perform the operation because you exceeded your resource limit. For example, the maximum number of WebACL objects that you can create for an Amazon Web Services account. For more information, see WAF quotas in the WAF Developer Guide.";
const BAD_FORMAT = "The parameter contains formatting that is not valid.";
const INVALID_TOKEN = "The security token included in the request is invalid.";
const EXPIRED_TOKEN = "The security token included in the request is expired";

interface Failure {
    readonly name: string;
    readonly message: string;
    readonly status?: number;
}

/** The error a call rejects with, reduced to what the caller's code sees: name, message, HTTP status. */
async function rejection(call: Promise<unknown>): Promise<Failure & { raw: any }> {
    try {
        await call;
    } catch (err: any) {
        return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, raw: err };
    }
    assert.fail("the call succeeded; it should have been refused");
}

function failureOf(error: Failure & { raw: any }): Failure {
    return { name: error.name, message: error.message, status: error.status };
}

/** Runs `action` with `env` set in process.env, then restores what was there. */
async function withEnvironment<T>(env: Record<string, string>, action: () => Promise<T>): Promise<T> {
    const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    Object.assign(process.env, env);
    try {
        return await action();
    } finally {
        for (const [key, value] of Object.entries(saved)) {
            if (value === undefined) delete process.env[key];
            else process.env[key] = value;
        }
    }
}

/** Sends one raw request to a loopback stand-in and returns status and parsed body. */
function rawRequest(
    url: string,
    headers: Record<string, string>,
    body: string,
): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method: "POST", headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        });
        req.on("error", reject);
        req.end(body);
    });
}

function sigV4(accessKeyId: string, region: string, service: string): string {
    return (
        `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261127/${region}/${service}/aws4_request, ` +
        `SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`
    );
}

describe("WAFV2 stand-in", () => {
    const KEY_A = "AKIDWRITERA00001";
    const KEY_B = "AKIDWRITERB00001";
    const KEY_AUDITOR = "AKIDAUDITORA0001";
    const KEY_TEMPORARY = "ASIATEMPORARY001";
    let clock: number;
    let waf: WafServer;
    let authorizations: [string, WafOperation, string][];
    const clients: WAFV2Client[] = [];
    const credentials = new Map<string, KnownCredentials>([
        [KEY_A, { accountId: APP_A, principalArn: WRITER_A }],
        [KEY_B, { accountId: APP_B, principalArn: WRITER_B }],
        [KEY_AUDITOR, { accountId: APP_A, principalArn: `arn:aws:iam::${APP_A}:role/auditor` }],
        [
            KEY_TEMPORARY,
            {
                accountId: APP_A,
                principalArn: `arn:aws:sts::${APP_A}:assumed-role/blocklist-writer/publish`,
                sessionToken: "session-token-1",
                expiration: new Date(START + 3600_000),
            },
        ],
    ]);

    /** A WAFV2 client as a Lambda builds one, signing with `accessKeyId` in `region`; no SDK retries. */
    function client(accessKeyId: string, region: string, sessionToken?: string): WAFV2Client {
        const made = new WAFV2Client({
            region,
            endpoint: waf.url,
            credentials: { accessKeyId, secretAccessKey: "any-secret", sessionToken },
            maxAttempts: 1,
        });
        clients.push(made);
        return made;
    }

    /** Moves the fake clock one second on, past the one-mutation-per-second quota. */
    const tick = () => (clock += 1000);

    function seedV4(addresses: string[] = ["198.51.100.7/32"], accountId = APP_A, region = "us-east-1") {
        return waf.createIpSet({
            accountId,
            region,
            name: "blocklist-v4",
            ipAddressVersion: "IPV4",
            addresses,
            description: "Blocked by the response loop",
        });
    }

    beforeEach(async () => {
        clock = START;
        authorizations = [];
        waf = await startWafServer({
            resolveCaller: (key) => credentials.get(key),
            now: () => clock,
            authorize: (caller, operation, arn) => {
                authorizations.push([caller.principalArn, operation, arn]);
                return (
                    !caller.principalArn.endsWith(":role/auditor") ||
                    operation === "GetIPSet" ||
                    operation === "ListIPSets"
                );
            },
        });
    });

    afterEach(async () => {
        for (const made of clients.splice(0)) made.destroy();
        await waf.close();
    });

    it("is reached through AWS_ENDPOINT_URL_WAFV2 alone, ahead of AWS_ENDPOINT_URL", async () => {
        const listed = await withEnvironment(
            { AWS_ENDPOINT_URL_WAFV2: waf.url, AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
            async () => {
                const viaEnvironment = new WAFV2Client({
                    region: "eu-west-1",
                    credentials: { accessKeyId: KEY_A, secretAccessKey: "any-secret" },
                    maxAttempts: 1,
                });
                clients.push(viaEnvironment);
                return viaEnvironment.send(new ListIPSetsCommand({ Scope: "REGIONAL" }));
            },
        );
        assert.deepStrictEqual(listed.IPSets, []);
        assert.deepStrictEqual(waf.calls, [
            { operation: "ListIPSets", accountId: APP_A, region: "eu-west-1", principalArn: WRITER_A, outcome: "ok" },
        ]);
        assert.deepStrictEqual(waf.lambdaEnvironment(), { AWS_ENDPOINT_URL_WAFV2: waf.url });
    });

    it("returns a set with its LockToken, and each update replaces the whole list and issues a new token", async () => {
        const seeded = seedV4();
        assert.match(seeded.id, UUID);
        assert.strictEqual(seeded.arn, `arn:aws:wafv2:us-east-1:${APP_A}:regional/ipset/blocklist-v4/${seeded.id}`);
        const waf2 = client(KEY_A, "us-east-1");
        const got = await waf2.send(new GetIPSetCommand({ Name: "blocklist-v4", Scope: "REGIONAL", Id: seeded.id }));
        assert.deepStrictEqual(got.IPSet, {
            Name: "blocklist-v4",
            Id: seeded.id,
            ARN: seeded.arn,
            Description: "Blocked by the response loop",
            IPAddressVersion: "IPV4",
            Addresses: ["198.51.100.7/32"],
        });
        assert.strictEqual(got.LockToken, seeded.lockToken);

        const updated = await waf2.send(
            new UpdateIPSetCommand({
                Name: "blocklist-v4",
                Scope: "REGIONAL",
                Id: seeded.id,
                Addresses: ["203.0.113.0/24", "192.0.2.9/32"],
                LockToken: got.LockToken,
            }),
        );
        assert.match(updated.NextLockToken!, UUID);
        assert.notStrictEqual(updated.NextLockToken, got.LockToken);
        const state = waf.ipSet(APP_A, "us-east-1", "blocklist-v4")!;
        assert.deepStrictEqual(
            {
                addresses: state.addresses,
                lockToken: state.lockToken,
                updates: state.updates,
                description: state.description,
            },
            // The old address is gone, and the absent Description cleared the old one: a full replacement.
            {
                addresses: ["203.0.113.0/24", "192.0.2.9/32"],
                lockToken: updated.NextLockToken,
                updates: 1,
                description: undefined,
            },
        );
    });

    it("refuses an update with a stale or absent LockToken and keeps the list", async () => {
        const seeded = seedV4();
        const waf2 = client(KEY_A, "us-east-1");
        const update = (lockToken: string | undefined) =>
            waf2.send(
                new UpdateIPSetCommand({
                    Name: "blocklist-v4",
                    Scope: "REGIONAL",
                    Id: seeded.id,
                    Addresses: ["203.0.113.5/32"],
                    LockToken: lockToken,
                }),
            );
        const first = await update(seeded.lockToken);
        for (const stale of [seeded.lockToken, undefined, "not-a-token"]) {
            tick();
            assert.deepStrictEqual(failureOf(await rejection(update(stale))), {
                name: "WAFOptimisticLockException",
                message: OPTIMISTIC_LOCK,
                status: 400,
            });
        }
        const state = waf.ipSet(APP_A, "us-east-1", "blocklist-v4")!;
        assert.deepStrictEqual(
            [state.addresses, state.lockToken, state.updates],
            [["203.0.113.5/32"], first.NextLockToken, 1],
        );
    });

    it("lets a writer that lost a race read again, merge and succeed", async () => {
        const seeded = seedV4(["198.51.100.7/32"]);
        const waf2 = client(KEY_A, "us-east-1");
        const ours = "203.0.113.5/32";
        const get = () => waf2.send(new GetIPSetCommand({ Name: "blocklist-v4", Scope: "REGIONAL", Id: seeded.id }));
        const update = (addresses: string[], lockToken?: string) =>
            waf2.send(
                new UpdateIPSetCommand({
                    Name: "blocklist-v4",
                    Scope: "REGIONAL",
                    Id: seeded.id,
                    Addresses: addresses,
                    LockToken: lockToken,
                }),
            );

        const before = await get();
        // Another publisher adds its own address between our Get and our Update.
        waf.bumpLockBeforeNextUpdate(APP_A, "us-east-1", "blocklist-v4", ["198.51.100.7/32", "198.51.100.8/32"]);
        const lost = await rejection(update([...before.IPSet!.Addresses!, ours], before.LockToken));
        assert.strictEqual(lost.name, "WAFOptimisticLockException");
        assert.deepStrictEqual(waf.ipSet(APP_A, "us-east-1", "blocklist-v4")!.addresses, [
            "198.51.100.7/32",
            "198.51.100.8/32",
        ]);

        tick();
        const again = await get();
        assert.deepStrictEqual(again.IPSet!.Addresses, ["198.51.100.7/32", "198.51.100.8/32"]);
        await update([...again.IPSet!.Addresses!, ours], again.LockToken);
        const state = waf.ipSet(APP_A, "us-east-1", "blocklist-v4")!;
        assert.deepStrictEqual(
            state.addresses,
            ["198.51.100.7/32", "198.51.100.8/32", ours],
            "nobody's address was lost",
        );
        assert.strictEqual(state.updates, 1, "the injected writer is not counted as an API update");
        assert.deepStrictEqual(
            waf.calls.map((c) => `${c.operation} ${c.outcome}`),
            ["GetIPSet ok", "UpdateIPSet WAFOptimisticLockException", "GetIPSet ok", "UpdateIPSet ok"],
        );
    });

    it("holds 10,000 addresses and refuses 10,001, on update and on create", async () => {
        const seeded = seedV4([]);
        const waf2 = client(KEY_A, "us-east-1");
        const addresses = Array.from({ length: 10_001 }, (_, i) => `10.${i >> 8}.${i & 255}.0/32`);
        const update = (list: string[], lockToken: string) =>
            waf2.send(
                new UpdateIPSetCommand({
                    Name: "blocklist-v4",
                    Scope: "REGIONAL",
                    Id: seeded.id,
                    Addresses: list,
                    LockToken: lockToken,
                }),
            );
        const full = await update(addresses.slice(0, 10_000), seeded.lockToken);
        tick();
        assert.deepStrictEqual(failureOf(await rejection(update(addresses, full.NextLockToken!))), {
            name: "WAFLimitsExceededException",
            message: LIMITS,
            status: 400,
        });
        const state = waf.ipSet(APP_A, "us-east-1", "blocklist-v4")!;
        assert.deepStrictEqual(
            [state.addresses.length, state.lockToken, state.updates],
            [10_000, full.NextLockToken, 1],
        );

        const created = await rejection(
            waf2.send(
                new CreateIPSetCommand({
                    Name: "too-big",
                    Scope: "REGIONAL",
                    IPAddressVersion: "IPV4",
                    Addresses: addresses,
                }),
            ),
        );
        assert.strictEqual(created.name, "WAFLimitsExceededException");
        assert.strictEqual(waf.ipSet(APP_A, "us-east-1", "too-big"), undefined);
    });

    it("refuses addresses that are not CIDR, /0, with host bits set, or of the other IP version, naming the address", async () => {
        const v4 = seedV4();
        const v6 = waf.createIpSet({
            accountId: APP_A,
            region: "us-east-1",
            name: "blocklist-v6",
            ipAddressVersion: "IPV6",
            addresses: [],
        });
        const waf2 = client(KEY_A, "us-east-1");
        const cases: [typeof v4, string, unknown][] = [
            [v4, "blocklist-v4", "0.0.0.0/0"],
            [v4, "blocklist-v4", "198.51.100.7"],
            [v4, "blocklist-v4", "198.51.100.7/33"],
            [v4, "blocklist-v4", "195.178.188.66/29"],
            [v4, "blocklist-v4", "2001:db8::/32"],
            [v4, "blocklist-v4", "010.0.0.0/8"],
            [v4, "blocklist-v4", "127.1/32"],
            [v4, "blocklist-v4", "10.0.0.0/08"],
            [v4, "blocklist-v4", " 10.0.0.0/8"],
            [v4, "blocklist-v4", 42],
            [v6, "blocklist-v6", "::/0"],
            [v6, "blocklist-v6", "10.0.0.0/8"],
            [v6, "blocklist-v6", "2001:db8::1/64"],
            [v6, "blocklist-v6", "fe80::1%eth0/128"],
            [v6, "blocklist-v6", "2001:db8::/129"],
        ];
        for (const [set, name, address] of cases) {
            tick();
            const refused = await rejection(
                waf2.send(
                    new UpdateIPSetCommand({
                        Name: name,
                        Scope: "REGIONAL",
                        Id: set.id,
                        Addresses: ["2001:db8::/32", "198.51.100.0/24"]
                            .filter((a) => a.includes(":") === (name === "blocklist-v6"))
                            .concat(address as string),
                        LockToken: waf.ipSet(APP_A, "us-east-1", name)!.lockToken,
                    }),
                ),
            );
            assert.deepStrictEqual(
                [refused.name, refused.message, refused.raw.Field, refused.raw.Parameter, refused.raw.Reason],
                [
                    "WAFInvalidParameterException",
                    `Error reason: ${BAD_FORMAT}, field: IP_ADDRESS, parameter: ${address}`,
                    "IP_ADDRESS",
                    String(address),
                    BAD_FORMAT,
                ],
                `address ${address}`,
            );
        }
        assert.deepStrictEqual(
            [
                waf.ipSet(APP_A, "us-east-1", "blocklist-v4")!.updates,
                waf.ipSet(APP_A, "us-east-1", "blocklist-v6")!.updates,
            ],
            [0, 0],
        );
    });

    it("explains why an address is refused", () => {
        assert.deepStrictEqual(
            [
                "198.51.100.0/24",
                "198.51.100.7",
                "0.0.0.0/0",
                "195.178.188.66/29",
                "2001:db8::/32",
                "10.0.0.0/40",
                "x/8",
                7,
            ].map((a) => cidrProblem(a, "IPV4")),
            [
                undefined,
                "is not in CIDR notation (address/prefix)",
                "has a /0 prefix",
                "has host bits set",
                "is not an IPv4 address",
                "has a prefix longer than the address",
                "is not an IP address",
                "is not a string",
            ],
        );
        assert.deepStrictEqual(
            ["2001:db8::/32", "2001:DB8::/32", "::ffff:198.51.100.7/128", "198.51.100.0/24"].map((a) =>
                cidrProblem(a, "IPV6"),
            ),
            [undefined, undefined, undefined, "is not an IPv6 address"],
        );
    });

    it("finds nothing for an unknown Id, a Name that is not the Id's, another account or another Region", async () => {
        const seeded = seedV4();
        const get = (key: string, region: string, name: string, id: string) =>
            client(key, region).send(new GetIPSetCommand({ Name: name, Scope: "REGIONAL", Id: id }));
        for (const attempt of [
            () => get(KEY_A, "us-east-1", "blocklist-v4", "00000000-0000-4000-8000-000000000000"),
            () => get(KEY_A, "us-east-1", "blocklist-v6", seeded.id),
            () => get(KEY_B, "us-east-1", "blocklist-v4", seeded.id),
            () => get(KEY_A, "eu-west-1", "blocklist-v4", seeded.id),
        ]) {
            assert.deepStrictEqual(failureOf(await rejection(attempt())), {
                name: "WAFNonexistentItemException",
                message: NONEXISTENT,
                status: 400,
            });
        }
        const renamed = await rejection(
            client(KEY_A, "us-east-1").send(
                new UpdateIPSetCommand({
                    Name: "other",
                    Scope: "REGIONAL",
                    Id: seeded.id,
                    Addresses: [],
                    LockToken: seeded.lockToken,
                }),
            ),
        );
        assert.strictEqual(renamed.name, "WAFNonexistentItemException");
        assert.deepStrictEqual(waf.ipSet(APP_A, "us-east-1", "blocklist-v4")!.addresses, ["198.51.100.7/32"]);
    });

    it("accepts the CLOUDFRONT scope only in us-east-1, and keeps its sets apart from REGIONAL ones", async () => {
        const refused = await rejection(
            client(KEY_A, "eu-west-1").send(new ListIPSetsCommand({ Scope: "CLOUDFRONT" })),
        );
        assert.deepStrictEqual(
            [refused.name, refused.message, refused.raw.Field, refused.raw.Parameter],
            [
                "WAFInvalidParameterException",
                "Error reason: The scope is not valid., field: SCOPE_VALUE, parameter: CLOUDFRONT",
                "SCOPE_VALUE",
                "CLOUDFRONT",
            ],
        );
        const unknown = await rejection(
            client(KEY_A, "us-east-1").send(new ListIPSetsCommand({ Scope: "GLOBAL" as any })),
        );
        assert.strictEqual(
            unknown.message,
            "Error reason: The scope is not valid., field: SCOPE_VALUE, parameter: GLOBAL",
        );
        seedV4();
        const global = waf.createIpSet({
            accountId: APP_A,
            region: "us-east-1",
            scope: "CLOUDFRONT",
            name: "blocklist-v4",
            ipAddressVersion: "IPV4",
            addresses: [],
        });
        assert.strictEqual(global.arn, `arn:aws:wafv2:us-east-1:${APP_A}:global/ipset/blocklist-v4/${global.id}`);
        const listed = await client(KEY_A, "us-east-1").send(new ListIPSetsCommand({ Scope: "CLOUDFRONT" }));
        assert.deepStrictEqual(
            listed.IPSets!.map((s) => s.ARN),
            [global.arn],
        );
        assert.throws(
            () =>
                waf.createIpSet({
                    accountId: APP_A,
                    region: "eu-west-1",
                    scope: "CLOUDFRONT",
                    name: "x",
                    ipAddressVersion: "IPV4",
                    addresses: [],
                }),
            { message: "WafServer.createIpSet: CLOUDFRONT IP sets exist only in us-east-1; set region to us-east-1." },
        );
    });

    it("lists an account's sets in a Region page by page with Limit and NextMarker", async () => {
        const seeded = ["e", "a", "d", "c", "b"].map((suffix) =>
            waf.createIpSet({
                accountId: APP_A,
                region: "us-east-1",
                name: `set-${suffix}`,
                ipAddressVersion: "IPV4",
                addresses: [],
            }),
        );
        waf.createIpSet({
            accountId: APP_B,
            region: "us-east-1",
            name: "set-other-account",
            ipAddressVersion: "IPV4",
            addresses: [],
        });
        waf.createIpSet({
            accountId: APP_A,
            region: "eu-west-1",
            name: "set-other-region",
            ipAddressVersion: "IPV4",
            addresses: [],
        });
        const waf2 = client(KEY_A, "us-east-1");
        const pages: string[][] = [];
        let marker: string | undefined;
        do {
            const page = await waf2.send(new ListIPSetsCommand({ Scope: "REGIONAL", Limit: 2, NextMarker: marker }));
            pages.push(page.IPSets!.map((s) => s.Name!));
            marker = page.NextMarker;
        } while (marker !== undefined);
        assert.deepStrictEqual(pages, [["set-a", "set-b"], ["set-c", "set-d"], ["set-e"]]);

        const all = await waf2.send(new ListIPSetsCommand({ Scope: "REGIONAL" }));
        assert.strictEqual(all.NextMarker, undefined);
        const summaryOfA = all.IPSets!.find((s) => s.Name === "set-a")!;
        const a = seeded[1];
        assert.deepStrictEqual(summaryOfA, { Name: "set-a", Id: a.id, ARN: a.arn, LockToken: a.lockToken });

        for (const limit of [0, 101, 1.5]) {
            const refused = await rejection(waf2.send(new ListIPSetsCommand({ Scope: "REGIONAL", Limit: limit })));
            assert.deepStrictEqual(
                [refused.name, refused.raw.Field, refused.raw.Parameter],
                ["WAFInvalidParameterException", "LIMIT", String(limit)],
            );
        }
    });

    it("creates sets through the API, refusing duplicates, a bad IP version and the 101st set", async () => {
        const waf2 = client(KEY_A, "us-east-1");
        const created = await waf2.send(
            new CreateIPSetCommand({
                Name: "blocklist-v6",
                Scope: "REGIONAL",
                IPAddressVersion: "IPV6",
                Addresses: ["2001:db8::/32"],
            }),
        );
        const { Id, LockToken, ARN, Name } = created.Summary!;
        assert.deepStrictEqual(
            [Name, ARN],
            ["blocklist-v6", `arn:aws:wafv2:us-east-1:${APP_A}:regional/ipset/blocklist-v6/${Id}`],
        );
        assert.strictEqual(waf.ipSet(APP_A, "us-east-1", "blocklist-v6")!.lockToken, LockToken);
        const got = await waf2.send(new GetIPSetCommand({ Name: "blocklist-v6", Scope: "REGIONAL", Id }));
        assert.deepStrictEqual(got.IPSet!.Addresses, ["2001:db8::/32"]);

        tick();
        const duplicate = await rejection(
            waf2.send(
                new CreateIPSetCommand({
                    Name: "blocklist-v6",
                    Scope: "REGIONAL",
                    IPAddressVersion: "IPV6",
                    Addresses: [],
                }),
            ),
        );
        assert.deepStrictEqual(failureOf(duplicate), {
            name: "WAFDuplicateItemException",
            message:
                "WAF couldn’t perform the operation because the resource that you tried to save is a duplicate of an existing one.",
            status: 400,
        });
        tick();
        const version = await rejection(
            waf2.send(
                new CreateIPSetCommand({
                    Name: "v5",
                    Scope: "REGIONAL",
                    IPAddressVersion: "IPV5" as any,
                    Addresses: [],
                }),
            ),
        );
        assert.deepStrictEqual(
            [version.name, version.raw.Field],
            ["WAFInvalidParameterException", "IP_ADDRESS_VERSION"],
        );

        for (let i = 1; i < 100; i++) {
            waf.createIpSet({
                accountId: APP_A,
                region: "us-east-1",
                name: `set-${i}`,
                ipAddressVersion: "IPV4",
                addresses: [],
            });
        }
        tick();
        const hundredFirst = await rejection(
            waf2.send(
                new CreateIPSetCommand({ Name: "set-100", Scope: "REGIONAL", IPAddressVersion: "IPV4", Addresses: [] }),
            ),
        );
        assert.strictEqual(hundredFirst.name, "WAFLimitsExceededException");
        const elsewhere = await client(KEY_A, "eu-west-1").send(
            new CreateIPSetCommand({ Name: "set-100", Scope: "REGIONAL", IPAddressVersion: "IPV4", Addresses: [] }),
        );
        assert.ok(elsewhere.Summary?.Id, "the quota is per Region");
    });

    it("throttles a second update of the same action in the same second, per account and Region", async () => {
        const seeded = seedV4();
        seedV4([], APP_A, "eu-west-1");
        seedV4([], APP_B, "us-east-1");
        const update = async (key: string, region: string) => {
            const accountId = credentials.get(key)!.accountId;
            const state = waf.ipSet(accountId, region, "blocklist-v4")!;
            return client(key, region).send(
                new UpdateIPSetCommand({
                    Name: "blocklist-v4",
                    Scope: "REGIONAL",
                    Id: state.id,
                    Addresses: [],
                    LockToken: state.lockToken,
                }),
            );
        };
        await update(KEY_A, "us-east-1");
        assert.deepStrictEqual(failureOf(await rejection(update(KEY_A, "us-east-1"))), {
            name: "ThrottlingException",
            message: "Rate exceeded",
            status: 400,
        });
        // Reads, other actions, other Regions and other accounts have quotas of their own.
        await client(KEY_A, "us-east-1").send(
            new GetIPSetCommand({ Name: "blocklist-v4", Scope: "REGIONAL", Id: seeded.id }),
        );
        await client(KEY_A, "us-east-1").send(
            new CreateIPSetCommand({ Name: "another", Scope: "REGIONAL", IPAddressVersion: "IPV4", Addresses: [] }),
        );
        await update(KEY_A, "eu-west-1");
        await update(KEY_B, "us-east-1");
        clock += 999;
        assert.strictEqual((await rejection(update(KEY_A, "us-east-1"))).name, "ThrottlingException");
        clock += 1;
        await update(KEY_A, "us-east-1");

        // A refused update still spent the second's call: an immediate retry is throttled.
        tick();
        const stale = client(KEY_A, "us-east-1").send(
            new UpdateIPSetCommand({
                Name: "blocklist-v4",
                Scope: "REGIONAL",
                Id: seeded.id,
                Addresses: [],
                LockToken: seeded.lockToken,
            }),
        );
        assert.strictEqual((await rejection(stale)).name, "WAFOptimisticLockException");
        assert.strictEqual((await rejection(update(KEY_A, "us-east-1"))).name, "ThrottlingException");
        assert.strictEqual(waf.ipSet(APP_A, "us-east-1", "blocklist-v4")!.updates, 2);
    });

    it("allows a configured rate", async () => {
        await waf.close();
        waf = await startWafServer({
            resolveCaller: (key) => credentials.get(key),
            now: () => clock,
            mutatingCallsPerSecond: 3,
        });
        const waf2 = client(KEY_A, "us-east-1");
        const create = (name: string) =>
            waf2.send(
                new CreateIPSetCommand({ Name: name, Scope: "REGIONAL", IPAddressVersion: "IPV4", Addresses: [] }),
            );
        await create("one");
        await create("two");
        await create("three");
        assert.strictEqual((await rejection(create("four"))).name, "ThrottlingException");
        await assert.rejects(startWafServer({ resolveCaller: () => undefined, mutatingCallsPerSecond: 0 }), {
            message: "startWafServer: mutatingCallsPerSecond must be a whole number of at least 1, got 0.",
        });
    });

    it("refuses unknown keys, temporary keys without their token, and expired credentials", async () => {
        seedV4();
        const list = (key: string, token?: string) =>
            client(key, "us-east-1", token).send(new ListIPSetsCommand({ Scope: "REGIONAL" }));
        const invalid = { name: "UnrecognizedClientException", message: INVALID_TOKEN, status: 400 };
        assert.deepStrictEqual(failureOf(await rejection(list("AKIDNOBODY000001"))), invalid);
        assert.deepStrictEqual(failureOf(await rejection(list(KEY_TEMPORARY))), invalid);
        assert.deepStrictEqual(failureOf(await rejection(list(KEY_TEMPORARY, "another-token"))), invalid);
        assert.deepStrictEqual(failureOf(await rejection(list(KEY_A, "a-token-for-no-session"))), invalid);
        await list(KEY_TEMPORARY, "session-token-1");
        clock = START + 3600_000;
        assert.deepStrictEqual(failureOf(await rejection(list(KEY_TEMPORARY, "session-token-1"))), {
            name: "ExpiredTokenException",
            message: EXPIRED_TOKEN,
            status: 400,
        });
        assert.deepStrictEqual(
            waf.calls.map((c) => c.outcome),
            [...Array(4).fill("UnrecognizedClientException"), "ok", "ExpiredTokenException"],
        );
    });

    it("answers hostile requests with the protocol's errors", async () => {
        const signed = (target: string, authorization = sigV4(KEY_A, "us-east-1", "wafv2")) => ({
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": target,
            authorization,
        });
        const cases: [Record<string, string>, string, number, string][] = [
            [{ "x-amz-target": "AWSWAF_20190729.ListIPSets" }, "{}", 403, "MissingAuthenticationTokenException"],
            [
                signed("AWSWAF_20190729.ListIPSets", "AWS4-HMAC-SHA256 Credential=garbage"),
                "{}",
                400,
                "IncompleteSignatureException",
            ],
            [
                signed("AWSWAF_20190729.ListIPSets", sigV4(KEY_A, "us-east-1", "sts")),
                "{}",
                400,
                "InvalidSignatureException",
            ],
            [signed("AWSWAF_20190729.ListIPSets"), "{not json", 400, "SerializationException"],
            [signed("AWSWAF_20190729.ListIPSets"), "[]", 400, "SerializationException"],
            [signed("AWSWAF_20190729.DeleteIPSet"), "{}", 400, "UnknownOperationException"],
            [signed("DynamoDB_20120810.ListTables"), "{}", 400, "UnknownOperationException"],
            [
                signed("AWSWAF_20190729.GetIPSet"),
                '{"Scope":"REGIONAL","Name":{"$gt":""},"Id":[]}',
                400,
                "WAFNonexistentItemException",
            ],
        ];
        for (const [headers, body, status, errorName] of cases) {
            const answer = await rawRequest(waf.url, headers, body);
            assert.deepStrictEqual(
                [answer.status, JSON.parse(answer.body).__type],
                [status, errorName],
                `${JSON.stringify(headers)} ${body}`,
            );
        }
        assert.strictEqual(
            JSON.parse((await rawRequest(waf.url, signed("AWSWAF_20190729.DeleteIPSet"), "{}")).body).Message,
            "Unknown operation AWSWAF_20190729.DeleteIPSet",
        );
    });

    it("asks authorize for each call, and answers AccessDeniedException as IAM does", async () => {
        const seeded = seedV4();
        const auditor = client(KEY_AUDITOR, "us-east-1");
        await auditor.send(new GetIPSetCommand({ Name: "blocklist-v4", Scope: "REGIONAL", Id: seeded.id }));
        const denied = await rejection(
            auditor.send(
                new UpdateIPSetCommand({
                    Name: "blocklist-v4",
                    Scope: "REGIONAL",
                    Id: seeded.id,
                    Addresses: [],
                    LockToken: seeded.lockToken,
                }),
            ),
        );
        const auditorArn = `arn:aws:iam::${APP_A}:role/auditor`;
        assert.deepStrictEqual(failureOf(denied), {
            name: "AccessDeniedException",
            message:
                `User: ${auditorArn} is not authorized to perform: wafv2:UpdateIPSet on resource: ${seeded.arn} ` +
                "because no identity-based policy allows the wafv2:UpdateIPSet action",
            status: 400,
        });
        await client(KEY_A, "us-east-1").send(new ListIPSetsCommand({ Scope: "REGIONAL" }));
        await client(KEY_A, "us-east-1").send(
            new CreateIPSetCommand({ Name: "new-set", Scope: "REGIONAL", IPAddressVersion: "IPV4", Addresses: [] }),
        );
        assert.deepStrictEqual(authorizations, [
            [auditorArn, "GetIPSet", seeded.arn],
            [auditorArn, "UpdateIPSet", seeded.arn],
            [WRITER_A, "ListIPSets", `arn:aws:wafv2:us-east-1:${APP_A}:regional/ipset/*`],
            [WRITER_A, "CreateIPSet", `arn:aws:wafv2:us-east-1:${APP_A}:regional/ipset/new-set/*`],
        ]);
        assert.strictEqual(waf.ipSet(APP_A, "us-east-1", "blocklist-v4")!.updates, 0);
    });

    it("fails one account's Region on demand while the others keep working, then heals", async () => {
        const seeded = seedV4();
        const inEurope = seedV4([], APP_A, "eu-west-1");
        const inB = seedV4([], APP_B, "us-east-1");
        waf.failRegion(APP_A, "us-east-1", {
            status: 500,
            errorName: "WAFInternalErrorException",
            message:
                "Your request is valid, but WAF couldn’t perform the operation because of a system problem. Retry your request.",
        });
        const get = (key: string, region: string, id: string) =>
            client(key, region).send(new GetIPSetCommand({ Name: "blocklist-v4", Scope: "REGIONAL", Id: id }));
        const failed = await rejection(get(KEY_A, "us-east-1", seeded.id));
        assert.deepStrictEqual(
            [failed.name, failed.status, failed.raw.$fault],
            ["WAFInternalErrorException", 500, "server"],
        );
        await get(KEY_A, "eu-west-1", inEurope.id);
        await get(KEY_B, "us-east-1", inB.id);
        waf.failRegion(APP_A, "us-east-1", {
            status: 400,
            errorName: "AccessDeniedException",
            message: "denied by an SCP",
        });
        assert.deepStrictEqual(failureOf(await rejection(get(KEY_A, "us-east-1", seeded.id))), {
            name: "AccessDeniedException",
            message: "denied by an SCP",
            status: 400,
        });
        waf.failRegion(APP_A, "us-east-1", undefined);
        await get(KEY_A, "us-east-1", seeded.id);
        assert.deepStrictEqual(
            waf.calls.map((c) => [c.accountId, c.region, c.outcome]),
            [
                [APP_A, "us-east-1", "WAFInternalErrorException"],
                [APP_A, "eu-west-1", "ok"],
                [APP_B, "us-east-1", "ok"],
                [APP_A, "us-east-1", "AccessDeniedException"],
                [APP_A, "us-east-1", "ok"],
            ],
        );
    });

    it("refuses bad seeds and races on sets that do not exist", () => {
        assert.throws(() => seedV4(["198.51.100.7"]), {
            message:
                "WafServer.createIpSet: WAFInvalidParameterException: Error reason: The parameter contains formatting that is not valid., " +
                "field: IP_ADDRESS, parameter: 198.51.100.7",
        });
        assert.throws(() => waf.bumpLockBeforeNextUpdate(APP_A, "us-east-1", "missing"), {
            message: `WafServer.bumpLockBeforeNextUpdate: no REGIONAL IP set named missing in ${APP_A}/us-east-1; create it first.`,
        });
        seedV4();
        assert.throws(() => waf.bumpLockBeforeNextUpdate(APP_A, "us-east-1", "blocklist-v4", ["2001:db8::/32"]), {
            message:
                "WafServer: WAFInvalidParameterException: Error reason: The parameter contains formatting that is not valid., " +
                "field: IP_ADDRESS, parameter: 2001:db8::/32",
        });
    });
});

describe("ipSetMatches", () => {
    const set = [
        "203.0.113.0/24",
        "198.51.100.7/32",
        "198.51.100.8/31",
        "2001:db8:a::/48",
        "10.0.0.0/8",
        "10.1.0.0/16",
    ];

    it("matches client IPs inside any range, IPv4 and IPv6, at both ends of a range", () => {
        const inside = [
            "203.0.113.0",
            "203.0.113.255",
            "198.51.100.7",
            "198.51.100.8",
            "198.51.100.9",
            "10.255.255.255",
            "2001:db8:a::1",
            "2001:db8:a:ffff:ffff:ffff:ffff:ffff",
            "2001:DB8:A::2",
        ];
        const outside = [
            "203.0.112.255",
            "203.0.114.0",
            "198.51.100.6",
            "198.51.100.10",
            "11.0.0.0",
            "2001:db8:b::1",
            "::1",
        ];
        assert.deepStrictEqual(
            inside.filter((ip) => !ipSetMatches(set, ip)),
            [],
        );
        assert.deepStrictEqual(
            outside.filter((ip) => ipSetMatches(set, ip)),
            [],
        );
    });

    it("matches an IPv4-mapped IPv6 client as its IPv4 address, and nothing for what is not an IP address", () => {
        assert.strictEqual(ipSetMatches(set, "::ffff:203.0.113.5"), true);
        for (const clientIp of [
            "X.X.X.X",
            "",
            "203.0.113",
            "203.0.113.5.1",
            "0xCB.0.113.5",
            "203.0.113.5/32",
            "fe80::1%eth0",
            "-",
        ]) {
            assert.strictEqual(ipSetMatches(set, clientIp), false, clientIp);
        }
        assert.strictEqual(ipSetMatches([], "203.0.113.5"), false);
        assert.strictEqual(
            ipSetMatches(["2001:db8::/32"], "32.1.13.184"),
            false,
            "an IPv4 client never matches an IPv6 range",
        );
    });

    it("refuses a set entry WAF itself would refuse, naming it", () => {
        assert.throws(() => ipSetMatches(["203.0.113.0/24", "203.0.113.5/24"], "203.0.113.5"), {
            message: 'ipSetMatcher: addresses[1] "203.0.113.5/24" has host bits set; pass the IP set\'s CIDR ranges.',
        });
        assert.throws(() => ipSetMatcher(["0.0.0.0/0"]), {
            message: 'ipSetMatcher: addresses[0] "0.0.0.0/0" has a /0 prefix; pass the IP set\'s CIDR ranges.',
        });
    });

    it("answers a full set of 10,000 ranges through one matcher", () => {
        const full = Array.from({ length: 10_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
        const matches = ipSetMatcher(full);
        assert.deepStrictEqual(["10.0.0.1", "10.39.15.200", "10.39.16.0", "11.0.0.1"].map(matches), [
            true,
            true,
            false,
            false,
        ]);
    });
});

describe("STS stand-in", () => {
    const PUBLISHER_KEY = "AKIDPUBLISHER001";
    const OPERATOR_KEY = "AKIDOPERATOR0001";
    const OPERATOR = `arn:aws:iam::${LOGGING}:user/operator`;
    let clock: number;
    let sts: StsServer;
    let trustAsked: [string, string, string | undefined][];
    const clients: STSClient[] = [];

    function client(accessKeyId: string, sessionToken?: string): STSClient {
        const made = new STSClient({
            region: "us-east-1",
            endpoint: sts.url,
            credentials: { accessKeyId, secretAccessKey: "any-secret", sessionToken },
            maxAttempts: 1,
        });
        clients.push(made);
        return made;
    }

    const assume = (key: string, input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]>, token?: string) =>
        client(key, token).send(
            new AssumeRoleCommand({
                RoleArn: WRITER_A,
                RoleSessionName: "publish-2026",
                ExternalId: "central-waf-logs",
                ...input,
            }),
        );

    beforeEach(async () => {
        clock = START;
        trustAsked = [];
        sts = await startStsServer({
            now: () => clock,
            // The writer roles' trust policy: the publisher's role, with the external ID; account B has not deployed its role.
            mayAssume: (caller, roleArn, externalId) => {
                trustAsked.push([caller, roleArn, externalId]);
                return (
                    (sessionRoleArn(caller) === `arn:aws:iam::${LOGGING}:role/blocklist-publisher` ||
                        caller === OPERATOR) &&
                    roleArn === WRITER_A &&
                    externalId === "central-waf-logs"
                );
            },
        });
        sts.register(PUBLISHER_KEY, PUBLISHER_SESSION);
        sts.register(OPERATOR_KEY, OPERATOR);
    });

    afterEach(async () => {
        for (const made of clients.splice(0)) made.destroy();
        await sts.close();
    });

    it("is reached through AWS_ENDPOINT_URL_STS alone and tells a caller who it is", async () => {
        const identity = await withEnvironment(
            { AWS_ENDPOINT_URL_STS: sts.url, AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
            async () => {
                const viaEnvironment = new STSClient({
                    region: "eu-west-1",
                    credentials: { accessKeyId: PUBLISHER_KEY, secretAccessKey: "any-secret" },
                    maxAttempts: 1,
                });
                clients.push(viaEnvironment);
                return viaEnvironment.send(new GetCallerIdentityCommand({}));
            },
        );
        assert.deepStrictEqual([identity.Account, identity.Arn], [LOGGING, PUBLISHER_SESSION]);
        assert.match(identity.UserId!, /^AROA[0-9A-F]{17}:blocklist-publisher$/);
        const operator = await client(OPERATOR_KEY).send(new GetCallerIdentityCommand({}));
        assert.match(operator.UserId!, /^AIDA[0-9A-F]{17}$/);
        assert.deepStrictEqual(sts.lambdaEnvironment(), { AWS_ENDPOINT_URL_STS: sts.url });
    });

    it("issues temporary credentials for an allowed AssumeRole, known from then on as the assumed-role session", async () => {
        const assumed = await assume(PUBLISHER_KEY, {});
        const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = assumed.Credentials!;
        assert.match(AccessKeyId!, /^ASIA[0-9A-F]{16}$/);
        assert.ok(SecretAccessKey!.length >= 40 && SessionToken!.length >= 100);
        assert.deepStrictEqual(Expiration, new Date(START + 3600_000), "one hour, the default DurationSeconds");
        const session = `arn:aws:sts::${APP_A}:assumed-role/blocklist-writer/publish-2026`;
        assert.strictEqual(assumed.AssumedRoleUser!.Arn, session);
        assert.match(assumed.AssumedRoleUser!.AssumedRoleId!, /^AROA[0-9A-F]{17}:publish-2026$/);
        assert.deepStrictEqual(sts.resolveCaller(AccessKeyId!), {
            accountId: APP_A,
            principalArn: session,
            sessionToken: SessionToken,
            expiration: Expiration,
            roleArn: WRITER_A,
        });
        const identity = await client(AccessKeyId!, SessionToken).send(new GetCallerIdentityCommand({}));
        assert.deepStrictEqual(
            [identity.Account, identity.Arn, identity.UserId],
            [APP_A, session, assumed.AssumedRoleUser!.AssumedRoleId],
        );
        assert.deepStrictEqual(sts.assumeRoleCalls, [
            {
                callerPrincipalArn: PUBLISHER_SESSION,
                roleArn: WRITER_A,
                roleSessionName: "publish-2026",
                externalId: "central-waf-logs",
                outcome: "ok",
                issuedAccessKeyId: AccessKeyId,
            },
        ]);
        assert.deepStrictEqual(trustAsked, [[PUBLISHER_SESSION, WRITER_A, "central-waf-logs"]]);
    });

    it("denies an AssumeRole the trust policy does not allow, with IAM's AccessDenied", async () => {
        const attempts: [Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]>, string][] = [
            [{ RoleArn: WRITER_B }, WRITER_B],
            [{ ExternalId: "guessed" }, WRITER_A],
            [{ ExternalId: undefined }, WRITER_A],
            [
                { RoleArn: "arn:aws:iam::222222222222:user/blocklist-writer" },
                "arn:aws:iam::222222222222:user/blocklist-writer",
            ],
        ];
        for (const [input, roleArn] of attempts) {
            assert.deepStrictEqual(failureOf(await rejection(assume(PUBLISHER_KEY, input))), {
                name: "AccessDenied",
                message: `User: ${PUBLISHER_SESSION} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
                status: 403,
            });
        }
        assert.deepStrictEqual(
            sts.assumeRoleCalls.map((c) => [c.outcome, c.issuedAccessKeyId]),
            Array(4).fill(["AccessDenied", undefined]),
        );
        assert.strictEqual(sts.assumeRoleCalls[2].externalId, undefined);
    });

    it("validates the session name and duration as STS does, including the role-chaining hour", async () => {
        const validation = async (key: string, input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]>) => {
            const refused = await rejection(assume(key, input));
            assert.deepStrictEqual([refused.name, refused.status], ["ValidationError", 400]);
            return refused.message;
        };
        assert.strictEqual(
            await validation(PUBLISHER_KEY, { RoleSessionName: "publish now" }),
            "1 validation error detected: Value 'publish now' at 'roleSessionName' failed to satisfy constraint: " +
                "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        );
        assert.strictEqual(
            await validation(PUBLISHER_KEY, { DurationSeconds: 899 }),
            "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: " +
                "Member must have value greater than or equal to 900",
        );
        assert.strictEqual(
            await validation(PUBLISHER_KEY, { DurationSeconds: 7200 }),
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        );
        assert.strictEqual(
            await validation(OPERATOR_KEY, { DurationSeconds: 7200 }),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        );
        assert.strictEqual(
            await validation(PUBLISHER_KEY, { RoleSessionName: "p" }),
            "1 validation error detected: Value 'p' at 'roleSessionName' failed to satisfy constraint: " +
                "Member must have length greater than or equal to 2",
        );
        assert.strictEqual(
            await validation(PUBLISHER_KEY, { ExternalId: "x" }),
            "1 validation error detected: Value 'x' at 'externalId' failed to satisfy constraint: " +
                "Member must have length greater than or equal to 2",
        );
        assert.strictEqual(
            await validation(PUBLISHER_KEY, { ExternalId: "central waf logs" }),
            "1 validation error detected: Value 'central waf logs' at 'externalId' failed to satisfy constraint: " +
                "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
        );
        const quarterHour = await assume(PUBLISHER_KEY, { DurationSeconds: 900 });
        assert.deepStrictEqual(quarterHour.Credentials!.Expiration, new Date(START + 900_000));
        assert.deepStrictEqual(trustAsked.length, 1, "validation comes before the trust policy");
    });

    it("refuses unknown keys, temporary keys without their token, and expired sessions", async () => {
        const invalid = { name: "InvalidClientTokenId", message: INVALID_TOKEN, status: 403 };
        assert.deepStrictEqual(
            failureOf(await rejection(client("AKIDNOBODY000001").send(new GetCallerIdentityCommand({})))),
            invalid,
        );
        const { AccessKeyId, SessionToken } = (await assume(PUBLISHER_KEY, {})).Credentials!;
        assert.deepStrictEqual(
            failureOf(await rejection(client(AccessKeyId!).send(new GetCallerIdentityCommand({})))),
            invalid,
        );
        clock = START + 3600_000;
        assert.deepStrictEqual(
            failureOf(await rejection(client(AccessKeyId!, SessionToken).send(new GetCallerIdentityCommand({})))),
            {
                name: "ExpiredToken",
                message: EXPIRED_TOKEN,
                status: 403,
            },
        );
        const denied = await rejection(assume(AccessKeyId!, {}, SessionToken));
        assert.strictEqual(denied.name, "ExpiredToken");
        assert.deepStrictEqual(sts.assumeRoleCalls[1], {
            roleArn: WRITER_A,
            roleSessionName: "publish-2026",
            externalId: "central-waf-logs",
            outcome: "ExpiredToken",
        });
    });

    it("answers hostile requests with the query protocol's errors", async () => {
        const form = "application/x-www-form-urlencoded";
        const cases: [Record<string, string>, string, number, string][] = [
            [
                { "content-type": form },
                "Action=GetCallerIdentity&Version=2011-06-15",
                403,
                "MissingAuthenticationToken",
            ],
            [
                { "content-type": form, authorization: sigV4(PUBLISHER_KEY, "us-east-1", "wafv2") },
                "Action=GetCallerIdentity&Version=2011-06-15",
                403,
                "SignatureDoesNotMatch",
            ],
            [
                { "content-type": form, authorization: sigV4(PUBLISHER_KEY, "us-east-1", "sts") },
                "Action=DeleteRole&Version=2011-06-15",
                400,
                "InvalidAction",
            ],
            [
                { "content-type": form, authorization: sigV4(PUBLISHER_KEY, "us-east-1", "sts") },
                "Action=GetCallerIdentity&Version=2099-01-01",
                400,
                "InvalidAction",
            ],
            [
                { "content-type": form, authorization: sigV4(PUBLISHER_KEY, "us-east-1", "sts") },
                "Action=AssumeRole&Version=2011-06-15",
                400,
                "ValidationError",
            ],
        ];
        for (const [headers, body, status, code] of cases) {
            const answer = await rawRequest(sts.url, headers, body);
            assert.deepStrictEqual([answer.status, /<Code>(\w+)<\/Code>/.exec(answer.body)?.[1]], [status, code], body);
        }
        const injected = await rawRequest(
            sts.url,
            { "content-type": form, authorization: sigV4(OPERATOR_KEY, "us-east-1", "sts") },
            `Action=AssumeRole&Version=2011-06-15&RoleSessionName=ab&RoleArn=${encodeURIComponent("</Message><Code>Owned</Code>")}`,
        );
        assert.match(
            injected.body,
            /<Code>AccessDenied<\/Code><Message>[^<]*&lt;\/Message&gt;&lt;Code&gt;Owned&lt;\/Code&gt;<\/Message>/,
        );
    });

    it("refuses bad registrations and settings, naming the fix", async () => {
        assert.throws(() => sts.register("akid-lower", OPERATOR), {
            message:
                'StsServer.register: accessKeyId "akid-lower" is not an access key ID (upper-case letters and digits, at most 128).',
        });
        assert.throws(() => sts.register("AKIDSOMEONE00001", "arn:aws:s3:::bucket"), {
            message:
                'StsServer.register: principalArn "arn:aws:s3:::bucket" is not an IAM role, user or assumed-role session ARN ' +
                "(e.g. arn:aws:iam::111111111111:role/publisher).",
        });
        await assert.rejects(startStsServer({ mayAssume: () => true, maxSessionDurationSeconds: 60 }), {
            message:
                "startStsServer: maxSessionDurationSeconds must be a whole number from 3600 to 43200 (IAM's range), got 60.",
        });
    });
});

describe("the response loop's stand-ins together", () => {
    let clock: number;
    let sts: StsServer;
    let waf: WafServer;
    let dynamo: LocalDynamo;

    before(async () => {
        clock = START;
        sts = await startStsServer({
            now: () => clock,
            mayAssume: (caller, roleArn, externalId) =>
                sessionRoleArn(caller) === `arn:aws:iam::${LOGGING}:role/blocklist-publisher` &&
                roleArn === WRITER_A &&
                externalId === "central-waf-logs",
        });
        // The deployed code signs with the loopback credentials: they are the publisher Lambda's role session.
        sts.register(LOOPBACK_CREDENTIALS.AWS_ACCESS_KEY_ID, PUBLISHER_SESSION);
        waf = await startWafServer({
            resolveCaller: sts.resolveCaller,
            now: () => clock,
            // The clock stands still here, and a publisher updates two sets per account and Region
            // back to back: at AWS's one update per second the second would be throttled (the
            // throttling test shows it). This test is about identity and reach, so it allows two.
            mutatingCallsPerSecond: 2,
            authorize: (caller: Caller, operation, arn) =>
                caller.principalArn.startsWith(`arn:aws:sts::${caller.accountId}:assumed-role/blocklist-writer/`) &&
                /\/ipset\/blocklist-v[46]\//.test(arn) &&
                (operation === "GetIPSet" || operation === "UpdateIPSet"),
        });
        dynamo = await startLocalDynamo([
            {
                name: "blocklist",
                hashKey: "scope",
                rangeKey: "ip",
                billingMode: "PAY_PER_REQUEST",
                attributes: [
                    { name: "scope", type: "S" },
                    { name: "ip", type: "S" },
                ],
            },
        ]);
        for (const [accountId, region] of [
            [APP_A, "us-east-1"],
            [APP_A, "eu-west-1"],
            [APP_B, "us-east-1"],
        ]) {
            waf.createIpSet({ accountId, region, name: "blocklist-v4", ipAddressVersion: "IPV4", addresses: [] });
            waf.createIpSet({ accountId, region, name: "blocklist-v6", ipAddressVersion: "IPV6", addresses: [] });
        }
    });

    after(async () => {
        await Promise.all([sts.close(), waf.close(), dynamo.close()]);
    });

    it("serve code loaded as deployed, through the environment alone: blocklist in, IP sets out, where trusted", async () => {
        // A stand-in for the publisher, loaded the way tests load a deployed __index.js: it only
        // knows the environment, and builds its clients inside the handler.
        const source = `
            const { DynamoDBClient, QueryCommand } = require("@aws-sdk/client-dynamodb");
            const { STSClient, AssumeRoleCommand } = require("@aws-sdk/client-sts");
            const { WAFV2Client, GetIPSetCommand, UpdateIPSetCommand } = require("@aws-sdk/client-wafv2");
            exports.handler = async (event) => {
                const rows = await new DynamoDBClient({}).send(new QueryCommand({
                    TableName: "blocklist", KeyConditionExpression: "#s = :s",
                    ExpressionAttributeNames: { "#s": "scope" }, ExpressionAttributeValues: { ":s": { S: "global" } },
                }));
                const ips = rows.Items.map((item) => item.ip.S);
                const results = [];
                for (const target of event.targets) {
                    try {
                        const assumed = await new STSClient({}).send(new AssumeRoleCommand({
                            RoleArn: target.roleArn, RoleSessionName: "publisher", ExternalId: "central-waf-logs" }));
                        const c = assumed.Credentials;
                        const waf = new WAFV2Client({ region: target.region, maxAttempts: 1, credentials: {
                            accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
                        for (const version of ["v4", "v6"]) {
                            const set = target.sets[version];
                            const got = await waf.send(new GetIPSetCommand({ Name: "blocklist-" + version, Scope: "REGIONAL", Id: set }));
                            const mine = ips.filter((ip) => ip.includes(":") === (version === "v6")).map((ip) => ip + (version === "v6" ? "/128" : "/32"));
                            await waf.send(new UpdateIPSetCommand({ Name: "blocklist-" + version, Scope: "REGIONAL", Id: set,
                                Addresses: [...new Set([...got.IPSet.Addresses, ...mine])], LockToken: got.LockToken }));
                        }
                        results.push(target.region + " " + target.roleArn.split(":")[4] + " ok");
                    } catch (err) {
                        results.push(target.region + " " + target.roleArn.split(":")[4] + " " + err.name);
                    }
                }
                return results;
            };`;
        for (const ip of ["203.0.113.5", "2001:db8::5"]) {
            await dynamo.client.send(
                new PutItemCommand({ TableName: "blocklist", Item: { scope: { S: "global" }, ip: { S: ip } } }),
            );
        }
        const handler = loadHandler(source, {
            ...LOOPBACK_CREDENTIALS,
            ...dynamo.lambdaEnvironment("us-east-1"),
            ...sts.lambdaEnvironment(),
            ...waf.lambdaEnvironment(),
        });
        const target = (accountId: string, region: string) => ({
            roleArn: `arn:aws:iam::${accountId}:role/blocklist-writer`,
            region,
            sets: {
                v4: waf.ipSet(accountId, region, "blocklist-v4")!.id,
                v6: waf.ipSet(accountId, region, "blocklist-v6")!.id,
            },
        });
        const results = await handler({
            targets: [target(APP_A, "us-east-1"), target(APP_A, "eu-west-1"), target(APP_B, "us-east-1")],
        });
        assert.deepStrictEqual(results, [
            `us-east-1 ${APP_A} ok`,
            `eu-west-1 ${APP_A} ok`,
            `us-east-1 ${APP_B} AccessDenied`,
        ]);
        for (const region of ["us-east-1", "eu-west-1"]) {
            assert.deepStrictEqual(waf.ipSet(APP_A, region, "blocklist-v4")!.addresses, ["203.0.113.5/32"]);
            assert.deepStrictEqual(waf.ipSet(APP_A, region, "blocklist-v6")!.addresses, ["2001:db8::5/128"]);
        }
        assert.deepStrictEqual(
            waf.ipSet(APP_B, "us-east-1", "blocklist-v4")!.addresses,
            [],
            "an untrusting account is untouched",
        );
        assert.deepStrictEqual(
            [...new Set(waf.calls.map((c) => `${c.accountId} ${c.principalArn} ${c.outcome}`))],
            [`${APP_A} arn:aws:sts::${APP_A}:assumed-role/blocklist-writer/publisher ok`],
        );
        assert.ok(ipSetMatches(waf.ipSet(APP_A, "eu-west-1", "blocklist-v4")!.addresses, "203.0.113.5"));
    });
});

describe("local DynamoDB (dynalite)", () => {
    let tables: TableInputs[];
    let dynamo: LocalDynamo;

    before(async () => {
        const run = await runProgram("logging", { entrypoint: path.join(__dirname, "fixtures", "blocklistTables.ts") });
        tables = recordedTables(run);
        dynamo = await startLocalDynamo(tables);
    });

    after(async () => {
        await dynamo.close();
    });

    it("creates the tables from the inputs the mock engine records, as the provider would", () => {
        assert.deepStrictEqual(
            tables.map((t) => createTableInput(t)).sort((a, b) => a.TableName!.localeCompare(b.TableName!)),
            [
                {
                    TableName: "blocklist",
                    AttributeDefinitions: [
                        { AttributeName: "scope", AttributeType: "S" },
                        { AttributeName: "ip", AttributeType: "S" },
                        { AttributeName: "detectedAt", AttributeType: "N" },
                    ],
                    KeySchema: [
                        { AttributeName: "scope", KeyType: "HASH" },
                        { AttributeName: "ip", KeyType: "RANGE" },
                    ],
                    BillingMode: "PAY_PER_REQUEST",
                    ProvisionedThroughput: undefined,
                    GlobalSecondaryIndexes: [
                        {
                            IndexName: "by-detection",
                            KeySchema: [
                                { AttributeName: "scope", KeyType: "HASH" },
                                { AttributeName: "detectedAt", KeyType: "RANGE" },
                            ],
                            Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["expiresAt"] },
                            ProvisionedThroughput: undefined,
                        },
                    ],
                    LocalSecondaryIndexes: undefined,
                },
                {
                    TableName: "publish-state",
                    AttributeDefinitions: [{ AttributeName: "target", AttributeType: "S" }],
                    KeySchema: [{ AttributeName: "target", KeyType: "HASH" }],
                    BillingMode: "PROVISIONED",
                    ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 1 },
                    GlobalSecondaryIndexes: undefined,
                    LocalSecondaryIndexes: undefined,
                },
            ],
        );
    });

    it("is reached through AWS_ENDPOINT_URL_DYNAMODB alone, and enforces conditional writes", async () => {
        assert.deepStrictEqual(dynamo.lambdaEnvironment("eu-west-1"), {
            AWS_REGION: "eu-west-1",
            AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        });
        await withEnvironment(
            { ...dynamo.lambdaEnvironment("eu-west-1"), AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
            async () => {
                const client = new DynamoDBClient({
                    credentials: { accessKeyId: "ANYKEY", secretAccessKey: "any" },
                    maxAttempts: 1,
                });
                try {
                    const entry = { scope: { S: "global" }, ip: { S: "203.0.113.5" }, detectedAt: { N: "1795780800" } };
                    const putNew = () =>
                        client.send(
                            new PutItemCommand({
                                TableName: "blocklist",
                                Item: entry,
                                ConditionExpression: "attribute_not_exists(ip)",
                            }),
                        );
                    await putNew();
                    assert.deepStrictEqual(failureOf(await rejection(putNew())), {
                        name: "ConditionalCheckFailedException",
                        message: "The conditional request failed",
                        status: 400,
                    });
                    // An optimistic version counter, as a publisher's per-target state would keep it.
                    const bump = (expected: number) =>
                        client.send(
                            new UpdateItemCommand({
                                TableName: "publish-state",
                                Key: { target: { S: `${APP_A}/us-east-1` } },
                                UpdateExpression: "SET version = :next",
                                ConditionExpression:
                                    expected === 0 ? "attribute_not_exists(version)" : "version = :expected",
                                ExpressionAttributeValues: {
                                    ":next": { N: String(expected + 1) },
                                    ...(expected === 0 ? {} : { ":expected": { N: String(expected) } }),
                                },
                            }),
                        );
                    await bump(0);
                    await bump(1);
                    assert.strictEqual((await rejection(bump(1))).name, "ConditionalCheckFailedException");
                    const state = await client.send(
                        new GetItemCommand({
                            TableName: "publish-state",
                            Key: { target: { S: `${APP_A}/us-east-1` } },
                        }),
                    );
                    assert.deepStrictEqual(state.Item, { target: { S: `${APP_A}/us-east-1` }, version: { N: "2" } });
                } finally {
                    client.destroy();
                }
            },
        );
    });

    it("adds TransactWriteItems as the API reference states it: all or nothing, a reason per action, one action per item", async () => {
        // DynamoDB API Reference, TransactWriteItems (dynalite lacks it; the stand-in adds it).
        const put = (ip: string, extra: Record<string, unknown> = {}) => ({
            Put: { TableName: "blocklist", Item: { scope: { S: "tx" }, ip: { S: ip } }, ...extra },
        });
        const stored = async (ip: string) =>
            (
                await dynamo.client.send(
                    new GetItemCommand({ TableName: "blocklist", Key: { scope: { S: "tx" }, ip: { S: ip } } }),
                )
            ).Item;
        await dynamo.client.send(new TransactWriteItemsCommand({ TransactItems: [put("a"), put("b")] }));
        assert.ok((await stored("a")) && (await stored("b")));
        // The second action's condition fails: the first is not written either.
        const cancelled = await rejection(
            dynamo.client.send(
                new TransactWriteItemsCommand({
                    TransactItems: [put("c"), put("a", { ConditionExpression: "attribute_not_exists(ip)" })],
                }),
            ),
        );
        assert.deepStrictEqual(
            [cancelled.name, cancelled.message, cancelled.raw.CancellationReasons.map((r: any) => r.Code)],
            [
                "TransactionCanceledException",
                "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]",
                ["None", "ConditionalCheckFailed"],
            ],
        );
        assert.strictEqual(await stored("c"), undefined);
        // A failed write (throttled) cancels it too, and an item changed earlier is put back as it was.
        dynamo.failWritesTo("publish-state");
        try {
            const throttled = await rejection(
                dynamo.client.send(
                    new TransactWriteItemsCommand({
                        TransactItems: [
                            { Delete: { TableName: "blocklist", Key: { scope: { S: "tx" }, ip: { S: "b" } } } },
                            { Put: { TableName: "publish-state", Item: { target: { S: "t" } } } },
                        ],
                    }),
                ),
            );
            assert.deepStrictEqual(
                throttled.raw.CancellationReasons.map((r: any) => r.Code),
                ["None", "ThrottlingError"],
            );
        } finally {
            dynamo.failWritesTo(undefined);
        }
        assert.ok(await stored("b"), "the deleted item is back");
        const twice = await rejection(
            dynamo.client.send(new TransactWriteItemsCommand({ TransactItems: [put("d"), put("d")] })),
        );
        assert.deepStrictEqual(
            [twice.name, twice.message],
            ["ValidationException", "Transaction request cannot include multiple operations on one item"],
        );
        const many = await rejection(
            dynamo.client.send(
                new TransactWriteItemsCommand({ TransactItems: Array.from({ length: 101 }, (_, i) => put(`m${i}`)) }),
            ),
        );
        assert.strictEqual(many.name, "ValidationException");
        assert.strictEqual(await stored("m0"), undefined);
    });

    it("does not implement TTL: expired entries stay until the code ignores them", async () => {
        const refused = await rejection(
            dynamo.client.send(
                new UpdateTimeToLiveCommand({
                    TableName: "blocklist",
                    TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
                }),
            ),
        );
        assert.strictEqual(refused.name, "UnknownOperationException");
    });

    it("refuses table inputs DynamoDB would refuse, naming the input to fix", async () => {
        const base: TableInputs = {
            name: "t-bad",
            hashKey: "id",
            attributes: [{ name: "id", type: "S" }],
            billingMode: "PAY_PER_REQUEST",
        };
        const problems: [Partial<TableInputs> & Record<string, unknown>, string][] = [
            [
                { name: undefined },
                'table (no name): input "name" is missing (set the table\'s name explicitly, auto-names do not exist under mocks)',
            ],
            [{ hashKey: undefined }, 'table t-bad: input "hashKey" is missing'],
            [{ attributes: [] }, 'table t-bad: input "attributes" is missing'],
            [
                { attributes: [{ name: "id", type: "STRING" }] },
                "table t-bad: attributes[0] must be {name, type} with type S, N or B",
            ],
            [
                { billingMode: "ON_DEMAND" },
                'table t-bad: billingMode "ON_DEMAND" is neither PROVISIONED nor PAY_PER_REQUEST',
            ],
            [
                { billingMode: undefined },
                "table t-bad: the table needs readCapacity and writeCapacity with billingMode PROVISIONED",
            ],
            [
                { globalSecondaryIndexes: [{ name: "ix", projectionType: "ALL" }] },
                "table t-bad: globalSecondaryIndexes[0] has no hash key (hashKey or keySchemas)",
            ],
        ];
        for (const [change, problem] of problems) {
            assert.throws(() => createTableInput({ ...base, ...change } as TableInputs), {
                message: `localDynamo: ${problem}; pass the inputs recorded for aws:dynamodb/table:Table.`,
            });
        }
        const unusedAttribute = await rejection(
            dynamo.createTable({ ...base, attributes: [...base.attributes, { name: "expiresAt", type: "N" }] }),
        );
        assert.deepStrictEqual(failureOf(unusedAttribute), {
            name: "ValidationException",
            message:
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            status: 400,
        });
        await dynamo.createTable({
            ...base,
            name: "t-indexes",
            rangeKey: "at",
            attributes: [...base.attributes, { name: "at", type: "N" }, { name: "ip", type: "S" }],
            localSecondaryIndexes: [{ name: "by-ip", rangeKey: "ip", projectionType: "KEYS_ONLY" }],
            globalSecondaryIndexes: [{ name: "by-at", hashKey: "at", projectionType: "ALL" }],
        });
    });
});
