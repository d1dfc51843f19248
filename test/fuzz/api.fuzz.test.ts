/**
 * Property-based fuzz (fast-check) of the public API handlers on DynamoDB Local: generated bodies, headers, tokens,
 * paths and queries against POST /orders and the read routes. Properties: never a 5xx; only the documented statuses;
 * every error names what failed; and nothing is written except by an accepted order (one order row and one
 * order.created event per distinct 202). The seed is printed on failure (fast-check) so a finding can be replayed.
 */
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { apiEvent, lambdaContext } from '../support/lambda';
import { useParameters } from '../support/parameters';
import { useTables, type TestTables } from '../support/tables';

const POST_RUNS = 6000;
const READ_RUNS = 4000;

let t: TestTables;
let ssm: Awaited<ReturnType<typeof useParameters>>;
let tokens: Record<string, string>;
let orders: typeof import('../../functions/orders/api');
let catalog: typeof import('../../functions/catalog/api');
let customers: typeof import('../../functions/customers/api');
let tracking: typeof import('../../functions/shipping/api');

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });
const CUSTOMERS = ['c1', 'c2'];
const PRODUCTS = [
  { productId: 'pizza', merchantId: 'm1', name: 'Pizza', price: eur(1250), available: true },
  { productId: 'cola', merchantId: 'm1', name: 'Cola', price: eur(399), available: true },
  { productId: 'burger', merchantId: 'm2', name: 'Burger', price: eur(990), available: true },
  { productId: 'soup', merchantId: 'm1', name: 'Soup', price: eur(500), available: false },
];

beforeAll(async () => {
  t = await useTables();
  ssm = await useParameters();
  tokens = { c1: (await ssm.bearer('c1')).authorization, c2: (await ssm.bearer('c2')).authorization };
  process.env.POWERTOOLS_SERVICE_NAME = 'fuzz';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT'; // 10,000 rejected requests would print 10,000 log lines
  vi.spyOn(console, 'warn').mockImplementation(() => undefined); // and as many "no application metrics" warnings
  orders = await import('../../functions/orders/api');
  catalog = await import('../../functions/catalog/api');
  customers = await import('../../functions/customers/api');
  tracking = await import('../../functions/shipping/api');
  for (const id of CUSTOMERS) {
    await t.doc.send(
      new PutCommand({
        TableName: t.names.customers,
        Item: { pk: `CUSTOMER#${id}`, sk: 'PROFILE', customerId: id, name: id, paymentMethod: 'tok_visa' },
      }),
    );
  }
  for (const p of PRODUCTS) {
    await t.doc.send(
      new PutCommand({
        TableName: t.names.catalog,
        Item: {
          pk: `PRODUCT#${p.productId}`,
          sk: 'PRODUCT',
          entity: 'PRODUCT',
          gsi1pk: `MERCHANT#${p.merchantId}`,
          gsi1sk: `PRODUCT#${p.productId}`,
          ...p,
        },
      }),
    );
  }
}, 60_000);

const count = async (table: string) =>
  (await t.doc.send(new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true }))).Count ?? 0;

/** Strings that have broken APIs before: injection, traversal, control and odd unicode, huge and empty. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    "' OR '1'='1",
    '"; DROP TABLE orders; --',
    '../../etc/passwd',
    '%00',
    '\u0000',
    '<script>alert(1)</script>',
    '${jndi:ldap://x}',
    'ORDER#x',
    '__proto__',
    'constructor',
    'c1\n',
    'a'.repeat(70),
    'é'.repeat(64),
  ),
  fc.string({ minLength: 1000, maxLength: 20_000 }),
);
const id = fc.oneof(
  fc.constantFrom(...CUSTOMERS, ...PRODUCTS.map((p) => p.productId), 'm1', 'm2', 'ghost'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  nasty,
);
const quantity = fc.oneof(
  fc.integer({ min: -5, max: 60 }),
  fc.double(),
  fc.constantFrom(0, 1, 50, 51, 1e308, -0, Number.MAX_SAFE_INTEGER),
  nasty,
  fc.constant(null),
);
const item = fc.oneof(fc.record({ productId: id, quantity }), fc.record({ productId: id, quantity, extra: fc.anything() }), fc.anything());
const orderBody = fc.oneof(
  // Plausible orders, mostly valid: exercise the accepting path and the catalog checks.
  {
    weight: 3,
    arbitrary: fc.record({
      merchantId: fc.constantFrom('m1', 'm2'),
      items: fc.array(
        fc.record({ productId: fc.constantFrom(...PRODUCTS.map((p) => p.productId)), quantity: fc.integer({ min: 1, max: 3 }) }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
  fc.record({ merchantId: id, items: fc.array(item, { maxLength: 30 }) }, { requiredKeys: [] }),
  fc.record({ customerId: id, merchantId: id, items: fc.array(item, { maxLength: 3 }), admin: fc.boolean() }), // customerId is not a body field
  fc.anything(),
  fc.json(),
  nasty,
);
const rawBody = fc.oneof(
  orderBody.map((b) => JSON.stringify(b) ?? 'null'),
  nasty,
  fc.constant('{"items": ['),
  fc.constant(null),
);
const headers = fc.record(
  {
    // Mostly JSON, so most requests get past the content-type check and reach validation and the catalog.
    'content-type': fc.oneof(
      { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 8 },
      { arbitrary: fc.constantFrom('text/plain', 'application/xml', ''), weight: 2 },
    ),
    'idempotency-key': fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), nasty),
    'x-correlation-id': nasty,
  },
  { requiredKeys: ['content-type'] },
);
/** Mostly a valid customer token (to reach the handler's logic), sometimes none or a broken one. */
const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('c1', 'c2').map((c) => ({ authorization: tokens[c] })) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: nasty.map((n) => ({ authorization: `Bearer ${n}` })) },
);

describe('fuzz: POST /orders', () => {
  it(`answers ${POST_RUNS} generated requests without a 5xx, and writes only accepted orders`, async () => {
    const [ordersBefore, outboxBefore] = [await count(t.names.orders), await count(t.names.outbox)];
    const accepted = new Set<string>();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(rawBody, headers, authorization, async (body, hdrs, auth) => {
        const event = apiEvent({
          method: 'POST',
          resource: '/orders',
          path: '/orders',
          headers: { ...(hdrs as Record<string, string>), ...auth },
        });
        event.body = body;
        const res = await orders.handler(event, lambdaContext('orders-api'));
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect([202, 400, 401, 404, 409, 413, 415, 422, 503]).toContain(res.statusCode);
        const parsed = JSON.parse(res.body);
        if (res.statusCode === 202) accepted.add(parsed.orderId);
        else expect(parsed.error.code, res.body).toEqual(expect.any(String));
        if (res.statusCode === 400) expect(parsed.error.fields?.length, res.body).toBeGreaterThan(0);
      }),
      { numRuns: POST_RUNS },
    );
    console.log(
      `POST /orders fuzz: ${POST_RUNS} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${accepted.size} distinct orders accepted`,
    );
    expect(accepted.size).toBeGreaterThan(0); // the generator does reach the accepting path
    expect(await count(t.names.orders)).toBe(ordersBefore + accepted.size);
    expect(await count(t.names.outbox)).toBe(outboxBefore + accepted.size);
  }, 600_000);
});

const customerOf = (auth: { authorization?: string }) => Object.entries(tokens).find(([, token]) => token === auth.authorization)?.[0];

describe('fuzz: read routes', () => {
  it(`answers ${READ_RUNS} generated reads without a 5xx, never shows one customer another's order, and writes nothing`, async () => {
    // Real orders of both customers, so reads hit existing ids as well as made-up ones.
    const owners = new Map<string, string>();
    for (const customer of CUSTOMERS) {
      for (const productId of ['pizza', 'cola']) {
        const event = apiEvent({
          method: 'POST',
          resource: '/orders',
          path: '/orders',
          headers: { authorization: tokens[customer] },
          body: { merchantId: 'm1', items: [{ productId, quantity: 1 }] },
        });
        const res = await orders.handler(event, lambdaContext('orders-api'));
        expect(res.statusCode, res.body).toBe(202);
        owners.set(JSON.parse(res.body).orderId, customer);
      }
    }
    const tables = [t.names.orders, t.names.outbox, t.names.catalog, t.names.customers];
    const before = await Promise.all(tables.map(count));
    const orderId = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...owners.keys()) }, { weight: 1, arbitrary: id });
    const query = fc.dictionary(
      fc.oneof(fc.constantFrom('customerId', 'limit', 'cursor', 'q', 'merchantId', 'nextToken'), fc.string({ maxLength: 10 })),
      nasty,
      { maxKeys: 4 },
    );
    const route = fc.oneof(
      fc.record({ fn: fc.constant('orders' as const), resource: fc.constant('/orders/{id}'), id: orderId, query: fc.constant(undefined) }),
      fc.record({ fn: fc.constant('orders' as const), resource: fc.constant('/orders'), id: fc.constant(undefined), query }),
      fc.record({ fn: fc.constant('catalog' as const), resource: fc.constant('/products'), id: fc.constant(undefined), query }),
      fc.record({ fn: fc.constant('catalog' as const), resource: fc.constant('/products/{id}'), id, query: fc.constant(undefined) }),
      fc.record({ fn: fc.constant('customers' as const), resource: fc.constant('/customers/{id}'), id, query: fc.constant(undefined) }),
      fc.record({
        fn: fc.constant('tracking' as const),
        resource: fc.constant('/orders/{id}/tracking'),
        id: orderId,
        query: fc.constant(undefined),
      }),
    );
    const handlers = { orders, catalog, customers, tracking };
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(route, authorization, async (r, auth) => {
        const path = r.resource.replace('{id}', encodeURIComponent(r.id ?? ''));
        const event = apiEvent({
          method: 'GET',
          resource: r.resource,
          path,
          pathParameters: r.id === undefined ? undefined : { id: r.id },
          query: r.query,
          headers: auth as Record<string, string>,
        });
        const res = await handlers[r.fn].handler(event, lambdaContext(`${r.fn}-api`));
        expect([200, 400, 401, 404], `${r.resource} ${JSON.stringify(r)} → ${res.body}`).toContain(res.statusCode);
        // No IDOR: an order, a list or a profile answers only to its own customer; anyone else's order is a 404.
        const caller = customerOf(auth as { authorization?: string });
        const body = res.statusCode === 200 ? JSON.parse(res.body) : undefined;
        if (r.resource === '/orders/{id}' && caller && owners.has(r.id!))
          expect(res.statusCode, r.id).toBe(owners.get(r.id!) === caller ? 200 : 404);
        if (r.resource === '/orders/{id}' && body) expect(body.customerId).toBe(caller);
        if (r.resource === '/orders' && body) for (const o of body.items) expect(o.customerId).toBe(caller);
        if (r.resource === '/customers/{id}' && body) expect(body.customerId).toBe(caller);
        statuses.set(`${r.resource} ${res.statusCode}`, (statuses.get(`${r.resource} ${res.statusCode}`) ?? 0) + 1);
      }),
      { numRuns: READ_RUNS },
    );
    console.log(`read fuzz: ${READ_RUNS} requests, route and status ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    expect(await Promise.all(tables.map(count))).toEqual(before);
  }, 600_000);
});
