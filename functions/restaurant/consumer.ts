/** restaurant-consumer: order.paid → the order is put on the merchant's tablet (restaurant.order-sent-to-tablet). */
import { createEventConsumer } from '../shared/event-consumer';
import { logger } from '../shared/powertools';
import { CONSUMER_EVENTS } from './subscriptions';
import { sendToTablet } from './tablet';

export const handler = createEventConsumer(CONSUMER_EVENTS, {
  'order.paid': async ({ envelope }) => {
    const sent = await sendToTablet(envelope);
    // Not sent: already on the tablet (a re-run) or the ack deadline decided it first. Nothing left to do.
    if (!sent) logger.info('order already on the tablet or decided', { orderId: envelope.data.orderId });
  },
});
