/**
 * The orders service follows the saga (docs/architecture.md): each event moves the order monotonically
 * (order-store.ts `advance`). Events this handler emits commit with the transition that implies them, so
 * `order.paid` and `order.cancelled` happen exactly once per order however often, late or concurrently their
 * causes are delivered — and a re-run after a crash between commit and idempotency record finds nothing to do.
 */
import { causedBy, newEvent, type EventEnvelope } from '../shared/contracts/events';
import { createEventConsumer } from '../shared/event-consumer';
import { LOG_MESSAGES } from '../shared/log-messages';
import { logger, metrics, MetricUnit } from '../shared/powertools';
import { advance, getOrder, recordMilestone, type Order } from './order-store';
import type { OrderStatus } from './status';
import { SAGA_EVENTS } from './subscriptions';

type AnyEnvelope = EventEnvelope & { data: { orderId: string } };

const METRIC: Partial<Record<OrderStatus, string>> = {
  RESERVED: 'OrdersReserved',
  REJECTED: 'OrdersRejected',
  CHARGED: 'OrdersCharged',
  PAYMENT_FAILED: 'OrdersPaymentFailed',
  RECEIVED_BY_RESTAURANT: 'OrdersReceivedByRestaurant',
  OUT_FOR_DELIVERY: 'OrdersOutForDelivery',
  DELIVERED: 'OrdersDelivered',
  CANCELLED: 'OrdersCancelled',
};

/** The milestone time is when the event happened, not when this queue got to it, so the history reads in order. */
/** The customer-facing latencies (docs/observability.md): metric name and the milestone the clock starts at. */
const LATENCY: Partial<Record<OrderStatus, [metric: string, from: (o: Order) => string | undefined]>> = {
  CHARGED: ['PlacedToChargedMs', (o) => o.createdAt],
  RECEIVED_BY_RESTAURANT: ['ChargedToReceivedMs', (o) => o.chargedAt ?? o.milestones.CHARGED],
  DELIVERED: ['PlacedToDeliveredMs', (o) => o.createdAt],
};

async function move(
  envelope: AnyEnvelope,
  status: OrderStatus,
  events: Parameters<typeof advance>[3] = [],
  recordLate = true,
): Promise<void> {
  const at = envelope.metadata.occurredAt;
  const moved = await advance(envelope.data.orderId, status, at, events, { recordLate });
  if (!moved) return;
  if (METRIC[status]) metrics.addMetric(METRIC[status], MetricUnit.Count, 1);
  // Once per transition, like the metric: read by a CloudWatch Logs metric filter (lib/constructs/log-business-metrics.ts).
  logger.info(LOG_MESSAGES.orderStatusChanged, { orderId: envelope.data.orderId, status });
  const latency = LATENCY[status];
  if (latency) {
    const order = await getOrder(envelope.data.orderId);
    const from = order && latency[1](order);
    if (from) metrics.addMetric(latency[0], MetricUnit.Milliseconds, Math.max(0, Date.parse(at) - Date.parse(from)));
  }
}

/**
 * CANCELLED needs the restaurant's rejection and both compensations (refund, stock release). Each of the three
 * events sets its flag and reads the row back in the same write; whichever write lands last sees all three and
 * cancels, and the status condition makes the cancellation (and order.cancelled) happen once even if two see it.
 * A late or repeated flag on an order that is already terminal changes nothing: `advance` refuses.
 */
async function cancelIfCompensated(order: Order, envelope: AnyEnvelope): Promise<void> {
  if (!(order.restaurantRejected && order.refunded && order.released)) return;
  const reason =
    order.rejectionReason === 'ACK_TIMEOUT'
      ? 'the restaurant did not confirm the order in time'
      : 'the restaurant could not accept the order';
  const cancelled = newEvent('order.cancelled', { orderId: order.orderId, customerId: order.customerId, reason }, causedBy(envelope));
  // No late milestone: CANCELLED in the history must mean the order really was cancelled.
  await move(envelope, 'CANCELLED', [cancelled], false);
}

export const handler = createEventConsumer(SAGA_EVENTS, {
  'inventory.reserved': ({ envelope }) => move(envelope, 'RESERVED'),
  'inventory.rejected': ({ envelope }) => move(envelope, 'REJECTED'),

  'payment.processed': async ({ envelope }) => {
    const order = await getOrder(envelope.data.orderId);
    if (!order) throw new Error(`order ${envelope.data.orderId} does not exist`);
    const { orderId, customerId, merchantId, items, total } = order;
    await move(envelope, 'CHARGED', [newEvent('order.paid', { orderId, customerId, merchantId, items, total }, causedBy(envelope))]);
  },
  'payment.failed': ({ envelope }) => move(envelope, 'PAYMENT_FAILED'),
  'restaurant.order-received': ({ envelope }) => move(envelope, 'RECEIVED_BY_RESTAURANT'),

  'restaurant.order-rejected': async ({ envelope }) => {
    const at = envelope.metadata.occurredAt;
    const order = await recordMilestone(envelope.data.orderId, 'RESTAURANT_REJECTED', at, {
      restaurantRejected: true,
      rejectionReason: envelope.data.reason,
    });
    await cancelIfCompensated(order, envelope);
  },
  'payment.refunded': async ({ envelope }) => {
    const order = await recordMilestone(envelope.data.orderId, 'REFUNDED', envelope.metadata.occurredAt, { refunded: true });
    await cancelIfCompensated(order, envelope);
  },
  // After PAYMENT_FAILED this only records STOCK_RELEASED: the order is terminal and was never rejected by a restaurant.
  'inventory.released': async ({ envelope }) => {
    const order = await recordMilestone(envelope.data.orderId, 'STOCK_RELEASED', envelope.metadata.occurredAt, { released: true });
    await cancelIfCompensated(order, envelope);
  },

  'order.shipped': ({ envelope }) => move(envelope, 'OUT_FOR_DELIVERY'),
  'order.delivered': ({ envelope }) => move(envelope, 'DELIVERED'),
});
