import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../test/support/lambda';
import { useTables, type TestTables } from '../test/support/tables';

let t: TestTables;
let seed: typeof import('./seed-data');
let api: typeof import('../functions/catalog/api');

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'catalog';
  seed = await import('./seed-data');
  api = await import('../functions/catalog/api');
});

const scan = async (table: string) => (await t.doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
const target = () => ({ doc: t.doc, tableName: (k: 'catalog' | 'customers' | 'inventory') => t.names[k] });
async function get(resource: string, path: string, opts: { query?: Record<string, string>; pathParameters?: Record<string, string> } = {}) {
  const res = await api.handler(apiEvent({ method: 'GET', resource, path, ...opts }), lambdaContext('catalog-api'));
  return JSON.parse(res.body);
}

describe('seedDemoData', () => {
  it('is idempotent: a second run reports and leaves the same items, and resets stock', async () => {
    const first = await seed.seedDemoData(target());
    expect(first).toEqual({ merchants: 5, products: 17, customers: 3 });
    const before = {
      catalog: await scan(t.names.catalog),
      inventory: await scan(t.names.inventory),
      customers: await scan(t.names.customers),
    };
    expect(before.catalog).toHaveLength(22);
    expect(before.inventory).toHaveLength(17);
    expect(before.customers).toHaveLength(3);

    await t.doc.send(
      new UpdateCommand({
        TableName: t.names.inventory,
        Key: { pk: `PRODUCT#${seed.DEMO.scarceProduct}`, sk: 'STOCK' },
        UpdateExpression: 'SET available = :z',
        ExpressionAttributeValues: { ':z': 0 },
      }),
    );
    expect(await seed.seedDemoData(target())).toEqual(first);
    const byKey = (items: Record<string, unknown>[]) => [...items].sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
    expect(byKey(await scan(t.names.catalog))).toEqual(byKey(before.catalog));
    expect(byKey(await scan(t.names.inventory))).toEqual(byKey(before.inventory));
    expect(byKey(await scan(t.names.customers))).toEqual(byKey(before.customers));
  });

  it('seeds the demo as documented: menus per merchant, EUR minor units, stock, payment tokens', async () => {
    const merchants = await get('/merchants', '/merchants');
    expect(merchants.items.map((m: { merchantId: string }) => m.merchantId).sort()).toEqual(Object.values(seed.DEMO.merchants).sort());
    const menuSizes: Record<string, [number, number]> = {
      'm-pizza': [4, 5],
      'm-sushi': [4, 5],
      'm-burger': [3, 4],
      'm-closed': [2, 2],
      'm-silent': [2, 2],
    };
    for (const [merchantId, [min, max]] of Object.entries(menuSizes)) {
      const menu = await get('/products', '/products', { query: { merchantId } });
      expect(menu.items.length, merchantId).toBeGreaterThanOrEqual(min);
      expect(menu.items.length, merchantId).toBeLessThanOrEqual(max);
      for (const p of menu.items) {
        expect(p.price.currency).toBe('EUR');
        expect(Number.isInteger(p.price.amount) && p.price.amount > 0).toBe(true);
      }
    }
    for (const productId of Object.values(seed.DEMO.products))
      expect((await get('/products/{id}', `/products/${productId}`, { pathParameters: { id: productId } })).merchantId).toBeDefined();
    const stock = await scan(t.names.inventory);
    for (const s of stock) {
      expect(s).toMatchObject({ sk: 'STOCK', reserved: 0 });
      if (s.productId === seed.DEMO.scarceProduct) expect(s.available).toBe(3);
      else if (s.productId === seed.DEMO.flashSaleProduct) expect(s.available).toBe(10);
      else expect(s.available).toSatisfy((n: number) => n >= 100 && n <= 500);
    }
    const tokens = Object.fromEntries((await scan(t.names.customers)).map((c) => [c.customerId, c.paymentMethod]));
    expect(tokens).toEqual({ 'c-alice': 'tok_visa', 'c-bob': 'tok_visa', 'c-declined': 'tok_declined' });
  });
});
