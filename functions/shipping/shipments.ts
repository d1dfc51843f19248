/**
 * Shipments and tracking. A courier is assigned when the restaurant accepts the order; each tracking point is its
 * own transaction with its `tracking.updated` event, and DELIVERED also closes the shipment and emits
 * `order.delivered` — conditionally, so a repeated DELIVERED does nothing.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { ddb } from '../shared/aws-clients';
import { causedBy, newEvent, type EventEnvelope } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import { commitWithEvents, isConditionFailure, type TransactItem } from '../shared/outbox';
import { metrics, MetricUnit } from '../shared/powertools';

const table = () => requireEnv('SHIPPING_TABLE_NAME');
const shipmentKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'SHIPMENT' });
const COURIERS = ['courier-ana', 'courier-ben', 'courier-chen', 'courier-dara'];
export type TrackingStatus = 'PICKED_UP' | 'EN_ROUTE' | 'NEARBY' | 'DELIVERED';

export async function getShipment(orderId: string): Promise<Record<string, any> | undefined> {
  return (await ddb.send(new GetCommand({ TableName: table(), Key: shipmentKey(orderId), ConsistentRead: true }))).Item;
}

export async function trackingPoints(orderId: string): Promise<Record<string, any>[]> {
  const res = await ddb.send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :t)',
      ExpressionAttributeValues: { ':pk': `ORDER#${orderId}`, ':t': 'TRACK#' },
    }),
  );
  return res.Items ?? [];
}

export async function createShipment(envelope: EventEnvelope<'restaurant.order-received'>): Promise<boolean> {
  const { orderId, merchantId, customerId } = envelope.data;
  const shipmentId = `shp_${orderId}`;
  // Deterministic pick, so a re-run assigns the same courier.
  const courierId = COURIERS[createHash('sha256').update(orderId).digest()[0] % COURIERS.length];
  try {
    await commitWithEvents(
      [
        {
          Put: {
            TableName: table(),
            Item: { ...shipmentKey(orderId), orderId, shipmentId, courierId, customerId, merchantId, status: 'ASSIGNED', createdAt: new Date().toISOString() },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      [newEvent('order.shipped', { orderId, customerId, merchantId, shipmentId, courierId }, causedBy(envelope))],
    );
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
  metrics.addMetric('OrdersShipped', MetricUnit.Count, 1);
  return true;
}

export async function recordTrackingUpdate(p: {
  orderId: string;
  status: TrackingStatus;
  location: { lat: number; lng: number };
  correlation: { correlationId: string; causationId: string };
}): Promise<boolean> {
  const shipment = await getShipment(p.orderId);
  if (!shipment) throw new Error(`no shipment for order ${p.orderId}`);
  if (shipment.status === 'DELIVERED') return false;
  const at = new Date().toISOString();
  const changes: TransactItem[] = [
    {
      Put: {
        TableName: table(),
        Item: { pk: `ORDER#${p.orderId}`, sk: `TRACK#${at}#${p.status}`, status: p.status, location: p.location, at },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Update: {
        TableName: table(),
        Key: shipmentKey(p.orderId),
        UpdateExpression: 'SET #s = :s, updatedAt = :at',
        ConditionExpression: '#s <> :delivered',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': p.status, ':at': at, ':delivered': 'DELIVERED' },
      },
    },
  ];
  const events = [newEvent('tracking.updated', { orderId: p.orderId, shipmentId: shipment.shipmentId, status: p.status, location: p.location, at }, p.correlation)];
  if (p.status === 'DELIVERED') {
    events.push(newEvent('order.delivered', { orderId: p.orderId, customerId: shipment.customerId, shipmentId: shipment.shipmentId, deliveredAt: at }, p.correlation) as never);
  }
  try {
    await commitWithEvents(changes, events);
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
  if (p.status === 'DELIVERED') {
    metrics.addMetric('OrdersDelivered', MetricUnit.Count, 1);
    metrics.addMetric('DeliveryDurationMs', MetricUnit.Milliseconds, Date.parse(at) - Date.parse(shipment.createdAt));
  }
  return true;
}
