/**
 * The events each shipping consumer subscribes to: the one list behind both the EventBridge rule (lib/services/
 * shipping.ts) and the handler map (consumer.ts), which must cover exactly these. Pure data: CDK imports it.
 */
import type { DetailType } from '../shared/contracts/events';

export const CONSUMER_EVENTS = ['restaurant.order-received'] as const satisfies readonly DetailType[];
