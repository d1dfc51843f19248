/**
 * The restaurant's tablet orders. One row per order decides its fate: SENT_TO_TABLET, then exactly one of
 * RECEIVED, REJECTED or TIMED_OUT — every transition is conditional on the current state, so a late
 * acknowledgement and the deadline can never both win.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { causedBy, newEvent, type EventEnvelope } from '../shared/contracts/events';
import { numberEnv, requireEnv } from '../shared/env';
import { commitWithEvents, isConditionFailure, statusChange } from '../shared/outbox';
import { metrics, MetricUnit } from '../shared/powertools';

const table = () => requireEnv('RESTAURANT_TABLE_NAME');
const tabletKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'TABLET' });
export const ackDeadlineSeconds = () => numberEnv('RESTAURANT_ACK_DEADLINE_SECONDS', 120);

export type TabletStatus = 'SENT_TO_TABLET' | 'RECEIVED' | 'REJECTED' | 'TIMED_OUT';
export type Decision = 'OK' | 'NOT_FOUND' | 'WRONG_MERCHANT' | 'ALREADY_DECIDED';
type Correlation = { correlationId: string; causationId: string };

export async function getTabletOrder(orderId: string): Promise<Record<string, any> | undefined> {
  return (await ddb.send(new GetCommand({ TableName: table(), Key: tabletKey(orderId), ConsistentRead: true }))).Item;
}

export async function listTabletOrders(merchantId: string, limit = 50): Promise<Record<string, any>[]> {
  const res = await ddb.send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'byMerchant',
      KeyConditionExpression: 'merchantId = :m',
      ExpressionAttributeValues: { ':m': merchantId },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return res.Items ?? [];
}

/** order.paid → the order appears on the merchant's tablet. */
export async function sendToTablet(envelope: EventEnvelope<'order.paid'>): Promise<boolean> {
  const { orderId, merchantId, customerId, items } = envelope.data;
  const now = new Date();
  try {
    await commitWithEvents(
      [
        {
          Put: {
            TableName: table(),
            Item: {
              ...tabletKey(orderId),
              orderId,
              merchantId,
              customerId,
              items,
              status: 'SENT_TO_TABLET',
              sentAt: now.toISOString(),
              ackDeadline: new Date(now.getTime() + ackDeadlineSeconds() * 1000).toISOString(),
              correlationId: envelope.metadata.correlationId,
            },
            // Exists already: sent before (a re-run) or the deadline got there first (TIMED_OUT). Either way: done.
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      [newEvent('restaurant.order-sent-to-tablet', { orderId, merchantId, customerId, items }, causedBy(envelope))],
    );
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
  metrics.addMetric('OrdersSentToTablet', MetricUnit.Count, 1);
  return true;
}

async function decide(
  orderId: string,
  merchantId: string,
  to: 'RECEIVED' | 'REJECTED',
  correlation: Correlation,
): Promise<Decision> {
  const row = await getTabletOrder(orderId);
  if (!row) return 'NOT_FOUND';
  if (row.merchantId !== merchantId) return 'WRONG_MERCHANT';
  if (row.status !== 'SENT_TO_TABLET') return 'ALREADY_DECIDED';
  const at = new Date().toISOString();
  const event =
    to === 'RECEIVED'
      ? newEvent('restaurant.order-received', { orderId, merchantId, customerId: row.customerId, acknowledgedAt: at }, correlation)
      : newEvent('restaurant.order-rejected', { orderId, merchantId, customerId: row.customerId, reason: 'REJECTED_BY_RESTAURANT' }, correlation);
  try {
    await commitWithEvents(
      // The merchant was checked above and never changes on a row; the status condition settles any race.
      [statusChange(table(), tabletKey(orderId), 'SENT_TO_TABLET', to, { decidedAt: at })],
      [event],
    );
  } catch (err) {
    if (isConditionFailure(err)) return 'ALREADY_DECIDED';
    throw err;
  }
  if (to === 'RECEIVED') {
    metrics.addMetric('OrdersAcknowledged', MetricUnit.Count, 1);
    metrics.addMetric('AckLatencyMs', MetricUnit.Milliseconds, Date.parse(at) - Date.parse(row.sentAt));
  } else {
    metrics.addMetric('OrdersRejectedByRestaurant', MetricUnit.Count, 1);
  }
  return 'OK';
}

export const acknowledgeOrder = (p: { orderId: string; merchantId: string; correlation: Correlation }) =>
  decide(p.orderId, p.merchantId, 'RECEIVED', p.correlation);
export const rejectOrder = (p: { orderId: string; merchantId: string; correlation: Correlation }) =>
  decide(p.orderId, p.merchantId, 'REJECTED', p.correlation);

/**
 * The deadline passed (order.paid, delayed by the deadline). Still unacknowledged → TIMED_OUT and rejected, which
 * refunds the customer. Never seen by the restaurant consumer at all (the seed-001 incident: charged, but the
 * order never reached the restaurant) → the same, instead of silently keeping the money.
 */
export async function expireIfUnacknowledged(envelope: EventEnvelope<'order.paid'>): Promise<'TIMED_OUT' | 'ALREADY_DECIDED'> {
  const { orderId, merchantId, customerId } = envelope.data;
  const row = await getTabletOrder(orderId);
  if (row && row.status !== 'SENT_TO_TABLET') return 'ALREADY_DECIDED';
  // The queue delay starts when order.paid is published. Delivered earlier than that (a shortened delay, a redrive)
  // means the deadline has not passed: fail, and the message comes back later.
  const deadline = Date.parse(envelope.metadata.occurredAt) + ackDeadlineSeconds() * 1000;
  if (Date.now() < deadline) throw new Error(`ack deadline of ${orderId} not reached yet (${new Date(deadline).toISOString()})`);
  const at = new Date().toISOString();
  const change = row
    ? statusChange(table(), tabletKey(orderId), 'SENT_TO_TABLET', 'TIMED_OUT', { decidedAt: at })
    : {
        Put: {
          TableName: table(),
          Item: { ...tabletKey(orderId), orderId, merchantId, customerId, status: 'TIMED_OUT', sentAt: at, decidedAt: at, neverSent: true },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
  try {
    await commitWithEvents([change], [newEvent('restaurant.order-rejected', { orderId, merchantId, customerId, reason: 'ACK_TIMEOUT' }, causedBy(envelope))]);
  } catch (err) {
    if (isConditionFailure(err)) return 'ALREADY_DECIDED';
    throw err;
  }
  metrics.addMetric('OrdersAckTimedOut', MetricUnit.Count, 1);
  return 'TIMED_OUT';
}
