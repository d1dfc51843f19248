/**
 * The offline runtime's own promises, on tiny handler bundles: Lambda timeouts kill the environment, functions
 * keep their own environment in one process, and the API answers as API Gateway does.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayEmulator, GATEWAY_HEADERS, matchRoute } from './api-gateway';
import { LambdaRuntime } from './lambda-runtime';
import type { ApiRouteModel, FunctionModel } from './model';

const dir = mkdtempSync(path.join(tmpdir(), 'runtime-'));
function fn(name: string, code: string, timeoutSeconds = 3, environment: Record<string, string> = {}): FunctionModel {
  const codeDirectory = path.join(dir, name);
  mkdirSync(codeDirectory, { recursive: true });
  writeFileSync(path.join(codeDirectory, 'index.mjs'), code);
  return {
    logicalId: name,
    functionName: name,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    timeoutSeconds,
    memorySize: 128,
    environment,
    codeDirectory,
    logGroup: `/aws/lambda/${name}`,
  };
}

const functions = [
  fn(
    'Echo',
    `export const handler = async (event) => ({ statusCode: 200, headers: { 'x-color': process.env.COLOR }, body: JSON.stringify({ path: event.path, resource: event.resource, params: event.pathParameters, query: event.queryStringParameters, body: event.body }) });`,
    3,
    { COLOR: 'blue' },
  ),
  fn('Other', `export const handler = async () => ({ statusCode: 200, body: process.env.COLOR ?? 'none' });`, 3, { COLOR: 'red' }),
  fn('Boom', `export const handler = async () => { throw new Error('kaput'); };`),
  fn('Slow', `export const handler = () => new Promise(() => {});`, 1),
  // Counts invocations per environment, so a test can tell a fresh environment from a reused one.
  fn(
    'Crashy',
    `let n = 0; export const handler = async (event) => { const e = event.queryStringParameters ?? event; n++; if (e.late) setTimeout(() => { throw new Error('late boom'); }, 10); if (e.reject) Promise.reject(new Error('nobody awaits me')); if (e.exit) process.exit(Number(e.exit)); if (e.hang) await new Promise((r) => setTimeout(r, 2000)); return { statusCode: 200, body: String(n), n }; };`,
  ),
  fn('InitExit', `process.exit(4); export const handler = async () => 'never';`),
];
const routes: ApiRouteModel[] = [
  {
    method: 'GET',
    path: '/orders/{id}',
    functionLogicalId: 'Echo',
    authorizationType: 'NONE',
    apiKeyRequired: false,
    integrationType: 'AWS_PROXY',
  },
  {
    method: 'GET',
    path: '/orders/special',
    functionLogicalId: 'Other',
    authorizationType: 'NONE',
    apiKeyRequired: false,
    integrationType: 'AWS_PROXY',
  },
  {
    method: 'POST',
    path: '/orders',
    functionLogicalId: 'Echo',
    authorizationType: 'NONE',
    apiKeyRequired: false,
    integrationType: 'AWS_PROXY',
  },
  {
    method: 'GET',
    path: '/boom',
    functionLogicalId: 'Boom',
    authorizationType: 'NONE',
    apiKeyRequired: false,
    integrationType: 'AWS_PROXY',
  },
  {
    method: 'GET',
    path: '/crashy',
    functionLogicalId: 'Crashy',
    authorizationType: 'NONE',
    apiKeyRequired: false,
    integrationType: 'AWS_PROXY',
  },
];

let runtime: LambdaRuntime;
let api: ApiGatewayEmulator;
let url: string;
beforeAll(async () => {
  runtime = new LambdaRuntime(functions, {
    naming: { region: 'us-east-1', accountId: '000000000000', sqsEndpoint: 'http://127.0.0.1:9', resourcePrefix: '' },
    endpointEnv: {},
    logSink: () => undefined,
  });
  api = new ApiGatewayEmulator({ logicalId: 'Api', name: 'Api', stageName: 'prod', routes, throttling: [] }, runtime, '000000000000');
  url = await api.start(0);
});
afterAll(async () => {
  await api.stop();
  await runtime.stop();
});

describe('lambda runtime', () => {
  it('gives each function its own environment in one process', async () => {
    expect(await runtime.invoke('Other', {})).toMatchObject({ body: 'red' });
    expect(await runtime.invoke<{ headers: Record<string, string> }>('Echo', { path: '/x' })).toMatchObject({
      headers: { 'x-color': 'blue' },
    });
  });

  it('kills an invocation past the function timeout and keeps serving', async () => {
    await expect(runtime.invoke('Slow', {})).rejects.toThrow(/Task timed out after 1.00 seconds/);
    await expect(runtime.invoke('Boom', {})).rejects.toThrow(/Error: kaput/);
  });
});

describe('crashed environments', () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('replaces an environment that crashed while idle (an exception from a timer after the handler returned)', async () => {
    expect(await runtime.invoke('Crashy', { late: true })).toMatchObject({ n: 1 });
    await wait(300);
    expect(await runtime.invoke('Crashy', {})).toMatchObject({ n: 1 }); // a fresh environment: its counter starts again
    expect(await runtime.invoke('Crashy', {})).toMatchObject({ n: 2 }); // which is then reused
  });

  it('fails the invocation an environment dies under with Runtime.ExitError, and serves the next one', async () => {
    await expect(runtime.invoke('Crashy', { exit: 3 })).rejects.toMatchObject({
      errorType: 'Runtime.ExitError',
      message: expect.stringMatching(/exit status 3/),
    });
    await expect(runtime.invoke('Crashy', { reject: true, hang: true })).rejects.toMatchObject({
      errorType: 'Runtime.ExitError',
      message: expect.stringMatching(/nobody awaits me/),
    });
    expect(await runtime.invoke('Crashy', {})).toMatchObject({ n: 1 });
  });

  it('answers Runtime.InitError for an environment that exits while loading, instead of waiting forever', async () => {
    await expect(runtime.invoke('InitExit', {})).rejects.toMatchObject({
      errorType: 'Runtime.InitError',
      message: expect.stringMatching(/exit status 4/),
    });
  });

  it('answers 502 through the API for a crashed environment, then serves the next request', async () => {
    const crashed = await fetch(`${url}/crashy?exit=1`);
    expect([crashed.status, await crashed.json()]).toEqual([502, { message: 'Internal server error' }]);
    const next = await fetch(`${url}/crashy`);
    expect([next.status, await next.text()]).toEqual([200, '1']);
  });
});

describe('api gateway emulator', () => {
  it('prefers literal segments over parameters', () => {
    expect(matchRoute(routes, 'GET', '/orders/special')?.route.functionLogicalId).toBe('Other');
    expect(matchRoute(routes, 'GET', '/orders/o-1')?.params).toEqual({ id: 'o-1' });
    expect(matchRoute(routes, 'GET', '/orders/o-1/extra')).toBeUndefined();
  });

  it('builds the v1 proxy event and maps the response', async () => {
    const res = await fetch(`${url}/orders/o-9?x=1&x=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-color')).toBe('blue');
    expect(await res.json()).toEqual({
      path: '/orders/o-9',
      resource: '/orders/{id}',
      params: { id: 'o-9' },
      query: { x: '2' },
      body: null,
    });
    const post = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(((await post.json()) as { body: string }).body).toBe('{"a":1}');
  });

  it('answers 403 for unknown routes and 502 when the function fails', async () => {
    const missing = await fetch(`${url}/nowhere`);
    expect([missing.status, await missing.json()]).toEqual([403, { message: 'Missing Authentication Token' }]);
    expect((await fetch(`${url}/orders/o-1`, { method: 'DELETE' })).status).toBe(403);
    const boom = await fetch(`${url}/boom`);
    expect([boom.status, await boom.json()]).toEqual([502, { message: 'Internal server error' }]);
  });
});

describe('api gateway emulator, hostile requests', () => {
  it('answers with its security headers, and never caches its own answers', async () => {
    expect(GATEWAY_HEADERS).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    const missing = await fetch(`${url}/nowhere`);
    for (const [k, v] of Object.entries(GATEWAY_HEADERS)) expect(missing.headers.get(k), k).toBe(v);
  });

  it('answers 400 for a path that does not decode, and never matches it (no throw)', async () => {
    expect(matchRoute(routes, 'GET', '/orders/%E0%A4%A')?.params).toEqual({ id: '%E0%A4%A' });
    // node:http sends the path as given (fetch would normalize it).
    const status = (path: string) =>
      new Promise<number>((resolve, reject) =>
        request(`${url}${path.replace(/^\/\//, '/')}`, { path }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end(),
      );
    for (const bad of ['/orders/%E0%A4%A', '/orders/%C3%28', '/orders/%', '//']) expect([bad, await status(bad)]).toEqual([bad, 400]);
    expect(await status('/orders/%41')).toBe(200);
  });

  it('answers 413 for a body over 10 MB', async () => {
    const declared = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 'a'),
    });
    expect([declared.status, await declared.json()]).toEqual([413, { message: 'Request Too Long' }]);
  });
});

describe('api gateway throttling', () => {
  it('answers 429 past the burst of a method, with the stage default per method and per-method overrides', async () => {
    const throttled = new ApiGatewayEmulator(
      {
        logicalId: 'Api',
        name: 'Api',
        stageName: 'prod',
        routes,
        throttling: [
          { path: '/*', method: '*', rateLimit: 0.01, burstLimit: 3 },
          { path: '/orders', method: 'POST', rateLimit: 0.01, burstLimit: 1 },
        ],
      },
      runtime,
      '000000000000',
    );
    const base = await throttled.start(0);
    try {
      const statuses = async (n: number, path: string, method = 'GET') =>
        (
          await Promise.all(
            Array.from({ length: n }, () =>
              fetch(`${base}${path}`, {
                method,
                headers: { 'content-type': 'application/json' },
                body: method === 'POST' ? '{}' : undefined,
              }),
            ),
          )
        )
          .map((r) => r.status)
          .sort();
      expect(await statuses(5, '/orders/o-1')).toEqual([200, 200, 200, 429, 429]);
      // Each method has its own bucket: GET /orders/special is a different method of the stage.
      expect(await statuses(4, '/orders/special')).toEqual([200, 200, 200, 429]);
      expect(await statuses(2, '/orders', 'POST')).toEqual([200, 429]);
      const limited = await fetch(`${base}/orders/o-1`);
      expect([limited.status, await limited.json()]).toEqual([429, { message: 'Too Many Requests' }]);
    } finally {
      await throttled.stop();
    }
  });
});

describe('api gateway access log', () => {
  it("writes one line per request in the stage's format, $context variables filled in, '-' for unknown ones", async () => {
    const lines: string[] = [];
    const format =
      '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}';
    const logged = new ApiGatewayEmulator(
      {
        logicalId: 'Api',
        name: 'Api',
        stageName: 'prod',
        routes,
        throttling: [{ path: '/*', method: '*', rateLimit: 0.01, burstLimit: 1 }],
        accessLog: { logGroup: 'AccessLogs', format },
      },
      runtime,
      '000000000000',
      { onAccessLog: (line) => lines.push(line) },
    );
    const base = await logged.start(0);
    try {
      const ok = await fetch(`${base}/orders/o-1`);
      const body = await ok.text();
      expect((await fetch(`${base}/orders/o-2`)).status).toBe(429);
      expect((await fetch(`${base}/nowhere`)).status).toBe(403);
      const parsed = lines.map((l) => JSON.parse(l));
      expect(parsed.map((p) => [p.httpMethod, p.resourcePath, p.status])).toEqual([
        ['GET', '/orders/{id}', '200'],
        ['GET', '/orders/{id}', '429'],
        ['GET', '-', '403'],
      ]);
      expect(parsed[0]).toMatchObject({ caller: '-', protocol: 'HTTP/1.1', responseLength: String(Buffer.byteLength(body)) });
      expect(parsed[0].requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(parsed[0].ip).toMatch(/127\.0\.0\.1/);
      expect(parsed[0].requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    } finally {
      await logged.stop();
    }
  });
});
