import { Duration } from 'aws-cdk-lib';
import { ACK_TIMEOUT_EVENTS, CONSUMER_EVENTS } from '../../functions/restaurant/subscriptions';
import type { PlatformConfig } from '../config';
import { apiFunction, consumer, type ServiceContext } from './context';

/** How long a merchant has to acknowledge an order; the tablet simulator (lib/services/simulators.ts) reads it too. */
export const ackDeadlineEnvironment = (config: PlatformConfig) => ({
  RESTAURANT_ACK_DEADLINE_SECONDS: String(config.restaurantAckDeadlineSeconds),
});

/**
 * Restaurant (functions/restaurant/): puts paid orders on the merchant's tablet, cancels what is not acknowledged
 * within the deadline, and serves the tablet over HTTP to merchants holding an API key (stored hashed in its table).
 */
export function addRestaurant(ctx: ServiceContext) {
  const { tables, config } = ctx;
  const environment = ackDeadlineEnvironment(config);
  const restaurantConsumer = consumer(ctx, 'RestaurantConsumer', {
    service: 'restaurant',
    entry: 'consumer',
    events: CONSUMER_EVENTS,
    environment,
  });
  restaurantConsumer.fn.bindTables(tables, { write: ['restaurant'], outbox: true, idempotency: true });

  // The ack deadline is a delayed copy of order.paid: when it becomes visible, an unacknowledged order is cancelled.
  const ackTimeout = consumer(ctx, 'RestaurantAckTimeout', {
    service: 'restaurant',
    entry: 'ack-timeout',
    events: ACK_TIMEOUT_EVENTS,
    deliveryDelay: Duration.seconds(config.restaurantAckDeadlineSeconds),
    environment,
  });
  ackTimeout.fn.bindTables(tables, { write: ['restaurant'], outbox: true, idempotency: true });

  const merchantApi = apiFunction(ctx, 'MerchantApi', 'restaurant');
  merchantApi.bindTables(tables, { write: ['restaurant'], outbox: true });
  return { consumer: restaurantConsumer, ackTimeout, merchantApi };
}
