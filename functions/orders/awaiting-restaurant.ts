/**
 * The sparse awaiting-restaurant index of the Orders table (lib/constructs/data-tables.ts): an order is in it from
 * CHARGED until any later status. Its queries are the one definition of a "lost" order — charged before the
 * delivery SLI deadline and still not received by the restaurant — used by the delivery reconciler and by the
 * offline /ops page. The caller passes the client, table and index, so code outside a Lambda can run them too.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Money } from '../shared/money';

/** The one partition value of the index. */
export const AWAITING = 'AWAITING';

export interface AwaitingIndex {
  doc: DynamoDBDocumentClient;
  tableName: string;
  indexName: string;
}

export interface AwaitingOrder {
  orderId: string;
  customerId: string;
  merchantId: string;
  correlationId: string;
  total: Money;
  chargedAt: string;
  overdueReportedAt?: string;
}

/** Pages of the index, oldest first; `before` keeps only orders charged before it. */
async function* awaitingPages(index: AwaitingIndex, opts: { before?: string; countOnly?: boolean; limit?: number }) {
  let startKey: Record<string, unknown> | undefined;
  do {
    const res = await index.doc.send(
      new QueryCommand({
        TableName: index.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: opts.before ? 'awaitingRestaurant = :aw AND chargedAt < :before' : 'awaitingRestaurant = :aw',
        ExpressionAttributeValues: { ':aw': AWAITING, ...(opts.before ? { ':before': opts.before } : {}) },
        ScanIndexForward: true,
        ...(opts.countOnly ? { Select: 'COUNT' as const } : {}),
        Limit: opts.limit,
        ExclusiveStartKey: startKey,
      }),
    );
    yield res;
    startKey = res.LastEvaluatedKey;
  } while (startKey);
}

/** At most `limit` waiting orders, oldest first; with `before`, only those charged before it. */
export async function queryAwaiting(index: AwaitingIndex, before: string | undefined, limit: number): Promise<AwaitingOrder[]> {
  const items: AwaitingOrder[] = [];
  for await (const page of awaitingPages(index, { before, limit })) {
    items.push(...((page.Items ?? []) as AwaitingOrder[]));
    if (items.length >= limit) break;
  }
  return items.slice(0, limit);
}

/** Lost orders at `now`: charged more than `deadlineSeconds` ago and still waiting, oldest first. */
export function queryLostOrders(index: AwaitingIndex, now: Date, deadlineSeconds: number, limit: number): Promise<AwaitingOrder[]> {
  return queryAwaiting(index, new Date(now.getTime() - deadlineSeconds * 1000).toISOString(), limit);
}

export async function countAwaiting(index: AwaitingIndex): Promise<number> {
  let count = 0;
  for await (const page of awaitingPages(index, { countOnly: true })) count += page.Count ?? 0;
  return count;
}
