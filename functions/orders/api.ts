/**
 * Orders API. POST /orders prices the order from the catalog (never from the client), writes it and its
 * `order.created` event in one transaction, and answers 202: the saga runs from there.
 *
 * Idempotency-Key: the order id is derived from (customer, key), and the write is conditional on the id being new.
 * A retry, even one after a crash between write and response, finds the same order instead of creating a second;
 * the stored request hash tells a genuine retry from a key reused for a different order (409). That makes the
 * key safe without a second (Powertools) record that could disagree with the order row.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ddb } from '../shared/aws-clients';
import { newEvent } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import { createApiHandler, HttpError, IdSchema, notFound, parseInput } from '../shared/http';
import { multiply, sum, type Money } from '../shared/money';
import { commitWithEvents, isConditionFailure } from '../shared/outbox';
import { metrics, MetricUnit } from '../shared/powertools';
import { getOrder, listOrders, orderKey, toView, type Order, type OrderLine } from './order-store';

export const MAX_LINES = 20; // keeps inventory's reservation transaction under DynamoDB's 100 items
export const MAX_QUANTITY = 50;

const PlaceOrderBody = z.strictObject({
  customerId: IdSchema,
  merchantId: IdSchema,
  items: z
    .array(z.strictObject({ productId: IdSchema, quantity: z.number().int().min(1).max(MAX_QUANTITY) }))
    .min(1)
    .max(MAX_LINES)
    .refine((items) => new Set(items.map((i) => i.productId)).size === items.length, 'each productId may appear once'),
});
const IdempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _');

interface CatalogProduct {
  productId: string;
  merchantId: string;
  name: string;
  price: Money;
  available: boolean;
}

async function loadPricing(customerId: string, productIds: string[]): Promise<{ customerExists: boolean; products: Map<string, CatalogProduct> }> {
  const catalog = requireEnv('CATALOG_TABLE_NAME');
  const customers = requireEnv('CUSTOMERS_TABLE_NAME');
  const res = await ddb.send(
    new BatchGetCommand({
      RequestItems: {
        [catalog]: { Keys: productIds.map((id) => ({ pk: `PRODUCT#${id}`, sk: 'PRODUCT' })) },
        [customers]: { Keys: [{ pk: `CUSTOMER#${customerId}`, sk: 'PROFILE' }], ProjectionExpression: 'customerId' },
      },
    }),
  );
  if (Object.keys(res.UnprocessedKeys ?? {}).length > 0) throw new HttpError(503, 'BUSY', 'please retry', undefined, { 'retry-after': '1' });
  const products = new Map((res.Responses?.[catalog] ?? []).map((p) => [p.productId as string, p as CatalogProduct]));
  return { customerExists: (res.Responses?.[customers] ?? []).length > 0, products };
}

export const handler = createApiHandler({
  'POST /orders': async (req) => {
    const body = parseInput(PlaceOrderBody, req.json(), 'body');
    const keyHeader = req.headers['idempotency-key'];
    const key = keyHeader === undefined ? undefined : parseInput(IdempotencyKey, keyHeader, 'header');
    // The customer comes from the body until issue #4 puts it in a token claim; this is the only place it is read.
    const customerId = body.customerId;

    const { customerExists, products } = await loadPricing(customerId, body.items.map((i) => i.productId));
    if (!customerExists) throw new HttpError(404, 'CUSTOMER_NOT_FOUND', `customer ${customerId} not found`, [{ field: 'body.customerId', message: 'no such customer' }]);
    const problems = body.items.flatMap((item, i) => {
      const p = products.get(item.productId);
      if (!p) return [{ field: `body.items.${i}.productId`, message: 'no such product' }];
      if (p.merchantId !== body.merchantId) return [{ field: `body.items.${i}.productId`, message: `not sold by ${body.merchantId}` }];
      if (!p.available) return [{ field: `body.items.${i}.productId`, message: 'not on the menu right now' }];
      return [];
    });
    if (problems.length) throw new HttpError(422, 'UNORDERABLE_ITEMS', 'some items cannot be ordered', problems);

    const lines: OrderLine[] = body.items.map((i) => {
      const p = products.get(i.productId)!;
      return { productId: p.productId, name: p.name, quantity: i.quantity, unitPrice: p.price };
    });
    const currency = lines[0].unitPrice.currency;
    if (lines.some((l) => l.unitPrice.currency !== currency)) throw new HttpError(422, 'MIXED_CURRENCIES', 'items are priced in different currencies');
    const total = sum(lines.map((l) => multiply(l.unitPrice, l.quantity)), currency);

    const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const orderId = key
      ? `ord_${createHash('sha256').update(`${customerId}\n${key}`).digest('hex').slice(0, 24)}`
      : `ord_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const now = new Date().toISOString();
    const order: Order & { pk: string; sk: string } = {
      ...orderKey(orderId),
      orderId,
      customerId,
      merchantId: body.merchantId,
      items: lines,
      total,
      status: 'PLACED',
      statusRank: 0,
      milestones: { PLACED: now },
      createdAt: now,
      updatedAt: now,
      correlationId: req.correlationId,
      requestHash,
    };
    const event = newEvent(
      'order.created',
      { orderId, customerId, merchantId: body.merchantId, items: lines, total },
      { correlationId: req.correlationId, causationId: req.context.awsRequestId },
    );
    try {
      await commitWithEvents([{ Put: { TableName: requireEnv('ORDERS_TABLE_NAME'), Item: order, ConditionExpression: 'attribute_not_exists(pk)' } }], [event]);
    } catch (err) {
      if (!key || !isConditionFailure(err)) throw err;
      const existing = await getOrder(orderId);
      if (existing?.requestHash !== requestHash) {
        throw new HttpError(409, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different order', [{ field: 'header.idempotency-key', message: 'already used' }]);
      }
      return { statusCode: 202, body: { orderId, status: existing.status } };
    }
    metrics.addMetric('OrdersPlaced', MetricUnit.Count, 1);
    metrics.addMetric('OrderValue', MetricUnit.NoUnit, total.amount);
    return { statusCode: 202, body: { orderId, status: 'PLACED' }, headers: { location: `/orders/${orderId}` } };
  },

  'GET /orders/{id}': async (req) => {
    const { id } = parseInput(z.strictObject({ id: IdSchema }), req.event.pathParameters, 'path');
    const order = await getOrder(id);
    if (!order) throw notFound(`order ${id}`);
    return { statusCode: 200, body: toView(order) };
  },

  'GET /orders': async (req) => {
    const query = parseInput(
      z.strictObject({ customerId: IdSchema, limit: z.coerce.number().int().min(1).max(50).default(20) }),
      req.event.queryStringParameters,
      'query',
    );
    const orders = await listOrders(query.customerId, query.limit);
    return { statusCode: 200, body: { items: orders.map(toView) } };
  },
});
