/** Delivers paid orders to the merchant's tablet. */
import { createEventConsumer } from '../shared/event-consumer';
import { sendToTablet } from './tablet';

export const handler = createEventConsumer({
  'order.paid': async ({ envelope }) => {
    await sendToTablet(envelope);
  },
});
