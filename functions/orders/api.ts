/**
 * Orders API. POST /orders prices the order from the catalog, writes it and its `order.created` event in one
 * transaction and answers 202: the saga runs from there. GET /orders/{id} and GET /orders read it back. Every route
 * acts for the customer of the bearer token only: another customer's order is 404, and the list is the caller's.
 *
 * Idempotency-Key: the order id is derived from (customer, key) and the write is conditional on that id being new,
 * so a retry (even after a crash between commit and response) finds the order instead of creating a second one,
 * and the stored request hash tells a genuine retry (202, same id) from a key reused for another order (409).
 * Powertools idempotency is deliberately not added on top: it would keep a second record (with its own expiry and
 * in-progress state) that can disagree with the order row, and it would add nothing the conditional write lacks —
 * the only extra it offers, replaying the first response byte for byte, is not needed because the answer is
 * rebuilt from the order row itself.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { MAX_ORDER_LINES, newEvent } from '../shared/contracts/events';
import { customerAuth } from '../shared/auth';
import { createApiHandler, HttpError, IdSchema, notFound, parseInput } from '../shared/http';
import { orderingState } from '../shared/ordering';
import { LOG_MESSAGES } from '../shared/log-messages';
import { logger, metrics, MetricUnit } from '../shared/powertools';
import { decodeCursor, getOrder, insertOrder, listOrders, toView, type Order } from './order-store';
import { priceOrder } from './pricing';

export const MAX_QUANTITY = 50;
export const MAX_PAGE = 50;
/** What a refused order tells the client to wait before trying again. */
export const RETRY_AFTER_SECONDS = 300;

/** No customerId: the customer is the token's (functions/shared/auth.ts); a body naming one is refused as unknown. */
const PlaceOrderBody = z.strictObject({
  merchantId: IdSchema,
  items: z
    .array(z.strictObject({ productId: IdSchema, quantity: z.number().int().min(1).max(MAX_QUANTITY) }))
    .min(1)
    .max(MAX_ORDER_LINES)
    // Rejected rather than merged: a client sending a product twice has a bug we should surface, not guess at.
    .refine((items) => new Set(items.map((i) => i.productId)).size === items.length, 'each productId may appear only once'),
});
type PlaceOrderBody = z.infer<typeof PlaceOrderBody>;

const RequestHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _')
    .optional(),
});

/** Same order content → same hash, whatever the key order or line order of the JSON. */
function requestHash(customerId: string, body: PlaceOrderBody): string {
  const items = [...body.items].sort((a, b) => a.productId.localeCompare(b.productId)).map((i) => [i.productId, i.quantity]);
  return createHash('sha256')
    .update(JSON.stringify([customerId, body.merchantId, items]))
    .digest('hex');
}

/** Keyed: a pure function of (customer, key), so every retry targets the same row. Unkeyed: random. */
export function orderIdFor(customerId: string, idempotencyKey?: string): string {
  if (!idempotencyKey) return `ord_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
  return `ord_${createHash('sha256').update(`${customerId}\n${idempotencyKey}`).digest('hex').slice(0, 24)}`;
}

/**
 * The ordering switch (functions/shared/ordering.ts): closed, or this merchant paused → 503 with Retry-After and a
 * message for the customer; nothing is written. A retry of an order placed before the switch (same
 * Idempotency-Key) is not refused: that order exists and carries on.
 */
async function refuseWhenClosed(merchantId: string, customerId: string, key: string | undefined): Promise<void> {
  const ordering = await orderingState();
  const paused = !ordering.acceptingOrders ? 'READ_ONLY' : ordering.pausedMerchants.includes(merchantId) ? 'MERCHANT_PAUSED' : undefined;
  if (!paused || (key && (await getOrder(orderIdFor(customerId, key))))) return;
  metrics.addMetric(paused === 'READ_ONLY' ? 'OrdersRefusedReadOnly' : 'OrdersRefusedMerchantPaused', MetricUnit.Count, 1);
  logger.warn('order refused by the ordering switch', { reason: paused, merchantId });
  throw paused === 'READ_ONLY'
    ? new HttpError(
        503,
        'ORDERING_PAUSED',
        'We are not taking new orders right now. Menus and your current orders are still available; please try again in a few minutes.',
        undefined,
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      )
    : new HttpError(
        503,
        'MERCHANT_PAUSED',
        'This restaurant is not taking orders right now. Its menu is still available; please try again later.',
        [{ field: 'body.merchantId', message: 'not taking orders right now' }],
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
}

export const handler = createApiHandler({
  'POST /orders': async (req) => {
    const { customerId } = req.customer();
    const body = parseInput(PlaceOrderBody, req.json(), 'body');
    const { 'idempotency-key': key } = parseInput(RequestHeaders, { 'idempotency-key': req.headers['idempotency-key'] }, 'header');
    await refuseWhenClosed(body.merchantId, customerId, key);
    const { lines, total } = await priceOrder(customerId, body.merchantId, body.items);

    const orderId = orderIdFor(customerId, key);
    const hash = key ? requestHash(customerId, body) : undefined;
    const now = new Date().toISOString();
    const order: Order = {
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
      requestHash: hash,
    };
    const created = newEvent(
      'order.created',
      { orderId, customerId, merchantId: body.merchantId, items: lines, total },
      { correlationId: req.correlationId, causationId: req.event.requestContext?.requestId ?? req.context.awsRequestId },
    );
    const location = { location: `/orders/${orderId}` };

    if ((await insertOrder(order, created)) === 'EXISTS') {
      // Only a keyed id can collide; a random one would need a 96-bit coincidence.
      if (!key) throw new Error(`order id ${orderId} collided`);
      const existing = await getOrder(orderId);
      if (!existing || existing.requestHash !== hash) {
        throw new HttpError(409, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used for a different order', [
          { field: 'header.idempotency-key', message: 'already used for a different request' },
        ]);
      }
      return { statusCode: 202, body: { orderId, status: existing.status }, headers: location };
    }
    metrics.addMetric('OrdersPlaced', MetricUnit.Count, 1);
    metrics.addMetric('OrderValue', MetricUnit.NoUnit, total.amount); // minor units
    // Read by a CloudWatch Logs metric filter (lib/constructs/log-business-metrics.ts): keep message and fields stable.
    logger.info(LOG_MESSAGES.orderPlaced, { orderId, merchantId: body.merchantId, amount: total.amount, currency: total.currency });
    return { statusCode: 202, body: { orderId, status: order.status }, headers: location };
  },

  'GET /orders/{id}': async (req) => {
    const { customerId } = req.customer();
    const { id } = parseInput(z.strictObject({ id: IdSchema }), req.event.pathParameters, 'path');
    const order = await getOrder(id);
    // Someone else's order is "not found": the answer must not reveal that the id exists.
    if (!order || order.customerId !== customerId) throw notFound(`order ${id}`);
    return { statusCode: 200, body: toView(order) };
  },

  'GET /orders': async (req) => {
    const { customerId } = req.customer();
    const query = parseInput(
      z.strictObject({ limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(20), cursor: z.string().max(512).optional() }),
      req.event.queryStringParameters,
      'query',
    );
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after)
      throw new HttpError(400, 'VALIDATION_FAILED', 'invalid query', [
        { field: 'query.cursor', message: 'not a cursor this API returned' },
      ]);
    const page = await listOrders(customerId, query.limit, after);
    return { statusCode: 200, body: { items: page.orders.map(toView), nextCursor: page.nextCursor } };
  },
}).use(customerAuth());
