/** Notifications consumer: one simulated e-mail per customer-facing saga event (templates.ts), at most once each. */
import { createEventConsumer, everyEvent, type ConsumedEvent } from '../shared/event-consumer';
import { logger, metrics, MetricUnit } from '../shared/powertools';
import { notify } from './notifications';
import { CONSUMER_EVENTS } from './subscriptions';
import type { NotifiedType } from './templates';

async function handle({ detailType, envelope }: ConsumedEvent<NotifiedType>): Promise<void> {
  const sent = await notify(detailType, envelope);
  if (!sent) {
    logger.info('already notified for this event; nothing sent', { orderId: envelope.data.orderId });
    return;
  }
  // `type` has one value per subscribed event (CONSUMER_EVENTS, ten), so the dimension stays cheap.
  metrics.singleMetric().addDimension('type', detailType).addMetric('NotificationsSent', MetricUnit.Count, 1);
  logger.info('customer notified', { customerId: sent.customerId, orderId: sent.orderId, channel: sent.channel, subject: sent.subject });
}

export const handler = createEventConsumer(CONSUMER_EVENTS, everyEvent(CONSUMER_EVENTS, handle));
