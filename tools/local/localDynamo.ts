/**
 * A real DynamoDB API on loopback: dynalite (Apache-2.0, in memory) with the tables the program
 * declares, created from the inputs the mock engine records for `aws:dynamodb/table:Table`.
 * Deployed code reaches it through `AWS_ENDPOINT_URL_DYNAMODB` with the unmodified
 * `@aws-sdk/client-dynamodb`.
 *
 * dynalite accepts any credentials and keeps every table in `us-east-1` of account
 * `000000000000` (its ARNs say so). It implements the item operations with condition, update and
 * key expressions, Query and Scan, batches and DescribeTimeToLive, and refuses what DynamoDB
 * refuses in CreateTable (a non-key attribute definition, say). It does not implement
 * UpdateTimeToLive, TTL deletion or TransactGetItems (UnknownOperationException): code that
 * keeps expiring entries must treat an entry past its expiry attribute as absent by itself, which
 * is right for the real service anyway, since DynamoDB deletes expired items lazily, up to days
 * later, and until then reads still return them.
 *
 * dynalite has no TransactWriteItems either; this stand-in adds it in front of dynalite (see
 * `transactWriteItems`), as the DynamoDB API Reference (TransactWriteItems) states it: 1 to 100
 * actions, no two on one item, all or nothing; a failed condition cancels the whole transaction
 * with `TransactionCanceledException` and one `CancellationReasons` entry per action. Every
 * request passes one at a time, so a transaction is isolated from other requests.
 */
import {
    AttributeDefinition,
    AttributeValue,
    CreateTableCommand,
    CreateTableCommandInput,
    DeleteItemCommand,
    DescribeTableCommand,
    DynamoDBClient,
    GetItemCommand,
    KeySchemaElement,
    Projection,
    ProvisionedThroughput,
    PutItemCommand,
    UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import * as http from "http";
import { AddressInfo } from "net";
import type { ProgramRun } from "./mockEngine";
// dynalite ships no typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: (options: Record<string, unknown>) => http.Server = require("dynalite");

/** The `aws:dynamodb/table:Table` inputs this stand-in reads (names as Pulumi's, values resolved). */
export interface TableInputs {
    readonly name: string;
    readonly hashKey: string;
    readonly rangeKey?: string;
    readonly attributes: readonly { readonly name: string; readonly type: string }[];
    /** PAY_PER_REQUEST or PROVISIONED. Default: PROVISIONED, as the provider's. */
    readonly billingMode?: string;
    readonly readCapacity?: number;
    readonly writeCapacity?: number;
    readonly globalSecondaryIndexes?: readonly IndexInputs[];
    readonly localSecondaryIndexes?: readonly IndexInputs[];
}

/** A secondary index's inputs: `hashKey`/`rangeKey` (deprecated in the provider) or `keySchemas`. */
export interface IndexInputs {
    readonly name: string;
    readonly hashKey?: string;
    readonly rangeKey?: string;
    readonly keySchemas?: readonly { readonly attributeName: string; readonly keyType: string }[];
    readonly projectionType: string;
    readonly nonKeyAttributes?: readonly string[];
    readonly readCapacity?: number;
    readonly writeCapacity?: number;
}

export interface LocalDynamo {
    /** `http://127.0.0.1:<port>`. */
    readonly endpoint: string;
    /** A client for the tests' own reads and writes (any credentials do). */
    readonly client: DynamoDBClient;
    /** Creates one more table from recorded inputs and waits until it is ACTIVE. */
    createTable(inputs: TableInputs): Promise<void>;
    /** The environment the unmodified SDK needs to reach this DynamoDB from code running in `region`. */
    lambdaEnvironment(region: string): Record<string, string>;
    /**
     * Makes every later write to `table` (PutItem, and its actions in TransactWriteItems) fail as
     * DynamoDB does when it throttles one, until called with `undefined`: PutItem answers
     * `ThrottlingException`, a transaction is cancelled with reason `ThrottlingError`.
     */
    failWritesTo(table: string | undefined): void;
    close(): Promise<void>;
}

/** The inputs of every `aws:dynamodb/table:Table` a mocked program run recorded. */
export function recordedTables(run: ProgramRun): TableInputs[] {
    return run.resources.filter((r) => r.type === "aws:dynamodb/table:Table").map((r) => r.inputs as TableInputs);
}

type Item = Record<string, AttributeValue>;

/** A DynamoDB error answer: the `__type` its clients read the name from, and the message. */
class DynamoError extends Error {
    constructor(
        readonly type: string,
        message: string,
        readonly extra: Record<string, unknown> = {},
    ) {
        super(message);
    }
}

/** Runs `f` after every earlier call has finished: one request at a time. */
function serializer(): <T>(f: () => Promise<T>) => Promise<T> {
    let last: Promise<unknown> = Promise.resolve();
    return (f) => {
        const next = last.then(f, f);
        last = next.catch(() => undefined);
        return next;
    };
}

/**
 * TransactWriteItems on top of dynalite's single-item operations (DynamoDB API Reference,
 * TransactWriteItems): checks the request as DynamoDB does, reads each item's current state, applies
 * the actions one by one with their conditions, and on the first failure puts every item already
 * changed back as it was. Called only while no other request runs.
 */
async function transactWriteItems(
    backend: DynamoDBClient,
    body: any,
    failing: () => string | undefined,
): Promise<Record<string, unknown>> {
    const actions: any[] = body?.TransactItems;
    if (!Array.isArray(actions) || actions.length < 1 || actions.length > 100) {
        throw new DynamoError(
            "com.amazon.coral.validate#ValidationException",
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100 and greater than or equal to 1",
        );
    }
    const keySchemas = new Map<string, string[]>();
    const keyOf = async (table: string, item: Item): Promise<Item> => {
        if (!keySchemas.has(table)) {
            const { Table } = await backend.send(new DescribeTableCommand({ TableName: table }));
            keySchemas.set(
                table,
                Table!.KeySchema!.map((k) => k.AttributeName!),
            );
        }
        return Object.fromEntries(keySchemas.get(table)!.map((name) => [name, item[name]]));
    };
    const steps: { kind: string; action: any; table: string; key: Item; before?: Item }[] = [];
    for (const action of actions) {
        const kinds = ["Put", "Update", "Delete", "ConditionCheck"].filter((k) => action?.[k] !== undefined);
        if (kinds.length !== 1) {
            throw new DynamoError(
                "com.amazon.coral.validate#ValidationException",
                "TransactItems can only contain one of Check, Put, Update or Delete",
            );
        }
        const kind = kinds[0];
        const table = action[kind].TableName;
        const key = await keyOf(table, kind === "Put" ? action[kind].Item : action[kind].Key);
        const id = `${table}\u0000${JSON.stringify(key)}`;
        if (steps.some((st) => `${st.table}\u0000${JSON.stringify(st.key)}` === id)) {
            throw new DynamoError(
                "com.amazon.coral.validate#ValidationException",
                "Transaction request cannot include multiple operations on one item",
            );
        }
        steps.push({ kind, action: action[kind], table, key });
    }
    for (const step of steps) {
        step.before = (
            await backend.send(new GetItemCommand({ TableName: step.table, Key: step.key, ConsistentRead: true }))
        ).Item as Item | undefined;
    }
    const reasons = steps.map(() => ({ Code: "None" }) as { Code: string; Message?: string });
    const done: typeof steps = [];
    const condition = (a: any) => ({
        ConditionExpression: a.ConditionExpression,
        ExpressionAttributeNames: a.ExpressionAttributeNames,
        ExpressionAttributeValues: a.ExpressionAttributeValues,
    });
    try {
        for (const [i, step] of steps.entries()) {
            const a = step.action;
            if (failing() === step.table && step.kind !== "ConditionCheck") {
                reasons[i] = {
                    Code: "ThrottlingError",
                    Message:
                        "Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly.",
                };
                throw new Error("cancelled");
            }
            try {
                if (step.kind === "Put") {
                    await backend.send(new PutItemCommand({ TableName: step.table, Item: a.Item, ...condition(a) }));
                } else if (step.kind === "Update") {
                    await backend.send(
                        new UpdateItemCommand({
                            TableName: step.table,
                            Key: step.key,
                            UpdateExpression: a.UpdateExpression,
                            ...condition(a),
                        }),
                    );
                } else if (step.kind === "Delete") {
                    await backend.send(
                        new DeleteItemCommand({ TableName: step.table, Key: step.key, ...condition(a) }),
                    );
                } else if (step.before) {
                    // A condition check changes nothing: write the item back as it is, under the condition.
                    await backend.send(
                        new PutItemCommand({ TableName: step.table, Item: step.before, ...condition(a) }),
                    );
                } else {
                    await backend.send(
                        new DeleteItemCommand({ TableName: step.table, Key: step.key, ...condition(a) }),
                    );
                }
                done.push(step);
            } catch (err: any) {
                if (err?.name !== "ConditionalCheckFailedException") throw err;
                reasons[i] = { Code: "ConditionalCheckFailed", Message: "The conditional request failed" };
                throw new Error("cancelled", { cause: err });
            }
        }
        return {};
    } catch (err: any) {
        for (const step of done.reverse()) {
            if (step.before) await backend.send(new PutItemCommand({ TableName: step.table, Item: step.before }));
            else await backend.send(new DeleteItemCommand({ TableName: step.table, Key: step.key }));
        }
        if (err?.message !== "cancelled") {
            throw new DynamoError(
                `com.amazonaws.dynamodb.v20120810#${err?.name ?? "InternalServerError"}`,
                err?.message ?? String(err),
            );
        }
        throw new DynamoError(
            "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
            { CancellationReasons: reasons },
        );
    }
}

/** Starts dynalite on an ephemeral loopback port and creates `tables` in it. */
export async function startLocalDynamo(tables: readonly TableInputs[] = []): Promise<LocalDynamo> {
    const requests = tables.map(createTableInput);
    const backendServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => backendServer.listen(0, "127.0.0.1", resolve));
    const backendPort = (backendServer.address() as AddressInfo).port;
    const backend = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${backendPort}`,
        region: "us-east-1",
        credentials: { accessKeyId: "LOCALDYNAMO", secretAccessKey: "local" },
    });
    let failing: string | undefined;
    const oneAtATime = serializer();
    // The front: TransactWriteItems here, everything else passed to dynalite unchanged.
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks);
            const target = String(req.headers["x-amz-target"] ?? "");
            const answer = (status: number, payload: unknown) => {
                const text = JSON.stringify(payload);
                res.writeHead(status, {
                    "Content-Type": "application/x-amz-json-1.0",
                    "Content-Length": Buffer.byteLength(text),
                    "x-amzn-RequestId": `local-${Date.now()}`,
                });
                res.end(text);
            };
            void oneAtATime(async () => {
                let parsed: any;
                try {
                    parsed = JSON.parse(body.toString() || "{}");
                } catch {
                    parsed = undefined;
                }
                if (target === "DynamoDB_20120810.TransactWriteItems") {
                    try {
                        answer(200, await transactWriteItems(backend, parsed, () => failing));
                    } catch (err) {
                        const e =
                            err instanceof DynamoError
                                ? err
                                : new DynamoError("com.amazonaws.dynamodb.v20120810#InternalServerError", String(err));
                        answer(400, { __type: e.type, message: e.message, ...e.extra });
                    }
                    return;
                }
                if (target === "DynamoDB_20120810.PutItem" && failing !== undefined && parsed?.TableName === failing) {
                    answer(400, {
                        __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                        message: "Throughput exceeds the current capacity of your table or index.",
                    });
                    return;
                }
                await new Promise<void>((resolve) => {
                    const forward = http.request(
                        {
                            host: "127.0.0.1",
                            port: backendPort,
                            method: req.method,
                            path: req.url,
                            headers: req.headers,
                        },
                        (upstream) => {
                            res.writeHead(upstream.statusCode ?? 502, upstream.headers);
                            upstream.pipe(res);
                            upstream.on("end", resolve);
                            upstream.on("error", resolve);
                        },
                    );
                    forward.on("error", (err) => {
                        answer(500, { __type: "InternalFailure", message: err.message });
                        resolve();
                    });
                    forward.end(body);
                });
            });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const endpoint = `http://127.0.0.1:${port}`;
    const client = new DynamoDBClient({
        endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "LOCALDYNAMO", secretAccessKey: "local" },
    });
    const create = async (request: CreateTableCommandInput) => {
        await client.send(new CreateTableCommand(request));
        // With createTableMs 0 the table turns ACTIVE on dynalite's next timer tick.
        while (
            (await client.send(new DescribeTableCommand({ TableName: request.TableName }))).Table?.TableStatus !==
            "ACTIVE"
        ) {
            await new Promise((resolve) => setImmediate(resolve));
        }
    };
    const close = async () => {
        client.destroy();
        backend.destroy();
        for (const s of [server, backendServer]) {
            await new Promise<void>((resolve, reject) => {
                s.close((err?: Error) => (err ? reject(err) : resolve()));
                s.closeAllConnections();
            });
        }
    };
    try {
        for (const request of requests) await create(request);
    } catch (err) {
        await close();
        throw err;
    }
    return {
        endpoint,
        client,
        createTable: (inputs) => create(createTableInput(inputs)),
        lambdaEnvironment: (region) => ({ AWS_REGION: region, AWS_ENDPOINT_URL_DYNAMODB: endpoint }),
        failWritesTo: (table) => {
            failing = table;
        },
        close,
    };
}

/** The CreateTable request the provider would send for `inputs`; errors name the input to fix. */
export function createTableInput(inputs: TableInputs): CreateTableCommandInput {
    const table = typeof inputs?.name === "string" && inputs.name ? inputs.name : undefined;
    const fail = (problem: string): never => {
        throw new Error(
            `localDynamo: table ${table ?? "(no name)"}: ${problem}; pass the inputs recorded for aws:dynamodb/table:Table.`,
        );
    };
    if (!table) fail('input "name" is missing (set the table\'s name explicitly, auto-names do not exist under mocks)');
    if (typeof inputs.hashKey !== "string" || !inputs.hashKey) fail('input "hashKey" is missing');
    if (!Array.isArray(inputs.attributes) || inputs.attributes.length === 0) fail('input "attributes" is missing');
    const attributeDefinitions: AttributeDefinition[] = inputs.attributes.map((a, i) => {
        if (typeof a?.name !== "string" || !["S", "N", "B"].includes(a?.type)) {
            fail(`attributes[${i}] must be {name, type} with type S, N or B`);
        }
        return { AttributeName: a.name, AttributeType: a.type as AttributeDefinition["AttributeType"] };
    });
    const billingMode = inputs.billingMode ?? "PROVISIONED";
    if (billingMode !== "PROVISIONED" && billingMode !== "PAY_PER_REQUEST") {
        fail(`billingMode "${billingMode}" is neither PROVISIONED nor PAY_PER_REQUEST`);
    }
    const throughput = (owner: { readCapacity?: number; writeCapacity?: number }, where: string) => {
        if (billingMode === "PAY_PER_REQUEST") return undefined;
        if (!owner.readCapacity || !owner.writeCapacity) {
            fail(`${where} needs readCapacity and writeCapacity with billingMode PROVISIONED`);
        }
        return {
            ReadCapacityUnits: owner.readCapacity,
            WriteCapacityUnits: owner.writeCapacity,
        } as ProvisionedThroughput;
    };
    const keySchema = (hash: string, range?: string): KeySchemaElement[] => [
        { AttributeName: hash, KeyType: "HASH" },
        ...(range ? [{ AttributeName: range, KeyType: "RANGE" as const }] : []),
    ];
    const index = (ix: IndexInputs, where: string, defaultHash?: string) => {
        const fromSchemas = (keyType: string) => ix.keySchemas?.find((k) => k.keyType === keyType)?.attributeName;
        const hash = ix.hashKey ?? fromSchemas("HASH") ?? defaultHash;
        if (!hash) fail(`${where} has no hash key (hashKey or keySchemas)`);
        const projection: Projection = {
            ProjectionType: ix.projectionType as Projection["ProjectionType"],
            NonKeyAttributes: ix.nonKeyAttributes?.length ? [...ix.nonKeyAttributes] : undefined,
        };
        return {
            IndexName: ix.name,
            KeySchema: keySchema(hash!, ix.rangeKey ?? fromSchemas("RANGE")),
            Projection: projection,
        };
    };
    const gsis = (inputs.globalSecondaryIndexes ?? []).map((ix, i) => ({
        ...index(ix, `globalSecondaryIndexes[${i}]`),
        ProvisionedThroughput: throughput(ix, `globalSecondaryIndexes[${i}]`),
    }));
    const lsis = (inputs.localSecondaryIndexes ?? []).map((ix, i) =>
        index(ix, `localSecondaryIndexes[${i}]`, inputs.hashKey),
    );
    return {
        TableName: table,
        AttributeDefinitions: attributeDefinitions,
        KeySchema: keySchema(inputs.hashKey, inputs.rangeKey),
        BillingMode: billingMode as CreateTableCommandInput["BillingMode"],
        ProvisionedThroughput: throughput(inputs, "the table"),
        GlobalSecondaryIndexes: gsis.length ? gsis : undefined,
        LocalSecondaryIndexes: lsis.length ? lsis : undefined,
    };
}
