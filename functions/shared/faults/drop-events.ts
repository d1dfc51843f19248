/**
 * drop-events (seed 001, theory A): the consumer acknowledges matching events without handling them — no error,
 * no DLQ. Hooked in createEventConsumer before the idempotency layer, so nothing records the event as handled and a
 * later replay from the outbox is processed, not deduplicated.
 */
import { faultsOf } from './config';

export function dropsEvent(detailType: string): boolean {
  return faultsOf('drop-events').some((f) => f.detailTypes.length === 0 || f.detailTypes.includes(detailType));
}
