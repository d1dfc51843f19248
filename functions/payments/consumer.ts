/** Payments charges reserved orders and refunds orders the restaurant rejected. */
import { createEventConsumer } from '../shared/event-consumer';
import { charge, refund } from './payments';
import { CONSUMER_EVENTS } from './subscriptions';

export const handler = createEventConsumer(CONSUMER_EVENTS, {
  'inventory.reserved': async ({ envelope }) => {
    await charge(envelope);
  },
  'restaurant.order-rejected': async ({ envelope }) => {
    await refund(envelope);
  },
});
