/** Catalog API: products (search, merchant filter, pages), one product with price and stock, merchants. */
import * as z from 'zod';
import { createApiHandler, HttpError, IdSchema, notFound, parseInput, PUBLIC_CATALOG_CACHE } from '../shared/http';

// Menus are public and the same for every caller: browsers and shared caches may keep them briefly (see http.ts).
const cached = { 'cache-control': PUBLIC_CATALOG_CACHE };
import { decodePageToken, encodePageToken, getProduct, listMerchants, listProducts } from './products';

const ListQuery = z.strictObject({
  // Bounded, then trimmed; an empty q means no filter. It is matched as plain text, never used in an expression.
  q: z
    .string()
    .max(100)
    .transform((s) => s.trim() || undefined)
    .optional(),
  merchantId: IdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  nextToken: z.string().max(1000).optional(),
});

export const handler = createApiHandler({
  'GET /products': async (req) => {
    const query = parseInput(ListQuery, req.event.queryStringParameters, 'query');
    const startKey = query.nextToken === undefined ? undefined : decodePageToken(query.nextToken, query.merchantId);
    if (query.nextToken !== undefined && !startKey) {
      throw new HttpError(400, 'VALIDATION_FAILED', 'invalid query', [
        { field: 'query.nextToken', message: 'not a token this listing issued' },
      ]);
    }
    const page = await listProducts({ merchantId: query.merchantId, q: query.q, limit: query.limit, startKey });
    return {
      statusCode: 200,
      headers: cached,
      body: { items: page.items, nextToken: page.nextKey ? encodePageToken(page.nextKey) : undefined },
    };
  },
  'GET /products/{id}': async (req) => {
    const { id } = parseInput(z.strictObject({ id: IdSchema }), req.event.pathParameters, 'path');
    const product = await getProduct(id);
    if (!product) throw notFound(`product ${id}`);
    return { statusCode: 200, headers: cached, body: product };
  },
  'GET /merchants': async () => ({ statusCode: 200, headers: cached, body: { items: await listMerchants() } }),
});
