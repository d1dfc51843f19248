import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { emitted } from '../../test/support/events';
import { apiEvent, lambdaContext } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import type { DomainEvent } from '../shared/contracts/events';

let t: TestTables;
let tablet: typeof import('./tablet');
let keys: typeof import('./merchant-keys');
let events: typeof import('../shared/contracts/events');
let api: typeof import('./api')['handler'];
let pizzaKey: string;
let sushiKey: string;

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'restaurant';
  tablet = await import('./tablet');
  keys = await import('./merchant-keys');
  events = await import('../shared/contracts/events');
  api = (await import('./api')).handler;
  pizzaKey = await keys.createMerchantKey(t.doc, t.names.restaurant, 'm-pizza');
  sushiKey = await keys.createMerchantKey(t.doc, t.names.restaurant, 'm-sushi');
});

const items = [{ productId: 'p-1', name: 'Pizza', quantity: 1, unitPrice: { amount: 950, currency: 'EUR' as const } }];
const paid = (orderId: string, merchantId: string): DomainEvent<'order.paid'> =>
  events.newEvent(
    'order.paid',
    { orderId, customerId: 'c1', merchantId, items, total: { amount: 950, currency: 'EUR' } },
    { correlationId: `corr-${orderId}`, causationId: 'x' },
  );

async function call(method: string, resource: string, pathParameters: Record<string, string>, key?: string, body?: unknown) {
  const path = resource.replace(/\{(\w+)\}/g, (_, k: string) => pathParameters[k]);
  const res = await api(
    apiEvent({ method, resource, path, pathParameters, body, headers: key ? { 'x-api-key': key } : {} }),
    lambdaContext('merchant-api'),
  );
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}
const list = (merchant: string, key?: string) => call('GET', '/merchants/{id}/orders', { id: merchant }, key);
const ack = (merchant: string, orderId: string, key?: string) =>
  call('POST', '/merchants/{id}/orders/{orderId}/acknowledge', { id: merchant, orderId }, key);
const reject = (merchant: string, orderId: string, key?: string, body: unknown = {}) =>
  call('POST', '/merchants/{id}/orders/{orderId}/reject', { id: merchant, orderId }, key, body);

/** Auth-failure datapoints (functions/shared/auth-metrics.ts): one total and one with the reason per rejection. */
function authFailures() {
  const metricSpy = vi.spyOn(Metrics.prototype, 'addMetric');
  const dimensionSpy = vi.spyOn(Metrics.prototype, 'addDimension');
  return () => ({
    total: metricSpy.mock.calls.filter(([name]) => name === 'AuthFailures').length / 2,
    reasons: dimensionSpy.mock.calls.filter(([name]) => name === 'reason').map(([, value]) => value),
  });
}

describe('merchant API keys', () => {
  it('are stored as a hash only, never in clear', async () => {
    expect(pizzaKey).toMatch(/^mk_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const rows = (await t.doc.send(new ScanCommand({ TableName: t.names.restaurant }))).Items ?? [];
    const stored = rows.filter((r) => String(r.pk).startsWith('MERCHANTKEY#'));
    expect(stored).toHaveLength(2);
    const secret = pizzaKey.split('_').at(-1)!;
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored.find((r) => r.merchantId === 'm-pizza')).toMatchObject({ secretSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('answer 401 when missing, malformed, unknown or with a wrong secret, each counted once with its reason', async () => {
    const wrongSecret = pizzaKey.slice(0, -4) + (pizzaKey.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const cases: [string | undefined, string][] = [
      [undefined, 'merchant-key-missing'],
      ['nope', 'merchant-key-malformed'],
      [`mk_${'0'.repeat(16)}_${'A'.repeat(43)}`, 'merchant-key-unknown'],
      [wrongSecret, 'merchant-key-wrong-secret'],
    ];
    for (const [key, reason] of cases) {
      const counted = authFailures();
      const res = await list('m-pizza', key);
      expect([res.status, res.body.error.code], String(key)).toEqual([401, 'UNAUTHORIZED']);
      expect(counted(), reason).toEqual({ total: 1, reasons: [reason] });
      vi.restoreAllMocks();
    }
  });

  it("count a valid key used on another merchant's path (403), and nothing for an accepted key", async () => {
    let counted = authFailures();
    expect((await list('m-sushi', pizzaKey)).status).toBe(403);
    expect(counted()).toEqual({ total: 1, reasons: ['merchant-forbidden'] });
    vi.restoreAllMocks();
    counted = authFailures();
    expect((await list('m-pizza', pizzaKey)).status).toBe(200);
    expect(counted()).toEqual({ total: 0, reasons: [] });
    vi.restoreAllMocks();
  });
});

describe('merchant tablet routes', () => {
  it("list and decide only the key's own merchant's orders", async () => {
    await tablet.sendToTablet(paid('o-pizza-1', 'm-pizza').detail);
    await tablet.sendToTablet(paid('o-sushi-1', 'm-sushi').detail);

    const mine = await list('m-pizza', pizzaKey);
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((o: { orderId: string }) => o.orderId)).toEqual(['o-pizza-1']);

    // Another merchant's path: 403; another merchant's order under one's own path: 404.
    expect((await list('m-sushi', pizzaKey)).status).toBe(403);
    expect((await ack('m-sushi', 'o-sushi-1', pizzaKey)).status).toBe(403);
    expect((await ack('m-pizza', 'o-sushi-1', pizzaKey)).status).toBe(404);
    expect((await tablet.getTabletOrder('o-sushi-1'))?.status).toBe('SENT_TO_TABLET');
    expect(await emitted(t.doc, t.names.outbox, 'restaurant.order-received', 'o-sushi-1')).toEqual([]);
  });

  it('acknowledges once, with the event carrying the order correlation id; a second decision is 409', async () => {
    await tablet.sendToTablet(paid('o-pizza-2', 'm-pizza').detail);
    const res = await ack('m-pizza', 'o-pizza-2', pizzaKey);
    expect(res).toEqual({ status: 200, body: { orderId: 'o-pizza-2', status: 'RECEIVED' } });
    const [received] = await emitted(t.doc, t.names.outbox, 'restaurant.order-received', 'o-pizza-2');
    expect(received.detail.metadata.correlationId).toBe('corr-o-pizza-2');
    expect((await ack('m-pizza', 'o-pizza-2', pizzaKey)).status).toBe(409);
    expect((await reject('m-pizza', 'o-pizza-2', pizzaKey)).status).toBe(409);
    expect(await emitted(t.doc, t.names.outbox, 'restaurant.order-received', 'o-pizza-2')).toHaveLength(1);
  });

  it('rejects with a bounded reason, validated before anything is written', async () => {
    await tablet.sendToTablet(paid('o-sushi-2', 'm-sushi').detail);
    const bad = await reject('m-sushi', 'o-sushi-2', sushiKey, { reason: 'x'.repeat(201) });
    expect([bad.status, bad.body.error.fields[0].field]).toEqual([400, 'body.reason']);
    expect((await reject('m-sushi', 'o-sushi-2', sushiKey, { reason: 'out of salmon', extra: 1 })).status).toBe(400);
    expect((await tablet.getTabletOrder('o-sushi-2'))?.status).toBe('SENT_TO_TABLET');
    const res = await reject('m-sushi', 'o-sushi-2', sushiKey, { reason: 'out of salmon' });
    expect(res).toEqual({ status: 200, body: { orderId: 'o-sushi-2', status: 'REJECTED' } });
    const [rejected] = await emitted(t.doc, t.names.outbox, 'restaurant.order-rejected', 'o-sushi-2');
    expect(rejected.detail.data).toMatchObject({ merchantId: 'm-sushi', reason: 'REJECTED_BY_RESTAURANT' });
  });
});

describe('revoking a merchant key', () => {
  it("refuses the key from its next request, leaves the merchant's other keys working, and says when there was none", async () => {
    const spare = await keys.createMerchantKey(t.doc, t.names.restaurant, 'm-pizza');
    const doomed = await keys.createMerchantKey(t.doc, t.names.restaurant, 'm-pizza');
    expect((await list('m-pizza', doomed)).status).toBe(200);
    expect(await keys.revokeMerchantKey(t.doc, t.names.restaurant, keys.keyIdOf(doomed)!)).toBe('m-pizza');
    expect((await list('m-pizza', doomed)).status).toBe(401);
    expect((await list('m-pizza', spare)).status).toBe(200);
    // The whole key works as well as its id; a second revocation, or a made-up id, revokes nothing.
    expect(await keys.revokeMerchantKey(t.doc, t.names.restaurant, spare)).toBe('m-pizza');
    expect((await list('m-pizza', spare)).status).toBe(401);
    expect(await keys.revokeMerchantKey(t.doc, t.names.restaurant, spare)).toBeUndefined();
    expect(await keys.revokeMerchantKey(t.doc, t.names.restaurant, 'not-a-key-id')).toBeUndefined();
  });
});
