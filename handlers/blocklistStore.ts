/**
 * The blocklist in DynamoDB: one item per range in the blocklist table, one item per change in the
 * audit table. Every write is conditional on the version read (optimistic locking), so a detector
 * run and an operator never overwrite each other's change unseen.
 *
 * Takes the SDK module and a client, so the Lambdas (which require the SDK inside their factory)
 * and the operator CLI share it.
 */
import { AuditRecord, BlockEntry } from "./blocklist";

export interface BlocklistTables {
    readonly blocklist: string;
    readonly audit: string;
}

export interface BlocklistStore {
    get(cidr: string): Promise<BlockEntry | undefined>;
    /** Writes `entry` if the stored version is still `entry.version - 1`; false when someone else wrote first. */
    put(entry: BlockEntry): Promise<boolean>;
    /** Every entry, active or not (a consistent scan, page by page). */
    all(): Promise<BlockEntry[]>;
    audit(record: AuditRecord): Promise<void>;
    /** The audit trail of one range, oldest first. */
    history(cidr: string): Promise<AuditRecord[]>;
}

/** Days an audit record is kept. */
export const AUDIT_RETENTION_DAYS = 400;

type AttributeValue = { S: string } | { N: string } | { L: AttributeValue[] };
type Item = Record<string, AttributeValue>;

/** DynamoDB's attribute-value form of a flat record of strings, numbers and string lists. */
export function toItem(record: Readonly<Record<string, unknown>>): Item {
    const item: Item = {};
    for (const [key, value] of Object.entries(record)) {
        if (value === undefined) continue;
        if (typeof value === "string") item[key] = { S: value };
        else if (typeof value === "number") item[key] = { N: String(value) };
        else if (Array.isArray(value)) item[key] = { L: value.map((v) => ({ S: String(v) })) };
        else throw new Error(`Cannot store ${key}: ${typeof value} is not a string, number or list.`);
    }
    return item;
}

export function fromItem(item: Readonly<Record<string, any>>): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) {
        if ("S" in value) record[key] = value.S;
        else if ("N" in value) record[key] = Number(value.N);
        else if ("L" in value) record[key] = value.L.map((v: { S: string }) => v.S);
    }
    return record;
}

export function dynamoBlocklistStore(
    sdk: any,
    client: { send(command: unknown): Promise<any> },
    tables: BlocklistTables,
): BlocklistStore {
    return {
        async get(cidr) {
            const { Item } = await client.send(
                new sdk.GetItemCommand({
                    TableName: tables.blocklist,
                    Key: { cidr: { S: cidr } },
                    ConsistentRead: true,
                }),
            );
            return Item ? (fromItem(Item) as unknown as BlockEntry) : undefined;
        },
        async put(entry) {
            const first = entry.version === 1;
            try {
                await client.send(
                    new sdk.PutItemCommand({
                        TableName: tables.blocklist,
                        Item: toItem(entry as unknown as Record<string, unknown>),
                        ConditionExpression: first ? "attribute_not_exists(cidr)" : "version = :read",
                        ExpressionAttributeValues: first ? undefined : { ":read": { N: String(entry.version - 1) } },
                    }),
                );
                return true;
            } catch (err: any) {
                if (err?.name === "ConditionalCheckFailedException") return false;
                throw err;
            }
        },
        async all() {
            const entries: BlockEntry[] = [];
            let start: Item | undefined;
            do {
                const page = await client.send(
                    new sdk.ScanCommand({
                        TableName: tables.blocklist,
                        ConsistentRead: true,
                        ExclusiveStartKey: start,
                    }),
                );
                entries.push(...(page.Items ?? []).map((i: Item) => fromItem(i) as unknown as BlockEntry));
                start = page.LastEvaluatedKey;
            } while (start);
            return entries;
        },
        async audit(record) {
            const at = new Date(record.at).toISOString();
            await client.send(
                new sdk.PutItemCommand({
                    TableName: tables.audit,
                    Item: toItem({
                        ...record,
                        // Unique per change even within one millisecond.
                        sk: `${at}#${Math.random().toString(36).slice(2, 10)}`,
                        ttl: Math.ceil(record.at / 1000) + AUDIT_RETENTION_DAYS * 86_400,
                    }),
                }),
            );
        },
        async history(cidr) {
            const records: AuditRecord[] = [];
            let start: Item | undefined;
            do {
                const page = await client.send(
                    new sdk.QueryCommand({
                        TableName: tables.audit,
                        KeyConditionExpression: "cidr = :cidr",
                        ExpressionAttributeValues: { ":cidr": { S: cidr } },
                        ExclusiveStartKey: start,
                    }),
                );
                for (const item of page.Items ?? []) {
                    const { cidr: range, at, action, actor, reason, detail } = fromItem(item);
                    records.push({ cidr: range, at, action, actor, reason, detail } as AuditRecord);
                }
                start = page.LastEvaluatedKey;
            } while (start);
            return records;
        },
    };
}
