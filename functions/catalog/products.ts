/**
 * Menus: merchants and their products. Prices are integer minor units. Stock is inventory's: the catalog API reads
 * it (read-only grant on the Inventory table) so a product page shows what can be ordered now.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { ddb } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';

export { type Merchant, merchantItem, type Product, productItem } from './items';
import type { Merchant, Product } from './items';

const catalog = () => requireEnv('CATALOG_TABLE_NAME');
const productView = ({ productId, merchantId, name, description, tags, price, available }: Product) => ({
  productId,
  merchantId,
  name,
  description,
  tags,
  price,
  available,
});
export type ProductView = ReturnType<typeof productView>;

export async function getProduct(productId: string): Promise<(ProductView & { stock: number }) | undefined> {
  const [product, stock] = await Promise.all([
    ddb.send(new GetCommand({ TableName: catalog(), Key: { pk: `PRODUCT#${productId}`, sk: 'PRODUCT' } })),
    // Inventory's table, read-only for the catalog (its IAM grant is read); inventory alone writes stock.
    ddb.send(new GetCommand({ TableName: requireEnv('INVENTORY_TABLE_NAME'), Key: { pk: `PRODUCT#${productId}`, sk: 'STOCK' } })),
  ]);
  if (!product.Item) return undefined;
  return { ...productView(product.Item as Product), stock: (stock.Item?.available as number | undefined) ?? 0 };
}

/**
 * Page tokens are the index key we stopped at, as base64url JSON. A token is accepted only if it is exactly a key
 * of the index this request queries (and, for a merchant, of that merchant's partition): never passed on blindly.
 */
const ProductSk = z.literal('PRODUCT');
const ProductPk = z
  .string()
  .max(80)
  .regex(/^PRODUCT#[A-Za-z0-9_-]{1,64}$/);
const entityKey = z.strictObject({ pk: ProductPk, sk: ProductSk, entity: z.literal('PRODUCT') });
const merchantKey = (merchantId: string) =>
  z.strictObject({
    pk: ProductPk,
    sk: ProductSk,
    gsi1pk: z.literal(`MERCHANT#${merchantId}`),
    gsi1sk: z.string().max(300).startsWith('PRODUCT#'),
  });

export const encodePageToken = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/** The start key a token stands for, or undefined when it is not one this listing issued. */
export function decodePageToken(token: string, merchantId?: string): Record<string, unknown> | undefined {
  try {
    const schema = merchantId ? merchantKey(merchantId) : entityKey;
    const parsed = schema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Pages through products (one merchant's, or all) and keeps those whose name, description or tags contain `q`.
 * `q` is only ever compared in code, never put into an expression.
 */
export async function listProducts(opts: { merchantId?: string; q?: string; limit: number; startKey?: Record<string, unknown> }) {
  const needle = opts.q?.toLowerCase();
  const items: ProductView[] = [];
  let startKey = opts.startKey;
  // Filtering happens after the query, so keep reading (at most 10 pages) until the page is full or the index ends.
  // Limit = what is still missing, so a page never overshoots and the last evaluated key is a correct resume point.
  for (let pages = 0; pages < 10 && items.length < opts.limit; pages++) {
    const res = await ddb.send(
      new QueryCommand({
        TableName: catalog(),
        ...(opts.merchantId
          ? {
              IndexName: 'byMerchant',
              KeyConditionExpression: 'gsi1pk = :p',
              ExpressionAttributeValues: { ':p': `MERCHANT#${opts.merchantId}` },
            }
          : { IndexName: 'byEntity', KeyConditionExpression: 'entity = :e', ExpressionAttributeValues: { ':e': 'PRODUCT' } }),
        Limit: opts.limit - items.length,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const p of (res.Items ?? []) as Product[]) {
      const text = [p.name, p.description, ...(p.tags ?? [])].join('\n').toLowerCase();
      if (!needle || text.includes(needle)) items.push(productView(p));
    }
    startKey = res.LastEvaluatedKey;
    if (!startKey) break;
  }
  return { items, nextKey: startKey };
}

/** Every merchant, by name. A handful in this platform; one query page (1 MB) holds thousands. */
export async function listMerchants(): Promise<Merchant[]> {
  const res = await ddb.send(
    new QueryCommand({
      TableName: catalog(),
      IndexName: 'byMerchant',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'MERCHANTS' },
    }),
  );
  return (res.Items ?? []).map((m) => ({ merchantId: m.merchantId, name: m.name, cuisine: m.cuisine }));
}
