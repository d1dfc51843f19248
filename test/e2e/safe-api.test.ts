/**
 * The API's switches and limits end to end, offline: read-only mode (the SSM ordering switch) refuses new orders
 * while the catalog and order status keep answering and an in-flight order still reaches DELIVERED; a paused
 * merchant; and API Gateway's throttling from the template answering 429.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../offline/runtime/wait';
import { applyCommand } from '../../tools/ordering-switch';
import { createMerchantKey } from '../../functions/restaurant/merchant-keys';
import { ORDERING_OPEN, OrderingStateSchema } from '../../functions/shared/ordering-state';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
let parameter: string;
beforeAll(async () => {
  t = await startTestPlatform();
  parameter = t.platform.model.outputs.OrderingParameterName;
});
afterAll(() => t?.stop());

/** What `npm run ordering -- <command>` does, against the offline SSM. */
function ordering(command: string, merchantId?: string) {
  const current = OrderingStateSchema.parse(JSON.parse(t.platform.parameters.get(parameter)!));
  t.platform.parameters.put(parameter, JSON.stringify(applyCommand(current, command, merchantId)));
}
const order = (merchantId = 'm-pizza', productId = 'p-margherita') => t.placeOrder('c-alice', merchantId, [{ productId, quantity: 1 }]);

describe('read-only mode', () => {
  it('starts open: the template holds the open switch', () => {
    expect(JSON.parse(t.platform.parameters.get(parameter)!)).toEqual(ORDERING_OPEN);
  });

  it('refuses new orders with 503 while menus, search and order status answer, and an in-flight order is delivered', async () => {
    const inFlight = await order();
    expect(inFlight.status).toBe(202);
    ordering('read-only');
    try {
      // The API reads the switch through a 5 s cache: within a few seconds every new order is refused.
      let refused: Awaited<ReturnType<typeof order>> | undefined;
      await waitFor(async () => (refused = await order('m-sushi', 'p-salmon-nigiri')).status === 503, {
        timeoutMs: 15_000,
        description: 'POST /orders answering 503',
      });
      expect(refused!.headers.get('retry-after')).toBe('300');
      expect(refused!.body.error.code).toBe('ORDERING_PAUSED');
      expect(refused!.body.error.message).toMatch(/not taking new orders right now/);

      expect((await t.api('GET', '/products?merchantId=m-pizza')).status).toBe(200);
      expect((await t.api('GET', '/products?q=pizza')).status).toBe(200);
      expect((await t.api('GET', '/products/p-margherita')).status).toBe(200);
      expect((await t.api('GET', `/orders/${inFlight.body.orderId}`, undefined, await t.as('c-alice'))).status).toBe(200);
      await t.waitForStatus(inFlight.body.orderId, 'DELIVERED');
      expect((await t.api('GET', `/orders/${inFlight.body.orderId}/tracking`, undefined, await t.as('c-alice'))).status).toBe(200);
    } finally {
      ordering('open');
    }
    await waitFor(async () => (await order()).status === 202, { timeoutMs: 15_000, description: 'orders accepted again' });
  });

  it('pauses one merchant while the others take orders', async () => {
    ordering('pause', 'm-burger');
    try {
      await waitFor(async () => (await order('m-burger', 'p-classic-burger')).status === 503, {
        timeoutMs: 15_000,
        description: 'm-burger paused',
      });
      expect((await order('m-pizza')).status).toBe(202);
    } finally {
      ordering('resume', 'm-burger');
    }
  });
});

describe('who is calling', () => {
  it('answers 401 without a token or with a tampered or expired one', async () => {
    const body = { merchantId: 'm-pizza', items: [{ productId: 'p-margherita', quantity: 1 }] };
    expect((await t.api('POST', '/orders', body)).status).toBe(401);
    expect((await t.api('GET', '/orders')).status).toBe(401);
    const [h, p, sig] = (await t.platform.issuer.sign('c-alice')).split('.');
    const asBob = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'c-bob' })).toString(
      'base64url',
    );
    expect((await t.api('GET', '/orders', undefined, { authorization: `Bearer ${h}.${asBob}.${sig}` })).status).toBe(401);
    const expired = await t.platform.issuer.sign('c-alice', { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const res = await t.api('GET', '/orders', undefined, { authorization: `Bearer ${expired}` });
    expect([res.status, res.body.error.message]).toEqual([401, 'the token has expired']);
  });

  it("never lets customer A read or list customer B's order", async () => {
    const bobs = await t.placeOrder('c-bob', 'm-sushi', [{ productId: 'p-salmon-nigiri', quantity: 1 }]);
    expect(bobs.status).toBe(202);
    const alice = await t.as('c-alice');
    expect((await t.api('GET', `/orders/${bobs.body.orderId}`, undefined, alice)).status).toBe(404);
    expect((await t.api('GET', `/orders/${bobs.body.orderId}/tracking`, undefined, alice)).status).toBe(404);
    expect((await t.api('GET', '/customers/c-bob', undefined, alice)).status).toBe(404);
    const aliceList = await t.api('GET', '/orders?limit=50', undefined, alice);
    expect(aliceList.body.items.map((o: any) => o.orderId)).not.toContain(bobs.body.orderId);
    expect((await t.api('GET', '/orders?customerId=c-bob', undefined, alice)).status).toBe(400);
    expect((await t.api('GET', `/orders/${bobs.body.orderId}`, undefined, await t.as('c-bob'))).status).toBe(200);
  });
});

describe('merchants', () => {
  it("act on their own tablet with their key, never another merchant's", async () => {
    const silentKey = await createMerchantKey(t.doc, t.table('DataRestaurant'), 'm-silent');
    const pizzaKey = await createMerchantKey(t.doc, t.table('DataRestaurant'), 'm-pizza');
    // m-silent's simulated tablet never answers: the merchant acknowledges over the API instead.
    const placed = await t.placeOrder('c-bob', 'm-silent', [{ productId: 'p-pancakes', quantity: 1 }]);
    const orderId = placed.body.orderId;
    await waitFor(
      async () =>
        (await t.api('GET', '/merchants/m-silent/orders', undefined, { 'x-api-key': silentKey })).body.items?.some(
          (o: any) => o.orderId === orderId,
        ),
      {
        timeoutMs: 20_000,
        description: 'the order on m-silent tablet',
      },
    );
    expect((await t.api('GET', '/merchants/m-silent/orders', undefined, { 'x-api-key': pizzaKey })).status).toBe(403);
    expect((await t.api('POST', `/merchants/m-pizza/orders/${orderId}/acknowledge`, undefined, { 'x-api-key': pizzaKey })).status).toBe(
      404,
    );
    expect((await t.api('GET', '/merchants/m-silent/orders')).status).toBe(401);
    const ack = await t.api('POST', `/merchants/m-silent/orders/${orderId}/acknowledge`, undefined, { 'x-api-key': silentKey });
    expect([ack.status, ack.body.status]).toEqual([200, 'RECEIVED']);
    await t.waitForStatus(orderId, 'DELIVERED');
  });
});

describe('health and readiness', () => {
  it('answers /health without dependencies and /ready with every table, the bus and the switch', async () => {
    expect((await t.api('GET', '/health')).body.status).toBe('ok');
    const ready = await t.api('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(Object.keys(ready.body.checks)).toEqual(expect.arrayContaining(['bus', 'parameter:ordering', 'table:orders', 'table:outbox']));
    expect(Object.keys(ready.body.checks).filter((k) => k.startsWith('table:'))).toHaveLength(12);
  });
});

describe('security headers', () => {
  const SECURE = { 'x-content-type-options': 'nosniff', 'strict-transport-security': 'max-age=31536000; includeSubDomains' };
  const headersOf = (res: { headers: Headers }) => Object.fromEntries(res.headers);

  it("are on every answer: private ones no-store, the public catalog briefly cacheable, API Gateway's own and /ops too", async () => {
    const order = await t.placeOrder('c-alice', 'm-pizza', [{ productId: 'p-margherita', quantity: 1 }]);
    expect(headersOf(order)).toMatchObject({ ...SECURE, 'cache-control': 'no-store' });
    expect(headersOf(await t.api('GET', `/orders/${order.body.orderId}`, undefined, await t.as('c-alice')))).toMatchObject({
      ...SECURE,
      'cache-control': 'no-store',
    });
    expect(headersOf(await t.api('GET', '/orders'))).toMatchObject({ ...SECURE, 'cache-control': 'no-store' }); // the 401
    expect(headersOf(await t.api('GET', '/products/p-margherita'))).toMatchObject({ ...SECURE, 'cache-control': 'public, max-age=30' });
    expect(headersOf(await t.api('GET', '/products/no-such-product'))).toMatchObject({ ...SECURE, 'cache-control': 'no-store' });
    expect(headersOf(await t.api('GET', '/nowhere'))).toMatchObject({ ...SECURE, 'cache-control': 'no-store' }); // API Gateway's 403
    const ops = await t.api('GET', '/ops');
    expect(headersOf(ops)).toMatchObject({ ...SECURE, 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' });
  });
});

describe('throttling', () => {
  it('answers 429 past the stage burst (100) from the template', async () => {
    // All at once, one socket each (fetch would pool them and spread them over time, refilling the bucket).
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const once = () =>
      new Promise<number>((resolve, reject) =>
        request(`${t.platform.apiUrl}/health`, { agent }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end(),
      );
    const statuses = await Promise.all(Array.from({ length: 300 }, once));
    const ok = statuses.filter((s) => s === 200).length;
    const limited = statuses.filter((s) => s === 429).length;
    expect(ok + limited).toBe(300);
    expect(ok).toBeGreaterThanOrEqual(100);
    expect(limited).toBeGreaterThan(0);
  });
});
