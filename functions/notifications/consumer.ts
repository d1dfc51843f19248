/**
 * Tells the customer what happened to their order. The channel is simulated (a stored message and a log line);
 * the conditional put keyed by event id means a re-run never sends twice.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import type { DetailType, EventData } from '../shared/contracts/events';
import { createEventConsumer, type ConsumedEvent } from '../shared/event-consumer';
import { requireEnv } from '../shared/env';
import { format } from '../shared/money';
import { isConditionFailure } from '../shared/outbox';
import { logger, metrics, MetricUnit } from '../shared/powertools';

type Template<T extends DetailType> = (d: EventData<T>) => { subject: string; body: string };
const TEMPLATES: { [T in DetailType]?: Template<T> } = {
  'order.created': (d) => ({ subject: 'We got your order', body: `Order ${d.orderId} for ${format(d.total)} is being prepared.` }),
  'inventory.rejected': (d) => ({ subject: 'Sorry, sold out', body: `Order ${d.orderId} could not be placed: some items are sold out. You were not charged.` }),
  'payment.failed': (d) => ({ subject: 'Payment declined', body: `Your payment of ${format(d.amount)} for order ${d.orderId} was declined. You were not charged.` }),
  'order.paid': (d) => ({ subject: 'Payment received', body: `We charged ${format(d.total)} for order ${d.orderId} and sent it to the restaurant.` }),
  'restaurant.order-rejected': (d) => ({ subject: 'The restaurant cannot take your order', body: `Order ${d.orderId} was not accepted; a full refund is on its way.` }),
  'order.shipped': (d) => ({ subject: 'On its way', body: `Order ${d.orderId} is with your courier.` }),
  'order.delivered': (d) => ({ subject: 'Delivered', body: `Order ${d.orderId} was delivered. Enjoy!` }),
  'payment.refunded': (d) => ({ subject: 'Refund issued', body: `We refunded ${format(d.amount)} for order ${d.orderId}.` }),
  'order.cancelled': (d) => ({ subject: 'Order cancelled', body: `Order ${d.orderId} was cancelled: ${d.reason}. You have been refunded.` }),
};

async function notify<T extends DetailType>({ detailType, envelope }: ConsumedEvent<T>): Promise<void> {
  const data = envelope.data as EventData<T> & { orderId: string; customerId: string };
  const { subject, body } = (TEMPLATES[detailType] as Template<T>)(data);
  const at = new Date().toISOString();
  try {
    await ddb.send(
      new PutCommand({
        TableName: requireEnv('NOTIFICATIONS_TABLE_NAME'),
        Item: {
          pk: `CUSTOMER#${data.customerId}`,
          sk: `NOTIFICATION#${envelope.metadata.occurredAt}#${envelope.metadata.eventId}`,
          channel: 'simulated-email',
          subject,
          body,
          orderId: data.orderId,
          detailType,
          correlationId: envelope.metadata.correlationId,
          sentAt: at,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) return; // already sent
    throw err;
  }
  metrics.addMetric('NotificationsSent', MetricUnit.Count, 1);
  logger.info('customer notified', { customerId: data.customerId, orderId: data.orderId, subject });
}

export const handler = createEventConsumer(
  Object.fromEntries(Object.keys(TEMPLATES).map((type) => [type, notify])) as Parameters<typeof createEventConsumer>[0],
);
