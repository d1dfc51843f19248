/** Reading the tables a game day measures: a bounded, consistent scan (the tables of one run are small). */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export async function scanAll<T>(doc: DynamoDBDocumentClient, table: string, filter: (row: any) => boolean): Promise<T[]> {
  const out: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  for (let page = 0; page < 200; page++) {
    const res = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey, ConsistentRead: true }));
    out.push(...((res.Items ?? []).filter(filter) as T[]));
    ExclusiveStartKey = res.LastEvaluatedKey;
    if (!ExclusiveStartKey) break;
  }
  return out;
}
