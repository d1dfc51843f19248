/**
 * restaurant-ack-timeout: the same order.paid, from a queue whose delivery delay is the ack deadline. Whatever the
 * tablet has not acknowledged by then is TIMED_OUT and rejected (ACK_TIMEOUT), so the customer is refunded.
 * An early delivery throws inside expireIfUnacknowledged, so the record is retried after the visibility timeout.
 */
import { createEventConsumer } from '../shared/event-consumer';
import { logger } from '../shared/powertools';
import { ACK_TIMEOUT_EVENTS } from './subscriptions';
import { expireIfUnacknowledged } from './tablet';

export const handler = createEventConsumer(ACK_TIMEOUT_EVENTS, {
  'order.paid': async ({ envelope }) => {
    const outcome = await expireIfUnacknowledged(envelope);
    logger.info('ack deadline reached', { orderId: envelope.data.orderId, outcome });
  },
});
