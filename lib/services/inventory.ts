import { CONSUMER_EVENTS } from '../../functions/inventory/subscriptions';
import { consumer, type ServiceContext } from './context';

/** Inventory (functions/inventory/): reserves stock for new orders and releases it when the saga compensates. */
export function addInventory(ctx: ServiceContext) {
  const inventoryConsumer = consumer(ctx, 'InventoryConsumer', { service: 'inventory', entry: 'consumer', events: CONSUMER_EVENTS });
  inventoryConsumer.fn.bindTables(ctx.tables, { write: ['inventory'], outbox: true, idempotency: true });
  return { consumer: inventoryConsumer };
}
