/** shipping-consumer: restaurant.order-received → a shipment with an assigned courier, and order.shipped. */
import { createEventConsumer } from '../shared/event-consumer';
import { logger } from '../shared/powertools';
import { createShipment } from './shipments';
import { CONSUMER_EVENTS } from './subscriptions';

export const handler = createEventConsumer(CONSUMER_EVENTS, {
  'restaurant.order-received': async ({ envelope }) => {
    // False: the shipment exists already (a re-run), and its order.shipped was committed with it.
    if (!(await createShipment(envelope))) logger.info('shipment exists already', { orderId: envelope.data.orderId });
  },
});
