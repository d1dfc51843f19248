import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitted } from '../../test/support/events';
import { lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let store: typeof import('./order-store');
let saga: typeof import('./saga-consumer');
let events: typeof import('../shared/contracts/events');

beforeAll(async () => {
  t = await useTables();
  store = await import('./order-store');
  saga = await import('./saga-consumer');
  events = await import('../shared/contracts/events');
});

async function placed(orderId: string) {
  const now = new Date().toISOString();
  await t.doc.send(
    new PutCommand({
      TableName: t.names.orders,
      Item: { ...store.orderKey(orderId), orderId, customerId: 'c1', merchantId: 'm1', items: [{ productId: 'p', name: 'P', quantity: 1, unitPrice: { amount: 700, currency: 'EUR' } }], total: { amount: 700, currency: 'EUR' }, status: 'PLACED', statusRank: 0, milestones: { PLACED: now }, createdAt: now, updatedAt: now, correlationId: orderId },
    }),
  );
}
const cause = (id: string) => ({ correlationId: id, causationId: id });

describe('order status', () => {
  it('only moves up, and never leaves a terminal state', async () => {
    await placed('o1');
    const at = new Date().toISOString();
    expect(await store.transition('o1', 'CHARGED', at)).toBe(true);
    expect(await store.transition('o1', 'RESERVED', at)).toBe(false); // late
    expect(await store.transition('o1', 'CHARGED', at)).toBe(false); // duplicate
    expect(await store.transition('o1', 'PAYMENT_FAILED', at)).toBe(true);
    expect(await store.transition('o1', 'DELIVERED', at)).toBe(false);
    expect((await store.getOrder('o1'))?.status).toBe('PAYMENT_FAILED');
  });

  it('emits order.paid once when payment.processed is delivered twice at the same time', async () => {
    await placed('o2');
    const processed = events.newEvent('payment.processed', { orderId: 'o2', customerId: 'c1', paymentId: 'pay', amount: { amount: 700, currency: 'EUR' }, providerChargeId: 'ch' }, cause('o2'));
    const copy = { ...processed, detail: { ...processed.detail, metadata: { ...processed.detail.metadata, eventId: crypto.randomUUID() } } };
    const results = await Promise.all([saga.handler(sqsEventOf(processed), lambdaContext('saga')), saga.handler(sqsEventOf(copy), lambdaContext('saga'))]);
    expect(results.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(await emitted(t.doc, t.names.outbox, 'order.paid', 'o2')).toHaveLength(1);
    const order = await store.getOrder('o2');
    expect(order?.status).toBe('CHARGED');
    expect(Object.keys(order!.milestones).sort()).toEqual(['CHARGED', 'PLACED', 'RESERVED']); // history stays complete
  });

  it('cancels once after the restaurant rejection, the refund and the release, in any order', async () => {
    await placed('o3');
    await store.transition('o3', 'CHARGED', new Date().toISOString());
    const rejection = events.newEvent('restaurant.order-rejected', { orderId: 'o3', customerId: 'c1', merchantId: 'm1', reason: 'ACK_TIMEOUT' }, cause('o3'));
    const refunded = events.newEvent('payment.refunded', { orderId: 'o3', customerId: 'c1', paymentId: 'pay', amount: { amount: 700, currency: 'EUR' }, reason: 'ACK_TIMEOUT' }, cause('o3'));
    const released = events.newEvent('inventory.released', { orderId: 'o3', items: [{ productId: 'p', quantity: 1 }], reason: 'ACK_TIMEOUT' }, cause('o3'));
    await saga.handler(sqsEventOf(refunded), lambdaContext('saga'));
    expect((await store.getOrder('o3'))?.status).toBe('CHARGED');
    await Promise.all([saga.handler(sqsEventOf(released), lambdaContext('saga')), saga.handler(sqsEventOf(rejection), lambdaContext('saga'))]);
    expect((await store.getOrder('o3'))?.status).toBe('CANCELLED');
    expect(await emitted(t.doc, t.names.outbox, 'order.cancelled', 'o3')).toHaveLength(1);
  });

  it('fails (for retry, then the DLQ) an event for an order it does not know', async () => {
    const orphan = events.newEvent('payment.processed', { orderId: 'nope', customerId: 'c1', paymentId: 'pay', amount: { amount: 1, currency: 'EUR' }, providerChargeId: 'ch' }, cause('nope'));
    const result = await saga.handler(sqsEventOf(orphan), lambdaContext('saga'));
    expect(result.batchItemFailures).toHaveLength(1);
  });
});
