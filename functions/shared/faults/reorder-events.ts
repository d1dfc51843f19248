/**
 * reorder-events (seed 002, event chaos): a chosen delivery is held back on its first receive and handled a few
 * seconds later, after the events behind it (SQS standard queues and EventBridge promise no order either). Held
 * back the way SQS does it — the record goes back to the queue with a visibility timeout (RetryLaterError) — never
 * in memory, so a held event cannot die with an execution environment. Nothing is handled or recorded on that
 * receive. Hooked in createEventConsumer (../event-consumer.ts), before the idempotency layer.
 */
import { RetryLaterError } from '../retry-policy';
import { faultsOf } from './config';
import { matches, picked } from './select';

export function reorderIfInjected(detailType: string, messageId: string, receiveCount: number): void {
  if (receiveCount > 1) return;
  const fault = faultsOf('reorder-events').find((f) => matches(f.detailTypes, detailType) && picked(messageId, f.share));
  if (fault)
    throw new RetryLaterError(`${detailType} held back ${fault.delaySeconds} s (game-day fault reorder-events)`, fault.delaySeconds);
}
