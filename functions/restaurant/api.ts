/**
 * merchant-api: the restaurant's tablet over HTTP, for a merchant holding an API key (`x-api-key`, see
 * merchant-keys.ts), checked by merchantKeyAuth() before any route runs. A key acts for one merchant only: another
 * merchant's path is 403, another merchant's order 404.
 *   GET  /merchants/{id}/orders                          orders on the tablet, newest first
 *   POST /merchants/{id}/orders/{orderId}/acknowledge    → restaurant.order-received
 *   POST /merchants/{id}/orders/{orderId}/reject         body {reason?} → restaurant.order-rejected (refund follows)
 */
import * as z from 'zod';
import { countAuthFailure } from '../shared/auth-metrics';
import { createApiHandler, HttpError, IdSchema, notFound, parseInput, type ApiRequest } from '../shared/http';
import { logger } from '../shared/powertools';
import { merchantKeyAuth } from './merchant-auth';
import { acknowledgeOrder, getTabletOrder, listTabletOrders, rejectOrder, type Decision } from './tablet';

const MerchantPath = z.strictObject({ id: IdSchema });
const OrderPath = z.strictObject({ id: IdSchema, orderId: IdSchema });
const RejectBody = z.strictObject({ reason: z.string().trim().min(1).max(200).optional() });

/** The key's merchant (merchantKeyAuth), which must be the merchant of the path. */
function authorize(req: ApiRequest, merchantId: string): void {
  const keyMerchant = req.context.merchantId;
  if (keyMerchant !== merchantId) {
    logger.warn('merchant key used for another merchant', { keyMerchant, merchantId });
    countAuthFailure('merchant-forbidden');
    throw new HttpError(403, 'FORBIDDEN', `this key does not act for merchant ${merchantId}`);
  }
}

async function decideFor(
  req: ApiRequest,
  decide: (orderId: string, merchantId: string, correlation: { correlationId: string; causationId: string }) => Promise<Decision>,
) {
  const { id, orderId } = parseInput(OrderPath, req.event.pathParameters, 'path');
  authorize(req, id);
  const row = await getTabletOrder(orderId);
  // Another merchant's order is "not found" for this one.
  if (!row || row.merchantId !== id) throw notFound(`order ${orderId}`);
  const correlation = {
    correlationId: row.correlationId ?? req.correlationId,
    causationId: req.event.requestContext?.requestId ?? req.context.awsRequestId,
  };
  const decision = await decide(orderId, id, correlation);
  if (decision === 'NOT_FOUND' || decision === 'WRONG_MERCHANT') throw notFound(`order ${orderId}`);
  if (decision === 'ALREADY_DECIDED')
    throw new HttpError(409, 'ALREADY_DECIDED', `order ${orderId} was already acknowledged, rejected or timed out`);
  return { statusCode: 200, body: { orderId, status: (await getTabletOrder(orderId))?.status } };
}

export const handler = createApiHandler({
  'GET /merchants/{id}/orders': async (req) => {
    const { id } = parseInput(MerchantPath, req.event.pathParameters, 'path');
    authorize(req, id);
    const rows = await listTabletOrders(id);
    return {
      statusCode: 200,
      body: { items: rows.map(({ orderId, items, status, sentAt, ackDeadline }) => ({ orderId, items, status, sentAt, ackDeadline })) },
    };
  },
  'POST /merchants/{id}/orders/{orderId}/acknowledge': (req) =>
    decideFor(req, (orderId, merchantId, correlation) => acknowledgeOrder({ orderId, merchantId, correlation })),
  'POST /merchants/{id}/orders/{orderId}/reject': (req) => {
    const { reason } = parseInput(RejectBody, req.json(), 'body');
    return decideFor(req, (orderId, merchantId, correlation) => rejectOrder({ orderId, merchantId, reason, correlation }));
  },
}).use(merchantKeyAuth());
