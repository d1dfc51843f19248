import { beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { emitted } from '../../test/support/events';
import { apiEvent, lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useParameters } from '../../test/support/parameters';
import { useTables, type TestTables } from '../../test/support/tables';
import type { DomainEvent } from '../shared/contracts/events';

let t: TestTables;
let shipments: typeof import('./shipments');
let events: typeof import('../shared/contracts/events');
let consumer: typeof import('./consumer')['handler'];
let api: typeof import('./api')['handler'];
let ssm: Awaited<ReturnType<typeof useParameters>>;

beforeAll(async () => {
  t = await useTables();
  ssm = await useParameters();
  process.env.POWERTOOLS_SERVICE_NAME = 'shipping';
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'shipping-consumer';
  shipments = await import('./shipments');
  events = await import('../shared/contracts/events');
  consumer = (await import('./consumer')).handler;
  api = (await import('./api')).handler;
});

const received = (orderId: string): DomainEvent<'restaurant.order-received'> =>
  events.newEvent(
    'restaurant.order-received',
    { orderId, merchantId: 'm1', customerId: 'c1', acknowledgedAt: new Date().toISOString() },
    { correlationId: `corr-${orderId}`, causationId: 'x' },
  );
const correlation = { correlationId: 'corr', causationId: 'cause' };
const here = { lat: 52.52, lng: 13.405 };
const track = (orderId: string, status: 'PICKED_UP' | 'EN_ROUTE' | 'NEARBY' | 'DELIVERED', location = here) =>
  shipments.recordTrackingUpdate({ orderId, status, location, correlation });
const rows = async (orderId: string) =>
  (
    await t.doc.send(
      new QueryCommand({
        TableName: t.names.shipping,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `ORDER#${orderId}` },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];
const types = async (orderId: string) => (await emitted(t.doc, t.names.outbox, undefined, orderId)).map((e) => e.detailType).sort();
/** As customer c1 (the customer of every order here) unless told otherwise. */
const getTracking = async (id: string, as = 'c1') => {
  const event = apiEvent({
    method: 'GET',
    resource: '/orders/{id}/tracking',
    path: `/orders/${id}/tracking`,
    pathParameters: { id },
    headers: await ssm.bearer(as),
  });
  const res = (await api(event, lambdaContext())) as APIGatewayProxyResult;
  return { status: res.statusCode, body: JSON.parse(res.body) };
};

describe('shipping consumer (restaurant.order-received)', () => {
  it('creates one shipment with a courier and emits order.shipped', async () => {
    const event = received('o-ship');
    expect((await consumer(sqsEventOf(event), lambdaContext()))?.batchItemFailures).toEqual([]);
    const shipment = await shipments.getShipment('o-ship');
    expect(shipment).toMatchObject({
      orderId: 'o-ship',
      shipmentId: 'shp_o-ship',
      customerId: 'c1',
      merchantId: 'm1',
      status: 'ASSIGNED',
      statusRank: 0,
    });
    expect(shipment!.courierId).toBe(shipments.courierFor('o-ship'));
    const shipped = await emitted(t.doc, t.names.outbox, 'order.shipped', 'o-ship');
    expect(shipped.map((e) => e.detail.data)).toEqual([
      { orderId: 'o-ship', customerId: 'c1', merchantId: 'm1', shipmentId: 'shp_o-ship', courierId: shipment!.courierId },
    ]);
    expect(shipped[0].detail.metadata).toMatchObject({ correlationId: 'corr-o-ship', causationId: event.detail.metadata.eventId });
  });

  it('creates one shipment under duplicate delivery: the same event twice, concurrently, and re-runs past idempotency', async () => {
    const event = received('o-dup');
    await Promise.all([consumer(sqsEventOf(event), lambdaContext()), consumer(sqsEventOf(event), lambdaContext())]);
    await consumer(sqsEventOf(event), lambdaContext());
    expect(await Promise.all([shipments.createShipment(event.detail), shipments.createShipment(received('o-dup').detail)])).toEqual([
      false,
      false,
    ]);
    expect(await rows('o-dup')).toHaveLength(1);
    expect(await types('o-dup')).toEqual(['order.shipped']);
  });
});

describe('tracking updates', () => {
  it('records each step with tracking.updated, and DELIVERED closes the shipment with exactly one order.delivered', async () => {
    await shipments.createShipment(received('o-trip').detail);
    expect(await track('o-trip', 'PICKED_UP')).toBe('RECORDED');
    expect(await track('o-trip', 'EN_ROUTE', { lat: 52.51, lng: 13.39 })).toBe('RECORDED');
    expect(await track('o-trip', 'EN_ROUTE', { lat: 52.5, lng: 13.38 })).toBe('RECORDED'); // a courier reports its position again
    expect((await shipments.getShipment('o-trip'))?.status).toBe('EN_ROUTE');
    expect(await types('o-trip')).toEqual(['order.shipped', 'tracking.updated', 'tracking.updated', 'tracking.updated']);

    expect(await track('o-trip', 'DELIVERED')).toBe('RECORDED');
    const shipment = await shipments.getShipment('o-trip');
    expect(shipment).toMatchObject({ status: 'DELIVERED', statusRank: 4 });
    const delivered = await emitted(t.doc, t.names.outbox, 'order.delivered', 'o-trip');
    expect(delivered.map((e) => e.detail.data)).toEqual([
      { orderId: 'o-trip', customerId: 'c1', shipmentId: 'shp_o-trip', deliveredAt: shipment!.deliveredAt },
    ]);
    const updates = (await emitted(t.doc, t.names.outbox, 'tracking.updated', 'o-trip')).map((e) => e.detail.data);
    expect(updates).toContainEqual({
      orderId: 'o-trip',
      shipmentId: 'shp_o-trip',
      status: 'DELIVERED',
      location: here,
      at: shipment!.deliveredAt,
    });

    // A repeated DELIVERED, or any step after it, writes and emits nothing.
    expect(await track('o-trip', 'DELIVERED')).toBe('ALREADY_DELIVERED');
    expect(await track('o-trip', 'NEARBY')).toBe('ALREADY_DELIVERED');
    expect((await rows('o-trip')).filter((r) => String(r.sk).startsWith('TRACK#'))).toHaveLength(4);
    expect(await types('o-trip')).toEqual([
      'order.delivered',
      'order.shipped',
      'tracking.updated',
      'tracking.updated',
      'tracking.updated',
      'tracking.updated',
    ]);
  });

  it('refuses a step the shipment is already past, writing nothing', async () => {
    await shipments.createShipment(received('o-back').detail);
    await track('o-back', 'NEARBY');
    expect(await track('o-back', 'PICKED_UP')).toBe('OUT_OF_ORDER');
    expect((await shipments.getShipment('o-back'))?.status).toBe('NEARBY');
    expect(await types('o-back')).toEqual(['order.shipped', 'tracking.updated']);
  });

  it('emits exactly one order.delivered when DELIVERED is recorded concurrently', async () => {
    await shipments.createShipment(received('o-race').detail);
    const outcomes = await Promise.all(
      [track('o-race', 'DELIVERED'), track('o-race', 'DELIVERED'), track('o-race', 'DELIVERED')].map((p) => p.catch((e: Error) => e.name)),
    );
    expect(outcomes.filter((o) => o === 'RECORDED')).toHaveLength(1);
    expect(await emitted(t.doc, t.names.outbox, 'order.delivered', 'o-race')).toHaveLength(1);
    expect(await emitted(t.doc, t.names.outbox, 'tracking.updated', 'o-race')).toHaveLength(1);
  });

  it('says NO_SHIPMENT for an order without a shipment, and writes nothing', async () => {
    expect(await track('o-nothing', 'PICKED_UP')).toBe('NO_SHIPMENT');
    expect(await rows('o-nothing')).toEqual([]);
    expect(await types('o-nothing')).toEqual([]);
  });
});

describe('GET /orders/{id}/tracking', () => {
  it('answers the shipment and its points, oldest first', async () => {
    await shipments.createShipment(received('o-api').detail);
    const route = [
      ['PICKED_UP', { lat: 52.5, lng: 13.4 }],
      ['EN_ROUTE', { lat: 52.51, lng: 13.41 }],
      ['NEARBY', { lat: 52.52, lng: 13.42 }],
    ] as const;
    for (const [status, location] of route) await track('o-api', status, location);
    const { status, body } = await getTracking('o-api');
    expect(status).toBe(200);
    expect(body).toEqual({
      orderId: 'o-api',
      shipmentId: 'shp_o-api',
      courierId: shipments.courierFor('o-api'),
      status: 'NEARBY',
      points: route.map(([s, location]) => ({ status: s, location, at: expect.any(String) })),
    });
    const ats = body.points.map((p: { at: string }) => p.at);
    expect([...ats].sort()).toEqual(ats);
  });

  it('answers 404 before the restaurant accepted the order, saying when tracking starts', async () => {
    // Another customer's order answers exactly like one without a shipment.
    const foreign = await getTracking('o-api', 'c-other');
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const { status, body } = await getTracking('o-not-yet');
    expect(status).toBe(404);
    expect(body.error.message).toMatch(/tracking starts once the restaurant accepts the order/);
  });

  it('answers 400 naming the field for a malformed id', async () => {
    const { status, body } = await getTracking('bad id!');
    expect(status).toBe(400);
    expect(body.error.fields.map((f: { field: string }) => f.field)).toEqual(['path.id']);
  });
});
