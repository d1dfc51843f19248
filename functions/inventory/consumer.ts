/** Inventory reserves stock for new orders and releases it when the saga compensates. */
import { createEventConsumer } from '../shared/event-consumer';
import { release, reserve } from './stock';

export const handler = createEventConsumer({
  'order.created': async ({ envelope }) => {
    await reserve(envelope);
  },
  'payment.failed': async ({ envelope }) => {
    await release(envelope.data.orderId, 'payment failed', envelope);
  },
  'restaurant.order-rejected': async ({ envelope }) => {
    await release(envelope.data.orderId, envelope.data.reason === 'ACK_TIMEOUT' ? 'restaurant did not acknowledge' : 'restaurant rejected', envelope);
  },
});
