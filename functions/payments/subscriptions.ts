/**
 * The events each payments consumer subscribes to: the one list behind both the EventBridge rule (lib/services/
 * payments.ts) and the handler map (consumer.ts), which must cover exactly these. Pure data: CDK imports it.
 */
import type { DetailType } from '../shared/contracts/events';

export const CONSUMER_EVENTS = ['inventory.reserved', 'restaurant.order-rejected'] as const satisfies readonly DetailType[];
