/**
 * The orders service follows the saga: each event moves the order (monotonically, see order-store.ts) and the
 * payment moves it on to the restaurant (`order.paid`, exactly once: it commits with the CHARGED transition).
 * A restaurant rejection ends in CANCELLED once both compensations (refund, stock release) have been seen.
 */
import { causedBy, newEvent } from '../shared/contracts/events';
import { createEventConsumer } from '../shared/event-consumer';
import { metrics, MetricUnit } from '../shared/powertools';
import { recordMilestone, transition, type Order } from './order-store';

const count = (name: string, moved: boolean) => moved && metrics.addMetric(name, MetricUnit.Count, 1);

/** CANCELLED needs the restaurant's rejection, the refund and the release; whichever arrives last flips it. */
async function cancelIfCompensated(order: Order, cause: Parameters<typeof causedBy>[0], at: string): Promise<void> {
  if (!(order.restaurantRejected && order.refunded && order.released)) return;
  const moved = await transition(order.orderId, 'CANCELLED', at, [
    newEvent('order.cancelled', { orderId: order.orderId, customerId: order.customerId, reason: order.cancelReason ?? 'restaurant rejected the order' }, causedBy(cause)),
  ]);
  count('OrdersCancelled', moved);
}

export const handler = createEventConsumer({
  'inventory.reserved': async ({ envelope }) => {
    count('OrdersReserved', await transition(envelope.data.orderId, 'RESERVED', envelope.metadata.occurredAt));
  },
  'inventory.rejected': async ({ envelope }) => {
    count('OrdersRejected', await transition(envelope.data.orderId, 'REJECTED', envelope.metadata.occurredAt));
  },
  'payment.processed': async ({ envelope }) => {
    const { orderId } = envelope.data;
    const order = await recordMilestone(orderId, 'RESERVED', envelope.metadata.occurredAt); // payment implies the reservation
    const paid = newEvent(
      'order.paid',
      { orderId, customerId: order.customerId, merchantId: order.merchantId, items: order.items, total: order.total },
      causedBy(envelope),
    );
    count('OrdersCharged', await transition(orderId, 'CHARGED', envelope.metadata.occurredAt, [paid]));
  },
  'payment.failed': async ({ envelope }) => {
    count('OrdersPaymentFailed', await transition(envelope.data.orderId, 'PAYMENT_FAILED', envelope.metadata.occurredAt));
  },
  'restaurant.order-received': async ({ envelope }) => {
    count('OrdersReceivedByRestaurant', await transition(envelope.data.orderId, 'RECEIVED_BY_RESTAURANT', envelope.metadata.occurredAt));
  },
  'restaurant.order-rejected': async ({ envelope }) => {
    const { orderId, reason } = envelope.data;
    const order = await recordMilestone(orderId, 'RESTAURANT_REJECTED', envelope.metadata.occurredAt, {
      restaurantRejected: true,
      cancelReason: reason === 'ACK_TIMEOUT' ? 'the restaurant did not confirm the order in time' : 'the restaurant could not accept the order',
    });
    await cancelIfCompensated(order, envelope, envelope.metadata.occurredAt);
  },
  'payment.refunded': async ({ envelope }) => {
    const order = await recordMilestone(envelope.data.orderId, 'REFUNDED', envelope.metadata.occurredAt, { refunded: true });
    await cancelIfCompensated(order, envelope, envelope.metadata.occurredAt);
  },
  'inventory.released': async ({ envelope }) => {
    const order = await recordMilestone(envelope.data.orderId, 'STOCK_RELEASED', envelope.metadata.occurredAt, { released: true });
    await cancelIfCompensated(order, envelope, envelope.metadata.occurredAt);
  },
  'order.shipped': async ({ envelope }) => {
    count('OrdersOutForDelivery', await transition(envelope.data.orderId, 'OUT_FOR_DELIVERY', envelope.metadata.occurredAt));
  },
  'order.delivered': async ({ envelope }) => {
    count('OrdersDelivered', await transition(envelope.data.orderId, 'DELIVERED', envelope.metadata.occurredAt));
  },
});
