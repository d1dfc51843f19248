/**
 * Transactional outbox. A service never calls PutEvents: it writes its state change and the event it implies in
 * one DynamoDB transaction (the event goes to the Outbox table), and the outbox relay publishes from the table's
 * stream. So an event exists if and only if the change that made it true was committed.
 */
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ddb } from './aws-clients';
import type { DomainEvent } from './contracts/events';
import { requireEnv } from './env';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export { OUTBOX_RETENTION_SECONDS, type OutboxRow, outboxRow } from './outbox-row';
import { outboxRow } from './outbox-row';

/** The transaction item that records `event` in the outbox. */
export function outboxPut(event: DomainEvent): TransactItem {
  return {
    Put: {
      TableName: requireEnv('OUTBOX_TABLE_NAME'),
      Item: outboxRow(event),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * Commits `changes` and `events` atomically. A condition that fails anywhere cancels all of it
 * (TransactionCanceledException, with per-item reasons), and no event is published.
 */
export async function commitWithEvents(changes: TransactItem[], events: DomainEvent[]): Promise<void> {
  const items = [...changes, ...events.map(outboxPut)];
  if (items.length > 100) throw new Error(`a transaction holds at most 100 items, got ${items.length}`);
  await ddb.send(new TransactWriteCommand({ TransactItems: items }));
}

/** True when a transaction was cancelled because one of its conditions failed (not throttling or conflicts). */
export function isConditionFailure(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name === 'ConditionalCheckFailedException') return true;
  return e?.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
}

/** Indexes (in transaction order) of the items whose condition failed. */
export function failedConditionIndexes(err: unknown): number[] {
  const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
}

/**
 * The transaction item that moves a row's `status` from `from` to `to` (setting `fields` too), only if it is
 * still `from`. Committed with the event it implies, this makes every state machine step happen once.
 */
export function statusChange(
  tableName: string,
  key: Record<string, string>,
  from: string,
  to: string,
  fields: Record<string, unknown> = {},
): TransactItem {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':from': from, ':to': to };
  const sets = ['#status = :to'];
  Object.entries(fields).forEach(([name, value], i) => {
    names[`#f${i}`] = name;
    values[`:f${i}`] = value;
    sets.push(`#f${i} = :f${i}`);
  });
  return {
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: '#status = :from',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}
