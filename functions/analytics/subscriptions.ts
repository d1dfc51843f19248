/**
 * Analytics counts every event: its rule matches every source with this prefix (lib/services/analytics.ts), not a
 * list of detail-types, so its handler map is the whole contract (DETAIL_TYPES, consumer.ts). Every source of the
 * contract is `shopwave.<service>`. Pure data: CDK imports it.
 */
export const CONSUMER_SOURCE_PREFIX = 'shopwave.';
