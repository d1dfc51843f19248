/**
 * The events each restaurant consumer subscribes to: the one list behind both the EventBridge rules (lib/services/
 * restaurant.ts) and the handler maps (consumer.ts, ack-timeout.ts), which must cover exactly these. Pure data.
 */
import type { DetailType } from '../shared/contracts/events';

export const CONSUMER_EVENTS = ['order.paid'] as const satisfies readonly DetailType[];
/** The same order.paid, from a queue delayed by the ack deadline. */
export const ACK_TIMEOUT_EVENTS = ['order.paid'] as const satisfies readonly DetailType[];
