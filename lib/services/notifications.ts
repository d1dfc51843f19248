import { CONSUMER_EVENTS } from '../../functions/notifications/subscriptions';
import { consumer, type ServiceContext } from './context';

/** Notifications (functions/notifications/): one simulated e-mail per customer-facing saga event, at most once each. */
export function addNotifications(ctx: ServiceContext) {
  const notificationsConsumer = consumer(ctx, 'NotificationsConsumer', {
    service: 'notifications',
    entry: 'consumer',
    events: CONSUMER_EVENTS,
  });
  notificationsConsumer.fn.bindTables(ctx.tables, { write: ['notifications'], idempotency: true });
  return { consumer: notificationsConsumer };
}
