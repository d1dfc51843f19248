/**
 * Menus: merchants and their products. Prices are integer minor units. Stock is inventory's: the catalog API reads
 * it (read-only grant) so a product page shows what can be ordered now.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';
import type { Money } from '../shared/money';

export interface Product {
  productId: string;
  merchantId: string;
  name: string;
  description: string;
  tags: string[];
  price: Money;
  available: boolean;
}
export interface Merchant {
  merchantId: string;
  name: string;
  cuisine: string;
}

export const productItem = (p: Product) => ({
  pk: `PRODUCT#${p.productId}`,
  sk: 'PRODUCT',
  entity: 'PRODUCT',
  gsi1pk: `MERCHANT#${p.merchantId}`,
  gsi1sk: `PRODUCT#${p.name}`,
  ...p,
});
export const merchantItem = (m: Merchant) => ({ pk: `MERCHANT#${m.merchantId}`, sk: 'PROFILE', gsi1pk: 'MERCHANTS', gsi1sk: `MERCHANT#${m.name}`, ...m });

const catalog = () => requireEnv('CATALOG_TABLE_NAME');
const productView = ({ productId, merchantId, name, description, tags, price, available }: Product) => ({ productId, merchantId, name, description, tags, price, available });

export async function getProduct(productId: string): Promise<(ReturnType<typeof productView> & { stock: number }) | undefined> {
  const [product, stock] = await Promise.all([
    ddb.send(new GetCommand({ TableName: catalog(), Key: { pk: `PRODUCT#${productId}`, sk: 'PRODUCT' } })),
    ddb.send(new GetCommand({ TableName: requireEnv('INVENTORY_TABLE_NAME'), Key: { pk: `PRODUCT#${productId}`, sk: 'STOCK' } })),
  ]);
  if (!product.Item) return undefined;
  return { ...productView(product.Item as Product), stock: (stock.Item?.available as number | undefined) ?? 0 };
}

/** Pages through products (one merchant's, or all) and keeps those whose text contains `q` (matched as data). */
export async function listProducts(opts: { merchantId?: string; q?: string; limit: number; startKey?: Record<string, unknown> }) {
  const needle = opts.q?.toLowerCase();
  const items: ReturnType<typeof productView>[] = [];
  let startKey = opts.startKey;
  // Filtering happens after the query, so keep reading pages (bounded) until the page is full or the index ends.
  for (let pages = 0; pages < 10 && items.length < opts.limit; pages++) {
    const res = await ddb.send(
      new QueryCommand({
        TableName: catalog(),
        ...(opts.merchantId
          ? { IndexName: 'byMerchant', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': `MERCHANT#${opts.merchantId}` } }
          : { IndexName: 'byEntity', KeyConditionExpression: 'entity = :e', ExpressionAttributeValues: { ':e': 'PRODUCT' } }),
        Limit: opts.limit - items.length,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const p of (res.Items ?? []) as Product[]) {
      const text = `${p.name} ${p.description} ${p.tags.join(' ')}`.toLowerCase();
      if (!needle || text.includes(needle)) items.push(productView(p));
    }
    startKey = res.LastEvaluatedKey;
    if (!startKey) break;
  }
  return { items, nextKey: startKey };
}

export async function listMerchants(): Promise<Merchant[]> {
  const res = await ddb.send(
    new QueryCommand({ TableName: catalog(), IndexName: 'byMerchant', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'MERCHANTS' } }),
  );
  return (res.Items ?? []).map((m) => ({ merchantId: m.merchantId, name: m.name, cuisine: m.cuisine }));
}
