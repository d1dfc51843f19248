/**
 * The aws target's side of customer authentication: Cognito-shaped ID tokens verified against a JWKS fetched over
 * HTTP (here a loopback server standing in for cognito-idp's /.well-known/jwks.json), the customer id from the
 * `custom:customerId` claim, access tokens refused; and the middleware contract every API handler relies on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiEvent, lambdaContext } from '../../test/support/lambda';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool';
const CLIENT_ID = '4example5client6id7';
const KID = 'cognito-test-key';

let server: Server;
let jwksRequests = 0;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let auth: typeof import('./auth');
let http: typeof import('./http');

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] });
  server = createServer((_req, res) => {
    jwksRequests += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // What lib/constructs/customer-identity.ts sets on the aws target.
  Object.assign(process.env, {
    AUTH_JWKS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/eu-west-1_TestPool/.well-known/jwks.json`,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: CLIENT_ID,
    AUTH_CUSTOMER_CLAIM: 'custom:customerId',
    AUTH_TOKEN_USE: 'id',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  delete process.env.AUTH_JWKS_PARAMETER;
  auth = await import('./auth');
  http = await import('./http');
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A token shaped like Cognito's: ID tokens carry `aud`, access tokens `client_id` and no `aud`. */
function cognitoToken(claims: Record<string, unknown>, opts: { audience?: string; expiresIn?: string | number } = {}) {
  const jwt = new SignJWT({ 'cognito:username': 'alice', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: KID })
    .setSubject('6b1f3c2e-1111-4a4a-9c9c-0123456789ab')
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '1h');
  if (opts.audience !== undefined) jwt.setAudience(opts.audience);
  return jwt.sign(privateKey);
}

/**
 * The auth-failure datapoints a call produced, as `reason` values: each rejection is one datapoint without the
 * reason (the alarm's total) and one with it. Spied on Powertools, which is disabled (not printing) under tests.
 */
function authFailures() {
  const metricSpy = vi.spyOn(Metrics.prototype, 'addMetric');
  const dimensionSpy = vi.spyOn(Metrics.prototype, 'addDimension');
  return () => ({
    total: metricSpy.mock.calls.filter(([name]) => name === 'AuthFailures').length / 2,
    reasons: dimensionSpy.mock.calls.filter(([name]) => name === 'reason').map(([, value]) => value),
  });
}
afterEach(() => vi.restoreAllMocks());

const bearer = async (token: Promise<string>) => ({ authorization: `Bearer ${await token}` });

describe('Cognito ID tokens (aws target)', () => {
  it('accepts an ID token of the pool and client, with the customer from custom:customerId', async () => {
    const headers = await bearer(cognitoToken({ token_use: 'id', 'custom:customerId': 'c-alice' }, { audience: CLIENT_ID }));
    await expect(auth.authenticateCustomer(headers)).resolves.toEqual({ customerId: 'c-alice' });
    expect(jwksRequests).toBe(1);
    // The key set is cached: a second token costs no second fetch.
    await auth.authenticateCustomer(await bearer(cognitoToken({ token_use: 'id', 'custom:customerId': 'c-bob' }, { audience: CLIENT_ID })));
    expect(jwksRequests).toBe(1);
  });

  it.each([
    // Cognito's access tokens have no aud, so the audience check already refuses them ...
    [
      'an access token',
      { token_use: 'access', client_id: CLIENT_ID, 'custom:customerId': 'c-alice' },
      {},
      'the token is not valid',
      'wrong-audience',
    ],
    // ... and token_use is checked as well, should one ever carry the client id as its audience.
    [
      'an access token with an aud',
      { token_use: 'access', 'custom:customerId': 'c-alice' },
      { audience: CLIENT_ID },
      'the token\'s token_use must be "id"',
      'wrong-token-use',
    ],
    [
      'an ID token for another app client',
      { token_use: 'id', 'custom:customerId': 'c-alice' },
      { audience: 'another-client' },
      'the token is not valid',
      'wrong-audience',
    ],
    ['a user with no customer id', { token_use: 'id' }, { audience: CLIENT_ID }, 'the token names no customer', 'no-customer'],
    [
      'a customer id that is not an id',
      { token_use: 'id', 'custom:customerId': 'c-1; DROP TABLE' },
      { audience: CLIENT_ID },
      'the token names no customer',
      'no-customer',
    ],
    [
      'an expired ID token',
      { token_use: 'id', 'custom:customerId': 'c-alice' },
      { audience: CLIENT_ID, expiresIn: Math.floor(Date.now() / 1000) - 60 },
      'the token has expired',
      'expired',
    ],
  ])('refuses %s with 401, counted once with its reason', async (_name, claims, opts, message, reason) => {
    const token = await cognitoToken(claims, opts);
    const counted = authFailures();
    const err = await auth.authenticateCustomer({ authorization: `Bearer ${token}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(http.HttpError);
    expect([(err as InstanceType<typeof http.HttpError>).statusCode, (err as Error).message]).toEqual([401, message]);
    expect(counted()).toEqual({ total: 1, reasons: [reason] });
  });

  it('counts tokens that are missing, malformed, forged, foreign or signed by an unknown key by their reason', async () => {
    const good = await cognitoToken({ token_use: 'id', 'custom:customerId': 'c-alice' }, { audience: CLIENT_ID });
    const [header, payload] = good.split('.');
    const stranger = await generateKeyPair('RS256');
    const signedBy = (key: typeof privateKey, kid: string, issuer = ISSUER) =>
      new SignJWT({ token_use: 'id', 'custom:customerId': 'c-alice' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject('s')
        .setIssuer(issuer)
        .setAudience(CLIENT_ID)
        .setExpirationTime('1h')
        .sign(key);
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing'],
      [{ authorization: 'Basic YWxpY2U6c2VjcmV0' }, 'malformed'],
      [{ authorization: 'Bearer not.a.jwt' }, 'malformed'],
      // A valid header and claims with another key's signature: tampered.
      [{ authorization: `Bearer ${header}.${payload}.${(await signedBy(stranger.privateKey, KID)).split('.')[2]}` }, 'bad-signature'],
      [{ authorization: `Bearer ${await signedBy(stranger.privateKey, 'someone-elses-key')}` }, 'unknown-key'],
      [{ authorization: `Bearer ${await signedBy(privateKey, KID, 'https://evil.example')}` }, 'wrong-issuer'],
    ];
    for (const [headers, reason] of cases) {
      const counted = authFailures();
      const err = await auth.authenticateCustomer(headers).catch((e: unknown) => e);
      expect((err as InstanceType<typeof http.HttpError>).statusCode, reason).toBe(401);
      expect(counted(), reason).toEqual({ total: 1, reasons: [reason] });
      vi.restoreAllMocks();
    }
    // An accepted token counts nothing.
    const counted = authFailures();
    await auth.authenticateCustomer({ authorization: `Bearer ${good}` });
    expect(counted()).toEqual({ total: 0, reasons: [] });
  });
});

describe('customerAuth() middleware', () => {
  const whoAmI = () => http.createApiHandler({ 'GET /me': async (req) => ({ statusCode: 200, body: req.customer() }) });

  async function call(handler: ReturnType<typeof whoAmI>, headers: Record<string, string>) {
    const res = await handler(apiEvent({ method: 'GET', resource: '/me', path: '/me', headers }), lambdaContext('auth-test'));
    return { status: res.statusCode, headers: res.headers ?? {}, body: JSON.parse(res.body) };
  }

  it('gives the route the caller, and answers 401 as JSON with the correlation id before any route runs', async () => {
    const handler = whoAmI().use(auth.customerAuth());
    const ok = await call(
      handler,
      await bearer(cognitoToken({ token_use: 'id', 'custom:customerId': 'c-alice' }, { audience: CLIENT_ID })),
    );
    expect([ok.status, ok.body]).toEqual([200, { customerId: 'c-alice' }]);
    const refused = await call(handler, { 'x-correlation-id': 'corr-401' });
    expect([refused.status, refused.body.error.code, refused.headers['x-correlation-id']]).toEqual([401, 'UNAUTHORIZED', 'corr-401']);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="shopwave", error="invalid_request"');
  });

  it('fails closed: a route that asks for the caller on a handler without the middleware is a 500, not anonymous', async () => {
    const res = await call(
      whoAmI(),
      await bearer(cognitoToken({ token_use: 'id', 'custom:customerId': 'c-alice' }, { audience: CLIENT_ID })),
    );
    expect([res.status, res.body.error.code]).toEqual([500, 'INTERNAL']);
  });
});
