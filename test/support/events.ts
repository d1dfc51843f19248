/** Reads what a handler emitted: the outbox rows (one per event, committed with the change). */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export async function emitted(doc: DynamoDBDocumentClient, outboxTable: string, detailType?: string, orderId?: string) {
  const rows = (await doc.send(new ScanCommand({ TableName: outboxTable, ConsistentRead: true }))).Items ?? [];
  return rows
    .map((r) => ({ detailType: r.detailType as string, detail: JSON.parse(r.detail as string) }))
    .filter((e) => (!detailType || e.detailType === detailType) && (!orderId || e.detail.data.orderId === orderId));
}
