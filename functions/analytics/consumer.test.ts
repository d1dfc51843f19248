import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import type { DetailType, DomainEvent, EventData } from '../shared/contracts/events';

let t: TestTables;
let consumer: typeof import('./consumer');
let store: typeof import('./store');
let events: typeof import('../shared/contracts/events');

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'analytics';
  events = await import('../shared/contracts/events');
  store = await import('./store');
  consumer = await import('./consumer');
});

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });
const now = new Date().toISOString();
/** Valid data for every detail-type in the contract, for order `orderId`. */
function sampleData(orderId: string): { [T in DetailType]: EventData<T> } {
  const o = { orderId, customerId: 'c1' };
  const line = { productId: 'p1', name: 'Pizza', quantity: 1, unitPrice: eur(900) };
  return {
    'order.created': { ...o, merchantId: 'm1', items: [line], total: eur(900) },
    'order.paid': { ...o, merchantId: 'm1', items: [line], total: eur(900) },
    'order.cancelled': { ...o, reason: 'r' },
    'order.delivery-overdue': { ...o, merchantId: 'm1', total: eur(900), chargedAt: now, overdueSeconds: 121 },
    'inventory.reserved': { ...o, merchantId: 'm1', items: [{ productId: 'p1', quantity: 1 }], total: eur(900) },
    'inventory.rejected': { ...o, reason: 'OUT_OF_STOCK', productIds: ['p1'] },
    'inventory.released': { orderId, items: [{ productId: 'p1', quantity: 1 }], reason: 'r' },
    'payment.processed': { ...o, paymentId: 'pay', amount: eur(900), providerChargeId: 'ch' },
    'payment.failed': { ...o, amount: eur(900), reason: 'declined' },
    'payment.refunded': { ...o, paymentId: 'pay', amount: eur(900), reason: 'r' },
    'restaurant.order-sent-to-tablet': { ...o, merchantId: 'm1', items: [line] },
    'restaurant.order-received': { ...o, merchantId: 'm1', acknowledgedAt: now },
    'restaurant.order-rejected': { ...o, merchantId: 'm1', reason: 'REJECTED_BY_RESTAURANT' },
    'order.shipped': { ...o, merchantId: 'm1', shipmentId: 's1', courierId: 'k1' },
    'tracking.updated': { orderId, shipmentId: 's1', status: 'EN_ROUTE', location: { lat: 1, lng: 2 }, at: now },
    'order.delivered': { ...o, shipmentId: 's1', deliveredAt: now },
  };
}
function event<T extends DetailType>(detailType: T, orderId: string, occurredAt?: string): DomainEvent<T> {
  const e = events.newEvent(detailType, sampleData(orderId)[detailType], { correlationId: `corr-${orderId}`, causationId: 'test' });
  if (occurredAt) e.detail.metadata.occurredAt = occurredAt;
  return e;
}
const run = (...e: DomainEvent[]) => consumer.handler(sqsEventOf(...e), lambdaContext('analytics'));
const count = async (type: string, at: string) => (await store.countsPerMinute(type, at, at)).reduce((n, c) => n + c.count, 0);
async function forgetIdempotency(): Promise<void> {
  for (const row of (await t.doc.send(new ScanCommand({ TableName: t.names.idempotency }))).Items ?? []) {
    await t.doc.send(new DeleteCommand({ TableName: t.names.idempotency, Key: { id: row.id } }));
  }
}

describe('analytics consumer', () => {
  it('handles every detail-type of the contract: one count and one timeline entry each', async () => {
    const at = '2031-01-02T03:04:05.000Z';
    const all = events.DETAIL_TYPES.map((type) => event(type, 'o-all', at));
    expect(all).toHaveLength(16);
    expect(await run(...all)).toEqual({ batchItemFailures: [] });
    for (const type of events.DETAIL_TYPES)
      expect(await store.countsPerMinute(type, at, at), type).toEqual([{ minute: '2031-01-02T03:04', count: 1 }]);
    const timeline = await store.orderTimeline('o-all');
    expect(timeline.map((e) => e.eventId).sort()).toEqual(all.map((e) => e.detail.metadata.eventId).sort());
    expect(timeline[0]).toMatchObject({ at, correlationId: 'corr-o-all' });
  });

  it('buckets by minute of occurredAt (in UTC) and orders the timeline by occurrence', async () => {
    await run(
      event('order.created', 'o-t', '2031-02-01T10:00:59.999Z'),
      event('order.created', 'o-t2', '2031-02-01T12:01:00.000+02:00'), // 10:01 UTC
      event('inventory.reserved', 'o-t', '2031-02-01T10:01:30.000Z'),
    );
    expect(await store.countsPerMinute('order.created', '2031-02-01T09:00:00Z', '2031-02-01T11:00:00Z')).toEqual([
      { minute: '2031-02-01T10:00', count: 1 },
      { minute: '2031-02-01T10:01', count: 1 },
    ]);
    expect(await store.countsPerMinute('order.created', '2031-02-01T10:01:00Z', '2031-02-01T10:01:00Z')).toEqual([
      { minute: '2031-02-01T10:01', count: 1 },
    ]);
    expect((await store.orderTimeline('o-t')).map((e) => e.detailType)).toEqual(['order.created', 'inventory.reserved']);
    expect(await store.orderTimeline('o-none')).toEqual([]);
  });

  it('counts an event once under redelivery and a re-run after the idempotency record is lost', async () => {
    const at = '2031-03-01T00:00:00.000Z';
    const paid = event('order.paid', 'o-re', at);
    const other = event('order.paid', 'o-re2', at);
    expect(await run(paid)).toEqual({ batchItemFailures: [] });
    expect(await run(paid, other)).toEqual({ batchItemFailures: [] });
    await forgetIdempotency();
    expect(await run(paid, other)).toEqual({ batchItemFailures: [] });
    expect(await store.recordEvent('order.paid', paid.detail)).toBe(false);
    expect(await count('order.paid', at)).toBe(2);
    expect(await store.orderTimeline('o-re')).toHaveLength(1);
  });

  it('counts once under concurrent duplicates, and counts every distinct concurrent event', async () => {
    const at = '2031-04-01T00:00:00.000Z';
    const dup = event('payment.processed', 'o-dup', at);
    // As several consumers' retries would: each attempt retried until it settles.
    const settle = async <R>(fn: () => Promise<R>): Promise<R> => {
      for (let i = 0; ; i++) {
        try {
          return await fn();
        } catch (err) {
          if (i >= 10) throw err;
        }
      }
    };
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => settle(() => store.recordEvent('payment.processed', dup.detail))));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const distinct = Array.from({ length: 15 }, (_, i) => event('payment.processed', `o-many-${i}`, at));
    expect((await Promise.all(distinct.map((e) => settle(() => store.recordEvent(e.detailType, e.detail))))).every(Boolean)).toBe(true);
    expect(await count('payment.processed', at)).toBe(16);

    // Through the handler too: the same event in two concurrent batches, then redelivery of whatever failed.
    const refunded = event('payment.refunded', 'o-dup', at);
    let pending = [sqsEventOf(refunded), sqsEventOf(refunded), sqsEventOf(refunded)];
    for (let round = 0; pending.length > 0 && round < 10; round++) {
      const results = await Promise.all(pending.map((e) => consumer.handler(e, lambdaContext('analytics'))));
      pending = pending.filter((_, i) => results[i].batchItemFailures.length > 0);
    }
    expect(pending).toEqual([]);
    expect(await count('payment.refunded', at)).toBe(1);
    expect((await store.orderTimeline('o-dup')).map((e) => e.detailType).sort()).toEqual(['payment.processed', 'payment.refunded']);
  });
});
