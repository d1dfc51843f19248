/**
 * poison-events (seed 002, event chaos): the consumer cannot handle a chosen event — the shape of a consumer bug on
 * a payload (seed 002's symbol-vs-string keys), not of a malformed event: the event is valid and stays in the outbox.
 * It fails permanently on every receive (chosen by event id), so SQS parks it in the consumer's DLQ within seconds
 * and the <Consumer>DeadLetters alarm fires. "The fix" is clearing the fault (the corrected consumer): the parked
 * messages are then processable, and a redrive delivers every one of them once. Hooked in createEventConsumer
 * (../event-consumer.ts), before the idempotency layer, so nothing records the event as handled.
 */
import { PermanentError } from '../retry-policy';
import { faultsOf } from './config';
import { matches, picked } from './select';

export function poisonIfInjected(detailType: string, eventId: string | undefined): void {
  const key = eventId ?? '';
  if (faultsOf('poison-events').some((f) => matches(f.detailTypes, detailType) && picked(key, f.share)))
    throw new PermanentError(`cannot handle ${detailType} ${key} (game-day fault poison-events)`);
}
