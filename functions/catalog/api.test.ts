import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import type { Product } from './products';

let t: TestTables;
let api: typeof import('./api');
let products: typeof import('./products');

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });
const MENU: Product[] = [
  {
    productId: 'p-a1',
    merchantId: 'm-a',
    name: 'Margherita',
    description: 'Tomato and mozzarella',
    tags: ['pizza'],
    price: eur(950),
    available: true,
  },
  {
    productId: 'p-a2',
    merchantId: 'm-a',
    name: 'Diavola',
    description: 'Spicy salami',
    tags: ['pizza', 'spicy'],
    price: eur(1190),
    available: true,
  },
  {
    productId: 'p-a3',
    merchantId: 'm-a',
    name: 'Affogato',
    description: '50% espresso_50% gelato',
    tags: ['dessert'],
    price: eur(590),
    available: false,
  },
  {
    productId: 'p-b1',
    merchantId: 'm-b',
    name: 'Nigiri',
    description: 'Salmon on rice',
    tags: ['sushi', 'fish'],
    price: eur(590),
    available: true,
  },
  {
    productId: 'p-b2',
    merchantId: 'm-b',
    name: 'Veggie Maki',
    description: 'Cucumber roll',
    tags: ['sushi', 'VEGAN'],
    price: eur(690),
    available: true,
  },
];

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'catalog';
  products = await import('./products');
  api = await import('./api');
  for (const p of MENU) await t.doc.send(new PutCommand({ TableName: t.names.catalog, Item: products.productItem(p) }));
  await t.doc.send(
    new PutCommand({ TableName: t.names.catalog, Item: products.merchantItem({ merchantId: 'm-b', name: 'Sakura', cuisine: 'Japanese' }) }),
  );
  await t.doc.send(
    new PutCommand({ TableName: t.names.catalog, Item: products.merchantItem({ merchantId: 'm-a', name: 'Luigi', cuisine: 'Italian' }) }),
  );
  await t.doc.send(
    new PutCommand({
      TableName: t.names.inventory,
      Item: { pk: 'PRODUCT#p-a1', sk: 'STOCK', productId: 'p-a1', available: 7, reserved: 2 },
    }),
  );
});

async function get(resource: string, path: string, opts: { query?: Record<string, string>; pathParameters?: Record<string, string> } = {}) {
  const res = await api.handler(apiEvent({ method: 'GET', resource, path, ...opts }), lambdaContext('catalog-api'));
  return { status: res.statusCode, body: JSON.parse(res.body) };
}
const list = (query: Record<string, string> = {}) => get('/products', '/products', { query });
const ids = (body: { items: { productId: string }[] }) => body.items.map((p) => p.productId);
const fieldsOf = (body: { error: { fields: { field: string }[] } }) => body.error.fields.map((f) => f.field);

async function allPages(query: Record<string, string>): Promise<string[][]> {
  const pages: string[][] = [];
  let nextToken: string | undefined;
  do {
    const res = await list({ ...query, ...(nextToken ? { nextToken } : {}) });
    expect(res.status).toBe(200);
    pages.push(ids(res.body));
    nextToken = res.body.nextToken;
  } while (nextToken && pages.length < 10);
  return pages;
}

describe('GET /products', () => {
  it('lists every product (sparse byEntity index: no merchants), with prices in minor units and no key attributes', async () => {
    const res = await list();
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(['p-a1', 'p-a2', 'p-a3', 'p-b1', 'p-b2']);
    expect(res.body.nextToken).toBeUndefined();
    expect(res.body.items[0]).toEqual({
      productId: 'p-a1',
      merchantId: 'm-a',
      name: 'Margherita',
      description: 'Tomato and mozzarella',
      tags: ['pizza'],
      price: { amount: 950, currency: 'EUR' },
      available: true,
    });
  });

  it('filters by merchant through byMerchant, sorted by name', async () => {
    expect(ids((await list({ merchantId: 'm-a' })).body)).toEqual(['p-a3', 'p-a2', 'p-a1']); // Affogato, Diavola, Margherita
    expect(ids((await list({ merchantId: 'm-b' })).body)).toEqual(['p-b1', 'p-b2']);
    expect(ids((await list({ merchantId: 'm-none' })).body)).toEqual([]);
  });

  it('searches name, description and tags, case-insensitively, combined with the merchant filter', async () => {
    expect(ids((await list({ q: 'MARGH' })).body)).toEqual(['p-a1']);
    expect(ids((await list({ q: 'salami' })).body)).toEqual(['p-a2']);
    expect(ids((await list({ q: 'vegan' })).body)).toEqual(['p-b2']);
    expect(ids((await list({ q: 'pizza' })).body)).toEqual(['p-a1', 'p-a2']);
    expect(ids((await list({ q: 'sushi', merchantId: 'm-a' })).body)).toEqual([]);
    expect(ids((await list({ q: '  rice ' })).body)).toEqual(['p-b1']);
  });

  it('treats q strictly as text: injection strings and wildcards match only themselves', async () => {
    for (const q of ["' OR 1=1 --", 'entity = :e', '") OR contains(name, "', '.*', '*']) {
      const res = await list({ q });
      expect(res.status, q).toBe(200);
      expect(ids(res.body), q).toEqual([]);
    }
    expect(ids((await list({ q: '%' })).body)).toEqual(['p-a3']);
    expect(ids((await list({ q: '_50%' })).body)).toEqual(['p-a3']);
    const atTheBound = await list({ q: "' OR 1=1 --".padEnd(100, 'x') });
    expect(atTheBound.status).toBe(200);
    expect(atTheBound.body.items).toEqual([]);
  });

  it('answers 400 naming the field for a q over 100 characters, a bad limit or merchantId, and unknown parameters', async () => {
    const long = await list({ q: "' OR 1=1 --".padEnd(101, 'x') });
    expect(long.status).toBe(400);
    expect(fieldsOf(long.body)).toEqual(['query.q']);
    expect((await list({ q: 'a'.repeat(10_000) })).status).toBe(400);
    for (const limit of ['0', '101', '2.5', 'ten']) {
      const res = await list({ limit });
      expect(res.status, limit).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['query.limit']);
    }
    const badMerchant = await list({ merchantId: 'MERCHANTS' + '#x' });
    expect(fieldsOf(badMerchant.body)).toEqual(['query.merchantId']);
    const unknown = await list({ select: 'ALL' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.fields[0].field).toBe('query');
  });

  it('pages with nextToken: every product exactly once, limit respected, even when q filters across pages', async () => {
    expect(await allPages({ limit: '2' })).toEqual([['p-a1', 'p-a2'], ['p-a3', 'p-b1'], ['p-b2']]);
    expect((await allPages({ limit: '2', merchantId: 'm-a' })).flat()).toEqual(['p-a3', 'p-a2', 'p-a1']);
    expect((await allPages({ limit: '1', q: 'sushi' })).flat()).toEqual(['p-b1', 'p-b2']);
    expect((await list({ limit: '100' })).body.items).toHaveLength(5);
  });

  it('rejects page tokens it did not issue for this listing', async () => {
    const entityToken = (await list({ limit: '1' })).body.nextToken as string;
    const merchantToken = (await list({ limit: '1', merchantId: 'm-a' })).body.nextToken as string;
    expect(ids((await list({ limit: '1', nextToken: entityToken })).body)).toEqual(['p-a2']);
    const forged = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const bad = [
      'not-a-token!',
      Buffer.from('{"pk":').toString('base64url'),
      forged({ pk: 'PRODUCT#p-a1', sk: 'PRODUCT', entity: 'PRODUCT', extra: 1 }),
      forged({ pk: 'MERCHANT#m-a', sk: 'PROFILE', entity: 'PRODUCT' }),
      forged({ pk: { S: 'x' }, sk: 'PRODUCT', entity: 'PRODUCT' }),
      merchantToken, // a merchant listing's token on the all-products listing
    ];
    for (const nextToken of bad) {
      const res = await list({ nextToken });
      expect(res.status, nextToken).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['query.nextToken']);
    }
    expect((await list({ merchantId: 'm-b', nextToken: merchantToken })).status).toBe(400); // another merchant's
    expect((await list({ merchantId: 'm-a', nextToken: entityToken })).status).toBe(400);
    expect(ids((await list({ merchantId: 'm-a', nextToken: merchantToken })).body)).toEqual(['p-a2', 'p-a1']);
  });
});

describe('GET /products/{id}', () => {
  const one = (id: string) => get('/products/{id}', `/products/${id}`, { pathParameters: { id } });

  it('returns the product with its price and the available stock from the Inventory table', async () => {
    const res = await one('p-a1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...MENU[0], stock: 7 });
    expect((await one('p-b1')).body.stock).toBe(0); // no stock row yet
  });

  it('answers 404 for an unknown product and 400 for a malformed id', async () => {
    const missing = await one('p-nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    const bad = await one("p' OR 1=1");
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad.body)).toEqual(['path.id']);
  });
});

describe('GET /merchants', () => {
  it('lists merchants by name, without products or key attributes', async () => {
    const res = await get('/merchants', '/merchants');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { merchantId: 'm-a', name: 'Luigi', cuisine: 'Italian' },
      { merchantId: 'm-b', name: 'Sakura', cuisine: 'Japanese' },
    ]);
  });
});
