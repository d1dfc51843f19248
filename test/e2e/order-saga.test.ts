/**
 * The saga end to end on the offline platform: HTTP in, events through the outbox relay, the bus, every consumer's
 * queue, the simulated tablet and courier, and HTTP out. Each outcome of the design's saga diagram is one test.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../offline/runtime/wait';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(() => t?.stop());

async function firstProduct(
  merchantId: string,
): Promise<{ productId: string; price: { amount: number; currency: string }; stock: number }> {
  const list = await t.api('GET', `/products?merchantId=${merchantId}`);
  expect(list.status).toBe(200);
  const candidate = list.body.items.find((p: any) => p.productId !== 'p-truffle-pizza');
  return (await t.api('GET', `/products/${candidate.productId}`)).body;
}

const stockOf = async (productId: string): Promise<number> => (await t.api('GET', `/products/${productId}`)).body.stock;

async function placeOrder(customerId: string, merchantId: string, productId: string, quantity: number) {
  const res = await t.placeOrder(customerId, merchantId, [{ productId, quantity }]);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.status).toBe('PLACED');
  return res.body.orderId as string;
}

describe('order saga', () => {
  it('delivers a paid order: PLACED → … → DELIVERED, with tracking, charged total and stock taken', async () => {
    const product = await firstProduct('m-pizza');
    const stockBefore = await stockOf(product.productId);
    const orderId = await placeOrder('c-alice', 'm-pizza', product.productId, 2);

    const order = await t.waitForStatus(orderId, 'DELIVERED');
    expect(order.total).toEqual({ amount: product.price.amount * 2, currency: product.price.currency });
    const statuses = order.history.map((h: any) => h.status);
    for (const s of ['PLACED', 'RESERVED', 'CHARGED', 'RECEIVED_BY_RESTAURANT', 'OUT_FOR_DELIVERY', 'DELIVERED'])
      expect(statuses).toContain(s);
    const times = order.history.map((h: any) => Date.parse(h.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times); // history is in time order

    const tracking = await t.api('GET', `/orders/${orderId}/tracking`, undefined, await t.as('c-alice'));
    expect(tracking.status).toBe(200);
    expect(tracking.body.points.map((p: any) => p.status).at(-1)).toBe('DELIVERED');
    expect(await stockOf(product.productId)).toBe(stockBefore - 2);

    const payment = await t.doc.send(
      new GetCommand({ TableName: t.table('DataPayments'), Key: { pk: `ORDER#${orderId}`, sk: 'PAYMENT' } }),
    );
    expect(payment.Item).toMatchObject({ status: 'CHARGED', amount: order.total });
  });

  it('rejects an order the stock cannot cover, and takes no stock', async () => {
    const before = await stockOf('p-truffle-pizza');
    const orderId = await placeOrder('c-alice', 'm-pizza', 'p-truffle-pizza', before + 1);
    const order = await t.waitForStatus(orderId, 'REJECTED');
    expect(order.history.map((h: any) => h.status)).not.toContain('CHARGED');
    expect(await stockOf('p-truffle-pizza')).toBe(before);
  });

  it('fails a declined payment and releases the stock it had reserved', async () => {
    const product = await firstProduct('m-sushi');
    const before = await stockOf(product.productId);
    const orderId = await placeOrder('c-declined', 'm-sushi', product.productId, 3);
    const order = await t.waitForStatus(orderId, 'PAYMENT_FAILED');
    expect(order.history.map((h: any) => h.status)).toContain('RESERVED');
    await expectEventually(() => stockOf(product.productId), before);
  });

  it('cancels, refunds and releases when the restaurant rejects the order', async () => {
    const product = await firstProduct('m-closed');
    const before = await stockOf(product.productId);
    const orderId = await placeOrder('c-bob', 'm-closed', product.productId, 1);
    await t.waitForStatus(orderId, 'CANCELLED');
    await expectRefundedAndReleased(orderId, product.productId, before);
  });

  it('cancels, refunds and releases when the tablet never acknowledges within the deadline', async () => {
    const product = await firstProduct('m-silent');
    const before = await stockOf(product.productId);
    const orderId = await placeOrder('c-bob', 'm-silent', product.productId, 1);
    const order = await t.waitForStatus(orderId, 'CANCELLED', 45_000); // the test speed's ack deadline is 20 s
    expect(order.history.map((h: any) => h.status)).toContain('CHARGED');
    expect(order.history.map((h: any) => h.status)).not.toContain('RECEIVED_BY_RESTAURANT');
    await expectRefundedAndReleased(orderId, product.productId, before);
  });

  it('answers the same Idempotency-Key with the same order and charges once', async () => {
    const product = await firstProduct('m-burger');
    const items = [{ productId: product.productId, quantity: 1 }];
    const key = { 'Idempotency-Key': `e2e-${Date.now()}` };
    const [a, b] = await Promise.all([t.placeOrder('c-alice', 'm-burger', items, key), t.placeOrder('c-alice', 'm-burger', items, key)]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.orderId).toBe(a.body.orderId);
    await t.waitForStatus(a.body.orderId, 'DELIVERED');
    const mine = await t.api('GET', '/orders', undefined, await t.as('c-alice'));
    expect(mine.body.items.filter((o: any) => o.orderId === a.body.orderId)).toHaveLength(1);
  });

  it('rejects bad input with a 4xx naming the field, and writes nothing', async () => {
    const alice = await t.as('c-alice');
    const before = await t.api('GET', '/orders', undefined, alice);
    const cases: [unknown, number, string, Record<string, string>][] = [
      [{ merchantId: 'm-pizza', items: [] }, 400, 'body.items', alice],
      [{ merchantId: 'm-pizza', items: [{ productId: 'p-x', quantity: -1 }] }, 400, 'body.items.0.quantity', alice],
      [{ merchantId: 'm-pizza', items: [{ productId: 'p-x', quantity: 1 }], price: 1 }, 400, 'body', alice],
      // The customer is the token's: naming one in the body is an unknown field, not a way to order for someone else.
      [{ customerId: 'c-bob', merchantId: 'm-pizza', items: [{ productId: 'p-margherita', quantity: 1 }] }, 400, 'customerId', alice],
      [{ merchantId: 'm-pizza', items: [{ productId: 'p-truffle-pizza', quantity: 1 }] }, 404, 'token.sub', await t.as('c-nobody')],
      [{ merchantId: 'm-pizza', items: [{ productId: 'p-does-not-exist', quantity: 1 }] }, 422, 'items.0.productId', alice],
    ];
    for (const [body, status, field, auth] of cases) {
      const res = await t.api('POST', '/orders', body, auth);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(res.body.error), JSON.stringify(body)).toContain(field);
    }
    const malformed = await t.api('POST', '/orders', '{"merchantId": ', { 'content-type': 'application/json', ...alice });
    expect(malformed.status).toBe(400);
    const notJson = await t.api('POST', '/orders', 'merchantId=m-pizza', { 'content-type': 'text/plain', ...alice });
    expect([notJson.status, notJson.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const huge = await t.api(
      'POST',
      '/orders',
      { merchantId: 'm-pizza', items: [{ productId: 'p-margherita', quantity: 1 }], pad: 'x'.repeat(20_000) },
      alice,
    );
    expect([huge.status, huge.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const after = await t.api('GET', '/orders', undefined, alice);
    expect(after.body.items.length).toBe(before.body.items.length);
  });
});

async function expectEventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 20_000): Promise<void> {
  let last: T | undefined;
  await waitFor(async () => (last = await read()) === expected, {
    timeoutMs,
    description: `value ${String(expected)} (last ${String(last)})`,
  }).catch(() => undefined);
  expect(last).toBe(expected);
}

async function expectRefundedAndReleased(orderId: string, productId: string, stockBefore: number): Promise<void> {
  const payment = await t.doc.send(new GetCommand({ TableName: t.table('DataPayments'), Key: { pk: `ORDER#${orderId}`, sk: 'PAYMENT' } }));
  expect(payment.Item?.status).toBe('REFUNDED');
  expect(await stockOf(productId)).toBe(stockBefore);
}
