/**
 * Records (and logs) the message a customer gets for an event. The channel is simulated. The key is derived from
 * the event alone (its occurredAt and id), and the put is conditional, so a re-run never notifies twice.
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import type { EventEnvelope } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import { isConditionFailure } from '../shared/outbox';
import { render, type NotifiedType } from './templates';

const table = () => requireEnv('NOTIFICATIONS_TABLE_NAME');

export interface Notification {
  customerId: string;
  orderId: string;
  detailType: NotifiedType;
  channel: 'simulated-email';
  subject: string;
  body: string;
  correlationId: string;
  eventId: string;
  sentAt: string;
}

/** Returns the notification, or undefined when this event was already notified. */
export async function notify<T extends NotifiedType>(detailType: T, envelope: EventEnvelope<T>): Promise<Notification | undefined> {
  // Every subscribed type carries customerId and orderId in the contract; the type system checks it here.
  const { customerId, orderId } = envelope.data;
  const { eventId, occurredAt, correlationId } = envelope.metadata;
  const notification: Notification = {
    customerId,
    orderId,
    detailType,
    channel: 'simulated-email',
    ...render(detailType, envelope.data),
    correlationId,
    eventId,
    sentAt: new Date().toISOString(),
  };
  try {
    await ddb.send(
      new PutCommand({
        TableName: table(),
        Item: { pk: `CUSTOMER#${customerId}`, sk: `NOTIFICATION#${new Date(occurredAt).toISOString()}#${eventId}`, ...notification },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
  return notification;
}

/** A customer's notifications, oldest first (tests, support tooling). */
export async function notificationsOf(customerId: string): Promise<Notification[]> {
  const res = await ddb.send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :n)',
      ExpressionAttributeValues: { ':pk': `CUSTOMER#${customerId}`, ':n': 'NOTIFICATION#' },
      ConsistentRead: true,
    }),
  );
  return (res.Items ?? []).map(({ pk: _pk, sk: _sk, ...n }) => n as Notification);
}
