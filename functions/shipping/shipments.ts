/**
 * Shipments and tracking. A courier is assigned when the restaurant accepts the order; each tracking point is its
 * own transaction with its `tracking.updated` event, and DELIVERED also closes the shipment and emits
 * `order.delivered`. The shipment's status only moves forward (a rank condition), so a repeated or late step,
 * and above all a repeated DELIVERED, changes nothing and emits nothing.
 */
import { GetCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { ddb } from '../shared/aws-clients';
import { causedBy, newEvent, type DomainEvent, type EventEnvelope } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import { commitWithEvents, isConditionFailure } from '../shared/outbox';
import { metrics, MetricUnit } from '../shared/powertools';

const table = () => requireEnv('SHIPPING_TABLE_NAME');
const shipmentKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'SHIPMENT' });
const COURIERS = ['courier-ana', 'courier-ben', 'courier-chen', 'courier-dara'];

export const TRACKING_STATUSES = ['PICKED_UP', 'EN_ROUTE', 'NEARBY', 'DELIVERED'] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];
export type ShipmentStatus = 'ASSIGNED' | TrackingStatus;
/** ASSIGNED 0, PICKED_UP 1 … DELIVERED 4. */
export const statusRank = (s: ShipmentStatus) => (s === 'ASSIGNED' ? 0 : TRACKING_STATUSES.indexOf(s) + 1);

export interface Shipment {
  orderId: string;
  shipmentId: string;
  courierId: string;
  customerId: string;
  merchantId: string;
  status: ShipmentStatus;
  statusRank: number;
  createdAt: string;
  updatedAt?: string;
  deliveredAt?: string;
}
export interface TrackingPoint {
  status: TrackingStatus;
  location: { lat: number; lng: number };
  at: string;
}

export async function getShipment(orderId: string): Promise<Shipment | undefined> {
  return (await ddb.send(new GetCommand({ TableName: table(), Key: shipmentKey(orderId), ConsistentRead: true }))).Item as
    | Shipment
    | undefined;
}

/** Oldest first: the sort key starts with the ISO time. */
export async function trackingPoints(orderId: string): Promise<TrackingPoint[]> {
  const points: TrackingPoint[] = [];
  let from: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const res = await ddb.send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :t)',
        ExpressionAttributeValues: { ':pk': `ORDER#${orderId}`, ':t': 'TRACK#' },
        ConsistentRead: true,
        ExclusiveStartKey: from,
      }),
    );
    for (const p of res.Items ?? []) points.push({ status: p.status, location: p.location, at: p.at });
    from = res.LastEvaluatedKey;
  } while (from);
  return points;
}

/** Derived from the order (ids are at most 64 characters: a long order id is hashed). */
export const shipmentIdFor = (orderId: string) =>
  orderId.length <= 60 ? `shp_${orderId}` : `shp_${createHash('sha256').update(orderId).digest('hex').slice(0, 32)}`;

/** Deterministic, so a re-run after a crash would pick the same courier. */
export const courierFor = (orderId: string) => COURIERS[createHash('sha256').update(orderId).digest()[0] % COURIERS.length];

/** restaurant.order-received → a shipment with a courier, and order.shipped. False when it exists already. */
export async function createShipment(envelope: EventEnvelope<'restaurant.order-received'>): Promise<boolean> {
  const { orderId, merchantId, customerId } = envelope.data;
  const shipment: Shipment = {
    orderId,
    shipmentId: shipmentIdFor(orderId),
    courierId: courierFor(orderId),
    customerId,
    merchantId,
    status: 'ASSIGNED',
    statusRank: 0,
    createdAt: new Date().toISOString(),
  };
  try {
    await commitWithEvents(
      [{ Put: { TableName: table(), Item: { ...shipmentKey(orderId), ...shipment }, ConditionExpression: 'attribute_not_exists(pk)' } }],
      [
        newEvent(
          'order.shipped',
          { orderId, customerId, merchantId, shipmentId: shipment.shipmentId, courierId: shipment.courierId },
          causedBy(envelope),
        ),
      ],
    );
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
  metrics.addMetric('OrdersShipped', MetricUnit.Count, 1);
  return true;
}

/**
 * RECORDED, or why not: NO_SHIPMENT (nothing to track yet), ALREADY_DELIVERED (the shipment is closed),
 * OUT_OF_ORDER (the shipment is already past this status, e.g. PICKED_UP after NEARBY).
 */
export type TrackingOutcome = 'RECORDED' | 'NO_SHIPMENT' | 'ALREADY_DELIVERED' | 'OUT_OF_ORDER';

export async function recordTrackingUpdate(p: {
  orderId: string;
  status: TrackingStatus;
  location: { lat: number; lng: number };
  correlation: { correlationId: string; causationId: string };
}): Promise<TrackingOutcome> {
  const shipment = await getShipment(p.orderId);
  if (!shipment) return 'NO_SHIPMENT';
  const why = refusal(shipment, p.status);
  if (why) return why;
  const at = new Date().toISOString();
  const delivered = p.status === 'DELIVERED';
  const { shipmentId, customerId } = shipment;
  const events: DomainEvent[] = [
    newEvent('tracking.updated', { orderId: p.orderId, shipmentId, status: p.status, location: p.location, at }, p.correlation),
  ];
  if (delivered) events.push(newEvent('order.delivered', { orderId: p.orderId, customerId, shipmentId, deliveredAt: at }, p.correlation));
  try {
    await commitWithEvents(
      [
        {
          Put: {
            TableName: table(),
            // The status in the key keeps two points of the same millisecond apart; the ISO prefix keeps the order.
            Item: { pk: `ORDER#${p.orderId}`, sk: `TRACK#${at}#${p.status}`, status: p.status, location: p.location, at },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: table(),
            Key: shipmentKey(p.orderId),
            UpdateExpression: `SET #s = :s, statusRank = :rank, updatedAt = :at${delivered ? ', deliveredAt = :at' : ''}`,
            // Forward only; the same status again (another EN_ROUTE position) is fine, except DELIVERED, which closes.
            ConditionExpression: 'statusRank < :rank OR (statusRank = :rank AND #s <> :delivered)',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':s': p.status, ':rank': statusRank(p.status), ':at': at, ':delivered': 'DELIVERED' },
          },
        },
      ],
      events,
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    // A concurrent update got there first: say why from the state it left.
    return refusal((await getShipment(p.orderId))!, p.status) ?? 'OUT_OF_ORDER';
  }
  if (delivered) {
    metrics.addMetric('OrdersDelivered', MetricUnit.Count, 1);
    metrics.addMetric('DeliveryDurationMs', MetricUnit.Milliseconds, Date.parse(at) - Date.parse(shipment.createdAt));
  }
  return 'RECORDED';
}

function refusal(shipment: Shipment, status: TrackingStatus): TrackingOutcome | undefined {
  if (shipment.status === 'DELIVERED') return 'ALREADY_DELIVERED';
  if (shipment.statusRank > statusRank(status)) return 'OUT_OF_ORDER';
  return undefined;
}
