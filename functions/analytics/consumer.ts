/**
 * Analytics consumer: its rule matches every `shopwave.*` event, and createEventConsumer fails on a detail-type
 * it has no handler for, so every DETAIL_TYPES entry is registered.
 */
import { DETAIL_TYPES } from '../shared/contracts/events';
import { createEventConsumer, everyEvent, type ConsumedEvent } from '../shared/event-consumer';
import { logger } from '../shared/powertools';
import { recordEvent } from './store';

export { countsPerMinute, orderTimeline } from './store';

async function handle({ detailType, envelope }: ConsumedEvent<(typeof DETAIL_TYPES)[number]>): Promise<void> {
  if (!(await recordEvent(detailType, envelope))) logger.info('event already counted; nothing changed');
}

export const handler = createEventConsumer(DETAIL_TYPES, everyEvent(DETAIL_TYPES, handle));
