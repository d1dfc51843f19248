/** One short customer message per detail-type the notifications consumer subscribes to. */
import type { EventData } from '../shared/contracts/events';
import { format } from '../shared/money';
import type { CONSUMER_EVENTS } from './subscriptions';

export interface Message {
  subject: string;
  body: string;
}
/** Exactly one template per subscribed event: a subscription without one (or a template nobody subscribes to) does not compile. */
type Templates = { [T in (typeof CONSUMER_EVENTS)[number]]: (d: EventData<T>) => Message };

export const TEMPLATES = {
  'order.created': (d) => ({
    subject: 'We got your order',
    body: `Thanks! Order ${d.orderId} (${format(d.total)}) is placed; we are checking availability.`,
  }),
  'inventory.rejected': (d) => ({
    subject: 'Sorry, we could not place your order',
    body: `Order ${d.orderId} could not be placed: ${d.reason === 'OUT_OF_STOCK' ? 'some items are sold out' : 'some items are no longer on the menu'}. You were not charged.`,
  }),
  'payment.failed': (d) => ({
    subject: 'Payment declined',
    body: `Your payment of ${format(d.amount)} for order ${d.orderId} was declined. You were not charged.`,
  }),
  'order.paid': (d) => ({
    subject: 'Payment received',
    body: `We charged ${format(d.total)} for order ${d.orderId} and sent it to the restaurant.`,
  }),
  'restaurant.order-rejected': (d) => ({
    subject: 'The restaurant cannot take your order',
    body: `Order ${d.orderId} ${d.reason === 'ACK_TIMEOUT' ? 'was not confirmed by the restaurant in time' : 'was declined by the restaurant'}; a full refund is on its way.`,
  }),
  'order.shipped': (d) => ({ subject: 'On its way', body: `Order ${d.orderId} is with your courier.` }),
  'order.delivered': (d) => ({ subject: 'Delivered', body: `Order ${d.orderId} was delivered. Enjoy your meal!` }),
  'payment.refunded': (d) => ({ subject: 'Refund issued', body: `We refunded ${format(d.amount)} for order ${d.orderId}.` }),
  // Seed 001: the customer hears it from us first, not after an hour of waiting for food that is not coming.
  'order.delivery-overdue': (d) => ({
    subject: 'Your order is delayed',
    body: `Order ${d.orderId} is taking longer than usual to reach the restaurant and we are on it. If it cannot be prepared, you will get a full refund automatically.`,
  }),
  'order.cancelled': (d) => ({ subject: 'Order cancelled', body: `Order ${d.orderId} was cancelled: ${d.reason}.` }),
} satisfies Templates;

export type NotifiedType = (typeof CONSUMER_EVENTS)[number];

export function render<T extends NotifiedType>(detailType: T, data: EventData<T>): Message {
  return (TEMPLATES[detailType] as (d: EventData<T>) => Message)(data);
}
