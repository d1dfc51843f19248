/** Reads order.paid from a queue delayed by the ack deadline: cancels (via rejection) what the tablet never confirmed. */
import { createEventConsumer } from '../shared/event-consumer';
import { expireIfUnacknowledged } from './tablet';

export const handler = createEventConsumer({
  'order.paid': async ({ envelope }) => {
    await expireIfUnacknowledged(envelope);
  },
});
