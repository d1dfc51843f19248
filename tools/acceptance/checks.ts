/**
 * The acceptance checks (docs/acceptance.md says what each proves). Each is independent: it gets what it needs
 * (tokens, keys, its own orders) from the context and throws an Error whose message is the reason it failed. The
 * order of the list matters only for the switches: read-only mode closes ordering for everyone, the SLI check drops
 * orders, so both run last.
 */
import { randomUUID } from 'node:crypto';
import { poll, type Reply } from './http';
import { type AcceptanceContext, cliReason } from './target';

export interface Check {
  name: string;
  /** Only with --sli. */
  sli?: boolean;
  run(ctx: AcceptanceContext): Promise<string | undefined>;
}

const TERMINAL = ['DELIVERED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];

function expectStatus(res: Reply, status: number, what: string) {
  if (res.status !== status)
    throw new Error(`${what} answered ${res.status}, expected ${status}: ${JSON.stringify(res.body)?.slice(0, 300)}`);
}

interface Line {
  productId: string;
  quantity: number;
}

async function placeOrder(ctx: AcceptanceContext, customerId: string, merchantId: string, items: Line[], idempotencyKey?: string) {
  const res = await ctx.api.request('POST', '/orders', {
    token: await ctx.token(customerId),
    body: { merchantId, items },
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });
  expectStatus(res, 202, `POST /orders (${customerId} at ${merchantId})`);
  if (typeof res.body?.orderId !== 'string') throw new Error(`POST /orders answered 202 without an orderId: ${JSON.stringify(res.body)}`);
  return res.body.orderId as string;
}

/** Polls GET /orders/{id} until `status` (and the history milestones `milestones`); fails at once on another terminal status. */
async function waitForOrder(ctx: AcceptanceContext, customerId: string, orderId: string, status: string, milestones: string[] = []) {
  const token = await ctx.token(customerId);
  let last: any;
  return poll(
    async () => {
      const res = await ctx.api.request('GET', `/orders/${orderId}`, { token });
      expectStatus(res, 200, `GET /orders/${orderId}`);
      last = res.body;
      const seen = new Set<string>((last.history ?? []).map((h: { status: string }) => h.status));
      if (last.status !== status && TERMINAL.includes(last.status))
        throw new Error(`order ${orderId} ended ${last.status}, expected ${status} (history ${[...seen].join(' → ')})`);
      return last.status === status && milestones.every((m) => seen.has(m)) ? last : undefined;
    },
    {
      timeoutMs: ctx.orderTimeoutMs,
      intervalMs: 500,
      description: `order ${orderId} to reach ${[status, ...milestones].join(' + ')}`,
      last: () => `it is ${last?.status} (history ${(last?.history ?? []).map((h: { status: string }) => h.status).join(' → ')})`,
    },
  );
}

const historyOf = (order: any): string[] => (order.history ?? []).map((h: { status: string }) => h.status);

/** What a check switched on the target and has not switched back yet: run by the CLI on Ctrl-C (scripts/acceptance.ts). */
export const PENDING_RESTORES = new Set<() => Promise<string | undefined>>();

/** Runs `body`, then `restore` whatever happened; a failed restore is part of the reason (never hidden by the body's). */
async function thenRestore<T>(body: () => Promise<T>, restore: () => Promise<string | undefined>): Promise<T> {
  let result: T | undefined;
  let failure: Error | undefined;
  PENDING_RESTORES.add(restore);
  try {
    result = await body();
  } catch (err) {
    failure = err as Error;
  }
  // Still pending while it runs: a Ctrl-C now runs it again rather than leave it half done (both are idempotent).
  const notRestored = await restore();
  PENDING_RESTORES.delete(restore);
  if (notRestored) throw new Error(failure ? `${failure.message}; and ${notRestored}` : notRestored);
  if (failure) throw failure;
  return result as T;
}
const margherita = [{ productId: 'p-margherita', quantity: 1 }];

export const CHECKS: Check[] = [
  {
    name: 'health',
    async run({ api }) {
      const res = await api.request('GET', '/health');
      expectStatus(res, 200, 'GET /health');
      if (res.body?.status !== 'ok') throw new Error(`GET /health said ${JSON.stringify(res.body)}`);
      return undefined;
    },
  },
  {
    name: 'readiness',
    async run(ctx) {
      // A new LocalStack stack holds no issuer keys until `npm run token -- --publish` (README): publish, then ask.
      if (ctx.kind === 'localstack') await ctx.token('c-alice').catch(() => undefined);
      const res = await ctx.api.request('GET', '/ready');
      if (res.status !== 200 || res.body?.status !== 'ready')
        throw new Error(`GET /ready answered ${res.status} ${res.body?.status}: down ${JSON.stringify(res.body?.down ?? res.body)}`);
      return `${Object.keys(res.body.checks ?? {}).length} dependencies ok`;
    },
  },
  {
    name: 'catalog',
    async run({ api }) {
      const merchants = await api.request('GET', '/merchants');
      expectStatus(merchants, 200, 'GET /merchants');
      const ids = (merchants.body.items ?? []).map((m: { merchantId: string }) => m.merchantId);
      for (const m of ['m-pizza', 'm-silent'])
        if (!ids.includes(m)) throw new Error(`GET /merchants has no ${m} (seeded?): ${ids.join(', ')}`);
      const menu = await api.request('GET', '/products?merchantId=m-pizza');
      expectStatus(menu, 200, 'GET /products?merchantId=m-pizza');
      const others = (menu.body.items ?? []).filter((p: { merchantId: string }) => p.merchantId !== 'm-pizza');
      if (!menu.body.items?.length || others.length)
        throw new Error(`m-pizza's menu holds ${menu.body.items?.length} items, ${others.length} of another merchant`);
      const product = await api.request('GET', '/products/p-margherita');
      expectStatus(product, 200, 'GET /products/p-margherita');
      const { price, stock } = product.body;
      if (!Number.isInteger(price?.amount) || typeof price?.currency !== 'string' || typeof stock !== 'number')
        throw new Error(`p-margherita has no integer price in minor units and stock: ${JSON.stringify(product.body)}`);
      expectStatus(await api.request('GET', '/products/p-no-such-product'), 404, 'GET /products/p-no-such-product');
      return `${ids.length} merchants, ${menu.body.items.length} pizzas`;
    },
  },
  {
    name: 'search',
    async run({ api }) {
      const found: any[] = [];
      let nextToken: string | undefined;
      // Bounded: the demo catalog is a few pages at most.
      for (let page = 0; page < 10; page++) {
        const res = await api.request('GET', `/products?q=sushi&limit=5${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`);
        expectStatus(res, 200, 'GET /products?q=sushi');
        found.push(...res.body.items);
        nextToken = res.body.nextToken;
        if (!nextToken) break;
      }
      const off = found.filter((p) => ![p.name, p.description, ...(p.tags ?? [])].join(' ').toLowerCase().includes('sushi'));
      if (off.length) throw new Error(`q=sushi returned products that do not match: ${off.map((p) => p.productId).join(', ')}`);
      if (!found.some((p) => p.productId === 'p-salmon-nigiri'))
        throw new Error(`q=sushi did not find p-salmon-nigiri: ${found.map((p) => p.productId).join(', ')}`);
      return `${found.length} matches`;
    },
  },
  {
    name: 'customer token',
    async run(ctx) {
      const token = await ctx.token('c-alice');
      const me = await ctx.api.request('GET', '/customers/c-alice', { token });
      expectStatus(me, 200, 'GET /customers/c-alice with its token');
      if (me.body?.customerId !== 'c-alice') throw new Error(`GET /customers/c-alice answered ${JSON.stringify(me.body)}`);
      if (JSON.stringify(me.body).includes('tok_')) throw new Error('the profile shows payment details');
      expectStatus(await ctx.api.request('GET', '/orders'), 401, 'GET /orders without a token');
      expectStatus(
        await ctx.api.request('GET', '/orders', { token: `${token.slice(0, -4)}AAAA` }),
        401,
        'GET /orders with a tampered token',
      );
      return `${ctx.kind === 'aws' ? 'Cognito ID token' : 'development issuer'}`;
    },
  },
  {
    name: 'order delivered',
    async run(ctx) {
      const orderId = await placeOrder(ctx, 'c-alice', 'm-pizza', [{ productId: 'p-margherita', quantity: 2 }]);
      const order = await waitForOrder(ctx, 'c-alice', orderId, 'DELIVERED');
      const expected = ['PLACED', 'RESERVED', 'CHARGED', 'RECEIVED_BY_RESTAURANT', 'OUT_FOR_DELIVERY', 'DELIVERED'];
      const missing = expected.filter((s) => !historyOf(order).includes(s));
      if (missing.length) throw new Error(`order ${orderId} DELIVERED without ${missing.join(', ')} in its history`);
      const tracking = await ctx.api.request('GET', `/orders/${orderId}/tracking`, { token: await ctx.token('c-alice') });
      expectStatus(tracking, 200, `GET /orders/${orderId}/tracking`);
      return orderId;
    },
  },
  {
    name: 'out of stock rejected',
    async run(ctx) {
      // p-truffle-pizza: three a night (tools/seed-data.ts); four is always more than there is.
      const orderId = await placeOrder(ctx, 'c-alice', 'm-pizza', [{ productId: 'p-truffle-pizza', quantity: 4 }]);
      const order = await waitForOrder(ctx, 'c-alice', orderId, 'REJECTED');
      if (historyOf(order).includes('CHARGED')) throw new Error(`order ${orderId} was charged before it was rejected`);
      return orderId;
    },
  },
  {
    name: 'declined card payment failed',
    async run(ctx) {
      // c-declined pays with tok_declined, which the payment provider declines.
      const orderId = await placeOrder(ctx, 'c-declined', 'm-pizza', margherita);
      await waitForOrder(ctx, 'c-declined', orderId, 'PAYMENT_FAILED', ['STOCK_RELEASED']);
      return `${orderId}, stock released`;
    },
  },
  {
    name: 'restaurant rejection cancelled and refunded',
    async run(ctx) {
      // m-silent's simulated tablet never answers: the merchant decides through its key, as a real tablet app would.
      const key = await ctx.merchantKey('m-silent');
      const orderId = await placeOrder(ctx, 'c-bob', 'm-silent', [{ productId: 'p-pancakes', quantity: 1 }]);
      await poll(
        async () => {
          const res = await ctx.api.request('GET', '/merchants/m-silent/orders', { headers: { 'x-api-key': key } });
          expectStatus(res, 200, 'GET /merchants/m-silent/orders');
          return res.body.items?.some((o: { orderId: string }) => o.orderId === orderId) ? true : undefined;
        },
        { timeoutMs: ctx.orderTimeoutMs, intervalMs: 500, description: `order ${orderId} on m-silent's tablet` },
      );
      const rejected = await ctx.api.request('POST', `/merchants/m-silent/orders/${orderId}/reject`, {
        headers: { 'x-api-key': key },
        body: { reason: 'acceptance suite' },
      });
      expectStatus(rejected, 200, `POST /merchants/m-silent/orders/${orderId}/reject`);
      const order = await waitForOrder(ctx, 'c-bob', orderId, 'CANCELLED', ['RESTAURANT_REJECTED', 'REFUNDED', 'STOCK_RELEASED']);
      if (!historyOf(order).includes('CHARGED')) throw new Error(`order ${orderId} was refunded but never charged`);
      return `${orderId}, refunded`;
    },
  },
  {
    name: 'idempotency key',
    async run(ctx) {
      const key = `acceptance-${randomUUID()}`;
      const first = await placeOrder(ctx, 'c-alice', 'm-pizza', margherita, key);
      const second = await placeOrder(ctx, 'c-alice', 'm-pizza', margherita, key);
      if (second !== first) throw new Error(`the same Idempotency-Key gave two orders: ${first} and ${second}`);
      const order = await waitForOrder(ctx, 'c-alice', first, 'DELIVERED');
      const third = await placeOrder(ctx, 'c-alice', 'm-pizza', margherita, key);
      if (third !== first) throw new Error(`a retry after delivery gave a new order ${third} (first ${first})`);
      const charges = historyOf(order).filter((s) => s === 'CHARGED').length;
      if (charges !== 1) throw new Error(`order ${first} shows ${charges} charges in its history`);
      const list = await ctx.api.request('GET', '/orders?limit=50', { token: await ctx.token('c-alice') });
      expectStatus(list, 200, 'GET /orders');
      const listed = (list.body.items ?? []).filter((o: { orderId: string }) => o.orderId === first).length;
      if (listed !== 1) throw new Error(`GET /orders lists order ${first} ${listed} times`);
      return `3 requests → ${first}, charged once`;
    },
  },
  {
    name: "no reading another customer's order",
    async run(ctx) {
      const orderId = await placeOrder(ctx, 'c-alice', 'm-pizza', margherita);
      const bob = await ctx.token('c-bob');
      expectStatus(await ctx.api.request('GET', `/orders/${orderId}`, { token: bob }), 404, "GET c-alice's order as c-bob");
      expectStatus(await ctx.api.request('GET', `/orders/${orderId}/tracking`, { token: bob }), 404, "GET c-alice's tracking as c-bob");
      expectStatus(await ctx.api.request('GET', '/customers/c-alice', { token: bob }), 404, "GET c-alice's profile as c-bob");
      const list = await ctx.api.request('GET', '/orders?limit=50', { token: bob });
      expectStatus(list, 200, 'GET /orders as c-bob');
      if (list.body.items?.some((o: { orderId: string }) => o.orderId === orderId))
        throw new Error(`c-bob's list holds c-alice's order ${orderId}`);
      expectStatus(
        await ctx.api.request('GET', `/orders/${orderId}`, { token: await ctx.token('c-alice') }),
        200,
        'GET the order as c-alice',
      );
      return orderId;
    },
  },
  {
    name: 'merchant key scoping',
    async run(ctx) {
      const key = await ctx.merchantKey('m-silent');
      const headers = { 'x-api-key': key };
      expectStatus(await ctx.api.request('GET', '/merchants/m-silent/orders', { headers }), 200, "GET m-silent's tablet with its key");
      expectStatus(await ctx.api.request('GET', '/merchants/m-pizza/orders', { headers }), 403, "GET m-pizza's tablet with m-silent's key");
      expectStatus(await ctx.api.request('GET', '/merchants/m-silent/orders'), 401, 'GET a tablet without a key');
      // An order on m-pizza's tablet, acted on through m-silent's path: not m-silent's order, so it does not exist.
      const orderId = await placeOrder(ctx, 'c-alice', 'm-pizza', margherita);
      await waitForOrder(ctx, 'c-alice', orderId, 'DELIVERED');
      expectStatus(
        await ctx.api.request('POST', `/merchants/m-silent/orders/${orderId}/reject`, { headers, body: { reason: 'acceptance suite' } }),
        404,
        "POST reject of m-pizza's order on m-silent's path",
      );
      return `403 for m-pizza's path, 404 for its order ${orderId}`;
    },
  },
  {
    name: 'read-only mode',
    async run(ctx) {
      const token = await ctx.token('c-alice');
      const before = await placeOrder(ctx, 'c-alice', 'm-pizza', margherita);
      const order = { merchantId: 'm-pizza', items: margherita };
      const closedReason = await thenRestore(
        async () => {
          const switched = await ctx.cli('ordering', ['read-only']);
          if (switched.code !== 0) throw new Error(`npm run ordering -- read-only ${cliReason(switched)}`);
          // The orders API reads the switch through a 5 s cache: bounded polling, not a fixed sleep.
          let last = 0;
          const refused = await poll(
            async () => {
              const res = await ctx.api.request('POST', '/orders', { token, body: order });
              last = res.status;
              return res.status === 503 ? res : undefined;
            },
            { timeoutMs: 30_000, intervalMs: 1000, description: 'POST /orders answering 503', last: () => `last answer ${last}` },
          );
          if (refused.body?.error?.code !== 'ORDERING_PAUSED')
            throw new Error(`503 without ORDERING_PAUSED: ${JSON.stringify(refused.body)}`);
          if (!refused.headers.get('retry-after')) throw new Error('503 without Retry-After');
          expectStatus(await ctx.api.request('GET', '/products?merchantId=m-pizza'), 200, 'GET /products while closed');
          expectStatus(await ctx.api.request('GET', '/products?q=pizza'), 200, 'GET /products?q= while closed');
          expectStatus(await ctx.api.request('GET', `/orders/${before}`, { token }), 200, 'GET /orders/{id} while closed');
          return 'POST /orders 503 ORDERING_PAUSED, reads 200';
        },
        async () => {
          const opened = await ctx.cli('ordering', ['open']);
          return opened.code === 0 ? undefined : `npm run ordering -- open ${cliReason(opened)}: ORDERING IS STILL CLOSED`;
        },
      );
      let last = 0;
      await poll(
        async () => {
          const res = await ctx.api.request('POST', '/orders', { token, body: order });
          last = res.status;
          return res.status === 202 ? true : undefined;
        },
        {
          timeoutMs: 30_000,
          intervalMs: 1000,
          description: 'POST /orders answering 202 again after open',
          last: () => `last answer ${last}`,
        },
      );
      return `${closedReason}; open again`;
    },
  },
  {
    name: 'seed-001 detection (LostOrders alarm)',
    sli: true,
    async run(ctx) {
      const before = await ctx.lostOrdersAlarm();
      if (before === undefined) throw new Error(`the target has no LostOrders alarm${ctx.stack ? ` (${ctx.stack}-LostOrders)` : ''}`);
      if (before === 'ALARM') throw new Error('LostOrders is already in ALARM before the fault: the check would prove nothing');
      const detected = await thenRestore(
        async () => {
          const injected = await ctx.cli('game-day', ['inject', 'restaurant-drops-orders']);
          if (injected.code !== 0) throw new Error(`npm run game-day -- inject restaurant-drops-orders ${cliReason(injected)}`);
          const started = Date.now();
          await placeOrder(ctx, 'c-alice', 'm-pizza', margherita);
          let state = before;
          await poll(
            async () => {
              state = (await ctx.lostOrdersAlarm()) ?? 'missing';
              return state === 'ALARM' ? true : undefined;
            },
            { timeoutMs: ctx.sliTimeoutMs, intervalMs: 2000, description: 'LostOrders to go ALARM', last: () => `it is ${state}` },
          );
          return Date.now() - started;
        },
        async () => {
          const cleared = await ctx.cli('game-day', ['clear', 'restaurant-drops-orders']);
          return cleared.code === 0
            ? undefined
            : `npm run game-day -- clear restaurant-drops-orders ${cliReason(cleared)}: THE FAULT IS STILL ON`;
        },
      );
      // Restored: a new order reaches the restaurant and its customer again.
      const after = await placeOrder(ctx, 'c-alice', 'm-pizza', margherita);
      await waitForOrder(ctx, 'c-alice', after, 'DELIVERED');
      return `ALARM ${(detected / 1000).toFixed(1)} s after the fault; cleared, ${after} delivered`;
    },
  },
];
