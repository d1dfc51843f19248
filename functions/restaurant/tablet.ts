/**
 * The restaurant's tablet orders. One row per order decides its fate: SENT_TO_TABLET, then exactly one of
 * RECEIVED, REJECTED or TIMED_OUT. Every transition is conditional on the current state and committed with its
 * event, so a late acknowledgement and the deadline can never both win, and a re-run changes nothing.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { causedBy, newEvent, type EventEnvelope } from '../shared/contracts/events';
import { numberEnv, requireEnv } from '../shared/env';
import { commitWithEvents, isConditionFailure, statusChange, type TransactItem } from '../shared/outbox';
import { metrics, MetricUnit } from '../shared/powertools';
import { RetryLaterError } from '../shared/retry-policy';

const table = () => requireEnv('RESTAURANT_TABLE_NAME');
const tabletKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'TABLET' });
/** Read per call (not at import) so the value CDK sets for the functions and for the queue delay is the one used. */
export const ackDeadlineSeconds = () => numberEnv('RESTAURANT_ACK_DEADLINE_SECONDS', 120);
/** SQS delays are whole seconds and two hosts' clocks differ a little: this much early still counts as on time. */
const CLOCK_TOLERANCE_MS = 1000;

export type TabletStatus = 'SENT_TO_TABLET' | 'RECEIVED' | 'REJECTED' | 'TIMED_OUT';
/** What a merchant action did; the merchant API maps these to 200 / 404 / 403 / 409. */
export type Decision = 'OK' | 'NOT_FOUND' | 'WRONG_MERCHANT' | 'ALREADY_DECIDED';
export type Correlation = { correlationId: string; causationId: string };

export interface TabletOrder {
  orderId: string;
  merchantId: string;
  customerId: string;
  items: EventEnvelope<'order.paid'>['data']['items'];
  status: TabletStatus;
  sentAt: string;
  ackDeadline: string;
  acknowledgedAt?: string;
  rejectedAt?: string;
  reason?: string;
  /** TIMED_OUT by the deadline before the restaurant consumer ever put it on the tablet. */
  neverSent?: boolean;
  /** The order's correlation id, so a decision made over the merchant API continues the order's trail. */
  correlationId?: string;
}

export async function getTabletOrder(orderId: string): Promise<TabletOrder | undefined> {
  const res = await ddb.send(new GetCommand({ TableName: table(), Key: tabletKey(orderId), ConsistentRead: true }));
  return res.Item as TabletOrder | undefined;
}

/** The merchant's orders, newest first (GSI byMerchant: merchantId + sentAt). */
export async function listTabletOrders(merchantId: string, limit = 50): Promise<TabletOrder[]> {
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
  return (res.Items ?? []) as TabletOrder[];
}

/** order.paid → the order appears on the merchant's tablet. False when the row already exists. */
export async function sendToTablet(envelope: EventEnvelope<'order.paid'>): Promise<boolean> {
  const { orderId, merchantId, customerId, items } = envelope.data;
  const now = new Date();
  const row: TabletOrder = {
    orderId,
    merchantId,
    customerId,
    items,
    status: 'SENT_TO_TABLET',
    sentAt: now.toISOString(),
    ackDeadline: new Date(now.getTime() + ackDeadlineSeconds() * 1000).toISOString(),
    correlationId: envelope.metadata.correlationId,
  };
  try {
    await commitWithEvents(
      // Exists already: sent before (a re-run) or the deadline got there first (TIMED_OUT). Either way: done.
      [{ Put: { TableName: table(), Item: { ...tabletKey(orderId), ...row }, ConditionExpression: 'attribute_not_exists(pk)' } }],
      [newEvent('restaurant.order-sent-to-tablet', { orderId, merchantId, customerId, items }, causedBy(envelope))],
    );
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
  metrics.addMetric('OrdersSentToTablet', MetricUnit.Count, 1);
  return true;
}

async function decide(orderId: string, merchantId: string, correlation: Correlation, rejection?: { reason: string }): Promise<Decision> {
  const row = await getTabletOrder(orderId);
  if (!row) return 'NOT_FOUND';
  // A merchant may only act on its own orders; merchantId never changes on a row, so checking the read is enough.
  if (row.merchantId !== merchantId) return 'WRONG_MERCHANT';
  if (row.status !== 'SENT_TO_TABLET') return 'ALREADY_DECIDED';
  const at = new Date().toISOString();
  const { customerId } = row;
  const [change, event] = rejection
    ? [
        statusChange(table(), tabletKey(orderId), 'SENT_TO_TABLET', 'REJECTED', { rejectedAt: at, reason: rejection.reason }),
        newEvent('restaurant.order-rejected', { orderId, merchantId, customerId, reason: 'REJECTED_BY_RESTAURANT' }, correlation),
      ]
    : [
        statusChange(table(), tabletKey(orderId), 'SENT_TO_TABLET', 'RECEIVED', { acknowledgedAt: at }),
        newEvent('restaurant.order-received', { orderId, merchantId, customerId, acknowledgedAt: at }, correlation),
      ];
  try {
    // The status condition settles a race with the deadline or a second click: only one transition commits.
    await commitWithEvents([change], [event]);
  } catch (err) {
    if (isConditionFailure(err)) return 'ALREADY_DECIDED';
    throw err;
  }
  if (rejection) {
    metrics.addMetric('OrdersRejectedByRestaurant', MetricUnit.Count, 1);
  } else {
    metrics.addMetric('OrdersAcknowledged', MetricUnit.Count, 1);
    metrics.addMetric('AckLatencyMs', MetricUnit.Milliseconds, Date.parse(at) - Date.parse(row.sentAt));
  }
  return 'OK';
}

export const acknowledgeOrder = (p: { orderId: string; merchantId: string; correlation: Correlation }) =>
  decide(p.orderId, p.merchantId, p.correlation);

/** `reason` is the merchant's own words, kept on the row; the event carries REJECTED_BY_RESTAURANT. */
export const rejectOrder = (p: { orderId: string; merchantId: string; reason?: string; correlation: Correlation }) =>
  decide(p.orderId, p.merchantId, p.correlation, { reason: p.reason?.trim() || 'REJECTED_BY_RESTAURANT' });

/**
 * The deadline passed (order.paid, delivered late by the queue's delay). Still unacknowledged → TIMED_OUT and
 * rejected, which refunds the customer. Never seen by the restaurant consumer at all (the seed-001 incident:
 * charged, but the order never reached the restaurant) → the same, instead of silently keeping the money.
 */
export async function expireIfUnacknowledged(envelope: EventEnvelope<'order.paid'>): Promise<'TIMED_OUT' | 'ALREADY_DECIDED'> {
  const { orderId, merchantId, customerId, items } = envelope.data;
  const row = await getTabletOrder(orderId);
  if (row && row.status !== 'SENT_TO_TABLET') return 'ALREADY_DECIDED';
  // The queue delay counts from when order.paid was published, which is after occurredAt. Seen before
  // occurredAt + deadline, the delay was shorter than the deadline (a queue changed by hand, a redrive, a deadline
  // raised without the queue): RetryLaterError fails this record and the consumer has SQS show it again at the
  // deadline (not on the seconds-long backoff, which would park it first), and the tablet keeps its full time.
  // Deciding now would cancel an order the restaurant may still accept.
  const deadline = Date.parse(envelope.metadata.occurredAt) + ackDeadlineSeconds() * 1000;
  if (Date.now() + CLOCK_TOLERANCE_MS < deadline) {
    throw new RetryLaterError(
      `ack deadline of order ${orderId} not reached yet (${new Date(deadline).toISOString()}): retry later`,
      (deadline - CLOCK_TOLERANCE_MS - Date.now()) / 1000,
    );
  }
  const at = new Date().toISOString();
  const timedOut = { rejectedAt: at, reason: 'ACK_TIMEOUT' };
  const change: TransactItem = row
    ? statusChange(table(), tabletKey(orderId), 'SENT_TO_TABLET', 'TIMED_OUT', timedOut)
    : {
        Put: {
          TableName: table(),
          Item: {
            ...tabletKey(orderId),
            orderId,
            merchantId,
            customerId,
            items,
            status: 'TIMED_OUT',
            sentAt: at,
            ackDeadline: new Date(deadline).toISOString(),
            ...timedOut,
            neverSent: true,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
  try {
    await commitWithEvents(
      [change],
      [newEvent('restaurant.order-rejected', { orderId, merchantId, customerId, reason: 'ACK_TIMEOUT' }, causedBy(envelope))],
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    // The row was missing and has appeared meanwhile (the restaurant consumer or another run): decide again on it,
    // once; with the row present, a failed condition means it was acknowledged, rejected or timed out already.
    return row ? 'ALREADY_DECIDED' : expireIfUnacknowledged(envelope);
  }
  metrics.addMetric('OrdersAckTimedOut', MetricUnit.Count, 1);
  return 'TIMED_OUT';
}
