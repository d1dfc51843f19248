/**
 * Prices an order from the catalog, never from the client: checks that the customer exists and that every product
 * exists, belongs to the merchant and is on the menu, then totals the lines in integer minor units.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';
import { HttpError, type FieldError } from '../shared/http';
import { MoneySchema, multiply, sum, type Money } from '../shared/money';
import type { OrderLine } from './order-store';

export interface RequestedLine {
  productId: string;
  quantity: number;
}

interface CatalogProduct {
  pk: string;
  merchantId: string;
  name: string;
  price: Money;
  available?: boolean;
}

/** One round trip for the customer and all products (≤ 21 keys, under BatchGetItem's 100). */
async function load(customerId: string, productIds: string[]) {
  const catalog = requireEnv('CATALOG_TABLE_NAME');
  const customers = requireEnv('CUSTOMERS_TABLE_NAME');
  const res = await ddb.send(
    new BatchGetCommand({
      RequestItems: {
        [catalog]: {
          Keys: productIds.map((id) => ({ pk: `PRODUCT#${id}`, sk: 'PRODUCT' })),
          ProjectionExpression: 'pk, merchantId, #n, price, available',
          ExpressionAttributeNames: { '#n': 'name' },
        },
        [customers]: { Keys: [{ pk: `CUSTOMER#${customerId}`, sk: 'PROFILE' }], ProjectionExpression: 'pk' },
      },
    }),
  );
  // Throttled keys come back unprocessed: answer 503 rather than mistake them for "not found".
  if (Object.keys(res.UnprocessedKeys ?? {}).length > 0)
    throw new HttpError(503, 'BUSY', 'please retry', undefined, { 'retry-after': '1' });
  const products = new Map((res.Responses?.[catalog] ?? []).map((p) => [String(p.pk).slice('PRODUCT#'.length), p as CatalogProduct]));
  return { customerExists: (res.Responses?.[customers] ?? []).length > 0, products };
}

export async function priceOrder(
  customerId: string,
  merchantId: string,
  requested: RequestedLine[],
): Promise<{ lines: OrderLine[]; total: Money }> {
  const { customerExists, products } = await load(
    customerId,
    requested.map((l) => l.productId),
  );
  if (!customerExists)
    throw new HttpError(404, 'CUSTOMER_NOT_FOUND', `customer ${customerId} not found`, [
      { field: 'token.sub', message: 'the token names no known customer' },
    ]);

  const problems: FieldError[] = requested.flatMap((line, i) => {
    const p = products.get(line.productId);
    const field = `body.items.${i}.productId`;
    if (!p) return [{ field, message: 'no such product' }];
    if (p.merchantId !== merchantId) return [{ field, message: `not sold by merchant ${merchantId}` }];
    if (p.available === false) return [{ field, message: 'not on the menu right now' }];
    return [];
  });
  if (problems.length) throw new HttpError(422, 'UNORDERABLE_ITEMS', 'some items cannot be ordered', problems);

  const lines = requested.map((l) => {
    const p = products.get(l.productId)!;
    // A malformed catalog price is our bug, not the client's: parse throws and the API answers 500.
    return { productId: l.productId, name: p.name, quantity: l.quantity, unitPrice: MoneySchema.parse(p.price) };
  });
  const currency = lines[0].unitPrice.currency;
  const mixed = lines.findIndex((l) => l.unitPrice.currency !== currency);
  if (mixed >= 0)
    throw new HttpError(422, 'MIXED_CURRENCIES', 'items are priced in different currencies', [
      { field: `body.items.${mixed}.productId`, message: `priced in ${lines[mixed].unitPrice.currency}, not ${currency}` },
    ]);
  return {
    lines,
    total: sum(
      lines.map((l) => multiply(l.unitPrice, l.quantity)),
      currency,
    ),
  };
}
