/**
 * The events each simulated actor subscribes to: the one list behind both the EventBridge rules (lib/services/
 * simulators.ts) and the handler maps (tablet.ts, courier.ts), which must cover exactly these. Pure data.
 */
import type { DetailType } from '../shared/contracts/events';

export const TABLET_EVENTS = ['restaurant.order-sent-to-tablet'] as const satisfies readonly DetailType[];
export const COURIER_EVENTS = ['order.shipped'] as const satisfies readonly DetailType[];
