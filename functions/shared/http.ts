/**
 * The REST API side of a service: routes keyed by API Gateway's resource path, JSON in and out, one schema per
 * input, and errors that name the field. Validation happens before any write, so a rejected request writes nothing.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { activeFaults, duringRoute } from './faults';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Customer } from './auth';
import { logger, metrics, tracing } from './powertools';

/** API Gateway's payload limit is 10 MB; no ShopWave request needs more than a few KB. */
export const MAX_BODY_BYTES = 16 * 1024;

export interface FieldError {
  field: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string) => new HttpError(404, 'NOT_FOUND', `${what} not found`);

/** The Lambda context as the API middlewares leave it for the routes. */
export interface ApiContext extends Context {
  /** Set first, by `apiContract()`: every later middleware and every response uses them. */
  api?: { headers: Record<string, string>; correlationId: string };
  /** The bearer token's customer, set by `customerAuth()` (functions/shared/auth.ts). */
  customer?: Customer;
  /** The merchant an API key acts for, set by `merchantKeyAuth()` (functions/restaurant/merchant-auth.ts). */
  merchantId?: string;
}

export interface ApiRequest {
  event: APIGatewayProxyEvent;
  context: ApiContext;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  correlationId: string;
  /** The JSON body, parsed; validate it with `parseInput`. */
  json(): unknown;
  /** The authenticated customer; only on handlers that use `customerAuth()`. */
  customer(): Customer;
}

export interface ApiResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (req: ApiRequest) => Promise<ApiResponse>;
/** Keys are `<METHOD> <resource>`, the resource exactly as declared in API Gateway, e.g. 'GET /orders/{id}'. */
export type Routes = Record<string, RouteHandler>;

function toFieldErrors(error: z.ZodError, where: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return { field: [where, path].filter(Boolean).join('.'), message: `${issue.message}${keys}` };
  });
}

/** Validates one input (body, path or query) and answers 400 naming each failing field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'path' | 'query' | 'header'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new HttpError(400, 'VALIDATION_FAILED', `invalid ${where}`, toFieldErrors(result.error, where));
  return result.data;
}

function lowerCaseHeaders(headers: APIGatewayProxyEvent['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function readBody(event: APIGatewayProxyEvent, headers: Record<string, string>): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES)
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `body is larger than ${MAX_BODY_BYTES} bytes`);
  const contentType = headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(contentType))
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type must be application/json');
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'MALFORMED_JSON', 'body is not valid JSON', [{ field: 'body', message: 'not valid JSON' }]);
  }
}

export type ApiMiddleware = middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext>;

/**
 * Sent on every API response. nosniff: a browser never runs a JSON body as script or HTML. HSTS is sent always
 * rather than when X-Forwarded-Proto says https: API Gateway serves only HTTPS, and browsers ignore the header on
 * plain http (RFC 6797 8.1), so offline it is harmless and one rule holds on every target.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};
/** The default: nothing is stored by a browser or a shared cache unless a public route says otherwise. */
export const NO_STORE = 'no-store';
/**
 * For public catalog reads (the same for every caller, no Authorization involved): a short shared cache. Stock and
 * availability may show up to this stale; an order never does, its prices and stock are read again server-side.
 */
export const PUBLIC_CATALOG_CACHE = 'public, max-age=30';

const jsonHeaders = (correlationId: string) => ({
  'content-type': 'application/json',
  'x-correlation-id': correlationId,
  'cache-control': NO_STORE,
  ...SECURITY_HEADERS,
});

function errorResponse(err: unknown, context: ApiContext): APIGatewayProxyResult {
  const headers = jsonHeaders(context.api?.correlationId ?? randomUUID());
  if (err instanceof HttpError) {
    if (err.statusCode >= 500) logger.error('request failed', err);
    else logger.info('request rejected', { statusCode: err.statusCode, code: err.code, fields: err.fields });
    return {
      statusCode: err.statusCode,
      // Errors are never cached (a 404 or 503 must not outlive its cause), whatever headers the error carries.
      headers: { ...headers, ...err.headers, 'cache-control': NO_STORE, ...SECURITY_HEADERS },
      body: JSON.stringify({ error: { code: err.code, message: err.message, fields: err.fields } }),
    };
  }
  logger.error('unhandled error', err as Error);
  return {
    statusCode: 500,
    headers,
    body: JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error', requestId: context.awsRequestId } }),
  };
}

/**
 * The HTTP contract every API handler keeps, as a middleware so that the middlewares after it (authentication)
 * have the headers and correlation id, and any error they or the route throw becomes a JSON 4xx/5xx response
 * instead of an API Gateway 502.
 */
function apiContract(): ApiMiddleware {
  return {
    before: ({ event, context }) => {
      const headers = lowerCaseHeaders(event.headers);
      const offered = headers['x-correlation-id'] ?? headers['x-request-id'];
      const correlationId = offered && CORRELATION_ID.test(offered) ? offered : randomUUID();
      logger.appendKeys({ correlationId, route: `${event.httpMethod} ${event.resource}` });
      context.api = { headers, correlationId };
    },
    // Sets the response without returning it, so the Powertools middlewares still flush metrics and reset keys.
    onError: (request) => {
      request.response = errorResponse(request.error, request.context);
    },
  };
}

/**
 * One Lambda handler for a set of routes: Powertools tracer, logger and metrics, then `apiContract()`. Handlers
 * that need a caller add its middleware: `createApiHandler(routes).use(customerAuth())`.
 */
export function createApiHandler(routes: Routes) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext>(async (event: APIGatewayProxyEvent, context: ApiContext) => {
    const { headers, correlationId } = context.api!;
    let parsedBody: { value: unknown } | undefined;
    const req: ApiRequest = {
      event,
      context,
      headers,
      correlationId,
      json: () => (parsedBody ??= { value: readBody(event, headers) }).value,
      customer: () => {
        if (!context.customer) throw new Error(`${event.httpMethod} ${event.resource} needs the customerAuth() middleware`);
        return context.customer;
      },
    };
    const route = routes[`${event.httpMethod} ${event.resource}`];
    if (!route) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${event.httpMethod} ${event.resource} is not supported`);
    // Game day (functions/shared/faults/): a bad SHOPWAVE_FAULTS fails the request (fails closed) before the route runs;
    // a lost dependency (fail-dependency) fails this route's SDK calls and the route's own error path answers.
    activeFaults();
    const res = await duringRoute(`${event.httpMethod} ${event.resource}`, () => route(req));
    // A response to an authenticated caller is private whatever the route asked for; a route may only relax it
    // for public data. The security headers cannot be switched off by a route.
    const authenticated = context.customer !== undefined || context.merchantId !== undefined;
    return {
      statusCode: res.statusCode,
      headers: {
        ...jsonHeaders(correlationId),
        ...res.headers,
        ...(authenticated || res.statusCode >= 400 ? { 'cache-control': NO_STORE } : {}),
        ...SECURITY_HEADERS,
      },
      body: res.body === undefined ? '' : JSON.stringify(res.body),
    };
  })
    .use(tracing())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(apiContract());
}

/** Identifiers in paths: letters, digits, '-' and '_' only, so they are safe in keys and logs. */
export const IdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be 1-64 letters, digits, - or _');
