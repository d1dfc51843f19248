/**
 * The REST API (v1), offline: the template's resources and methods, Lambda proxy integration, the v1 proxy event
 * and API Gateway's answers when no route matches (403), the function fails (502) or takes too long (504).
 * Served at the root (http://localhost:PORT/products), not under the stage name.
 *
 * It is the first thing every user runs, so no request may bring it down or go unanswered: malformed HTTP, bad
 * encodings, oversized headers or bodies and slow or vanishing clients each get an answer (400, 408, 413, 431)
 * as JSON `{"message": ...}` where the connection still allows one, and the server keeps serving.
 */
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { LambdaRuntime } from './lambda-runtime';
import type { ApiRouteModel, RestApiModel } from './model';

const INTEGRATION_TIMEOUT_MS = 29_000;
const TEXT = /^(application\/(json|xml|x-www-form-urlencoded)|text\/)/i;

/** How long a refused connection may keep sending (discarded) after its answer, so it reads the answer, not a reset. */
const LINGER_MS = 1000;

export interface ApiGatewayLimits {
  /** API Gateway's payload quota: 10 MB. */
  maxBodyBytes: number;
  /** A client must have sent its headers within this (then 408). */
  headersTimeoutMs: number;
  /** ... and its whole request within this (then 408). */
  requestTimeoutMs: number;
}
export const DEFAULT_LIMITS: ApiGatewayLimits = { maxBodyBytes: 10 * 1024 * 1024, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 };

/**
 * On every answer API Gateway itself gives (an application's DEFAULT_4XX/DEFAULT_5XX gateway responses would carry the
 * same on AWS) and on the local pages; ShopWave's functions send the same set (offline/shopwave/platform.test.ts checks).
 */
export const GATEWAY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};

/** decodeURIComponent that answers undefined for a malformed escape or invalid UTF-8 instead of throwing. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The path of a request target, or undefined when it is not one (`//`, `http://[`, a bad escape): a 400. */
function requestPath(url: string | undefined): string | undefined {
  try {
    const { pathname } = new URL(url ?? '/', 'http://localhost');
    return pathname.split('/').every((s) => decodeSegment(s) !== undefined) ? pathname : undefined;
  } catch {
    return undefined;
  }
}

/** An answer written straight to the socket, for requests Node's parser refused (there is no response object). */
function rawAnswer(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  const headers = Object.entries({ ...GATEWAY_HEADERS, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(
    ([k, v]) => `${k}: ${v}\r\n`,
  );
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers.join('')}\r\n${body}`);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** API Gateway's precedence: literal segments beat `{param}`, which beats `{proxy+}`; an exact method beats ANY. */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `$context.requestTime`'s format (CLF): 02/Dec/2026:21:05:09 +0000. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/**
 * One access log line: the stage's Format with each `$context.<name>` replaced as API Gateway does, `-` for what
 * the offline gateway does not know (an IAM caller or user, say). Values are JSON-escaped (the formats here are JSON).
 */
export function accessLogLine(
  format: string,
  r: {
    req: IncomingMessage;
    status: number;
    started: number;
    responseLength: number;
    resourcePath?: string;
    stage: string;
    apiId: string;
    accountId: string;
  },
): string {
  const values: Record<string, string | number | undefined> = {
    requestId: randomUUID(),
    extendedRequestId: randomUUID(),
    'identity.sourceIp': r.req.socket?.remoteAddress,
    'identity.userAgent': r.req.headers['user-agent'],
    requestTime: clfTime(r.started),
    requestTimeEpoch: r.started,
    httpMethod: r.req.method,
    resourcePath: r.resourcePath,
    path: r.req.url ? requestPath(r.req.url) : undefined,
    status: r.status,
    protocol: `HTTP/${r.req.httpVersion}`,
    responseLength: r.responseLength,
    responseLatency: Date.now() - r.started,
    stage: r.stage,
    apiId: r.apiId,
    accountId: r.accountId,
    domainName: r.req.headers.host,
  };
  return format.replace(/\$context\.([A-Za-z0-9_.]+)/g, (_, name: string) => {
    const v = values[name];
    return v === undefined || v === '' ? '-' : JSON.stringify(String(v)).slice(1, -1);
  });
}

export function matchRoute(
  routes: ApiRouteModel[],
  method: string,
  path: string,
): { route: ApiRouteModel; params: Record<string, string> } | undefined {
  // Never throws: a segment that does not decode is compared as sent (the server answers 400 before matching).
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((s) => decodeSegment(s) ?? s);
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
  /**
   * The stage's access log line of each request (the stage's AccessLogSetting.Format with its `$context` variables
   * filled in, accessLogLine), when the stage has an access log.
   */
  onAccessLog?: (line: string) => void;
  /** Local pages served beside the API (an operations page, say); true when it answered the request. */
  local?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean | Promise<boolean>;
  /** Tighter limits for tests (slow clients in seconds, not tens of seconds); default DEFAULT_LIMITS. */
  limits?: Partial<ApiGatewayLimits>;
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
    // Grouped in Maps: a key named like an Object.prototype member (`?constructor=x`, a `toString:` header) must be
    // one more parameter, not the prototype's function (which has no push, and answered 502).
    const headers: Record<string, string> = {};
    const headerValues = new Map<string, string[]>();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [k, v] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      headers[k] = v;
      headerValues.set(k, [...(headerValues.get(k) ?? []), v]);
    }
    const multiValueHeaders: Record<string, string[]> = Object.fromEntries(headerValues);
    const queryValues = new Map<string, string[]>();
    for (const [k, v] of url.searchParams) queryValues.set(k, [...(queryValues.get(k) ?? []), v]);
    const query: Record<string, string[]> = Object.fromEntries(queryValues);
    const hasQuery = queryValues.size > 0;
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

  /** API Gateway's own answer (not a function's): JSON `{"message": ...}` with the gateway headers. */
  private answer(res: ServerResponse, started: number, status: number, message: string, extra: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    for (const name of res.getHeaderNames()) res.removeHeader(name); // nothing half-set by a failed write leaks in
    const body = JSON.stringify({ message });
    res.writeHead(status, { ...GATEWAY_HEADERS, ...extra }).end(body);
    this.report(res, status, started, Buffer.byteLength(body));
  }

  private report(res: ServerResponse, status: number, started: number, responseLength: number): void {
    try {
      this.hooks.onRequest?.({ apiName: this.api.name, status, latencyMs: Date.now() - started });
      if (this.api.accessLog && this.hooks.onAccessLog && res.req) {
        const path = requestPath(res.req.url);
        const route = path === undefined ? undefined : matchRoute(this.api.routes, res.req.method ?? 'GET', path)?.route;
        this.hooks.onAccessLog(
          accessLogLine(this.api.accessLog.format, {
            req: res.req,
            status,
            started,
            responseLength,
            resourcePath: route?.path,
            stage: this.api.stageName,
            apiId: this.api.logicalId,
            accountId: this.accountId,
          }),
        );
      }
    } catch {
      // metrics and logs are best effort: they never cost a request its answer
    }
  }

  /** Reads the body up to the limit; past it, answers 413 at once and closes (the rest is never buffered). */
  private receive(req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    const { maxBodyBytes } = this.limits;
    // A client that vanishes mid-request or mid-response is its own problem, never an unhandled 'error' here.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    // HTTP/0.9 ("GET /path" with no version): Node parses it, then writes nothing back on `connection: close`.
    // API Gateway speaks HTTP/1.1 and 2 only: refuse it on the socket, in HTTP/1.1.
    if (req.httpVersionMajor < 1) return rawAnswer(req.socket, 400, 'Bad Request');
    const tooLarge = () => {
      this.answer(res, started, 413, 'Request Too Long', { connection: 'close' });
      // Node discards what the client still sends until it stops; a client that never stops is cut off.
      setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
    };
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size <= maxBodyBytes) return void chunks.push(chunk);
      refused = true;
      chunks.length = 0;
      tooLarge();
    });
    req.on('end', () => {
      if (refused) return;
      this.respond(req, res, Buffer.concat(chunks), started).catch((err) => {
        // A bug of the emulator, not of a function: answer, say so on stderr, keep serving.
        console.error(`api-gateway: ${req.method} ${req.url}: ${(err as Error).stack ?? err}`);
        this.answer(res, started, 500, 'Internal server error');
      });
    });
  }

  private async respond(req: IncomingMessage, res: ServerResponse, body: Buffer, started: number): Promise<void> {
    const path = requestPath(req.url);
    if (path === undefined) return this.answer(res, started, 400, 'Bad Request');
    // HTTP/1.1 requires Host (RFC 9112 3.2); without one API Gateway could not even pick the API.
    if (req.httpVersion === '1.1' && req.headers.host === undefined) return this.answer(res, started, 400, 'Bad Request');
    if (this.hooks.local) {
      // The local pages get the gateway's headers as defaults (their own writeHead may still set a content type).
      for (const [k, v] of Object.entries(GATEWAY_HEADERS)) res.setHeader(k, v);
      try {
        if (await this.hooks.local(req, res, body)) return;
      } catch (err) {
        return this.answer(res, started, 500, `local page failed: ${(err as Error).message}`);
      }
      for (const k of Object.keys(GATEWAY_HEADERS)) res.removeHeader(k);
    }
    const match = matchRoute(this.api.routes, req.method ?? 'GET', path);
    if (!match?.route.functionLogicalId) return this.answer(res, started, 403, 'Missing Authentication Token');
    if (!this.allow(match.route)) return this.answer(res, started, 429, 'Too Many Requests');
    let result: any;
    try {
      const event = await this.buildEvent(req, match.route, match.params, body);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('integration timeout')), INTEGRATION_TIMEOUT_MS).unref(),
      );
      result = await Promise.race([this.runtime.invoke<any>(match.route.functionLogicalId, event), timeout]);
    } catch (err) {
      const timedOut = (err as Error).message === 'integration timeout';
      return this.answer(res, started, timedOut ? 504 : 502, timedOut ? 'Endpoint request timed out' : 'Internal server error');
    }
    // API Gateway answers 502 for a malformed proxy response: no numeric statusCode, a body that is not a string,
    // headers Node (and HTTP) cannot carry.
    const malformed = () => this.answer(res, started, 502, 'Internal server error');
    if (!result || typeof result.statusCode !== 'number' || (result.body != null && typeof result.body !== 'string')) return malformed();
    if (res.headersSent || res.destroyed) return;
    try {
      const headers: Record<string, string | string[]> = { ...result.headers };
      for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v as string[];
      res.writeHead(result.statusCode, headers);
    } catch {
      return malformed();
    }
    const sent = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : Buffer.from(result.body ?? '', 'utf8');
    res.end(sent);
    this.report(res, result.statusCode, started, sent.length);
  }

  async start(port: number): Promise<string> {
    const limits = this.limits;
    this.server = createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        // How often Node checks those two timeouts (default 30 s, which would let a slow client hold on 30 s longer).
        connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
        // Answered by respond() as JSON, like every other refusal, instead of Node's bare 400.
        requireHostHeader: false,
      },
      (req, res) => this.receive(req, res),
    );
    // Expect: 100-continue: refuse an oversized body before the client sends it.
    this.server.on('checkContinue', (req, res) => {
      if (Number(req.headers['content-length'] ?? 0) <= limits.maxBodyBytes) res.writeContinue();
      this.receive(req, res);
    });
    // Requests Node's parser refuses (malformed HTTP, headers over 16 KB, slow clients): answer if the socket still
    // can, as Node's default handler would, but as JSON; a reset connection has nobody to answer.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
      if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) return void socket.destroy();
      const status =
        ({ HPE_HEADER_OVERFLOW: 431, ERR_HTTP_REQUEST_TIMEOUT: 408, HPE_CHUNK_EXTENSIONS_OVERFLOW: 413 } as Record<string, number>)[
          err.code ?? ''
        ] ?? 400;
      rawAnswer(socket, status, STATUS_CODES[status]!);
    });
    // CONNECT (a proxy tunnel): no resource of the API; without a listener Node would drop the socket unanswered.
    this.server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => undefined);
      rawAnswer(socket, 403, 'Missing Authentication Token');
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    this.url = `http://localhost:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private get limits(): ApiGatewayLimits {
    return { ...DEFAULT_LIMITS, ...this.hooks.limits };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
