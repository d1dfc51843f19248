/**
 * Analytics receives every event: per-minute counts per detail-type and each order's timeline. The timeline row
 * and the counter increment commit together, and the timeline row exists only once per event id, so a re-run
 * can never count twice.
 */
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { DETAIL_TYPES } from '../shared/contracts/events';
import { createEventConsumer, type ConsumedEvent } from '../shared/event-consumer';
import { requireEnv } from '../shared/env';
import { isConditionFailure } from '../shared/outbox';

const table = () => requireEnv('ANALYTICS_TABLE_NAME');

async function record({ detailType, envelope }: ConsumedEvent<any>): Promise<void> {
  const { eventId, occurredAt, correlationId } = envelope.metadata;
  const orderId = (envelope.data as { orderId: string }).orderId;
  try {
    await ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table(),
              Item: { pk: `ORDER#${orderId}`, sk: `EVENT#${occurredAt}#${eventId}`, detailType, correlationId, data: envelope.data },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: table(),
              Key: { pk: `TYPE#${detailType}`, sk: `MINUTE#${occurredAt.slice(0, 16)}` },
              UpdateExpression: 'ADD #c :one',
              ExpressionAttributeNames: { '#c': 'count' },
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err; // the timeline row exists: counted already
  }
}

export async function countsPerMinute(detailType: string, fromIso: string, toIso: string): Promise<{ minute: string; count: number }[]> {
  const res = await ddb.send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': `TYPE#${detailType}`, ':from': `MINUTE#${fromIso.slice(0, 16)}`, ':to': `MINUTE#${toIso.slice(0, 16)}` },
    }),
  );
  return (res.Items ?? []).map((i) => ({ minute: String(i.sk).slice(7), count: i.count as number }));
}

export async function orderTimeline(orderId: string): Promise<{ detailType: string; at: string }[]> {
  const res = await ddb.send(
    new QueryCommand({ TableName: table(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `ORDER#${orderId}` } }),
  );
  return (res.Items ?? []).map((i) => ({ detailType: i.detailType as string, at: String(i.sk).split('#')[1] }));
}

export const handler = createEventConsumer(Object.fromEntries(DETAIL_TYPES.map((t) => [t, record])));
