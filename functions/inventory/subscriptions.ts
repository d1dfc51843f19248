/**
 * The events each inventory consumer subscribes to: the one list behind both the EventBridge rule (lib/services/
 * inventory.ts) and the handler map (consumer.ts), which must cover exactly these. Pure data: CDK imports it.
 */
import type { DetailType } from '../shared/contracts/events';

export const CONSUMER_EVENTS = ['order.created', 'payment.failed', 'restaurant.order-rejected'] as const satisfies readonly DetailType[];
