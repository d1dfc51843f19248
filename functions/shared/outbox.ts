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

/**
 * Outbox rows outlive any relay retry (stream records live 24 h); TTL then removes them. This is also how far back
 * a replay (tools/replay.ts) can reach: raise it to replay older events (rows already written keep their expiry).
 */
export const OUTBOX_RETENTION_SECONDS = 3 * 24 * 3600;

export interface OutboxRow {
  pk: string;
  eventId: string;
  source: string;
  detailType: string;
  detail: string;
  correlationId: string;
  createdAt: string;
  /** The UTC day of createdAt (YYYY-MM-DD): the partition of the Outbox's byDay index (lib/constructs/data-tables.ts), so a time window is a few queries. */
  createdDay: string;
  /** The event's data.orderId when it has one (sparse byOrder index: every event of one order, in order). */
  orderId?: string;
  expiresAt: number;
  /**
   * The X-Ray trace header of the invocation that committed the event. The stream breaks the trace; the relay
   * hands this to PutEvents (`TraceHeader`), and EventBridge and SQS carry it on, so one order stays one trace.
   */
  traceHeader?: string;
}

export function outboxRow(event: DomainEvent): OutboxRow {
  const { metadata } = event.detail;
  const orderId = (event.detail.data as { orderId?: unknown } | undefined)?.orderId;
  return {
    pk: `EVENT#${metadata.eventId}`,
    eventId: metadata.eventId,
    source: event.source,
    detailType: event.detailType,
    detail: JSON.stringify(event.detail),
    correlationId: metadata.correlationId,
    createdAt: metadata.occurredAt,
    createdDay: metadata.occurredAt.slice(0, 10),
    ...(typeof orderId === 'string' ? { orderId } : {}),
    expiresAt: Math.floor(Date.now() / 1000) + OUTBOX_RETENTION_SECONDS,
    // Lambda sets _X_AMZN_TRACE_ID per invocation when tracing is active; absent offline and on LocalStack.
    ...(process.env._X_AMZN_TRACE_ID ? { traceHeader: process.env._X_AMZN_TRACE_ID } : {}),
  };
}

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
