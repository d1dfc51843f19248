import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitted } from '../../test/support/events';
import { lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import type { DetailType, DomainEvent, EventData } from '../shared/contracts/events';

let t: TestTables;
let store: typeof import('./order-store');
let saga: typeof import('./saga-consumer');
let events: typeof import('../shared/contracts/events');

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'orders';
  store = await import('./order-store');
  saga = await import('./saga-consumer');
  events = await import('../shared/contracts/events');
});

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });
const items = [{ productId: 'p1', name: 'Pizza', quantity: 2, unitPrice: eur(700) }];
const T0 = '2030-01-01T10:00:00.000Z';
const at = (minute: number) => `2030-01-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

/** An order as POST /orders leaves it (the event it committed is not needed here). */
async function placed(orderId: string, status = 'PLACED', statusRank = 0) {
  await t.doc.send(
    new PutCommand({
      TableName: t.names.orders,
      Item: {
        ...store.orderKey(orderId),
        orderId,
        customerId: 'c1',
        merchantId: 'm1',
        items,
        total: eur(1400),
        status,
        statusRank,
        milestones: { PLACED: T0 },
        createdAt: T0,
        updatedAt: T0,
        correlationId: `corr-${orderId}`,
      },
    }),
  );
}

/** An event that happened at minute `m` of the test hour. */
function ev<T extends DetailType>(type: T, data: EventData<T>, m: number): DomainEvent<T> {
  const e = events.newEvent(type, data, { correlationId: `corr-${data.orderId}`, causationId: 'cause' });
  return { ...e, detail: { ...e.detail, metadata: { ...e.detail.metadata, occurredAt: at(m) } } };
}
/** The same event under a new id: what a re-run after a crash between commit and idempotency record looks like. */
const rerun = <T extends DetailType>(e: DomainEvent<T>): DomainEvent<T> => ({
  ...e,
  detail: { ...e.detail, metadata: { ...e.detail.metadata, eventId: randomUUID() } },
});

async function deliver(...es: DomainEvent[]): Promise<number> {
  const res = await saga.handler(sqsEventOf(...es), lambdaContext('orders-saga'));
  return res.batchItemFailures.length;
}

const saga_ = (orderId: string) => ({
  reserved: (m: number) =>
    ev(
      'inventory.reserved',
      { orderId, customerId: 'c1', merchantId: 'm1', items: [{ productId: 'p1', quantity: 2 }], total: eur(1400) },
      m,
    ),
  rejected: (m: number) => ev('inventory.rejected', { orderId, customerId: 'c1', reason: 'OUT_OF_STOCK', productIds: ['p1'] }, m),
  processed: (m: number) =>
    ev('payment.processed', { orderId, customerId: 'c1', paymentId: `pay_${orderId}`, amount: eur(1400), providerChargeId: 'ch_1' }, m),
  failed: (m: number) => ev('payment.failed', { orderId, customerId: 'c1', amount: eur(1400), reason: 'card declined' }, m),
  received: (m: number) => ev('restaurant.order-received', { orderId, merchantId: 'm1', customerId: 'c1', acknowledgedAt: at(m) }, m),
  restaurantRejected: (m: number) =>
    ev('restaurant.order-rejected', { orderId, merchantId: 'm1', customerId: 'c1', reason: 'ACK_TIMEOUT' }, m),
  refunded: (m: number) =>
    ev('payment.refunded', { orderId, customerId: 'c1', paymentId: `pay_${orderId}`, amount: eur(1400), reason: 'ACK_TIMEOUT' }, m),
  released: (m: number) => ev('inventory.released', { orderId, items: [{ productId: 'p1', quantity: 2 }], reason: 'ACK_TIMEOUT' }, m),
  shipped: (m: number) => ev('order.shipped', { orderId, customerId: 'c1', merchantId: 'm1', shipmentId: 's1', courierId: 'k1' }, m),
  delivered: (m: number) => ev('order.delivered', { orderId, customerId: 'c1', shipmentId: 's1', deliveredAt: at(m) }, m),
});

const view = async (orderId: string) => store.toView((await store.getOrder(orderId))!);
const emittedFor = (orderId: string) => emitted(t.doc, t.names.outbox, undefined, orderId);

describe('orders saga', () => {
  it('follows the happy path and emits order.paid (with the order lines) exactly once', async () => {
    await placed('happy');
    const s = saga_('happy');
    const processed = s.processed(2);
    for (const e of [s.reserved(1), processed, s.received(3), s.shipped(4), s.delivered(5)]) expect(await deliver(e)).toBe(0);
    const order = await view('happy');
    expect(order.status).toBe('DELIVERED');
    expect(order.history).toEqual(
      ['PLACED', 'RESERVED', 'CHARGED', 'RECEIVED_BY_RESTAURANT', 'OUT_FOR_DELIVERY', 'DELIVERED'].map((status, m) => ({
        status,
        at: m ? at(m) : T0,
      })),
    );
    const out = await emittedFor('happy');
    expect(out.map((e) => e.detailType)).toEqual(['order.paid']);
    expect(out[0].detail.data).toEqual({ orderId: 'happy', customerId: 'c1', merchantId: 'm1', items, total: eur(1400) });
    expect(out[0].detail.metadata).toMatchObject({ correlationId: 'corr-happy', causationId: processed.detail.metadata.eventId });
  });

  it('emits order.paid once when payment.processed is delivered twice, concurrently and as a re-run', async () => {
    await placed('dup-paid');
    const processed = saga_('dup-paid').processed(2);
    const failures = await Promise.all([deliver(processed), deliver(rerun(processed)), deliver(rerun(processed))]);
    expect(failures).toEqual([0, 0, 0]);
    expect(await deliver(processed)).toBe(0); // same event id again: idempotency answers
    expect((await emittedFor('dup-paid')).map((e) => e.detailType)).toEqual(['order.paid']);
    expect((await view('dup-paid')).status).toBe('CHARGED');
  });

  it('never moves backwards, yet records every milestone when events arrive out of order', async () => {
    await placed('ooo');
    const s = saga_('ooo');
    for (const e of [s.processed(2), s.reserved(1), s.delivered(5), s.received(3), s.shipped(4)]) expect(await deliver(e)).toBe(0);
    const order = await view('ooo');
    expect(order.status).toBe('DELIVERED');
    expect(order.history.map((h) => [h.status, h.at])).toEqual([
      ['PLACED', T0],
      ['RESERVED', at(1)],
      ['CHARGED', at(2)],
      ['RECEIVED_BY_RESTAURANT', at(3)],
      ['OUT_FOR_DELIVERY', at(4)],
      ['DELIVERED', at(5)],
    ]);
    expect((await emittedFor('ooo')).map((e) => e.detailType)).toEqual(['order.paid']);
  });

  it('keeps a terminal status: REJECTED stays REJECTED, and no payment moves it', async () => {
    await placed('rej');
    const s = saga_('rej');
    expect(await deliver(s.rejected(1))).toBe(0);
    expect(await deliver(s.processed(2))).toBe(0); // cannot happen in the saga; must still be harmless
    const order = await view('rej');
    expect(order.status).toBe('REJECTED');
    expect(order.history.map((h) => h.status)).toEqual(['PLACED', 'REJECTED', 'CHARGED']);
    expect(await emittedFor('rej')).toEqual([]);
  });

  it('after PAYMENT_FAILED, inventory.released only records STOCK_RELEASED', async () => {
    await placed('pf');
    const s = saga_('pf');
    for (const e of [s.reserved(1), s.failed(2), s.released(3)]) expect(await deliver(e)).toBe(0);
    const order = await view('pf');
    expect(order.status).toBe('PAYMENT_FAILED');
    expect(order.history.map((h) => h.status)).toEqual(['PLACED', 'RESERVED', 'PAYMENT_FAILED', 'STOCK_RELEASED']);
    expect(await emittedFor('pf')).toEqual([]);
  });

  const orders3 = [
    ['restaurantRejected', 'refunded', 'released'],
    ['refunded', 'released', 'restaurantRejected'],
    ['released', 'restaurantRejected', 'refunded'],
  ] as const;
  it.each(orders3)('cancels exactly once after rejection + refund + release, arriving as %s, %s, %s', async (...seq) => {
    const id = `seq-${seq.join('-')}`;
    await placed(id, 'CHARGED', 2);
    const s = saga_(id);
    const es = { restaurantRejected: s.restaurantRejected(3), refunded: s.refunded(4), released: s.released(5) };
    expect(await deliver(es[seq[0]])).toBe(0);
    expect(await deliver(es[seq[1]])).toBe(0);
    expect((await view(id)).status).toBe('CHARGED'); // waiting for the last one
    expect(await deliver(es[seq[2]])).toBe(0);
    expect(await deliver(rerun(es[seq[2]]), rerun(es[seq[0]]))).toBe(0); // re-runs change nothing
    const order = await view(id);
    expect(order.status).toBe('CANCELLED');
    expect(order.history).toContainEqual({ status: 'RESTAURANT_REJECTED', at: at(3), reason: 'ACK_TIMEOUT' });
    expect(order.history.map((h) => h.status).sort()).toEqual(['CANCELLED', 'PLACED', 'REFUNDED', 'RESTAURANT_REJECTED', 'STOCK_RELEASED']);
    const out = await emittedFor(id);
    expect(out.map((e) => e.detailType)).toEqual(['order.cancelled']);
    expect(out[0].detail.data).toEqual({ orderId: id, customerId: 'c1', reason: 'the restaurant did not confirm the order in time' });
  });

  it('cancels exactly once when the three events (and re-runs of them) are processed concurrently', async () => {
    const ids = Array.from({ length: 5 }, (_, i) => `race-${i}`);
    await Promise.all(ids.map((id) => placed(id, 'CHARGED', 2)));
    await Promise.all(
      ids.flatMap((id) => {
        const s = saga_(id);
        const es = [s.restaurantRejected(3), s.refunded(4), s.released(5)];
        return [...es, ...es.map(rerun)].map((e) => deliver(e));
      }),
    );
    for (const id of ids) {
      expect((await view(id)).status, id).toBe('CANCELLED');
      expect(
        (await emittedFor(id)).map((e) => e.detailType),
        id,
      ).toEqual(['order.cancelled']);
    }
  });

  it('fails (for retry, then the DLQ) an event about an order it does not know, and creates nothing', async () => {
    const s = saga_('ghost');
    for (const e of [s.reserved(1), s.processed(2), s.refunded(3)]) expect(await deliver(e)).toBe(1);
    expect(await store.getOrder('ghost')).toBeUndefined();
    expect(await emittedFor('ghost')).toEqual([]);
  });
});
