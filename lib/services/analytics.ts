import { CONSUMER_SOURCE_PREFIX } from '../../functions/analytics/subscriptions';
import { TrackingFreshnessCheck } from '../constructs/tracking-freshness-check';
import { consumer, type ServiceContext } from './context';

/**
 * Analytics (functions/analytics/): counts every ShopWave event per minute, keeps each order's timeline, and checks
 * every minute that the tracking it expects keeps arriving (TrackingNotIngested).
 */
export function addAnalytics(ctx: ServiceContext) {
  const analyticsConsumer = consumer(ctx, 'AnalyticsConsumer', {
    service: 'analytics',
    entry: 'consumer',
    // A prefix match (every source), which the EventPattern type does not model.
    eventPattern: { source: [{ prefix: CONSUMER_SOURCE_PREFIX }] as unknown as string[] },
  });
  analyticsConsumer.fn.bindTables(ctx.tables, { write: ['analytics'], idempotency: true });
  const freshness = new TrackingFreshnessCheck(ctx.scope, 'TrackingFreshnessCheck', { config: ctx.config });
  freshness.fn.bindTables(ctx.tables, { read: ['analytics'] });
  return { consumer: analyticsConsumer, freshness };
}
