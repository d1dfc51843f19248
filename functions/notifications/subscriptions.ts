/**
 * The customer-facing events the notifications consumer subscribes to: the one list behind both the EventBridge
 * rule (lib/services/notifications.ts) and the handler map (consumer.ts); templates.ts has one template for each.
 * Pure data: CDK imports it.
 */
import type { DetailType } from '../shared/contracts/events';

export const CONSUMER_EVENTS = [
  'order.created',
  'inventory.rejected',
  'payment.failed',
  'order.paid',
  'restaurant.order-rejected',
  'order.shipped',
  'order.delivered',
  'payment.refunded',
  'order.cancelled',
  'order.delivery-overdue',
] as const satisfies readonly DetailType[];
