import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeEmulator } from '../../offline/runtime/eventbridge-emulator';
import type { PlatformModel } from '../../offline/runtime/model';
import { apiEvent, lambdaContext } from '../../test/support/lambda';
import { JWKS_PARAMETER, useParameters } from '../../test/support/parameters';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let bus: EventBridgeEmulator;
let ready: typeof import('./ready');
let ssm: Awaited<ReturnType<typeof useParameters>>;

beforeAll(async () => {
  t = await useTables();
  ssm = await useParameters();
  const model = {
    buses: [{ logicalId: 'Bus', name: 'ready-bus', arn: 'arn:aws:events:us-east-1:000000000000:event-bus/ready-bus' }],
    rules: [],
  } as unknown as PlatformModel;
  bus = new EventBridgeEmulator(model, { toQueue: async () => undefined, toFunction: () => undefined });
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = await bus.start();
  process.env.EVENT_BUS_NAME = 'ready-bus';
  ready = await import('./ready');
});
afterAll(() => bus?.stop());

const get = async () => {
  const res = await ready.handler(apiEvent({ method: 'GET', resource: '/ready', path: '/ready' }), lambdaContext('ready'));
  return { status: res.statusCode, body: JSON.parse(res.body) };
};

describe('GET /ready', () => {
  it('answers ready with every table, the bus, the ordering switch and the issuer keys checked', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ready', down: [] });
    expect(Object.keys(res.body.checks).sort()).toEqual(
      expect.arrayContaining([
        'bus',
        'parameter:ordering',
        'issuer-keys',
        'table:orders',
        'table:catalog',
        'table:outbox',
        'table:idempotency',
      ]),
    );
    for (const c of Object.values(res.body.checks) as { status: string; latencyMs: number }[])
      expect(c).toMatchObject({ status: 'ok', latencyMs: expect.any(Number) });
  });

  it('answers 503 degraded naming each dependency that is down, and still reports the others', async () => {
    const orders = process.env.ORDERS_TABLE_NAME;
    const parameter = process.env.ORDERING_PARAMETER_NAME;
    process.env.ORDERS_TABLE_NAME = `${t.names.orders}-gone`;
    process.env.ORDERING_PARAMETER_NAME = '/ShopWave/missing';
    try {
      const res = await get();
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('degraded');
      expect(res.body.down.sort()).toEqual(['parameter:ordering', 'table:orders']);
      expect(res.body.checks['table:orders'].error).toMatch(/ResourceNotFound/);
      expect(res.body.checks['table:catalog'].status).toBe('ok');
      expect(res.body.checks.bus.status).toBe('ok');
    } finally {
      process.env.ORDERS_TABLE_NAME = orders;
      process.env.ORDERING_PARAMETER_NAME = parameter;
    }
  });

  it('reports the token issuer down while it has no published key: no customer could sign in', async () => {
    const published = ssm.get(JWKS_PARAMETER)!;
    ssm.put(JWKS_PARAMETER, JSON.stringify({ keys: [] })); // what a fresh LocalStack stack holds before `npm run token -- --publish`
    try {
      const res = await get();
      expect([res.status, res.body.down]).toEqual([503, ['issuer-keys']]);
      expect(res.body.checks['issuer-keys'].error).toMatch(/no signing keys published/);
    } finally {
      ssm.put(JWKS_PARAMETER, published);
    }
  });

  it('fetches the JWKS URL on the aws target (Cognito): ok with keys, down on an error answer', async () => {
    let answer: [number, string] = [200, JSON.stringify(ssm.issuer.jwks())];
    const server = createServer((_req, res) => res.writeHead(answer[0], { 'content-type': 'application/json' }).end(answer[1]));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const parameter = process.env.AUTH_JWKS_PARAMETER;
    delete process.env.AUTH_JWKS_PARAMETER;
    process.env.AUTH_JWKS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pool/.well-known/jwks.json`;
    try {
      expect((await get()).body.checks['issuer-keys'].status).toBe('ok');
      answer = [503, '{}'];
      const res = await get();
      expect([res.status, res.body.down, res.body.checks['issuer-keys'].error]).toEqual([503, ['issuer-keys'], 'Error: JWKS answered 503']);
    } finally {
      delete process.env.AUTH_JWKS_URL;
      process.env.AUTH_JWKS_PARAMETER = parameter;
      server.close();
    }
  });
});
