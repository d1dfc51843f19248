/**
 * Delivery reconciler (seed 001): every minute, finds the orders customers were charged for that the restaurant has
 * not received within the delivery SLI deadline — from the sparse awaiting-restaurant index, never a scan.
 *
 * It publishes the lost-order count, the age of the oldest order still waiting and the revenue at risk (every run,
 * zero included, so the alarms always have data), logs each lost order with its correlation id, and reports each
 * one once as `order.delivery-overdue` (committed with the `overdueReportedAt` mark, so a re-run or a concurrent run
 * never reports twice). Compensated orders are not lost: cancelling (or any status after CHARGED) removes the order
 * from the index.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { ddb } from '../shared/aws-clients';
import { newEvent } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import { commitWithEvents, isConditionFailure } from '../shared/outbox';
import { publishGauges } from '../shared/gauges';
import { logger, metrics, tracing } from '../shared/powertools';
import { AWAITING, countAwaiting, queryAwaiting, queryLostOrders, type AwaitingIndex, type AwaitingOrder } from './awaiting-restaurant';
import { orderKey } from './order-store';

/** Bounds one run's work; a backlog larger than this still alarms (the count is a lower bound) and drains next run. */
export const MAX_LOST_PER_RUN = 500;

export interface ReconcileResult {
  lost: AwaitingOrder[];
  /** Charged orders waiting for the restaurant, overdue or not. */
  awaiting: number;
  oldestAwaitingSeconds: number;
  revenueAtRisk: number;
  reported: number;
}

const table = () => requireEnv('ORDERS_TABLE_NAME');
const awaitingIndex = (): AwaitingIndex => ({ doc: ddb, tableName: table(), indexName: requireEnv('AWAITING_RESTAURANT_INDEX') });

/** Marks the order reported and emits `order.delivery-overdue` in one transaction; false if already reported or no longer awaiting. */
async function reportOverdue(order: AwaitingOrder, now: Date): Promise<boolean> {
  const overdueSeconds = Math.floor((now.getTime() - Date.parse(order.chargedAt)) / 1000);
  const event = newEvent(
    'order.delivery-overdue',
    {
      orderId: order.orderId,
      customerId: order.customerId,
      merchantId: order.merchantId,
      total: order.total,
      chargedAt: order.chargedAt,
      overdueSeconds,
    },
    { correlationId: order.correlationId, causationId: `reconciler:${now.toISOString()}` },
  );
  try {
    await commitWithEvents(
      [
        {
          Update: {
            TableName: table(),
            Key: orderKey(order.orderId),
            UpdateExpression: 'SET overdueReportedAt = :now',
            // Still awaiting: an order received or compensated since the query is not reported.
            ConditionExpression: 'awaitingRestaurant = :aw AND attribute_not_exists(overdueReportedAt)',
            ExpressionAttributeValues: { ':now': now.toISOString(), ':aw': AWAITING },
          },
        },
      ],
      [event],
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

export async function reconcile(now = new Date()): Promise<ReconcileResult> {
  const deadlineSeconds = Number(requireEnv('DELIVERY_SLI_SECONDS'));
  const index = awaitingIndex();
  const [lost, [oldest], awaiting] = await Promise.all([
    queryLostOrders(index, now, deadlineSeconds, MAX_LOST_PER_RUN),
    queryAwaiting(index, undefined, 1),
    countAwaiting(index),
  ]);

  let reported = 0;
  for (const order of lost) {
    const overdueSeconds = Math.floor((now.getTime() - Date.parse(order.chargedAt)) / 1000);
    logger.warn('order charged but not received by the restaurant within the SLI deadline', {
      correlationId: order.correlationId,
      orderId: order.orderId,
      merchantId: order.merchantId,
      chargedAt: order.chargedAt,
      overdueSeconds,
      deadlineSeconds,
    });
    if (!order.overdueReportedAt && (await reportOverdue(order, now))) reported++;
  }
  return {
    lost,
    awaiting,
    oldestAwaitingSeconds: oldest ? Math.max(0, Math.floor((now.getTime() - Date.parse(oldest.chargedAt)) / 1000)) : 0,
    revenueAtRisk: lost.reduce((sum, o) => sum + o.total.amount, 0), // minor units; one platform currency
    reported,
  };
}

export const handler = middy(async (): Promise<Omit<ReconcileResult, 'lost'> & { lostOrders: number }> => {
  const result = await reconcile();
  // PutMetricData, not EMF: the path that reaches CloudWatch on every target, LocalStack included (shared/gauges.ts).
  await publishGauges({
    LostOrders: { value: result.lost.length, unit: 'Count' },
    OrdersAwaitingRestaurant: { value: result.awaiting, unit: 'Count' },
    OldestAwaitingRestaurantSeconds: { value: result.oldestAwaitingSeconds, unit: 'Seconds' },
    RevenueAtRisk: { value: result.revenueAtRisk, unit: 'None' },
    // The SLI's bad events: each overdue order counts once, when first found (good events: PaymentsCharged).
    OrdersOverdue: { value: result.reported, unit: 'Count' },
  });
  logger.info('delivery reconciliation done', { lostOrders: result.lost.length, awaiting: result.awaiting, reported: result.reported });
  const { lost, ...summary } = result;
  return { ...summary, lostOrders: lost.length };
})
  .use(tracing())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
