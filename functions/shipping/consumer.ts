/** Shipping assigns a courier once the restaurant has accepted the order. */
import { createEventConsumer } from '../shared/event-consumer';
import { createShipment } from './shipments';

export const handler = createEventConsumer({
  'restaurant.order-received': async ({ envelope }) => {
    await createShipment(envelope);
  },
});
