/**
 * The order and its status machine. Status only moves up in rank and never leaves a terminal state (a DynamoDB
 * condition decides), so late, duplicated or reordered events cannot move an order backwards; every event still
 * records its milestone, so the history stays complete.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import type { DomainEvent } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import type { Money } from '../shared/money';
import { commitWithEvents, isConditionFailure } from '../shared/outbox';

export const STATUS_RANK = {
  PLACED: 0,
  RESERVED: 1,
  CHARGED: 2,
  RECEIVED_BY_RESTAURANT: 3,
  OUT_FOR_DELIVERY: 4,
  DELIVERED: 5,
  REJECTED: 9,
  PAYMENT_FAILED: 9,
  CANCELLED: 9,
} as const;
export type OrderStatus = keyof typeof STATUS_RANK;
const TERMINAL: OrderStatus[] = ['DELIVERED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];

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
  milestones: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  correlationId: string;
  requestHash?: string;
  refunded?: boolean;
  released?: boolean;
  restaurantRejected?: boolean;
  cancelReason?: string;
}

const table = () => requireEnv('ORDERS_TABLE_NAME');
export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });

export async function getOrder(orderId: string): Promise<Order | undefined> {
  const res = await ddb.send(new GetCommand({ TableName: table(), Key: orderKey(orderId), ConsistentRead: true }));
  return res.Item as Order | undefined;
}

export async function listOrders(customerId: string, limit: number): Promise<Order[]> {
  const res = await ddb.send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'byCustomer',
      KeyConditionExpression: 'customerId = :c',
      ExpressionAttributeValues: { ':c': customerId },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (res.Items ?? []) as Order[];
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
      .map(([status, at]) => ({ status, at }))
      .sort((a, b) => a.at.localeCompare(b.at) || (STATUS_RANK[a.status as OrderStatus] ?? 0) - (STATUS_RANK[b.status as OrderStatus] ?? 0)),
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

/** Records a milestone (first time wins) without touching the status. */
export async function recordMilestone(orderId: string, milestone: string, at: string, extra: Record<string, unknown> = {}): Promise<Order> {
  const names: Record<string, string> = { '#m': 'milestones', '#k': milestone };
  const values: Record<string, unknown> = { ':at': at };
  const sets = ['#m.#k = if_not_exists(#m.#k, :at)'];
  for (const [k, v] of Object.entries(extra)) {
    names[`#${k}`] = k;
    values[`:${k}`] = v;
    sets.push(`#${k} = :${k}`);
  }
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
  ).catch((err) => {
    // The order row is written before order.created exists, so "missing" means a foreign or corrupt event: fail it.
    if (isConditionFailure(err)) throw new Error(`order ${orderId} does not exist`);
    throw err;
  });
  return res.Attributes as Order;
}

/**
 * Moves the order to `status` if that raises its rank and it is not terminal, committing `events` in the same
 * transaction. Returns false when the condition says the order is already there or past it (nothing is written).
 */
export async function transition(orderId: string, status: OrderStatus, at: string, events: DomainEvent[] = []): Promise<boolean> {
  try {
    await commitWithEvents(
      [
        {
          Update: {
            TableName: table(),
            Key: orderKey(orderId),
            UpdateExpression: 'SET #s = :s, statusRank = :r, updatedAt = :at, milestones.#ms = if_not_exists(milestones.#ms, :at)',
            ConditionExpression: 'attribute_exists(pk) AND statusRank < :r AND NOT #s IN (:t0, :t1, :t2, :t3)',
            ExpressionAttributeNames: { '#s': 'status', '#ms': status },
            ExpressionAttributeValues: {
              ':s': status,
              ':r': STATUS_RANK[status],
              ':at': at,
              ':t0': TERMINAL[0],
              ':t1': TERMINAL[1],
              ':t2': TERMINAL[2],
              ':t3': TERMINAL[3],
            },
          },
        },
      ],
      events,
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}
