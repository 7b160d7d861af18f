import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { fromItem } from "../../handlers/blocklistStore";

/** The audit trail of one range in a local DynamoDB holding the planned tables, oldest first. */
export async function auditTrail(client: Pick<DynamoDBClient, "send">, cidr: string): Promise<Record<string, any>[]> {
    const { Items } = await client.send(
        new QueryCommand({
            TableName: "central-waf-logs-blocklist-audit",
            KeyConditionExpression: "cidr = :c",
            ExpressionAttributeValues: { ":c": { S: cidr } },
        }),
    );
    return (Items ?? []).map(fromItem);
}
