/**
 * Analytics: per-minute counts per detail-type and each order's event timeline. The timeline row (one per event
 * id) and the counter increment commit in one transaction, so an event is counted exactly when its row is new:
 * a re-run or a concurrent duplicate finds the row and changes nothing.
 */
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import type { DetailType, EventEnvelope } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import { failedConditionIndexes, isConditionFailure } from '../shared/outbox';

const table = () => requireEnv('ANALYTICS_TABLE_NAME');
/** Normalised to UTC: occurredAt may carry an offset, and buckets and sort keys must compare as strings. */
const utc = (iso: string) => new Date(iso).toISOString();
const minuteOf = (iso: string) => utc(iso).slice(0, 16); // yyyy-mm-ddThh:mm

/** Cancelled only because another transaction held one of the items (e.g. the same minute's counter). */
function isTransactionConflict(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  const codes = (e?.CancellationReasons ?? []).map((r) => r.Code).filter((c) => c && c !== 'None');
  return e?.name === 'TransactionCanceledException' && codes.length > 0 && codes.every((c) => c === 'TransactionConflict');
}

/**
 * Returns true when counted now, false when this event was already recorded. A batch's records run in parallel
 * and share the minute counter, so DynamoDB may cancel one transaction for a conflict: retry that briefly here
 * (the outcome is decided by the timeline condition either way) instead of sending the record back to SQS.
 */
export async function recordEvent(detailType: DetailType, envelope: EventEnvelope): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await recordOnce(detailType, envelope);
    } catch (err) {
      if (attempt >= 4 || !isTransactionConflict(err)) throw err;
      await new Promise((r) => setTimeout(r, attempt * (20 + Math.random() * 80)));
    }
  }
}

async function recordOnce(detailType: DetailType, envelope: EventEnvelope): Promise<boolean> {
  const { eventId, occurredAt, correlationId } = envelope.metadata;
  // Every event in the contract carries orderId.
  const { orderId } = envelope.data as { orderId: string };
  try {
    await ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table(),
              Item: {
                pk: `ORDER#${orderId}`,
                sk: `EVENT#${utc(occurredAt)}#${eventId}`,
                detailType,
                eventId,
                correlationId,
                data: envelope.data,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: table(),
              Key: { pk: `TYPE#${detailType}`, sk: `MINUTE#${minuteOf(occurredAt)}` },
              UpdateExpression: 'ADD #count :one',
              ExpressionAttributeNames: { '#count': 'count' },
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );
    return true;
  } catch (err) {
    // Only "the timeline row exists" means counted already; anything else (a conflict included) is thrown.
    if (isConditionFailure(err) && failedConditionIndexes(err).includes(0)) return false;
    throw err;
  }
}

/** Counts per minute for one detail-type, both ends inclusive (minute precision). */
export async function countsPerMinute(detailType: string, fromIso: string, toIso: string): Promise<{ minute: string; count: number }[]> {
  const out: { minute: string; count: number }[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const res = await ddb.send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': `TYPE#${detailType}`,
          ':from': `MINUTE#${minuteOf(fromIso)}`,
          ':to': `MINUTE#${minuteOf(toIso)}`,
        },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const i of res.Items ?? []) out.push({ minute: String(i.sk).slice('MINUTE#'.length), count: i.count as number });
    startKey = res.LastEvaluatedKey;
  } while (startKey);
  return out;
}

export interface TimelineEntry {
  at: string;
  detailType: string;
  eventId: string;
  correlationId: string;
  data: unknown;
}

/** An order's events in the order they occurred. */
export async function orderTimeline(orderId: string): Promise<TimelineEntry[]> {
  const out: TimelineEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const res = await ddb.send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
        ExpressionAttributeValues: { ':pk': `ORDER#${orderId}`, ':e': 'EVENT#' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const i of res.Items ?? []) {
      out.push({
        at: String(i.sk).split('#')[1],
        detailType: i.detailType,
        eventId: i.eventId,
        correlationId: i.correlationId,
        data: i.data,
      });
    }
    startKey = res.LastEvaluatedKey;
  } while (startKey);
  return out;
}
