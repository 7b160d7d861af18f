/**
 * The blocklist in DynamoDB: one item per range in the blocklist table, one item per change in the
 * audit table. Every write is conditional on the version read (optimistic locking), so a detector
 * run and an operator never overwrite each other's change unseen.
 *
 * Takes the SDK module and a client, so the Lambdas (which require the SDK inside their factory)
 * and the operator CLI share it.
 */
import { AuditRecord, BlockEntry, entryShapeProblem } from "./blocklist";

export interface BlocklistTables {
    readonly blocklist: string;
    readonly audit: string;
}

export interface BlocklistStore {
    /** The entry of `cidr`; throws a `MalformedEntryError` (`malformedEntry`) when the stored item is not a valid entry. */
    get(cidr: string): Promise<BlockEntry | undefined>;
    /**
     * Writes `entry` and its audit record in one transaction (TransactWriteItems): both or
     * neither. The entry is written only if the stored version is still `entry.version - 1`
     * (false when someone else wrote first); the audit record only if it is new (the trail is
     * append-only).
     */
    write(entry: BlockEntry, record: AuditRecord): Promise<boolean>;
    /** Every item, active or not, as stored (a consistent scan, page by page): malformed ones too. */
    all(): Promise<BlockEntry[]>;
    /** Appends one audit record (a refusal: no entry changes). */
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

/**
 * A stored item that is not a valid entry (a field of the wrong type): reported, never rewritten
 * blindly. A tagged Error, not a subclass: closure serialization loses a subclass's message.
 */
export function malformedEntry(cidr: string, problem: string): Error {
    return Object.assign(
        new Error(
            `Blocklist item ${cidr} is malformed (${problem}); it is left as it is. Fix: correct or delete the item in the blocklist table.`,
        ),
        { name: "MalformedEntryError" },
    );
}

/** An audit record's item: unique key per change even within one millisecond, kept 400 days. */
function auditItem(record: AuditRecord) {
    const at = new Date(record.at).toISOString();
    return toItem({
        ...record,
        sk: `${at}#${Math.random().toString(36).slice(2, 10)}`,
        ttl: Math.ceil(record.at / 1000) + AUDIT_RETENTION_DAYS * 86_400,
    });
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
            if (!Item) return undefined;
            const record = fromItem(Item);
            const problem = entryShapeProblem(record);
            if (problem !== undefined) throw malformedEntry(cidr, problem);
            return record as unknown as BlockEntry;
        },
        async write(entry, record) {
            const first = entry.version === 1;
            try {
                await client.send(
                    new sdk.TransactWriteItemsCommand({
                        TransactItems: [
                            {
                                Put: {
                                    TableName: tables.blocklist,
                                    Item: toItem(entry as unknown as Record<string, unknown>),
                                    ConditionExpression: first ? "attribute_not_exists(cidr)" : "version = :read",
                                    ExpressionAttributeValues: first
                                        ? undefined
                                        : { ":read": { N: String(entry.version - 1) } },
                                },
                            },
                            {
                                Put: {
                                    TableName: tables.audit,
                                    Item: auditItem(record),
                                    ConditionExpression: "attribute_not_exists(sk)",
                                },
                            },
                        ],
                    }),
                );
                return true;
            } catch (err: any) {
                // Only the entry's version check means "someone else wrote first"; anything else fails.
                const reasons: { Code?: string }[] = err?.CancellationReasons ?? [];
                if (err?.name === "TransactionCanceledException" && reasons[0]?.Code === "ConditionalCheckFailed") {
                    return false;
                }
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
            // Append-only: a record is never overwritten. A transaction of one, as the IAM
            // policies allow writes only inside TransactWriteItems.
            await client.send(
                new sdk.TransactWriteItemsCommand({
                    TransactItems: [
                        {
                            Put: {
                                TableName: tables.audit,
                                Item: auditItem(record),
                                ConditionExpression: "attribute_not_exists(sk)",
                            },
                        },
                    ],
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
