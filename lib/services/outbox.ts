import { OutboxRelay } from '../constructs/outbox-relay';
import type { ServiceContext } from './context';

/**
 * The outbox relay (functions/outbox/): the only publisher on the bus. Services commit their events to the outbox
 * table (`bindTables(…, { outbox: true })`); the relay reads the table's stream and puts them on the bus.
 */
export function addOutbox(ctx: Pick<ServiceContext, 'scope' | 'config' | 'tables' | 'bus'>): OutboxRelay {
  return new OutboxRelay(ctx.scope, 'OutboxRelay', { config: ctx.config, outbox: ctx.tables.outbox, bus: ctx.bus });
}
