/** Inventory reserves stock for new orders and releases it when the saga compensates (see stock.ts). */
import { createEventConsumer } from '../shared/event-consumer';
import { release, reserve } from './stock';
import { CONSUMER_EVENTS } from './subscriptions';

export const handler = createEventConsumer(CONSUMER_EVENTS, {
  'order.created': async ({ envelope }) => {
    await reserve(envelope);
  },
  // The release reason is the cause, machine-readable: PAYMENT_FAILED, REJECTED_BY_RESTAURANT or ACK_TIMEOUT.
  'payment.failed': async ({ envelope }) => {
    await release(envelope.data.orderId, 'PAYMENT_FAILED', envelope);
  },
  'restaurant.order-rejected': async ({ envelope }) => {
    await release(envelope.data.orderId, envelope.data.reason, envelope);
  },
});
