/**
 * The load generator against a fake API on loopback: it is bounded (the counts the spec asks for, no more), `stop()`
 * ends it at once, a ramp's schedule rises to the multiple and holds, and a hostile run reports answers outside a
 * probe's allowed statuses and any answer that carries the victim's data the request did not.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { forgeries, rampSchedule, startLoad, type LoadContext } from './load';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A fake API: `answer` decides each response; every request is recorded. */
async function fakeApi(answer: (req: IncomingMessage, body: string) => [number, unknown]) {
  const seen: { method: string; url: string; auth?: string; body: string }[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      const [status, json] = answer(req, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen };
}

const ctx = (apiUrl: string, more: Partial<LoadContext> = {}): LoadContext => ({
  apiUrl,
  minuteMs: 400,
  normalPerMinute: 2,
  sign: async (c, o) => (o ? undefined : `h.${Buffer.from(JSON.stringify({ sub: c })).toString('base64url')}.sig`),
  ...more,
});

describe('load generator', () => {
  it('flash-sale: sends exactly stock × multiple orders, follows the 202s and counts the 429s as refused', async () => {
    let n = 0;
    const api = await fakeApi(() => (n++ % 3 === 0 ? [429, { message: 'Too Many Requests' }] : [202, { orderId: `ord_${n}` }]));
    const run = startLoad(
      {
        kind: 'flash-sale',
        merchantId: 'm-burger',
        productId: 'p-x',
        stock: 10,
        demandMultiple: 3,
        withinSeconds: 0.3,
        customers: ['c-a', 'c-b'],
      },
      ctx(api.url),
    );
    await run.done;
    expect(api.seen).toHaveLength(30);
    expect(run.summary).toMatchObject({ requests: 30, throttled: 10, placed: 20, stoppedBy: 'done' });
    expect(run.placed).toHaveLength(20);
    expect(run.refused.map((r) => r.status)).toEqual(Array(10).fill(429));
    expect(new Set(api.seen.map((s) => JSON.parse(s.body).items[0].productId))).toEqual(new Set(['p-x']));
  });

  it('ramp: the schedule rises from normal to the multiple and holds; stop() ends the load at once', async () => {
    const spec = { kind: 'ramp', multiple: 10, rampMetricMinutes: 1, holdMetricMinutes: 2 } as const;
    const at = rampSchedule(spec, 2, 60_000);
    // Extra orders above normal: (10 - 1) × 2 = 18 a minute once ramped, half of that during the ramp.
    expect(at.length).toBeGreaterThanOrEqual(9 + 36 - 1);
    expect(at.length).toBeLessThanOrEqual(9 + 36);
    expect(at.filter((t) => t >= 60_000 && t < 120_000)).toHaveLength(18);
    expect(Math.max(...at)).toBeLessThanOrEqual(180_000);
    const api = await fakeApi(() => [202, { orderId: 'ord_1' }]);
    const run = startLoad({ ...spec, holdMetricMinutes: 1000 }, ctx(api.url, { minuteMs: 60_000 }));
    await new Promise((r) => setTimeout(r, 300));
    run.stop();
    await run.done;
    expect(run.summary.stoppedBy).toBe('clear');
    expect(api.seen.length).toBeLessThan(5);
  });

  it('hostile: reports an answer outside the allowed statuses and a leak of the victim data', async () => {
    const victimOrder = 'ord_victim000000000000001';
    const api = await fakeApi((req) => {
      const auth = req.headers.authorization ?? '';
      const sub = auth.startsWith('Bearer h.') ? JSON.parse(Buffer.from(auth.split('.')[1], 'base64url').toString()).sub : undefined;
      if (sub === 'c-victim' && req.url === '/orders?limit=50') return [200, { items: [{ orderId: victimOrder }] }];
      if (sub === 'c-victim' && req.url === '/customers/c-victim') return [200, { name: 'Vic Tim', email: 'vic@example.com' }];
      // A broken API: the victim's order to anyone holding a valid token (IDOR), everything else refused.
      if (sub === 'c-attacker' && req.url === `/orders/${victimOrder}`) return [200, { orderId: victimOrder, customerId: 'c-victim' }];
      return [sub ? 400 : 401, { message: 'refused' }];
    });
    const run = startLoad(
      { kind: 'hostile', attacker: 'c-attacker', victim: 'c-victim', metricMinutes: 1, roundsPerMetricMinute: 1, floodRequests: 5 },
      ctx(api.url),
    );
    await run.done;
    const s = run.summary;
    expect(s.unexpected.some((u) => u.path === `/orders/${victimOrder}` && u.status === 200)).toBe(true);
    expect(s.leaks.some((l) => l.marker === 'c-victim' && l.path === `/orders/${victimOrder}`)).toBe(true);
    // The victim's own reads are not part of the load's answers; forged tokens went out for the victim.
    expect(s.statuses['200']).toBe(6); // five flood requests and one probe of the victim's order
    const unsigned = api.seen.find((r) => r.auth?.endsWith('.') && r.auth.startsWith('Bearer '));
    expect(JSON.parse(Buffer.from(unsigned!.auth!.split('.')[1], 'base64url').toString()).sub).toBe('c-victim');
  });

  it('forges a tampered and an unsigned (alg none) token for another subject', () => {
    const token = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"c-a","iss":"x"}').toString('base64url')}.sig`;
    const { tampered, unsigned } = forgeries(token, 'c-b');
    expect(tampered.split('.')[2]).toHaveLength(86);
    expect(JSON.parse(Buffer.from(unsigned.split('.')[0], 'base64url').toString()).alg).toBe('none');
    expect(JSON.parse(Buffer.from(unsigned.split('.')[1], 'base64url').toString())).toEqual({ sub: 'c-b', iss: 'x' });
  });
});
