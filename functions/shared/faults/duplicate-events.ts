/**
 * duplicate-events (seed 002, event chaos): the outbox relay publishes a chosen event more than once, as an
 * at-least-once bus does (EventBridge retries, a relay re-run after a timeout). Every copy carries the same envelope,
 * so the same metadata.eventId: each consumer must produce one effect (its idempotency layer, its conditional writes).
 * Hooked in functions/outbox/relay.ts's publish, the one publisher on the bus.
 */
import { faultsOf } from './config';
import { matches, picked } from './select';

/** How many extra copies of this event the relay publishes (0: none). */
export function extraCopies(detailType: string, eventId: string): number {
  return faultsOf('duplicate-events')
    .filter((f) => matches(f.detailTypes, detailType) && picked(eventId, f.share))
    .reduce((n, f) => Math.max(n, f.copies), 0);
}
