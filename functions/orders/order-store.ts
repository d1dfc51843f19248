/**
 * The order row and every write to it. Status moves only by `advance` (a DynamoDB condition: rank goes up, never
 * out of a terminal status), so late, duplicated or reordered events cannot move an order backwards; an event that
 * does not move the status still records its milestone (if_not_exists), so the history ends up complete.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { ddb } from '../shared/aws-clients';
import type { DomainEvent } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import type { Money } from '../shared/money';
import { commitWithEvents, isConditionFailure } from '../shared/outbox';
import { AWAITING } from './awaiting-restaurant';
import { milestoneOrder, STATUS_RANK, TERMINAL_STATUSES, type Milestone, type OrderStatus } from './status';

export interface OrderLine {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: Money;
}

export interface Order {
  orderId: string;
  customerId: string;
  merchantId: string;
  items: OrderLine[];
  total: Money;
  status: OrderStatus;
  statusRank: number;
  milestones: Partial<Record<Milestone, string>>;
  createdAt: string;
  updatedAt: string;
  correlationId: string;
  /** sha256 of the normalized request, present when it was placed with an Idempotency-Key. */
  requestHash?: string;
  restaurantRejected?: boolean;
  rejectionReason?: string;
  refunded?: boolean;
  released?: boolean;
  /** When the payment was taken: the delivery SLI's clock starts here. */
  chargedAt?: string;
  /** Present (= AWAITING) only while charged and not yet received by the restaurant: the sparse index key. */
  awaitingRestaurant?: string;
  /** When the reconciler first reported this order overdue (it reports each order once). */
  overdueReportedAt?: string;
}

const table = () => requireEnv('ORDERS_TABLE_NAME');
export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });

export async function getOrder(orderId: string): Promise<Order | undefined> {
  const res = await ddb.send(new GetCommand({ TableName: table(), Key: orderKey(orderId), ConsistentRead: true }));
  return res.Item as Order | undefined;
}

/** Writes a new order with its `order.created` event; 'EXISTS' when the id is taken (an idempotent retry). */
export async function insertOrder(order: Order, created: DomainEvent<'order.created'>): Promise<'CREATED' | 'EXISTS'> {
  try {
    await commitWithEvents(
      [{ Put: { TableName: table(), Item: { ...orderKey(order.orderId), ...order }, ConditionExpression: 'attribute_not_exists(pk)' } }],
      [created],
    );
    return 'CREATED';
  } catch (err) {
    if (isConditionFailure(err)) return 'EXISTS';
    // Two requests with the same key at the same moment: DynamoDB cancels one as a conflict. If the other one
    // committed, this is the same situation as a condition failure; if not, the caller's 5xx makes the client retry.
    if (isTransactionConflict(err) && (await getOrder(order.orderId))) return 'EXISTS';
    throw err;
  }
}

function isTransactionConflict(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  return e?.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}

/** Opaque page cursor: the last order's (createdAt, orderId); the customer always comes from the caller. */
const Cursor = z.strictObject({ c: z.iso.datetime(), o: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
export function decodeCursor(cursor: string): { createdAt: string; orderId: string } | undefined {
  try {
    const parsed = Cursor.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? { createdAt: parsed.data.c, orderId: parsed.data.o } : undefined;
  } catch {
    return undefined;
  }
}
const encodeCursor = (createdAt: string, orderId: string) =>
  Buffer.from(JSON.stringify({ c: createdAt, o: orderId })).toString('base64url');

/** One page of a customer's orders, newest first (GSI byCustomer). */
export async function listOrders(
  customerId: string,
  limit: number,
  after?: { createdAt: string; orderId: string },
): Promise<{ orders: Order[]; nextCursor?: string }> {
  const res = await ddb.send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'byCustomer',
      KeyConditionExpression: 'customerId = :c',
      ExpressionAttributeValues: { ':c': customerId },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: after ? { ...orderKey(after.orderId), customerId, createdAt: after.createdAt } : undefined,
    }),
  );
  const orders = (res.Items ?? []) as Order[];
  const last = res.LastEvaluatedKey;
  return { orders, nextCursor: last ? encodeCursor(last.createdAt as string, String(last.pk).slice('ORDER#'.length)) : undefined };
}

export function toView(o: Order) {
  return {
    orderId: o.orderId,
    customerId: o.customerId,
    merchantId: o.merchantId,
    status: o.status,
    items: o.items,
    total: o.total,
    history: Object.entries(o.milestones)
      .map(([status, at]) => ({
        status,
        at: at as string,
        ...(status === 'RESTAURANT_REJECTED' && o.rejectionReason ? { reason: o.rejectionReason } : {}),
      }))
      .sort((a, b) => a.at.localeCompare(b.at) || milestoneOrder(a.status) - milestoneOrder(b.status)),
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

/**
 * Records a milestone (the first time wins) and sets `fields`, without touching the status; returns the row as
 * it is after this write (DynamoDB serializes writes to one item, so of two concurrent writers the later one sees
 * both changes). Throws for an unknown order: the row is committed before any event about it exists, so this is a
 * foreign or corrupt event, and it belongs in the DLQ.
 */
export async function recordMilestone(
  orderId: string,
  milestone: Milestone,
  at: string,
  fields: Record<string, unknown> = {},
): Promise<Order> {
  const names: Record<string, string> = { '#m': 'milestones', '#k': milestone };
  const values: Record<string, unknown> = { ':at': at, ':now': new Date().toISOString() };
  const sets = ['#m.#k = if_not_exists(#m.#k, :at)', 'updatedAt = :now'];
  Object.entries(fields).forEach(([name, value], i) => {
    names[`#f${i}`] = name;
    values[`:f${i}`] = value;
    sets.push(`#f${i} = :f${i}`);
  });
  try {
    const res = await ddb.send(
      new UpdateCommand({
        TableName: table(),
        Key: orderKey(orderId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return res.Attributes as Order;
  } catch (err) {
    if (isConditionFailure(err)) throw new Error(`order ${orderId} does not exist`);
    throw err;
  }
}

/**
 * Moves the order to `status` if that raises its rank and it is not terminal, with `events` in the same
 * transaction, so an event implied by a transition (order.paid, order.cancelled) is emitted exactly once however
 * often or concurrently the cause is delivered. Returns false when the order is already there or past it; then,
 * with `recordLate`, the milestone is still recorded so the history is complete.
 */
export async function advance(
  orderId: string,
  status: OrderStatus,
  at: string,
  events: DomainEvent[] = [],
  opts: { recordLate: boolean } = { recordLate: true },
): Promise<boolean> {
  const terminals = Object.fromEntries(TERMINAL_STATUSES.map((s, i) => [`:t${i}`, s]));
  try {
    await commitWithEvents(
      [
        {
          Update: {
            TableName: table(),
            Key: orderKey(orderId),
            // CHARGED enters the sparse awaiting-restaurant index (the delivery reconciler's); every later status leaves it.
            UpdateExpression:
              'SET #s = :s, statusRank = :r, updatedAt = :now, #m.#k = if_not_exists(#m.#k, :at)' +
              (status === 'CHARGED' ? ', awaitingRestaurant = :aw, chargedAt = :at' : ' REMOVE awaitingRestaurant'),
            ConditionExpression: `attribute_exists(pk) AND statusRank < :r AND NOT #s IN (${Object.keys(terminals).join(', ')})`,
            ExpressionAttributeNames: { '#s': 'status', '#m': 'milestones', '#k': status },
            ExpressionAttributeValues: {
              ':s': status,
              ':r': STATUS_RANK[status],
              ':at': at,
              ':now': new Date().toISOString(),
              ...terminals,
              ...(status === 'CHARGED' ? { ':aw': AWAITING } : {}),
            },
          },
        },
      ],
      events,
    );
    return true;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    if (opts.recordLate) await recordMilestone(orderId, status, at); // also throws if the order does not exist
    return false;
  }
}
