import { CONSUMER_SOURCE_PREFIX } from '../../functions/analytics/subscriptions';
import { consumer, type ServiceContext } from './context';

/** Analytics (functions/analytics/): counts every ShopWave event per minute and keeps each order's timeline. */
export function addAnalytics(ctx: ServiceContext) {
  const analyticsConsumer = consumer(ctx, 'AnalyticsConsumer', {
    service: 'analytics',
    entry: 'consumer',
    // A prefix match (every source), which the EventPattern type does not model.
    eventPattern: { source: [{ prefix: CONSUMER_SOURCE_PREFIX }] as unknown as string[] },
  });
  analyticsConsumer.fn.bindTables(ctx.tables, { write: ['analytics'], idempotency: true });
  return { consumer: analyticsConsumer };
}
