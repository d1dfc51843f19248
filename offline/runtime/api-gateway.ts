/**
 * The REST API (v1), offline: the template's resources and methods, Lambda proxy integration, the v1 proxy event
 * and API Gateway's answers when no route matches (403), the function fails (502) or takes too long (504).
 * Served at the root (http://localhost:PORT/products), not under the stage name.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvocationError, type LambdaRuntime } from './lambda-runtime';
import type { ApiRouteModel, RestApiModel } from './model';

const INTEGRATION_TIMEOUT_MS = 29_000;
const TEXT = /^(application\/(json|xml|x-www-form-urlencoded)|text\/)/i;

/** API Gateway's precedence: literal segments beat `{param}`, which beats `{proxy+}`; an exact method beats ANY. */
export function matchRoute(routes: ApiRouteModel[], method: string, path: string): { route: ApiRouteModel; params: Record<string, string> } | undefined {
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  let best: { route: ApiRouteModel; params: Record<string, string>; score: number } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== 'ANY') continue;
    const parts = route.path.split('/').filter(Boolean);
    const params: Record<string, string> = {};
    let score = route.method === method ? 1 : 0;
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const part = parts[i];
      if (part.endsWith('+}')) {
        if (i >= segments.length) ok = false;
        else params[part.slice(1, -2)] = segments.slice(i).join('/');
        parts.length = i + 1;
        break;
      }
      if (i >= segments.length) ok = false;
      else if (part.startsWith('{')) params[part.slice(1, -1)] = segments[i];
      else if (part === segments[i]) score += 10;
      else ok = false;
    }
    const greedy = parts.at(-1)?.endsWith('+}');
    if (!ok || (!greedy && parts.length !== segments.length)) continue;
    if (!best || score > best.score) best = { route, params, score };
  }
  return best && { route: best.route, params: best.params };
}

/** API Gateway's throttling: a token bucket per method, `burst` deep, refilled at `rate` per second. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface ApiGatewayHooks {
  /** What API Gateway would report to CloudWatch (AWS/ApiGateway Count, 4XXError, 5XXError, Latency) per request. */
  onRequest?: (r: { apiName: string; status: number; latencyMs: number }) => void;
  /** Local pages served beside the API (the /ops page); true when it answered the request. */
  local?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean | Promise<boolean>;
}

export class ApiGatewayEmulator {
  private server?: Server;
  private readonly buckets = new Map<string, TokenBucket | null>();
  url = '';

  constructor(
    private readonly api: RestApiModel,
    private readonly runtime: LambdaRuntime,
    private readonly accountId: string,
    private readonly hooks: ApiGatewayHooks = {},
  ) {}

  /**
   * The stage's method settings: a method's own entry, else the stage default ('/*' '*'), each method with its own
   * bucket (API Gateway's "default method throttling"). No setting: unthrottled (the account limit is not modelled).
   */
  private allow(route: ApiRouteModel): boolean {
    const key = `${route.method} ${route.path}`;
    if (!this.buckets.has(key)) {
      const own = this.api.throttling.find((t) => t.path === route.path && t.method === route.method);
      const stage = this.api.throttling.find((t) => t.path === '/*' && t.method === '*');
      const rate = own?.rateLimit ?? stage?.rateLimit;
      const burst = own?.burstLimit ?? stage?.burstLimit;
      this.buckets.set(key, rate === undefined || burst === undefined ? null : new TokenBucket(rate, burst));
    }
    return this.buckets.get(key)?.take() ?? true;
  }

  private async buildEvent(req: IncomingMessage, route: ApiRouteModel, params: Record<string, string>, body: Buffer) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [k, v] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      headers[k] = v;
      (multiValueHeaders[k] ??= []).push(v);
    }
    const query: Record<string, string[]> = {};
    url.searchParams.forEach((v, k) => (query[k] ??= []).push(v));
    const hasQuery = Object.keys(query).length > 0;
    const text = TEXT.test(String(req.headers['content-type'] ?? 'application/json'));
    const now = new Date();
    return {
      resource: route.path,
      path: url.pathname,
      httpMethod: req.method!,
      headers,
      multiValueHeaders,
      queryStringParameters: hasQuery ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.at(-1)!])) : null,
      multiValueQueryStringParameters: hasQuery ? query : null,
      pathParameters: Object.keys(params).length ? params : null,
      stageVariables: null,
      requestContext: {
        accountId: this.accountId,
        apiId: this.api.logicalId,
        resourceId: route.path,
        resourcePath: route.path,
        httpMethod: req.method!,
        requestId: randomUUID(),
        extendedRequestId: randomUUID(),
        path: `/${this.api.stageName}${url.pathname}`,
        stage: this.api.stageName,
        protocol: `HTTP/${req.httpVersion}`,
        identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? null },
        requestTime: now.toUTCString(),
        requestTimeEpoch: now.getTime(),
        domainName: String(req.headers.host ?? 'localhost'),
      },
      body: body.length === 0 ? null : text ? body.toString('utf8') : body.toString('base64'),
      isBase64Encoded: body.length > 0 && !text,
    };
  }

  async start(port: number): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c)).on('end', async () => {
        const started = Date.now();
        const body = Buffer.concat(chunks);
        try {
          if (this.hooks.local && (await this.hooks.local(req, res, body))) return;
        } catch (err) {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String((err as Error).stack ?? err));
          return;
        }
        const send = (status: number, headers: Record<string, string | string[]>, payload: string | Buffer) => {
          if (res.headersSent) return;
          res.writeHead(status, headers).end(payload);
          this.hooks.onRequest?.({ apiName: this.api.name, status, latencyMs: Date.now() - started });
        };
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        const match = matchRoute(this.api.routes, req.method ?? 'GET', path);
        if (!match?.route.functionLogicalId) return send(403, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Missing Authentication Token' }));
        if (!this.allow(match.route)) return send(429, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Too Many Requests' }));
        try {
          const event = await this.buildEvent(req, match.route, match.params, body);
          const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('integration timeout')), INTEGRATION_TIMEOUT_MS).unref());
          const result = await Promise.race([this.runtime.invoke<any>(match.route.functionLogicalId, event), timeout]);
          if (!result || typeof result.statusCode !== 'number') throw new InvocationError(match.route.functionLogicalId, 'MalformedProxyResponse', 'no statusCode');
          const headers: Record<string, string | string[]> = { ...result.headers };
          for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v as string[];
          send(result.statusCode, headers, result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
        } catch (err) {
          const timedOut = (err as Error).message === 'integration timeout';
          send(timedOut ? 504 : 502, { 'content-type': 'application/json' }, JSON.stringify({ message: timedOut ? 'Endpoint request timed out' : 'Internal server error' }));
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    this.url = `http://localhost:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
