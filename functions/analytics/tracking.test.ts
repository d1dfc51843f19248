/**
 * Tracking freshness on DynamoDB Local: what analytics notes per event (order-independent, idempotent) and what the
 * check computes from it, on a fixed clock. The index is the one CDK deploys (useTables reads DataTables).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AWAITING_TRACKING_INDEX } from '../../lib/constructs/data-tables';
import { useTables } from '../../test/support/tables';
import type { DetailType, DomainEvent } from '../shared/contracts/events';

let tracking: typeof import('./tracking');
let events: typeof import('../shared/contracts/events');
let consumer: typeof import('./consumer');

beforeAll(async () => {
  await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'analytics';
  events = await import('../shared/contracts/events');
  tracking = await import('./tracking');
  consumer = await import('./consumer');
});

const at = (s: number) => new Date(Date.UTC(2031, 0, 1, 12, 0, s));
const eur = { amount: 900, currency: 'EUR' as const };
function event(detailType: DetailType, orderId: string): DomainEvent {
  const data: Record<string, unknown> = {
    'restaurant.order-received': { orderId, customerId: 'c1', merchantId: 'm1', acknowledgedAt: at(0).toISOString() },
    'order.shipped': { orderId, customerId: 'c1', merchantId: 'm1', shipmentId: 's1', courierId: 'k1' },
    'tracking.updated': { orderId, shipmentId: 's1', status: 'PICKED_UP', location: { lat: 1, lng: 2 }, at: at(0).toISOString() },
    'order.delivered': { orderId, customerId: 'c1', shipmentId: 's1', deliveredAt: at(0).toISOString() },
    'order.cancelled': { orderId, customerId: 'c1', reason: 'r' },
    'order.paid': {
      orderId,
      customerId: 'c1',
      merchantId: 'm1',
      items: [{ productId: 'p1', name: 'Pizza', quantity: 1, unitPrice: eur }],
      total: eur,
    },
  };
  return events.newEvent(detailType, data[detailType] as never, { correlationId: `corr-${orderId}`, causationId: 't' }) as DomainEvent;
}
const note = (type: DetailType, orderId: string, s: number) => tracking.noteTracking(type, event(type, orderId).detail, at(s));
/** Each test its own clock window, two hours (twice the horizon) apart: the index is shared by the file. */
const WINDOW = 7200;
const freshnessAt = (s: number) => tracking.trackingFreshness(at(s));

describe('tracking freshness', () => {
  it('uses the index CDK deploys', () => {
    expect(tracking.AWAITING_TRACKING_INDEX).toBe(AWAITING_TRACKING_INDEX);
  });

  it('is 0 with nothing awaited, and counts from the later of the last tracking point and the oldest awaiting order', async () => {
    expect(await freshnessAt(0)).toMatchObject({ awaitingTracking: 0, stalenessSeconds: 0 });
    // A quiet start: no tracking ever, an order received at 10 s → the wait is the order's, not "forever".
    await note('restaurant.order-received', 'o-a', 10);
    expect(await freshnessAt(40)).toMatchObject({ awaitingTracking: 1, stalenessSeconds: 30, oldestAwaiting: { orderId: 'o-a' } });
    await note('tracking.updated', 'o-a', 41);
    expect(await freshnessAt(45)).toMatchObject({ awaitingTracking: 0, stalenessSeconds: 0, lastIngestedAt: at(41).toISOString() });
    // Tracking stops reaching analytics: shipped and delivered still arrive, the orders stay awaited, the wait grows
    // from the last tracking point (41 s), and order.delivered does not hide it.
    await note('order.shipped', 'o-b', 50);
    await note('order.delivered', 'o-b', 55);
    await note('restaurant.order-received', 'o-c', 70);
    expect(await freshnessAt(100)).toMatchObject({ awaitingTracking: 2, stalenessSeconds: 50, oldestAwaiting: { orderId: 'o-b' } });
    // An event that says nothing about tracking changes nothing.
    await note('order.paid', 'o-d', 101);
    expect((await freshnessAt(101)).awaitingTracking).toBe(2);
  });

  it("does not alarm on one order's lost tracking while tracking keeps arriving for the others", async () => {
    await note('restaurant.order-received', 'o-lost', WINDOW);
    await note('restaurant.order-received', 'o-ok', WINDOW + 10);
    await note('tracking.updated', 'o-ok', WINDOW + 12);
    expect(await freshnessAt(WINDOW + 30)).toMatchObject({ awaitingTracking: 1, stalenessSeconds: 18 });
    // Mitigation (a replay of o-lost's tracking) clears it.
    await note('tracking.updated', 'o-lost', WINDOW + 31);
    expect(await freshnessAt(WINDOW + 32)).toMatchObject({ awaitingTracking: 0, stalenessSeconds: 0 });
  });

  it('ends in the same state whatever the order of arrival, and under duplicates', async () => {
    // Tracking before the receipt (a replay, or a slow rule): the order is never awaited afterwards.
    await note('tracking.updated', 'o-r1', 2 * WINDOW + 0);
    await note('order.shipped', 'o-r1', 2 * WINDOW + 1);
    await note('restaurant.order-received', 'o-r1', 2 * WINDOW + 2);
    // Cancelled before the receipt reached analytics: nothing to expect either.
    await note('order.cancelled', 'o-r2', 2 * WINDOW + 3);
    await note('restaurant.order-received', 'o-r2', 2 * WINDOW + 4);
    // Duplicates of an expectation keep its first instant.
    await note('restaurant.order-received', 'o-r3', 2 * WINDOW + 5);
    await note('restaurant.order-received', 'o-r3', 2 * WINDOW + 10);
    await note('order.shipped', 'o-r3', 2 * WINDOW + 11);
    const f = await freshnessAt(2 * WINDOW + 20);
    expect(f).toMatchObject({ awaitingTracking: 1, oldestAwaiting: { orderId: 'o-r3', since: at(2 * WINDOW + 5).toISOString() } });
    // The last tracking point (o-r1's, at +0 s) is earlier than the oldest awaiting order (+5 s): the later counts.
    expect(f.stalenessSeconds).toBe(15);
  });

  it('gives up on orders older than the horizon: bounded reads, no alarm forever', async () => {
    await note('restaurant.order-received', 'o-old', 3 * WINDOW);
    expect((await freshnessAt(3 * WINDOW + 10)).awaitingTracking).toBe(1);
    expect(await freshnessAt(3 * WINDOW + tracking.AWAITING_HORIZON_SECONDS + 1)).toMatchObject({
      awaitingTracking: 0,
      stalenessSeconds: 0,
    });
  });

  it('is noted by the consumer for every event it ingests, redeliveries included', async () => {
    const { sqsEventOf, lambdaContext } = await import('../../test/support/lambda');
    const received = event('restaurant.order-received', 'o-consumer');
    expect(await consumer.handler(sqsEventOf(received), lambdaContext('analytics'))).toEqual({ batchItemFailures: [] });
    const now = await tracking.trackingFreshness(new Date());
    expect(now.awaitingTracking).toBe(1);
    const tracked = event('tracking.updated', 'o-consumer');
    expect(await consumer.handler(sqsEventOf(tracked), lambdaContext('analytics'))).toEqual({ batchItemFailures: [] });
    // Redelivered: already counted, and noting it again changes nothing.
    expect(await consumer.handler(sqsEventOf(tracked), lambdaContext('analytics'))).toEqual({ batchItemFailures: [] });
    const after = await tracking.trackingFreshness(new Date());
    expect(after.awaitingTracking).toBe(0);
    expect(Date.now() - Date.parse(after.lastIngestedAt!)).toBeLessThan(10_000);
  });
});
