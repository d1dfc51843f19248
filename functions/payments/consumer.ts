/** Payments charges reserved orders and refunds orders the restaurant rejected. */
import { createEventConsumer } from '../shared/event-consumer';
import { charge, refund } from './payments';

export const handler = createEventConsumer({
  'inventory.reserved': async ({ envelope }) => {
    await charge(envelope);
  },
  'restaurant.order-rejected': async ({ envelope }) => {
    await refund(envelope);
  },
});
