import { CONSUMER_EVENTS } from '../../functions/shipping/subscriptions';
import { apiFunction, consumer, type ServiceContext } from './context';

/** Shipping (functions/shipping/): a shipment with a courier for each order the restaurant received, and its tracking. */
export function addShipping(ctx: ServiceContext) {
  const shippingConsumer = consumer(ctx, 'ShippingConsumer', { service: 'shipping', entry: 'consumer', events: CONSUMER_EVENTS });
  shippingConsumer.fn.bindTables(ctx.tables, { write: ['shipping'], outbox: true, idempotency: true });

  const trackingApi = apiFunction(ctx, 'TrackingApi', 'shipping');
  trackingApi.bindTables(ctx.tables, { read: ['shipping'] });
  ctx.identity.grantVerify(trackingApi);
  return { consumer: shippingConsumer, trackingApi };
}
