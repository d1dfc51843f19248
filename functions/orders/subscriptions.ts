/**
 * The events the orders saga subscribes to: the one list behind both the EventBridge rule (lib/services/orders.ts)
 * and the handler map (saga-consumer.ts), which must cover exactly these. Pure data: CDK imports it.
 */
import type { DetailType } from '../shared/contracts/events';

export const SAGA_EVENTS = [
  'inventory.reserved',
  'inventory.rejected',
  'payment.processed',
  'payment.failed',
  'restaurant.order-received',
  'restaurant.order-rejected',
  'order.shipped',
  'order.delivered',
  'payment.refunded',
  'inventory.released',
] as const satisfies readonly DetailType[];
