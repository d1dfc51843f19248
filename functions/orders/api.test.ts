import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitted } from '../../test/support/events';
import { apiEvent, lambdaContext } from '../../test/support/lambda';
import { ORDERING_PARAMETER, useParameters } from '../../test/support/parameters';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let ssm: Awaited<ReturnType<typeof useParameters>>;
let api: typeof import('./api');

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });

beforeAll(async () => {
  t = await useTables();
  ssm = await useParameters();
  process.env.POWERTOOLS_SERVICE_NAME = 'orders';
  api = await import('./api');
  for (const id of ['c1', 'c-list', 'c-other']) {
    await t.doc.send(
      new PutCommand({
        TableName: t.names.customers,
        Item: { pk: `CUSTOMER#${id}`, sk: 'PROFILE', customerId: id, paymentMethod: 'tok_visa' },
      }),
    );
  }
  const products = [
    { productId: 'pizza', merchantId: 'm1', name: 'Pizza', price: eur(1250), available: true },
    { productId: 'cola', merchantId: 'm1', name: 'Cola', price: eur(399), available: true },
    { productId: 'burger', merchantId: 'm2', name: 'Burger', price: eur(990), available: true },
    { productId: 'soup', merchantId: 'm1', name: 'Soup', price: eur(500), available: false },
  ];
  for (const p of products)
    await t.doc.send(new PutCommand({ TableName: t.names.catalog, Item: { pk: `PRODUCT#${p.productId}`, sk: 'PRODUCT', ...p } }));
});

async function call(input: Parameters<typeof apiEvent>[0]) {
  const event = apiEvent(input);
  const res = await api.handler(event, lambdaContext('orders-api'));
  return {
    status: res.statusCode,
    body: res.body ? JSON.parse(res.body) : undefined,
    headers: res.headers ?? {},
    requestId: event.requestContext.requestId,
  };
}
/** Each call is made as a customer (a bearer token from the test issuer), c1 unless told otherwise; null: no token. */
const auth = async (as: string | null) => (as === null ? {} : await ssm.bearer(as));
const post = async (body: unknown, headers: Record<string, string> = {}, as: string | null = 'c1') =>
  call({ method: 'POST', resource: '/orders', path: '/orders', body, headers: { ...(await auth(as)), ...headers } });
const getOne = async (id: string, as: string | null = 'c1') =>
  call({ method: 'GET', resource: '/orders/{id}', path: `/orders/${id}`, pathParameters: { id }, headers: await auth(as) });
const list = async (query: Record<string, string>, as: string | null = 'c1') =>
  call({ method: 'GET', resource: '/orders', path: '/orders', query, headers: await auth(as) });

const rows = async () => (await t.doc.send(new ScanCommand({ TableName: t.names.orders, ConsistentRead: true }))).Items ?? [];
const outboxCount = async () => (await emitted(t.doc, t.names.outbox)).length;
const valid = {
  merchantId: 'm1',
  items: [
    { productId: 'pizza', quantity: 2 },
    { productId: 'cola', quantity: 3 },
  ],
};

describe('POST /orders', () => {
  it('prices the order from the catalog and commits the order with exactly one order.created', async () => {
    const res = await post({ ...valid }, { 'x-correlation-id': 'corr-place-1' });
    expect(res.status).toBe(202);
    const { orderId } = res.body;
    expect(res.body).toEqual({ orderId, status: 'PLACED' });
    expect(orderId).toMatch(/^ord_[0-9a-f]{24}$/);
    expect(res.headers.location).toBe(`/orders/${orderId}`);

    const items = [
      { productId: 'pizza', name: 'Pizza', quantity: 2, unitPrice: eur(1250) },
      { productId: 'cola', name: 'Cola', quantity: 3, unitPrice: eur(399) },
    ];
    const [row] = (await rows()).filter((r) => r.orderId === orderId);
    expect(row).toEqual({
      pk: `ORDER#${orderId}`,
      sk: 'ORDER',
      orderId,
      customerId: 'c1',
      merchantId: 'm1',
      items,
      total: eur(2 * 1250 + 3 * 399),
      status: 'PLACED',
      statusRank: 0,
      milestones: { PLACED: row.createdAt },
      createdAt: row.createdAt,
      updatedAt: row.createdAt,
      correlationId: 'corr-place-1',
    });
    const events = await emitted(t.doc, t.names.outbox, undefined, orderId);
    expect(events).toHaveLength(1);
    expect(events[0].detailType).toBe('order.created');
    expect(events[0].detail.data).toEqual({ orderId, customerId: 'c1', merchantId: 'm1', items, total: eur(3697) });
    expect(events[0].detail.metadata).toMatchObject({ correlationId: 'corr-place-1', causationId: res.requestId });
  });

  it('answers 4xx naming the field for bad input, and writes nothing', async () => {
    const line = (productId: string, quantity: number) => ({ productId, quantity });
    const cases: [string, unknown, Record<string, string>, number, string, string?][] = [
      ['no lines', { ...valid, items: [] }, {}, 400, 'body.items'],
      ['21 lines', { ...valid, items: Array.from({ length: 21 }, (_, i) => line(`p${i}`, 1)) }, {}, 400, 'body.items'],
      ['quantity 0', { ...valid, items: [line('pizza', 0)] }, {}, 400, 'body.items.0.quantity'],
      ['quantity 51', { ...valid, items: [line('pizza', 51)] }, {}, 400, 'body.items.0.quantity'],
      ['fractional quantity', { ...valid, items: [line('pizza', 1.5)] }, {}, 400, 'body.items.0.quantity'],
      ['quantity as string', { ...valid, items: [{ productId: 'pizza', quantity: '1' }] }, {}, 400, 'body.items.0.quantity'],
      ['client-sent price', { ...valid, total: 1 }, {}, 400, 'body'],
      ['unknown line field', { ...valid, items: [{ ...line('pizza', 1), unitPrice: 1 }] }, {}, 400, 'body.items.0'],
      ['duplicate product', { ...valid, items: [line('pizza', 1), line('pizza', 2)] }, {}, 400, 'body.items'],
      ['bad product id', { ...valid, items: [line('pizza 1', 1)] }, {}, 400, 'body.items.0.productId'],
      // The customer is the token's; naming one in the body is refused, not obeyed.
      ['customer id in the body', { ...valid, customerId: 'c-other' }, {}, 400, 'body'],
      ['bad idempotency key', valid, { 'Idempotency-Key': 'has space' }, 400, 'header.idempotency-key'],
      ['too long idempotency key', valid, { 'Idempotency-Key': 'k'.repeat(65) }, 400, 'header.idempotency-key'],
      ['unknown customer', valid, {}, 404, 'token.sub', 'c-nobody'],
      ['unknown product', { ...valid, items: [line('pizza', 1), line('ghost', 1)] }, {}, 422, 'body.items.1.productId'],
      ["another merchant's product", { ...valid, items: [line('burger', 1)] }, {}, 422, 'body.items.0.productId'],
      ['product off the menu', { ...valid, items: [line('soup', 1)] }, {}, 422, 'body.items.0.productId'],
    ];
    const [ordersBefore, eventsBefore] = [(await rows()).length, await outboxCount()];
    for (const [name, body, headers, status, field, as] of cases) {
      const res = await post(body, headers, as ?? 'c1');
      expect(res.status, name).toBe(status);
      expect(
        res.body.error.fields.map((f: { field: string }) => f.field),
        name,
      ).toEqual([field]);
    }
    expect((await rows()).length).toBe(ordersBefore);
    expect(await outboxCount()).toBe(eventsBefore);
  });

  it('with an Idempotency-Key: a retry (any line order), even concurrent ones, gets the same order; one row, one event', async () => {
    const key = { 'Idempotency-Key': 'retry-me_1' };
    const first = await post(valid, key);
    const reordered = await post({ merchantId: 'm1', items: [...valid.items].reverse() }, key);
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => post(valid, key)));
    for (const res of [first, reordered, ...concurrent])
      expect([res.status, res.body]).toEqual([202, { orderId: first.body.orderId, status: 'PLACED' }]);
    expect((await rows()).filter((r) => r.orderId === first.body.orderId)).toHaveLength(1);
    expect(await emitted(t.doc, t.names.outbox, undefined, first.body.orderId)).toHaveLength(1);
    expect(first.body.orderId).toBe(api.orderIdFor('c1', 'retry-me_1')); // derived, so it survives a crash
  });

  it('refuses a key reused for a different order with 409, and scopes keys per customer', async () => {
    const key = { 'Idempotency-Key': 'reuse' };
    const first = await post(valid, key);
    const [ordersBefore, eventsBefore] = [(await rows()).length, await outboxCount()];
    const other = await post({ ...valid, items: [{ productId: 'pizza', quantity: 1 }] }, key);
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', fields: [{ field: 'header.idempotency-key' }] });
    expect([(await rows()).length, await outboxCount()]).toEqual([ordersBefore, eventsBefore]);

    const otherCustomer = await post(valid, key, 'c-other');
    expect(otherCustomer.status).toBe(202);
    expect(otherCustomer.body.orderId).not.toBe(first.body.orderId);
  });

  it('without a key, every request is a new order', async () => {
    const [a, b] = await Promise.all([post(valid), post(valid)]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.orderId).not.toBe(b.body.orderId);
  });
});

describe('GET /orders/{id}', () => {
  it('shows the order with its history in time order', async () => {
    const placed = await post(valid);
    const res = await getOne(placed.body.orderId);
    expect(res.status).toBe(200);
    const { createdAt } = res.body;
    expect(res.body).toEqual({
      orderId: placed.body.orderId,
      customerId: 'c1',
      merchantId: 'm1',
      status: 'PLACED',
      items: [
        { productId: 'pizza', name: 'Pizza', quantity: 2, unitPrice: eur(1250) },
        { productId: 'cola', name: 'Cola', quantity: 3, unitPrice: eur(399) },
      ],
      total: eur(3697),
      history: [{ status: 'PLACED', at: createdAt }],
      createdAt,
      updatedAt: createdAt,
    });
  });

  it('answers 404 for an unknown order and 400 for a malformed id', async () => {
    expect((await getOne('ord_nope')).status).toBe(404);
    const bad = await getOne('a b');
    expect([bad.status, bad.body.error.fields[0].field]).toEqual([400, 'path.id']);
  });
});

describe('GET /orders', () => {
  it("pages through the caller's orders, newest first, and only theirs", async () => {
    const placed: string[] = [];
    for (let i = 0; i < 3; i++) placed.push((await post(valid, {}, 'c-list')).body.orderId);
    const page1 = await list({ limit: '2' }, 'c-list');
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await list({ limit: '2', cursor: page1.body.nextCursor }, 'c-list');
    const all = [...page1.body.items, ...page2.body.items];
    expect(all.map((o) => o.orderId).sort()).toEqual([...placed].sort());
    expect(all.every((o) => o.customerId === 'c-list')).toBe(true);
    const times = all.map((o) => o.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    // The last page may or may not carry a cursor (DynamoDB's choice); following it yields nothing more.
    if (page2.body.nextCursor) expect((await list({ cursor: page2.body.nextCursor }, 'c-list')).body.items).toEqual([]);
    // Another customer's list never shows them, whatever the query says.
    const others = await list({ limit: '50' }, 'c-other');
    expect(others.body.items.filter((o: { orderId: string }) => placed.includes(o.orderId))).toEqual([]);
  });

  it('answers 400 naming the query field', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ customerId: 'c-other' }, 'query'], // no longer a way to read someone else's list
      [{ limit: '51' }, 'query.limit'],
      [{ limit: '0' }, 'query.limit'],
      [{ cursor: 'not-a-cursor' }, 'query.cursor'],
    ];
    for (const [query, field] of cases) {
      const res = await list(query);
      expect([res.status, res.body.error.fields[0].field], JSON.stringify(query)).toEqual([400, field]);
    }
  });
});

describe('the ordering switch', () => {
  const setSwitch = async (value: unknown) => {
    ssm.put(ORDERING_PARAMETER, JSON.stringify(value));
    const { clearCaches } = await import('@aws-lambda-powertools/parameters');
    clearCaches(); // the handler caches the switch for 5 s; the test does not wait for it
  };

  it('refuses new orders with 503, Retry-After and a message for the customer, writing nothing, while reads work', async () => {
    const keyed = { 'Idempotency-Key': `before-${Date.now()}` };
    const before = await post(valid, keyed);
    expect(before.status).toBe(202);
    await setSwitch({ acceptingOrders: false, pausedMerchants: [] });
    try {
      const [rowsBefore, eventsBefore] = [(await rows()).length, await outboxCount()];
      const refused = await post(valid);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('300');
      expect(refused.body.error).toMatchObject({
        code: 'ORDERING_PAUSED',
        message: expect.stringMatching(/not taking new orders right now/),
      });
      expect([(await rows()).length, await outboxCount()]).toEqual([rowsBefore, eventsBefore]);
      // A retry of an order placed before the switch finds it; reading orders still works.
      expect(await post(valid, keyed)).toMatchObject({ status: 202, body: { orderId: before.body.orderId } });
      expect((await getOne(before.body.orderId)).status).toBe(200);
    } finally {
      await setSwitch({ acceptingOrders: true, pausedMerchants: [] });
    }
    expect((await post(valid)).status).toBe(202);
  });

  it('pauses one merchant and not the others', async () => {
    await setSwitch({ acceptingOrders: true, pausedMerchants: ['m1'] });
    try {
      const paused = await post(valid);
      expect(paused.status).toBe(503);
      expect(paused.body.error).toMatchObject({ code: 'MERCHANT_PAUSED', fields: [{ field: 'body.merchantId' }] });
      expect((await post({ merchantId: 'm2', items: [{ productId: 'burger', quantity: 1 }] })).status).toBe(202);
    } finally {
      await setSwitch({ acceptingOrders: true, pausedMerchants: [] });
    }
  });

  it('stays open when the switch is malformed, and says so in the logs', async () => {
    ssm.put(ORDERING_PARAMETER, '{"acceptingOrders": "nope"}');
    const { clearCaches } = await import('@aws-lambda-powertools/parameters');
    clearCaches();
    try {
      expect((await post(valid)).status).toBe(202);
    } finally {
      await setSwitch({ acceptingOrders: true, pausedMerchants: [] });
    }
  });
});

describe('who is calling', () => {
  it('answers 401 without a token, with a tampered, expired or foreign one, and writes nothing', async () => {
    const [ordersBefore, eventsBefore] = [(await rows()).length, await outboxCount()];
    const good = await ssm.issuer.sign('c1');
    const [header, payload, signature] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'c-other' })).toString(
      'base64url',
    );
    const { DevIssuer } = await import('../../tools/dev-issuer');
    const stranger = await DevIssuer.ephemeral(); // right claims, keys nobody trusts
    const tokens: [string, string | undefined][] = [
      ['no token', undefined],
      ['not a bearer', 'Basic YWxpY2U6c2VjcmV0'],
      ['garbage', 'Bearer not.a.jwt'],
      ['tampered payload', `Bearer ${header}.${forged}.${signature}`],
      ['alg none', `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`],
      ['expired', `Bearer ${await ssm.issuer.sign('c1', { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`],
      ['wrong audience', `Bearer ${await ssm.issuer.sign('c1', { audience: 'someone-else' })}`],
      ['wrong issuer', `Bearer ${await ssm.issuer.sign('c1', { issuer: 'https://evil.example' })}`],
      ['unknown key', `Bearer ${await stranger.sign('c1')}`],
    ];
    for (const [name, authorization] of tokens) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      for (const res of [await post(valid, headers, null), await call({ method: 'GET', resource: '/orders', path: '/orders', headers })]) {
        expect(res.status, name).toBe(401);
        expect(res.body.error.code, name).toBe('UNAUTHORIZED');
        expect(res.headers['www-authenticate'], name).toMatch(/^Bearer realm="shopwave"/);
      }
    }
    expect([(await rows()).length, await outboxCount()]).toEqual([ordersBefore, eventsBefore]);
  });

  it("never shows one customer's order to another: 404, as if it did not exist", async () => {
    const mine = await post(valid, {}, 'c1');
    expect((await getOne(mine.body.orderId, 'c1')).status).toBe(200);
    const theirs = await getOne(mine.body.orderId, 'c-other');
    expect([theirs.status, theirs.body.error.code]).toEqual([404, 'NOT_FOUND']);
    // The same answer as for an order that does not exist, up to the id it names.
    expect(theirs.body.error.message).toBe(`order ${mine.body.orderId} not found`);
    expect((await getOne('ord_does_not_exist', 'c-other')).body.error.message).toBe('order ord_does_not_exist not found');
  });
});
