/** Catalog API: products (search, merchant filter, pages), one product with price and stock, merchants. */
import { z } from 'zod';
import { createApiHandler, HttpError, IdSchema, notFound, parseInput } from '../shared/http';
import { getProduct, listMerchants, listProducts } from './products';

/** The page token is the index key we stopped at, base64url JSON; anything else is rejected, never passed on. */
const PageKey = z.strictObject({ pk: z.string().max(80), sk: z.string().max(80), entity: z.string().max(20).optional(), gsi1pk: z.string().max(80).optional(), gsi1sk: z.string().max(300).optional() });
function decodeToken(token: string | undefined): Record<string, unknown> | undefined {
  if (token === undefined) return undefined;
  try {
    return PageKey.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw new HttpError(400, 'VALIDATION_FAILED', 'invalid query', [{ field: 'query.nextToken', message: 'not a token this API issued' }]);
  }
}

const ListQuery = z.strictObject({
  q: z.string().trim().min(1).max(100).optional(),
  merchantId: IdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  nextToken: z.string().max(1000).optional(),
});

export const handler = createApiHandler({
  'GET /products': async (req) => {
    const query = parseInput(ListQuery, req.event.queryStringParameters, 'query');
    const page = await listProducts({ merchantId: query.merchantId, q: query.q, limit: query.limit, startKey: decodeToken(query.nextToken) });
    const nextToken = page.nextKey ? Buffer.from(JSON.stringify(page.nextKey)).toString('base64url') : undefined;
    return { statusCode: 200, body: { items: page.items, nextToken } };
  },
  'GET /products/{id}': async (req) => {
    const { id } = parseInput(z.strictObject({ id: IdSchema }), req.event.pathParameters, 'path');
    const product = await getProduct(id);
    if (!product) throw notFound(`product ${id}`);
    return { statusCode: 200, body: product };
  },
  'GET /merchants': async () => ({ statusCode: 200, body: { items: await listMerchants() } }),
});
