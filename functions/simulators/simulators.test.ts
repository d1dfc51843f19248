import { beforeAll, describe, expect, it, vi } from 'vitest';
import { emitted } from '../../test/support/events';
import { lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import type { DetailType, DomainEvent } from '../shared/contracts/events';

type Handler = typeof import('./tablet')['handler'];
let t: TestTables;
let events: typeof import('../shared/contracts/events');
let tabletSim: typeof import('./tablet');
let courierSim: typeof import('./courier');
let restaurant: typeof import('../restaurant/tablet');
let shipments: typeof import('../shipping/shipments');
const h = {} as Record<'restaurant' | 'shipping' | 'tablet' | 'courier', Handler>;

/** Each handler as its own function: Powertools prefixes idempotency keys with the function name. */
async function load<M extends { handler: Handler }>(fn: string, importer: () => Promise<M>): Promise<M> {
  process.env.AWS_LAMBDA_FUNCTION_NAME = fn;
  return importer();
}

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'simulators';
  process.env.TABLET_SIMULATOR_CONFIG = JSON.stringify({ ackDelayMs: 0, merchants: { 'm-closed': 'reject', 'm-quiet': 'silent' } });
  process.env.COURIER_SIMULATOR_CONFIG = JSON.stringify({ stepDelayMs: 0 });
  events = await import('../shared/contracts/events');
  restaurant = await import('../restaurant/tablet');
  shipments = await import('../shipping/shipments');
  h.restaurant = (await load('restaurant-consumer', () => import('../restaurant/consumer'))).handler;
  h.shipping = (await load('shipping-consumer', () => import('../shipping/consumer'))).handler;
  tabletSim = await load('tablet-simulator', () => import('./tablet'));
  courierSim = await load('courier-simulator', () => import('./courier'));
  h.tablet = tabletSim.handler;
  h.courier = courierSim.handler;
});

const items = [{ productId: 'p-1', name: 'Pizza', quantity: 1, unitPrice: { amount: 950, currency: 'EUR' as const } }];
const paid = (orderId: string, merchantId: string) =>
  events.newEvent(
    'order.paid',
    { orderId, customerId: 'c1', merchantId, items, total: { amount: 950, currency: 'EUR' } },
    { correlationId: orderId, causationId: 'x' },
  );
const run = async (handler: Handler, e: DomainEvent) =>
  expect((await handler(sqsEventOf(e), lambdaContext()))?.batchItemFailures).toEqual([]);
/** The one event of this type the order emitted, as the bus would deliver it on. */
async function only<T extends DetailType>(detailType: T, orderId: string): Promise<DomainEvent<T>> {
  const found = await emitted(t.doc, t.names.outbox, detailType, orderId);
  expect(found).toHaveLength(1);
  return { source: events.EventCatalog[detailType].source, detailType, detail: found[0].detail };
}
const types = async (orderId: string) => (await emitted(t.doc, t.names.outbox, undefined, orderId)).map((e) => e.detailType).sort();

describe('the fulfilment half of the saga, played by the simulators', () => {
  it('order.paid → tablet acks → shipment → courier → exactly one order.delivered', async () => {
    await run(h.restaurant, paid('o-flow', 'm-pizza'));
    await run(h.tablet, await only('restaurant.order-sent-to-tablet', 'o-flow'));
    expect((await restaurant.getTabletOrder('o-flow'))?.status).toBe('RECEIVED');
    await run(h.shipping, await only('restaurant.order-received', 'o-flow'));
    const shipped = await only('order.shipped', 'o-flow');
    await run(h.courier, shipped);

    const updates = (await emitted(t.doc, t.names.outbox, 'tracking.updated', 'o-flow'))
      .map((e) => e.detail.data)
      .sort((a, b) => a.at.localeCompare(b.at));
    expect(updates.map((u) => u.status)).toEqual(['PICKED_UP', 'EN_ROUTE', 'NEARBY', 'DELIVERED']);
    expect(updates.map((u) => u.location)).toEqual(courierSim.routeFor('m-pizza', 'c1').map((s) => s.location));
    await only('order.delivered', 'o-flow');
    expect((await shipments.getShipment('o-flow'))?.status).toBe('DELIVERED');

    // The courier run again for the same order.shipped (a crash after the last step, before idempotency saved):
    const rerun = { ...shipped, detail: { ...shipped.detail, metadata: { ...shipped.detail.metadata, eventId: crypto.randomUUID() } } };
    await run(h.courier, rerun);
    await run(h.courier, shipped); // and the same message redelivered
    expect(await types('o-flow')).toEqual([
      'order.delivered',
      'order.shipped',
      'restaurant.order-received',
      'restaurant.order-sent-to-tablet',
      'tracking.updated',
      'tracking.updated',
      'tracking.updated',
      'tracking.updated',
    ]);
  });

  it('a courier re-run after a crash resumes after the last recorded step', async () => {
    const received = events.newEvent(
      'restaurant.order-received',
      { orderId: 'o-resume', merchantId: 'm-pizza', customerId: 'c1', acknowledgedAt: new Date().toISOString() },
      { correlationId: 'o-resume', causationId: 'x' },
    );
    await run(h.shipping, received);
    const correlation = { correlationId: 'o-resume', causationId: 'x' };
    const [pickedUp, enRoute] = courierSim.routeFor('m-pizza', 'c1');
    await shipments.recordTrackingUpdate({ orderId: 'o-resume', ...pickedUp, correlation });
    await shipments.recordTrackingUpdate({ orderId: 'o-resume', ...enRoute, correlation });
    await run(h.courier, await only('order.shipped', 'o-resume'));
    const statuses = (await emitted(t.doc, t.names.outbox, 'tracking.updated', 'o-resume'))
      .map((e) => e.detail.data)
      .sort((a, b) => a.at.localeCompare(b.at))
      .map((u) => u.status);
    expect(statuses).toEqual(['PICKED_UP', 'EN_ROUTE', 'NEARBY', 'DELIVERED']);
    await only('order.delivered', 'o-resume');
  });

  it('a merchant set to reject gets restaurant.order-rejected (REJECTED_BY_RESTAURANT), and no shipment', async () => {
    await run(h.restaurant, paid('o-closed', 'm-closed'));
    await run(h.tablet, await only('restaurant.order-sent-to-tablet', 'o-closed'));
    expect((await only('restaurant.order-rejected', 'o-closed')).detail.data.reason).toBe('REJECTED_BY_RESTAURANT');
    expect(await restaurant.getTabletOrder('o-closed')).toMatchObject({ status: 'REJECTED' });
    expect(await types('o-closed')).toEqual(['restaurant.order-rejected', 'restaurant.order-sent-to-tablet']);
  });

  it('a silent tablet answers nothing, so the order waits for the ack deadline', async () => {
    await run(h.restaurant, paid('o-quiet', 'm-quiet'));
    await run(h.tablet, await only('restaurant.order-sent-to-tablet', 'o-quiet'));
    expect((await restaurant.getTabletOrder('o-quiet'))?.status).toBe('SENT_TO_TABLET');
    expect(await types('o-quiet')).toEqual(['restaurant.order-sent-to-tablet']);
  });

  it('the tablet accepts its loss when the deadline decided first', async () => {
    await run(h.restaurant, paid('o-too-late', 'm-pizza'));
    const sent = await only('restaurant.order-sent-to-tablet', 'o-too-late');
    const late = paid('o-too-late', 'm-pizza');
    late.detail.metadata.occurredAt = new Date(Date.now() - 121_000).toISOString();
    expect(await restaurant.expireIfUnacknowledged(late.detail)).toBe('TIMED_OUT');
    await run(h.tablet, sent);
    expect((await restaurant.getTabletOrder('o-too-late'))?.status).toBe('TIMED_OUT');
    expect(await types('o-too-late')).toEqual(['restaurant.order-rejected', 'restaurant.order-sent-to-tablet']);
  });
});

describe('TABLET_SIMULATOR_CONFIG', () => {
  it('fills defaults and lets a per-merchant behaviour win over the rates', () => {
    const c = tabletSim.parseTabletConfig({ rejectRate: 1, merchants: { 'm-a': 'ack', 'm-s': 'silent' } });
    expect(c).toEqual({ ackDelayMs: 1000, rejectRate: 1, silentRate: 0, merchants: { 'm-a': 'ack', 'm-s': 'silent' } });
    expect(tabletSim.behaviourFor(c, 'm-a', 0)).toBe('ack');
    expect(tabletSim.behaviourFor(c, 'm-s', 0.99)).toBe('silent');
    expect(tabletSim.behaviourFor(c, 'm-other', 0.99)).toBe('reject');
  });

  it('decides by the rates otherwise: silent, then reject, then ack', () => {
    const c = tabletSim.parseTabletConfig({ silentRate: 0.1, rejectRate: 0.2 });
    expect([0, 0.09, 0.1, 0.29, 0.31, 0.99].map((roll) => tabletSim.behaviourFor(c, 'm', roll))).toEqual([
      'silent',
      'silent',
      'reject',
      'reject',
      'ack',
      'ack',
    ]);
  });

  it.each([
    [{ rejectRate: 1.5 }, /rejectRate/],
    [{ rejectRate: 0.6, silentRate: 0.6 }, /at most 1/],
    [{ ackDelayMs: '100' }, /ackDelayMs/],
    [{ ackDelayMs: 600_000 }, /ackDelayMs/],
    [{ merchants: { m1: 'maybe' } }, /merchants\.m1/],
    [{ rejectrate: 0.5 }, /rejectrate/],
    [[], /invalid/],
  ])('fails closed on %j', (raw, message) => {
    expect(() => tabletSim.parseTabletConfig(raw)).toThrow(message);
  });

  it('fails at cold start, naming the variable, on invalid JSON or an invalid config', async () => {
    const saved = process.env.TABLET_SIMULATOR_CONFIG;
    try {
      process.env.TABLET_SIMULATOR_CONFIG = '{"ackDelayMs": 10,';
      expect(() => tabletSim.tabletConfigFromEnv()).toThrow(/TABLET_SIMULATOR_CONFIG is not valid JSON/);
      vi.resetModules();
      await expect(import('./tablet')).rejects.toThrow(/TABLET_SIMULATOR_CONFIG is not valid JSON/);
      process.env.TABLET_SIMULATOR_CONFIG = JSON.stringify({ silentRate: -1 });
      vi.resetModules();
      await expect(import('./tablet')).rejects.toThrow(/TABLET_SIMULATOR_CONFIG is invalid/);
    } finally {
      process.env.TABLET_SIMULATOR_CONFIG = saved;
    }
  });
});

describe('COURIER_SIMULATOR_CONFIG and pacing', () => {
  it('parses stepDelayMs and refuses anything else', () => {
    expect(courierSim.parseCourierConfig({})).toEqual({ stepDelayMs: 1000 });
    expect(courierSim.parseCourierConfig({ stepDelayMs: 20 })).toEqual({ stepDelayMs: 20 });
    expect(() => courierSim.parseCourierConfig({ stepDelayMs: -1 })).toThrow(/COURIER_SIMULATOR_CONFIG is invalid/);
    expect(() => courierSim.parseCourierConfig({ stepDelayMs: 60_000 })).toThrow(/stepDelayMs/);
    expect(() => courierSim.parseCourierConfig({ stepDelay: 5 })).toThrow(/stepDelay/);
  });

  it('plots a route from the kitchen to the door, the same each time', () => {
    const route = courierSim.routeFor('m-pizza', 'c1');
    expect(route.map((s) => s.status)).toEqual(['PICKED_UP', 'EN_ROUTE', 'NEARBY', 'DELIVERED']);
    expect(courierSim.routeFor('m-pizza', 'c1')).toEqual(route);
    expect(courierSim.routeFor('m-pizza', 'c2').at(-1)).not.toEqual(route.at(-1));
    for (const { location } of route) {
      expect(location.lat).toBeGreaterThan(52.4);
      expect(location.lng).toBeGreaterThan(13.2);
    }
  });

  it('shortens waits so they fit in the time the invocation has left', async () => {
    const { boundedDelay } = await import('./pace');
    const left = (ms: number) => ({ getRemainingTimeInMillis: () => ms });
    expect(boundedDelay(1000, left(30_000))).toBe(1000);
    expect(boundedDelay(20_000, left(15_000))).toBe(10_000);
    expect(boundedDelay(10_000, left(45_000), 4)).toBe(10_000);
    expect(boundedDelay(10_000, left(25_000), 4)).toBe(5_000);
    expect(boundedDelay(1000, left(3_000))).toBe(0);
  });
});
