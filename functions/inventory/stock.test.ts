import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitted } from '../../test/support/events';
import { lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import type { DetailType, DomainEvent } from '../shared/contracts/events';

let t: TestTables;
let stock: typeof import('./stock');
let events: typeof import('../shared/contracts/events');
let consumer: typeof import('./consumer');

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'inventory';
  stock = await import('./stock');
  events = await import('../shared/contracts/events');
  consumer = await import('./consumer');
});

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });
const setStock = (productId: string, available: number) =>
  t.doc.send(
    new PutCommand({ TableName: t.names.inventory, Item: { pk: `PRODUCT#${productId}`, sk: 'STOCK', productId, available, reserved: 0 } }),
  );

const created = (orderId: string, lines: [string, number][]) =>
  events.newEvent(
    'order.created',
    {
      orderId,
      customerId: 'c1',
      merchantId: 'm1',
      items: lines.map(([productId, quantity]) => ({ productId, name: productId, quantity, unitPrice: eur(100) })),
      total: eur(100 * lines.reduce((s, [, q]) => s + q, 0)),
    },
    { correlationId: `corr-${orderId}`, causationId: 'req' },
  );
const paymentFailed = (orderId: string) =>
  events.newEvent(
    'payment.failed',
    { orderId, customerId: 'c1', amount: eur(100), reason: 'card declined' },
    { correlationId: `corr-${orderId}`, causationId: 'x' },
  );
const restaurantRejected = (orderId: string) =>
  events.newEvent(
    'restaurant.order-rejected',
    { orderId, customerId: 'c1', merchantId: 'm1', reason: 'ACK_TIMEOUT' },
    { correlationId: `corr-${orderId}`, causationId: 'x' },
  );
const rerun = <T extends DetailType>(e: DomainEvent<T>): DomainEvent<T> => ({
  ...e,
  detail: { ...e.detail, metadata: { ...e.detail.metadata, eventId: randomUUID() } },
});

const deliver = async (...es: DomainEvent[]) =>
  (await consumer.handler(sqsEventOf(...es), lambdaContext('inventory'))).batchItemFailures.length;
const emittedFor = (orderId: string) => emitted(t.doc, t.names.outbox, undefined, orderId);
const sumOf = (moves: { delta: number }[]) => moves.reduce((s, m) => s + m.delta, 0);

describe('reserving stock', () => {
  it('never oversells: 20 concurrent orders through the real handler for stock 7 → exactly 7 reserved, 13 rejected', async () => {
    await setStock('hot', 7);
    const orders = Array.from({ length: 20 }, (_, i) => created(`race-${i}`, [['hot', 1]]));
    const failures = await Promise.all(orders.map((o) => deliver(o)));
    expect(failures).toEqual(Array(20).fill(0));
    expect(await stock.getStock('hot')).toEqual({ pk: 'PRODUCT#hot', sk: 'STOCK', productId: 'hot', available: 0, reserved: 7 });

    const out = (await emitted(t.doc, t.names.outbox)).filter((e) => e.detail.data.orderId.startsWith('race-'));
    const reserved = out.filter((e) => e.detailType === 'inventory.reserved').map((e) => e.detail.data.orderId);
    const rejected = out.filter((e) => e.detailType === 'inventory.rejected');
    expect([reserved.length, rejected.length, out.length]).toEqual([7, 13, 20]);
    expect(rejected.map((e) => e.detail.data).every((d) => d.reason === 'OUT_OF_STOCK' && d.productIds.join() === 'hot')).toBe(true);

    const trail = await stock.auditTrail('hot');
    expect(trail).toHaveLength(7);
    expect(sumOf(trail)).toBe(-7);
    expect(trail.map((m) => m.orderId).sort()).toEqual([...reserved].sort()); // each movement explained by a reservation
    expect(trail.every((m) => m.kind === 'RESERVE' && m.delta === -1)).toBe(true);
  });

  it('reserves all lines or none: a short second line leaves the first untouched', async () => {
    await setStock('a', 5);
    await setStock('b', 1);
    const order = created('multi', [
      ['a', 2],
      ['b', 2],
    ]);
    expect(await deliver(order)).toBe(0);
    expect(await stock.getStock('a')).toMatchObject({ available: 5, reserved: 0 });
    expect(await stock.getStock('b')).toMatchObject({ available: 1, reserved: 0 });
    expect([await stock.auditTrail('a'), await stock.auditTrail('b')]).toEqual([[], []]);
    const out = await emittedFor('multi');
    expect(out.map((e) => e.detailType)).toEqual(['inventory.rejected']);
    expect(out[0].detail.data).toEqual({ orderId: 'multi', customerId: 'c1', reason: 'OUT_OF_STOCK', productIds: ['b'] });
    expect(out[0].detail.metadata).toMatchObject({ correlationId: 'corr-multi', causationId: order.detail.metadata.eventId });
    expect(await stock.getReservation('multi')).toMatchObject({ status: 'REJECTED', reason: 'OUT_OF_STOCK' });
  });

  it('reserves every line, with one audit row per line and the order data in inventory.reserved', async () => {
    await setStock('x', 4);
    await setStock('y', 3);
    const order = created('both', [
      ['x', 4],
      ['y', 1],
    ]);
    expect(await deliver(order)).toBe(0);
    expect(await stock.getStock('x')).toMatchObject({ available: 0, reserved: 4 });
    expect(await stock.getStock('y')).toMatchObject({ available: 2, reserved: 1 });
    expect((await stock.auditTrail('x')).map((m) => [m.orderId, m.kind, m.delta])).toEqual([['both', 'RESERVE', -4]]);
    expect((await stock.auditTrail('y')).map((m) => [m.orderId, m.kind, m.delta])).toEqual([['both', 'RESERVE', -1]]);
    const out = await emittedFor('both');
    expect(out.map((e) => e.detailType)).toEqual(['inventory.reserved']);
    expect(out[0].detail.data).toEqual({
      orderId: 'both',
      customerId: 'c1',
      merchantId: 'm1',
      items: [
        { productId: 'x', quantity: 4 },
        { productId: 'y', quantity: 1 },
      ],
      total: eur(500),
    });
    expect(await stock.getReservation('both')).toMatchObject({
      status: 'RESERVED',
      customerId: 'c1',
      merchantId: 'm1',
      total: eur(500),
      items: [
        { productId: 'x', quantity: 4 },
        { productId: 'y', quantity: 1 },
      ],
    });
  });

  it('rejects a product without a stock row as UNKNOWN_PRODUCT, touching nothing', async () => {
    await setStock('known', 3);
    expect(
      await deliver(
        created('ghost', [
          ['known', 1],
          ['no-such-product', 1],
        ]),
      ),
    ).toBe(0);
    expect(await stock.getStock('known')).toMatchObject({ available: 3, reserved: 0 });
    expect(await stock.getStock('no-such-product')).toBeUndefined(); // ADD did not create it
    const out = await emittedFor('ghost');
    expect(out.map((e) => [e.detailType, e.detail.data.reason, e.detail.data.productIds])).toEqual([
      ['inventory.rejected', 'UNKNOWN_PRODUCT', ['no-such-product']],
    ]);
  });

  it('treats a re-run of the same order (new event id, concurrent or later) as done', async () => {
    await setStock('c', 10);
    const order = created('twice', [['c', 3]]);
    expect(await Promise.all([deliver(order), deliver(rerun(order))])).toEqual([0, 0]);
    expect(await deliver(rerun(order))).toBe(0);
    expect(await stock.getStock('c')).toMatchObject({ available: 7, reserved: 3 });
    expect(await stock.auditTrail('c')).toHaveLength(1);
    expect((await emittedFor('twice')).map((e) => e.detailType)).toEqual(['inventory.reserved']);
  });

  it('merges repeated lines of one product into one movement', async () => {
    await setStock('d', 5);
    expect(
      await deliver(
        created('repeat', [
          ['d', 1],
          ['d', 2],
        ]),
      ),
    ).toBe(0);
    expect(await stock.getStock('d')).toMatchObject({ available: 2, reserved: 3 });
    expect((await emittedFor('repeat'))[0].detail.data.items).toEqual([{ productId: 'd', quantity: 3 }]);
  });
});

describe('releasing stock', () => {
  it('restores stock exactly once when payment.failed is delivered twice (same id, and a re-run)', async () => {
    await setStock('r', 10);
    expect(await deliver(created('rel', [['r', 4]]))).toBe(0);
    const failed = paymentFailed('rel');
    expect(await Promise.all([deliver(failed), deliver(rerun(failed)), deliver(rerun(failed))])).toEqual([0, 0, 0]);
    expect(await deliver(failed)).toBe(0);
    expect(await stock.getStock('r')).toMatchObject({ available: 10, reserved: 0 });
    const trail = await stock.auditTrail('r');
    expect(trail.map((m) => [m.kind, m.delta])).toEqual([
      ['RESERVE', -4],
      ['RELEASE', 4],
    ]);
    expect(sumOf(trail)).toBe(0);
    const released = await emitted(t.doc, t.names.outbox, 'inventory.released', 'rel');
    expect(released.map((e) => e.detail.data)).toEqual([
      { orderId: 'rel', items: [{ productId: 'r', quantity: 4 }], reason: 'PAYMENT_FAILED' },
    ]);
    expect(await stock.getReservation('rel')).toMatchObject({ status: 'RELEASED', releaseReason: 'PAYMENT_FAILED' });
  });

  it('releases with the restaurant reason when the restaurant rejects', async () => {
    await setStock('s', 2);
    expect(await deliver(created('timeout', [['s', 2]]))).toBe(0);
    expect(await deliver(restaurantRejected('timeout'))).toBe(0);
    expect(await stock.getStock('s')).toMatchObject({ available: 2, reserved: 0 });
    expect((await emitted(t.doc, t.names.outbox, 'inventory.released', 'timeout')).map((e) => e.detail.data.reason)).toEqual([
      'ACK_TIMEOUT',
    ]);
  });

  it('does nothing for a rejected reservation', async () => {
    await setStock('e', 1);
    expect(await deliver(created('nothing-held', [['e', 5]]))).toBe(0);
    expect(await deliver(paymentFailed('nothing-held'))).toBe(0);
    expect(await stock.getStock('e')).toMatchObject({ available: 1, reserved: 0 });
    expect((await emittedFor('nothing-held')).map((e) => e.detailType)).toEqual(['inventory.rejected']);
  });

  it('fails (to retry, then the DLQ) a release for an order it never reserved, writing nothing', async () => {
    const before = (await t.doc.send(new ScanCommand({ TableName: t.names.inventory, ConsistentRead: true }))).Count;
    expect(await deliver(paymentFailed('early'))).toBe(1);
    expect((await t.doc.send(new ScanCommand({ TableName: t.names.inventory, ConsistentRead: true }))).Count).toBe(before);
    expect(await emittedFor('early')).toEqual([]);
  });
});
