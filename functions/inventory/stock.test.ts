import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitted } from '../../test/support/events';
import { sqsEventOf, lambdaContext } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let stock: typeof import('./stock');
let events: typeof import('../shared/contracts/events');
let consumer: typeof import('./consumer');

beforeAll(async () => {
  t = await useTables();
  stock = await import('./stock');
  events = await import('../shared/contracts/events');
  consumer = await import('./consumer');
});

const setStock = (productId: string, available: number) =>
  t.doc.send(new PutCommand({ TableName: t.names.inventory, Item: { pk: `PRODUCT#${productId}`, sk: 'STOCK', productId, available, reserved: 0 } }));

const created = (orderId: string, lines: [string, number][]) =>
  events.newEvent(
    'order.created',
    {
      orderId,
      customerId: 'c1',
      merchantId: 'm1',
      items: lines.map(([productId, quantity]) => ({ productId, name: productId, quantity, unitPrice: { amount: 100, currency: 'EUR' as const } })),
      total: { amount: 100 * lines.reduce((s, [, q]) => s + q, 0), currency: 'EUR' as const },
    },
    { correlationId: orderId, causationId: orderId },
  );

describe('inventory', () => {
  it('never oversells: 20 concurrent orders through the real handler for stock 7 → exactly 7 reserved', async () => {
    await setStock('hot', 7);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => consumer.handler(sqsEventOf(created(`race-${i}`, [['hot', 1]])), lambdaContext('inventory'))),
    );
    expect(results.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(await stock.getStock('hot')).toMatchObject({ available: 0, reserved: 7 });
    const reserved = (await emitted(t.doc, t.names.outbox, 'inventory.reserved')).filter((e) => e.detail.data.orderId.startsWith('race-'));
    const rejected = (await emitted(t.doc, t.names.outbox, 'inventory.rejected')).filter((e) => e.detail.data.orderId.startsWith('race-'));
    expect([reserved.length, rejected.length]).toEqual([7, 13]);
    expect(rejected.every((e) => e.detail.data.reason === 'OUT_OF_STOCK' && e.detail.data.productIds[0] === 'hot')).toBe(true);
    const trail = await stock.auditTrail('hot');
    expect(trail.reduce((s, m) => s + (m.delta as number), 0)).toBe(-7);
  });

  it('reserves all lines or none', async () => {
    await setStock('a', 5);
    await setStock('b', 1);
    expect(await stock.reserve(created('multi', [['a', 2], ['b', 2]]).detail)).toBe('REJECTED');
    expect(await stock.getStock('a')).toMatchObject({ available: 5, reserved: 0 });
    const [rejection] = await emitted(t.doc, t.names.outbox, 'inventory.rejected', 'multi');
    expect(rejection.detail.data).toMatchObject({ reason: 'OUT_OF_STOCK', productIds: ['b'] });
  });

  it('rejects an unknown product as such', async () => {
    expect(await stock.reserve(created('ghost', [['no-such-product', 1]]).detail)).toBe('REJECTED');
    const [rejection] = await emitted(t.doc, t.names.outbox, 'inventory.rejected', 'ghost');
    expect(rejection.detail.data.reason).toBe('UNKNOWN_PRODUCT');
  });

  it('treats a re-run of the same order as done, and releases exactly once', async () => {
    await setStock('c', 10);
    const event = created('twice', [['c', 3]]);
    expect(await stock.reserve(event.detail)).toBe('RESERVED');
    expect(await stock.reserve(event.detail)).toBe('ALREADY_DONE');
    expect(await stock.getStock('c')).toMatchObject({ available: 7, reserved: 3 });
    const cause = { metadata: event.detail.metadata };
    const outcomes = await Promise.all([stock.release('twice', 'test', cause), stock.release('twice', 'test', cause)]);
    expect(outcomes.sort()).toEqual(['NOTHING_TO_RELEASE', 'RELEASED']);
    expect(await stock.getStock('c')).toMatchObject({ available: 10, reserved: 0 });
    expect(await emitted(t.doc, t.names.outbox, 'inventory.released', 'twice')).toHaveLength(1);
  });

  it('retries a release that overtakes its reservation', async () => {
    const event = created('early', [['c', 1]]);
    await expect(stock.release('early', 'test', { metadata: event.detail.metadata })).rejects.toThrow(/no reservation/);
  });
});
