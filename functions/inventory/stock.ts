/**
 * Stock never oversells: each line is a conditional decrement (`available >= quantity`), and all lines of an order
 * commit in one transaction with the reservation row, one audit row per movement and the outgoing event — so an
 * order is reserved completely or not at all, and every movement is explained. The reservation row (written with
 * attribute_not_exists, whatever the outcome) makes every re-run for the same order a no-op.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { causedBy, MAX_ORDER_LINES, newEvent, type EventEnvelope, type EventMetadata } from '../shared/contracts/events';
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
export interface Stock {
  productId: string;
  available: number;
  reserved: number;
}
export interface Movement {
  productId: string;
  orderId: string;
  kind: 'RESERVE' | 'RELEASE';
  delta: number;
  at: string;
}
export type ReservationStatus = 'RESERVED' | 'REJECTED' | 'RELEASED';

export async function getStock(productId: string): Promise<Stock | undefined> {
  const res = await ddb.send(new GetCommand({ TableName: table(), Key: stockKey(productId), ConsistentRead: true }));
  return res.Item as Stock | undefined;
}

export async function getReservation(orderId: string): Promise<Record<string, unknown> | undefined> {
  return (await ddb.send(new GetCommand({ TableName: table(), Key: reservationKey(orderId), ConsistentRead: true }))).Item;
}

/** Every movement of a product's stock, oldest first (the sort key starts with the ISO time). */
export async function auditTrail(productId: string, limit = 1000): Promise<Movement[]> {
  const out: Movement[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await ddb.send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
        ExpressionAttributeValues: { ':pk': `PRODUCT#${productId}`, ':m': 'MOVE#' },
        ProjectionExpression: 'productId, orderId, kind, delta, #at',
        ExpressionAttributeNames: { '#at': 'at' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
        Limit: limit - out.length,
      }),
    );
    out.push(...((res.Items ?? []) as Movement[]));
    start = res.LastEvaluatedKey;
  } while (start && out.length < limit);
  return out;
}

/** The stock update and its audit row for one line. */
function movement(line: StockLine, orderId: string, kind: Movement['kind'], at: string): TransactItem[] {
  const delta = kind === 'RESERVE' ? -line.quantity : line.quantity;
  return [
    {
      Update: {
        TableName: table(),
        Key: stockKey(line.productId),
        UpdateExpression: 'ADD available :d, reserved :r',
        // A missing stock row fails `available >= :q` too, so ADD never creates stock out of nothing.
        ConditionExpression: kind === 'RESERVE' ? 'available >= :q' : 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':d': delta, ':r': -delta, ...(kind === 'RESERVE' ? { ':q': line.quantity } : {}) },
      },
    },
    {
      Put: {
        TableName: table(),
        Item: {
          pk: `PRODUCT#${line.productId}`,
          sk: `MOVE#${at}#${orderId}#${kind}`,
          productId: line.productId,
          orderId,
          kind,
          delta,
          at,
        } satisfies Movement & { pk: string; sk: string },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

/** One line per product: two updates of one item in a transaction are refused by DynamoDB. */
function merge(items: StockLine[]): StockLine[] {
  const byProduct = new Map<string, number>();
  for (const i of items) byProduct.set(i.productId, (byProduct.get(i.productId) ?? 0) + i.quantity);
  return [...byProduct].map(([productId, quantity]) => ({ productId, quantity }));
}

export async function reserve(envelope: EventEnvelope<'order.created'>): Promise<'RESERVED' | 'REJECTED' | 'ALREADY_DONE'> {
  const { orderId, customerId, merchantId, total } = envelope.data;
  const lines = merge(envelope.data.items);
  // More would not fit one transaction; the API never sends it, so this is a bug upstream: fail to the DLQ.
  if (lines.length > MAX_ORDER_LINES)
    throw new Error(`order ${orderId} has ${lines.length} lines; at most ${MAX_ORDER_LINES} can be reserved atomically`);
  if (await getReservation(orderId)) return 'ALREADY_DONE';

  const at = new Date().toISOString();
  const reservation = { ...reservationKey(orderId), orderId, customerId, merchantId, items: lines, total, createdAt: at };
  const reservationIndex = lines.length * 2; // after each line's update + audit row
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
    if (!isConditionFailure(err)) throw err; // throttling, conflicts: retry the record
    const failed = failedConditionIndexes(err);
    if (failed.includes(reservationIndex)) return 'ALREADY_DONE'; // a concurrent run of the same order won
    const short = failed.filter((i) => i < reservationIndex && i % 2 === 0).map((i) => lines[i / 2].productId);
    if (short.length === 0) throw err; // only an audit row collided: not a stock decision, so retry
    const unknown = (await Promise.all(short.map(async (p) => ((await getStock(p)) ? [] : [p])))).flat();
    const reason = unknown.length ? 'UNKNOWN_PRODUCT' : 'OUT_OF_STOCK';
    try {
      await commitWithEvents(
        [
          {
            Put: {
              TableName: table(),
              Item: { ...reservation, status: 'REJECTED', reason, productIds: unknown.length ? unknown : short },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
        [newEvent('inventory.rejected', { orderId, customerId, reason, productIds: unknown.length ? unknown : short }, causedBy(envelope))],
      );
    } catch (again) {
      if (isConditionFailure(again)) return 'ALREADY_DONE';
      throw again;
    }
    metrics.addMetric('StockRejected', MetricUnit.Count, 1);
    return 'REJECTED';
  }
}

/** Puts an order's reserved stock back, once: the RESERVED → RELEASED condition commits with the stock moves. */
export async function release(
  orderId: string,
  reason: string,
  cause: { metadata: EventMetadata },
): Promise<'RELEASED' | 'NOTHING_TO_RELEASE'> {
  const reservation = await getReservation(orderId);
  // Releases are caused by payment.failed / restaurant.order-rejected, which only exist after inventory.reserved
  // committed together with this row; so "absent" means our view is behind (a restored table, a replay into
  // another stage) or the event is foreign. Never guess: throw, so the record retries and then parks in the DLQ
  // where an alarm sees it, rather than silently dropping a compensation.
  if (!reservation) throw new Error(`no reservation for order ${orderId}; retrying`);
  if (reservation.status !== 'RESERVED') return 'NOTHING_TO_RELEASE'; // REJECTED (nothing held) or already RELEASED
  const lines = reservation.items as StockLine[];
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
    // Index 0 is the reservation's status: a concurrent release won. Anything else (a vanished stock row) is not
    // "done" and must not be swallowed.
    if (isConditionFailure(err) && failedConditionIndexes(err).includes(0)) return 'NOTHING_TO_RELEASE';
    throw err;
  }
  metrics.addMetric('StockReleased', MetricUnit.Count, 1);
  return 'RELEASED';
}
