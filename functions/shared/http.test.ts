/**
 * The headers every API response carries, set in one place (createApiHandler): nosniff and HSTS always, no-store
 * unless a public route relaxes it, and never relaxed for an authenticated caller or an error.
 */
import { describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../../test/support/lambda';
import { createApiHandler, HttpError, PUBLIC_CATALOG_CACHE, SECURITY_HEADERS, type ApiMiddleware } from './http';

const SECURE = { 'x-content-type-options': 'nosniff', 'strict-transport-security': 'max-age=31536000; includeSubDomains' };

const handler = createApiHandler({
  'GET /private': async () => ({ statusCode: 200, body: { secret: 1 } }),
  'GET /public': async () => ({ statusCode: 200, headers: { 'cache-control': PUBLIC_CATALOG_CACHE }, body: { menu: 1 } }),
  'GET /sniff': async () => ({
    statusCode: 200,
    headers: { 'x-content-type-options': 'sniff', 'strict-transport-security': 'max-age=0' },
    body: {},
  }),
  'GET /missing': async () => ({ statusCode: 404, headers: { 'cache-control': PUBLIC_CATALOG_CACHE }, body: {} }),
  'GET /paused': async () => {
    throw new HttpError(503, 'PAUSED', 'paused', undefined, { 'retry-after': '300', 'cache-control': 'public, max-age=600' });
  },
  'GET /bug': async () => {
    throw new Error('a bug');
  },
});
const asCustomer: ApiMiddleware = { before: ({ context }) => void (context.customer = { customerId: 'c-alice' }) };
const authenticated = createApiHandler({
  'GET /public': async () => ({ statusCode: 200, headers: { 'cache-control': PUBLIC_CATALOG_CACHE }, body: {} }),
}).use(asCustomer);

const call = async (h: typeof handler, resource: string) =>
  (await h(apiEvent({ method: 'GET', resource, path: resource }), lambdaContext('http-test'))).headers ?? {};

describe('security headers', () => {
  it('are the documented set', () => {
    expect(SECURITY_HEADERS).toEqual(SECURE);
  });

  it('are on every response, and no-store unless the route serves public data', async () => {
    expect(await call(handler, '/private')).toMatchObject({ ...SECURE, 'cache-control': 'no-store', 'content-type': 'application/json' });
    expect(await call(handler, '/public')).toMatchObject({ ...SECURE, 'cache-control': 'public, max-age=30' });
  });

  it('cannot be switched off by a route', async () => {
    expect(await call(handler, '/sniff')).toMatchObject(SECURE);
  });

  it('keep errors out of every cache, whatever the route or the error asked for', async () => {
    expect(await call(handler, '/missing')).toMatchObject({ ...SECURE, 'cache-control': 'no-store' });
    expect(await call(handler, '/paused')).toMatchObject({ ...SECURE, 'cache-control': 'no-store', 'retry-after': '300' });
    expect(await call(handler, '/bug')).toMatchObject({ ...SECURE, 'cache-control': 'no-store' });
    expect(await call(handler, '/no-such-route')).toMatchObject({ ...SECURE, 'cache-control': 'no-store' });
  });

  it('make every answer to an authenticated caller private', async () => {
    expect(await call(authenticated, '/public')).toMatchObject({ ...SECURE, 'cache-control': 'no-store' });
  });
});
