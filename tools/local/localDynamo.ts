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
 * UpdateTimeToLive, TTL deletion or the Transact* operations (UnknownOperationException): code that
 * keeps expiring entries must treat an entry past its expiry attribute as absent by itself, which
 * is right for the real service anyway, since DynamoDB deletes expired items lazily, up to days
 * later, and until then reads still return them.
 */
import {
    AttributeDefinition,
    CreateTableCommand,
    CreateTableCommandInput,
    DescribeTableCommand,
    DynamoDBClient,
    KeySchemaElement,
    Projection,
    ProvisionedThroughput,
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
    close(): Promise<void>;
}

/** The inputs of every `aws:dynamodb/table:Table` a mocked program run recorded. */
export function recordedTables(run: ProgramRun): TableInputs[] {
    return run.resources.filter((r) => r.type === "aws:dynamodb/table:Table").map((r) => r.inputs as TableInputs);
}

/** Starts dynalite on an ephemeral loopback port and creates `tables` in it. */
export async function startLocalDynamo(tables: readonly TableInputs[] = []): Promise<LocalDynamo> {
    const requests = tables.map(createTableInput);
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
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
        await new Promise<void>((resolve, reject) => {
            server.close((err?: Error) => (err ? reject(err) : resolve()));
            server.closeAllConnections();
        });
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
