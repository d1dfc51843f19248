/**
 * Who is calling: a bearer JWT verified with jose against the issuer's JWKS, in the handler as a middy middleware
 * (so it holds on every target — LocalStack community runs no authorizers). The JWKS comes from a URL (the Cognito
 * user pool on the aws target) or from an SSM parameter (the development issuer, offline and on LocalStack); the
 * infrastructure sets which (lib/constructs/customer-identity.ts). The customer id is a claim of the token, never
 * the body or the query. Any failure is a 401 that says only what the caller can fix; details go to the log.
 */
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { countAuthFailure, type AuthFailureReason } from './auth-metrics';
import { requireEnv } from './env';
import { HttpError, IdSchema, type ApiMiddleware } from './http';
import { logger } from './powertools';

export interface Customer {
  customerId: string;
}

/** JWKS published in SSM are re-read at most this often: a rotated key is picked up within five minutes. */
const JWKS_CACHE_SECONDS = 300;
let remoteJwks: JWTVerifyGetKey | undefined;

async function keys(): Promise<JWTVerifyGetKey> {
  const url = process.env.AUTH_JWKS_URL;
  if (url) return (remoteJwks ??= createRemoteJWKSet(new URL(url))); // jose caches and refreshes on unknown kid
  let jwks: JSONWebKeySet;
  try {
    jwks = (await getParameter(requireEnv('AUTH_JWKS_PARAMETER'), { maxAge: JWKS_CACHE_SECONDS, transform: 'json' })) as JSONWebKeySet;
  } catch (err) {
    logger.error('cannot read the token issuer keys', err as Error);
    throw new HttpError(503, 'AUTH_UNAVAILABLE', 'sign-in is temporarily unavailable; please retry', undefined, { 'retry-after': '5' });
  }
  return createLocalJWKSet(jwks);
}

/** Every 401 of this module goes through here: counted once, with its reason (auth-metrics.ts). */
function unauthorized(reason: AuthFailureReason, message: string, error = 'invalid_token'): HttpError {
  countAuthFailure(reason);
  return new HttpError(401, 'UNAUTHORIZED', message, undefined, { 'www-authenticate': `Bearer realm="shopwave", error="${error}"` });
}

/** jose's error → the metric's reason: a closed list, so the dimension stays low-cardinality. */
function reasonOf(err: unknown): AuthFailureReason {
  const { code, claim } = err as { code?: string; claim?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad-signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'unknown-key';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'bad-algorithm';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claim === 'iss' ? 'wrong-issuer' : claim === 'aud' ? 'wrong-audience' : 'bad-claims';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed';
    default:
      return 'invalid';
  }
}

/** The calling customer, from `Authorization: Bearer <jwt>`; 401 when absent, malformed, tampered, expired or foreign. */
export async function authenticateCustomer(headers: Record<string, string>): Promise<Customer> {
  const token = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(headers.authorization ?? '')?.[1];
  if (!token) {
    throw unauthorized(
      headers.authorization ? 'malformed' : 'missing',
      'a bearer token is required (Authorization: Bearer <token>)',
      'invalid_request',
    );
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, await keys(), {
      issuer: requireEnv('AUTH_ISSUER'),
      audience: requireEnv('AUTH_AUDIENCE'),
      algorithms: ['ES256', 'RS256'], // never 'none', never HMAC with a public key
      requiredClaims: ['exp', 'sub'],
      clockTolerance: 5,
    }));
  } catch (err) {
    if (err instanceof HttpError) throw err;
    const code = (err as { code?: string }).code;
    // The reason and jose's code only: never the token.
    logger.info('token rejected', { reason: code ?? (err as Error).name });
    throw unauthorized(reasonOf(err), code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid');
  }
  // Cognito signs ID and access tokens with the same keys; only the one the pool was configured for is accepted.
  const tokenUse = process.env.AUTH_TOKEN_USE;
  if (tokenUse && payload.token_use !== tokenUse) {
    logger.info('token rejected', { reason: 'token_use', tokenUse: String(payload.token_use) });
    throw unauthorized('wrong-token-use', `the token's token_use must be "${tokenUse}"`);
  }
  const customerId = IdSchema.safeParse(payload[process.env.AUTH_CUSTOMER_CLAIM ?? 'sub']);
  if (!customerId.success) throw unauthorized('no-customer', 'the token names no customer');
  logger.appendKeys({ customerId: customerId.data });
  return { customerId: customerId.data };
}

/** Authenticates every request of the handler it is used on; routes read the caller with `req.customer()`. */
export function customerAuth(): ApiMiddleware {
  return {
    before: async ({ context }) => {
      context.customer = await authenticateCustomer(context.api?.headers ?? {});
    },
  };
}
