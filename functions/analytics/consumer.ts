/**
 * Analytics consumer: its rule matches every `shopwave.*` event, and createEventConsumer fails on a detail-type
 * it has no handler for, so every DETAIL_TYPES entry is registered. Each event is counted (store.ts) and noted for
 * tracking freshness (tracking.ts); both are idempotent by event and order-independent, so a replay of missed
 * events (same envelopes, any order, repeated) fills the gap without counting twice.
 */
import { DETAIL_TYPES } from '../shared/contracts/events';
import { createEventConsumer, everyEvent, type ConsumedEvent } from '../shared/event-consumer';
import { logger } from '../shared/powertools';
import { recordEvent } from './store';
import { noteTracking } from './tracking';

export { countsPerMinute, orderTimeline } from './store';

async function handle({ detailType, envelope }: ConsumedEvent<(typeof DETAIL_TYPES)[number]>): Promise<void> {
  if (!(await recordEvent(detailType, envelope))) logger.info('event already counted; nothing changed');
  // Also for an event counted already: a redelivery after a crash between the two writes must still note it.
  await noteTracking(detailType, envelope);
}

export const handler = createEventConsumer(DETAIL_TYPES, everyEvent(DETAIL_TYPES, handle));
