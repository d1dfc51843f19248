import { SAGA_EVENTS } from '../../functions/orders/subscriptions';
import { DeliveryReconciler } from '../constructs/delivery-reconciler';
import { apiFunction, consumer, type ServiceContext } from './context';

/**
 * Orders (functions/orders/): the API that places and reads orders, the saga that moves each order through its
 * states, and the delivery SLI's reconciler. Its business metrics are in lib/constructs/business-metrics.ts.
 */
export function addOrders(ctx: ServiceContext) {
  const { tables } = ctx;
  const saga = consumer(ctx, 'OrdersSaga', { service: 'orders', entry: 'saga-consumer', events: SAGA_EVENTS });
  saga.fn.bindTables(tables, { write: ['orders'], outbox: true, idempotency: true });

  // The delivery SLI's reconciler: charged orders the restaurant has not received, every minute.
  const reconciler = new DeliveryReconciler(ctx.scope, 'DeliveryReconciler', { config: ctx.config });
  reconciler.fn.bindTables(tables, { write: ['orders'], outbox: true });

  const api = apiFunction(ctx, 'OrdersApi', 'orders');
  api.bindTables(tables, { write: ['orders'], read: ['catalog', 'customers'], outbox: true, idempotency: true });
  ctx.ordering.grantRead(api);
  ctx.identity.grantVerify(api);
  return { saga, reconciler, api };
}
