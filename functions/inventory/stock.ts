/**
 * Stock never oversells: each line is a conditional decrement (`available >= quantity`) and all lines of an order
 * commit in one transaction with the reservation record, one audit row per movement and the outgoing event.
 * The reservation row (attribute_not_exists) makes every re-run of the same order a no-op.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { causedBy, newEvent, type EventEnvelope } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import { commitWithEvents, failedConditionIndexes, isConditionFailure, statusChange, type TransactItem } from '../shared/outbox';
import { metrics, MetricUnit } from '../shared/powertools';

const table = () => requireEnv('INVENTORY_TABLE_NAME');
const stockKey = (productId: string) => ({ pk: `PRODUCT#${productId}`, sk: 'STOCK' });
const reservationKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'RESERVATION' });

export interface StockLine {
  productId: string;
  quantity: number;
}

export async function getStock(productId: string): Promise<{ available: number; reserved: number } | undefined> {
  const res = await ddb.send(new GetCommand({ TableName: table(), Key: stockKey(productId), ConsistentRead: true }));
  return res.Item as { available: number; reserved: number } | undefined;
}

export async function auditTrail(productId: string): Promise<Record<string, unknown>[]> {
  const res = await ddb.send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
      ExpressionAttributeValues: { ':pk': `PRODUCT#${productId}`, ':m': 'MOVE#' },
    }),
  );
  return res.Items ?? [];
}

function movement(line: StockLine, orderId: string, kind: 'RESERVE' | 'RELEASE', at: string): TransactItem[] {
  const delta = kind === 'RESERVE' ? -line.quantity : line.quantity;
  return [
    {
      Update: {
        TableName: table(),
        Key: stockKey(line.productId),
        UpdateExpression: 'ADD available :d, reserved :r',
        ConditionExpression: kind === 'RESERVE' ? 'available >= :q' : 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':d': delta, ':r': -delta, ...(kind === 'RESERVE' ? { ':q': line.quantity } : {}) },
      },
    },
    {
      Put: {
        TableName: table(),
        Item: { pk: `PRODUCT#${line.productId}`, sk: `MOVE#${at}#${orderId}#${kind}`, productId: line.productId, orderId, kind, delta, at },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

async function reservationExists(orderId: string): Promise<boolean> {
  const res = await ddb.send(new GetCommand({ TableName: table(), Key: reservationKey(orderId), ConsistentRead: true }));
  return res.Item !== undefined;
}

export async function reserve(envelope: EventEnvelope<'order.created'>): Promise<'RESERVED' | 'REJECTED' | 'ALREADY_DONE'> {
  const { orderId, customerId, merchantId, items, total } = envelope.data;
  if (await reservationExists(orderId)) return 'ALREADY_DONE';
  const lines = items.map((i) => ({ productId: i.productId, quantity: i.quantity }));
  const at = new Date().toISOString();
  const reservation = { ...reservationKey(orderId), orderId, customerId, merchantId, items: lines, total, at };
  try {
    await commitWithEvents(
      [
        ...lines.flatMap((l) => movement(l, orderId, 'RESERVE', at)),
        { Put: { TableName: table(), Item: { ...reservation, status: 'RESERVED' }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
      [newEvent('inventory.reserved', { orderId, customerId, merchantId, items: lines, total }, causedBy(envelope))],
    );
    metrics.addMetric('StockReserved', MetricUnit.Count, 1);
    return 'RESERVED';
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const failed = failedConditionIndexes(err);
    if (failed.includes(lines.length * 2)) return 'ALREADY_DONE'; // the reservation row: a concurrent re-run won
    // Stock updates sit at even indexes; a missing stock row also fails its condition (ADD on nothing + condition).
    const short = failed.filter((i) => i < lines.length * 2 && i % 2 === 0).map((i) => lines[i / 2].productId);
    const missing = (await Promise.all(short.map(async (p) => ((await getStock(p)) ? undefined : p)))).filter(Boolean) as string[];
    const reason = missing.length ? 'UNKNOWN_PRODUCT' : 'OUT_OF_STOCK';
    try {
      await commitWithEvents(
        [{ Put: { TableName: table(), Item: { ...reservation, status: 'REJECTED', reason }, ConditionExpression: 'attribute_not_exists(pk)' } }],
        [newEvent('inventory.rejected', { orderId, customerId, reason, productIds: missing.length ? missing : short }, causedBy(envelope))],
      );
    } catch (again) {
      if (isConditionFailure(again)) return 'ALREADY_DONE';
      throw again;
    }
    metrics.addMetric('StockRejected', MetricUnit.Count, 1);
    return 'REJECTED';
  }
}

/** Puts reserved stock back, once. */
export async function release(orderId: string, reason: string, cause: Parameters<typeof causedBy>[0]): Promise<'RELEASED' | 'NOTHING_TO_RELEASE'> {
  const res = await ddb.send(new GetCommand({ TableName: table(), Key: reservationKey(orderId), ConsistentRead: true }));
  // Compensation can overtake the reservation on another queue: no row yet means "not yet", so fail and retry.
  if (!res.Item) throw new Error(`no reservation for order ${orderId} yet; retrying later`);
  if (res.Item.status !== 'RESERVED') return 'NOTHING_TO_RELEASE';
  const lines = res.Item.items as StockLine[];
  const at = new Date().toISOString();
  try {
    await commitWithEvents(
      [
        statusChange(table(), reservationKey(orderId), 'RESERVED', 'RELEASED', { releasedAt: at, releaseReason: reason }),
        ...lines.flatMap((l) => movement(l, orderId, 'RELEASE', at)),
      ],
      [newEvent('inventory.released', { orderId, items: lines, reason }, causedBy(cause))],
    );
  } catch (err) {
    if (isConditionFailure(err)) return 'NOTHING_TO_RELEASE';
    throw err;
  }
  metrics.addMetric('StockReleased', MetricUnit.Count, 1);
  return 'RELEASED';
}
