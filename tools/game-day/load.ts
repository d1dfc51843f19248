/**
 * The load generator of the traffic scenarios (flash-sale, hostile-client, dinner-rush; scenario.ts's LoadSpec):
 * plain HTTP against any ShopWave API URL, so the offline runner and `npm run game-day -- inject <name> --stack S`
 * run the same code. Every loop is bounded in count and in time, and `stop()` (what `clear` calls) ends it at once.
 * It only sends and records: whether what came back is right (no oversell, nothing leaked, nothing written) is
 * judged from the answers here and from the tables by the runner.
 */
import { setMaxListeners } from 'node:events';
import type { RefusedRequest } from './impact';
import type { LoadSpec } from './scenario';

export interface LoadContext {
  apiUrl: string;
  /** A metric minute in ms (60 000 in real time). */
  minuteMs: number;
  /** The steady traffic's orders per metric minute: the "normal" a ramp multiplies. */
  normalPerMinute: number;
  /**
   * A customer's bearer token. `opts` asks for a token the API must refuse (expired, foreign issuer); a signer that
   * cannot make one (tokens from Cognito) returns undefined and those probes are skipped.
   */
  sign(customerId: string, opts?: { expiresIn?: number; issuer?: string }): Promise<string | undefined>;
  log?: (line: string) => void;
  /**
   * Orders of a ramp in flight at once (default 24). Requests leave on schedule only while answers come back within
   * inFlight ÷ rate seconds: the bench's open-loop steps raise it so a slow platform still sees the arrival rate.
   */
  inFlight?: number;
}

export interface PlacedOrder {
  orderId: string;
  correlationId: string;
  at: number;
  customerId: string;
  /** How long the POST took to answer 202 (ms, as the client saw it); none for an order adopted without an answer. */
  acceptedMs?: number;
}

/** One hostile request and what came back. */
export interface ProbeResult {
  what: string;
  method: string;
  path: string;
  status: number;
  allowed: number[];
}

export interface LoadSummary {
  kind: LoadSpec['kind'];
  startedAt: number;
  endedAt?: number;
  requests: number;
  /** HTTP status → count (0: no answer). */
  statuses: Record<string, number>;
  /** Why requests got no answer (status 0): the error's name or code → count. */
  noAnswer: Record<string, number>;
  placed: number;
  /** Throttled (429) answers. */
  throttled: number;
  /** hostile: answers outside their probe's allowed statuses, and bodies carrying the victim's data. */
  unexpected: ProbeResult[];
  leaks: { what: string; path: string; marker: string }[];
  stoppedBy?: 'clear' | 'done';
}

export interface LoadRun {
  spec: LoadSpec;
  /** Orders the load placed (202): the runner follows them to a terminal state like the steady traffic's. */
  placed: PlacedOrder[];
  /** Customers' requests that were refused (429, 5xx, no answer): the impact counts them. Not the attacker's. */
  refused: RefusedRequest[];
  summary: LoadSummary;
  /** Resolves when the load has ended (by itself, at its bound, or stopped). */
  done: Promise<void>;
  stop(): void;
}

/** At most this many requests in flight (a loop's bound on sockets, not a rate). */
const IN_FLIGHT = 24;
/** Past API Gateway's 29 s integration timeout: a slow answer is the gateway's 504, not the client giving up. */
const REQUEST_TIMEOUT_MS = 35_000;
const MAX_FLOOD = 500;
/** The merchants whose tablets behave, one of their products each (tools/seed-data.ts). */
export const RUSH_MENU = [
  { merchantId: 'm-pizza', productId: 'p-margherita' },
  { merchantId: 'm-sushi', productId: 'p-salmon-nigiri' },
  { merchantId: 'm-burger', productId: 'p-classic-burger' },
  { merchantId: 'm-pizza', productId: 'p-diavola' },
];
export const RUSH_CUSTOMERS = ['c-alice', 'c-bob'];

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

interface Answer {
  status: number;
  text: string;
}

/** Every order of one load carries a correlation id with this prefix (how its unanswered orders are found). */
export const loadCorrelationPrefix = (kind: LoadSpec['kind'], startedAt: number) => `load-${kind}-${startedAt.toString(36)}-`;

export function startLoad(spec: LoadSpec, ctx: LoadContext): LoadRun {
  const stopper = new AbortController();
  // Every waiting request listens for the stop: up to MAX_FLOOD at once, by design.
  setMaxListeners(MAX_FLOOD + 16, stopper.signal);
  const summary: LoadSummary = {
    kind: spec.kind,
    startedAt: Date.now(),
    requests: 0,
    statuses: {},
    noAnswer: {},
    placed: 0,
    throttled: 0,
    unexpected: [],
    leaks: [],
  };
  const run: LoadRun = {
    spec,
    placed: [],
    refused: [],
    summary,
    done: Promise.resolve(),
    stop: () => {
      summary.stoppedBy ??= 'clear';
      stopper.abort();
    },
  };
  // `record` false: the victim's own reads (what the attacker must not see), not part of the load's answers.
  const send = async (method: string, p: string, headers: Record<string, string> = {}, body?: string, record = true): Promise<Answer> => {
    let answer: Answer;
    try {
      const res = await fetch(`${ctx.apiUrl.replace(/\/$/, '')}${p}`, {
        method,
        headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      answer = { status: res.status, text: await res.text() };
    } catch (err) {
      answer = { status: 0, text: '' };
      const e = err as Error & { cause?: { code?: string } };
      const why = e.cause?.code ?? e.name;
      if (record) summary.noAnswer[why] = (summary.noAnswer[why] ?? 0) + 1;
    }
    if (!record) return answer;
    summary.requests++;
    summary.statuses[answer.status] = (summary.statuses[answer.status] ?? 0) + 1;
    if (answer.status === 429) summary.throttled++;
    return answer;
  };
  const tokens = new Map<string, Promise<string | undefined>>();
  const tokenOf = (c: string) => {
    if (!tokens.has(c)) tokens.set(c, ctx.sign(c));
    return tokens.get(c)!;
  };

  /** One order of one unit, as a customer; a 202 is followed, anything else is a refused customer request. */
  const order = async (customerId: string, merchantId: string, productId: string, n: number) => {
    const correlationId = `${loadCorrelationPrefix(spec.kind, summary.startedAt)}${n}`;
    const at = Date.now();
    const a = await send(
      'POST',
      '/orders',
      { authorization: `Bearer ${await tokenOf(customerId)}`, 'x-correlation-id': correlationId },
      JSON.stringify({ merchantId, items: [{ productId, quantity: 1 }] }),
    );
    if (a.status === 202) {
      summary.placed++;
      run.placed.push({
        orderId: (JSON.parse(a.text) as { orderId: string }).orderId,
        correlationId,
        at,
        customerId,
        acceptedMs: Date.now() - at,
      });
    } else run.refused.push({ at, customerId, status: a.status });
  };

  run.done = (async () => {
    try {
      if (spec.kind === 'flash-sale') await flashSale(spec, order, stopper.signal);
      else if (spec.kind === 'ramp') await ramp(spec, ctx, order, stopper.signal);
      else await hostile(spec, ctx, send, summary, stopper.signal);
    } finally {
      summary.stoppedBy ??= 'done';
      summary.endedAt = Date.now();
    }
  })();
  return run;
}

/** Runs `count` tasks, at most `inFlight` at once, the i-th not before `startAt(i)`; stops taking new ones on abort. */
async function paced(
  count: number,
  startAt: (i: number) => number,
  task: (i: number) => Promise<void>,
  signal: AbortSignal,
  inFlight = IN_FLIGHT,
) {
  let next = 0;
  const worker = async () => {
    while (!signal.aborted && next < count) {
      const i = next++;
      const wait = startAt(i) - Date.now();
      if (wait > 0) await sleep(wait, signal);
      if (signal.aborted) return;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
}

type PlaceOrder = (customerId: string, merchantId: string, productId: string, n: number) => Promise<void>;

/**
 * demandMultiple × stock orders of the product, evenly spread over withinSeconds. Customers of a sale do not wait
 * for each other: each request leaves on time (up to MAX_FLOOD in flight), so the gateway sees the real arrival rate
 * and its throttle answers 429 beyond the route's burst, as API Gateway would.
 */
async function flashSale(spec: Extract<LoadSpec, { kind: 'flash-sale' }>, order: PlaceOrder, signal: AbortSignal) {
  const count = Math.min(2000, Math.round(spec.stock * spec.demandMultiple));
  const from = Date.now();
  const gapMs = (spec.withinSeconds * 1000) / count;
  await paced(
    count,
    (i) => from + i * gapMs,
    (i) => order(spec.customers[i % spec.customers.length], spec.merchantId, spec.productId, i),
    signal,
    MAX_FLOOD,
  );
}

/** At most this many orders in one ramp's schedule. */
export const MAX_RAMP_ORDERS = 10_000;

/**
 * The share of the rush at metric minute t, 0 to 1: rising over the ramp, 1 while it holds, falling over the ramp
 * down, 0 after. A ramp of 0 minutes starts at the full rate.
 */
export function rushShare(spec: Extract<LoadSpec, { kind: 'ramp' }>, t: number): number {
  const { rampMetricMinutes: up, holdMetricMinutes: hold, rampDownMetricMinutes: down = 0 } = spec;
  if (t < 0 || t >= up + hold + down) return 0;
  if (t < up) return t / up;
  if (t < up + hold) return 1;
  return 1 - (t - up - hold) / down;
}

/**
 * The rush on top of the steady traffic: at metric time t the total rate is normal × (1 + (multiple − 1) × share(t)),
 * so this adds the part above normal (`withNormal`: the whole of it). The schedule is computed up front: bounded by
 * construction (MAX_RAMP_ORDERS).
 */
export function rampSchedule(spec: Extract<LoadSpec, { kind: 'ramp' }>, normalPerMinute: number, minuteMs: number): number[] {
  // per metric minute
  const rate = (t: number) => normalPerMinute * ((spec.withNormal ? 1 : 0) + (spec.multiple - 1) * rushShare(spec, t));
  const end = spec.rampMetricMinutes + spec.holdMetricMinutes + (spec.rampDownMetricMinutes ?? 0);
  const at: number[] = [];
  // Integrate the rate: the n-th order goes out when the area under rate(t) reaches n.
  const step = 1 / 600;
  let area = 0;
  // Counted in whole steps: `t += step` drifts below `end` and ran one step past it (a 4 s step at 50/s sent 205).
  const steps = Math.round(end / step);
  for (let k = 0; k < steps && at.length < MAX_RAMP_ORDERS; k++) {
    const t = k * step;
    area += rate(t + step / 2) * step;
    // The epsilon: a sum of 600 steps a minute falls short of a whole count by rounding, which would drop the last order.
    while (area >= at.length + 1 - 1e-9 && at.length < MAX_RAMP_ORDERS) at.push(Math.round((t + step) * minuteMs));
  }
  return at;
}

async function ramp(spec: Extract<LoadSpec, { kind: 'ramp' }>, ctx: LoadContext, order: PlaceOrder, signal: AbortSignal) {
  const schedule = rampSchedule(spec, ctx.normalPerMinute, ctx.minuteMs);
  const from = Date.now();
  await paced(
    schedule.length,
    (i) => from + schedule[i],
    (i) => {
      const m = RUSH_MENU[i % RUSH_MENU.length];
      return order(RUSH_CUSTOMERS[Math.floor(i / RUSH_MENU.length) % RUSH_CUSTOMERS.length], m.merchantId, m.productId, i);
    },
    signal,
    Math.min(MAX_FLOOD, ctx.inFlight ?? IN_FLIGHT),
  );
}

interface Probe {
  what: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** What a safe API may answer (429 always: throttling is a refusal too). */
  allowed: number[];
}

/** A token with its signature replaced, and an unsigned one (alg none) for the same subject: both forged. */
export function forgeries(token: string, subject: string): { tampered: string; unsigned: string } {
  const [h, p] = token.split('.');
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8') || '{}') as Record<string, unknown>;
  return {
    tampered: `${h}.${p}.${'A'.repeat(86)}`,
    unsigned: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: subject })}.`,
  };
}

/** Every hostile request of one round, built from the attacker's token and what is known of the victim. */
export async function hostileProbes(
  spec: Extract<LoadSpec, { kind: 'hostile' }>,
  ctx: LoadContext,
  victimOrderIds: string[],
): Promise<Probe[]> {
  const own = (await ctx.sign(spec.attacker))!;
  const asAttacker = { authorization: `Bearer ${own}` };
  const { tampered, unsigned } = forgeries(own, spec.victim);
  const expired = await ctx.sign(spec.victim, { expiresIn: Math.floor(Date.now() / 1000) - 600 });
  const foreign = await ctx.sign(spec.victim, { issuer: 'https://evil.example' });
  const victimOrder = victimOrderIds[0] ?? 'ord_000000000000000000000000';
  const order = (body: unknown) => JSON.stringify(body);
  const tokenProbes: [string, string | undefined][] = [
    ['no token', undefined],
    ['basic credentials', 'Basic YWxpY2U6c2VjcmV0'],
    ['not a JWT', 'Bearer not-a-jwt'],
    ['tampered signature', `Bearer ${tampered}`],
    ['unsigned token (alg none) for the victim', `Bearer ${unsigned}`],
    ...(expired ? [['expired token for the victim', `Bearer ${expired}`] as [string, string]] : []),
    ...(foreign ? [['foreign issuer for the victim', `Bearer ${foreign}`] as [string, string]] : []),
  ];
  const valid = { merchantId: 'm-pizza', items: [{ productId: 'p-margherita', quantity: 1 }] };
  const probes: Probe[] = [
    ...tokenProbes.map(([what, authorization]) => ({
      what: `${what}: GET /orders`,
      method: 'GET',
      path: '/orders',
      headers: authorization ? { authorization } : ({} as Record<string, string>),
      allowed: [401],
    })),
    ...tokenProbes.slice(3).map(([what, authorization]) => ({
      what: `${what}: POST /orders`,
      method: 'POST',
      path: '/orders',
      headers: { authorization: authorization! },
      body: order(valid),
      allowed: [401],
    })),
    {
      what: 'forged merchant key',
      method: 'GET',
      path: '/merchants/m-pizza/orders',
      headers: { 'x-api-key': `mk_${'0'.repeat(16)}_${'A'.repeat(43)}` },
      allowed: [401, 403],
    },
    {
      what: "customer token on the merchant's route",
      method: 'GET',
      path: '/merchants/m-pizza/orders',
      headers: asAttacker,
      allowed: [401, 403],
    },
    // Other customers' ids (IDOR): answered as if they did not exist.
    { what: "victim's order", method: 'GET', path: `/orders/${victimOrder}`, headers: asAttacker, allowed: [404] },
    { what: "victim's tracking", method: 'GET', path: `/orders/${victimOrder}/tracking`, headers: asAttacker, allowed: [404] },
    { what: "victim's profile", method: 'GET', path: `/customers/${spec.victim}`, headers: asAttacker, allowed: [403, 404] },
    {
      what: "acknowledging the victim's order as a customer",
      method: 'POST',
      path: `/merchants/m-pizza/orders/${victimOrder}/acknowledge`,
      headers: asAttacker,
      body: '{}',
      allowed: [401, 403],
    },
    // Injection strings in paths and bodies: refused by validation, never interpreted.
    {
      what: 'SQL in the path',
      method: 'GET',
      path: `/orders/${encodeURIComponent("' OR '1'='1")}`,
      headers: asAttacker,
      allowed: [400, 404],
    },
    { what: 'path traversal', method: 'GET', path: '/orders/..%2F..%2Fetc%2Fpasswd', headers: asAttacker, allowed: [400, 403, 404] },
    {
      what: 'NoSQL operator in the path',
      method: 'GET',
      path: `/orders/${encodeURIComponent('{"$ne":null}')}`,
      headers: asAttacker,
      allowed: [400, 404],
    },
    {
      what: 'an order for the victim (customerId in the body)',
      method: 'POST',
      path: '/orders',
      headers: asAttacker,
      body: order({ ...valid, customerId: spec.victim }),
      allowed: [400],
    },
    {
      what: 'SQL in the merchant id',
      method: 'POST',
      path: '/orders',
      headers: asAttacker,
      body: order({ ...valid, merchantId: "m-pizza'; DROP TABLE orders;--" }),
      allowed: [400],
    },
    {
      what: 'script in the product id',
      method: 'POST',
      path: '/orders',
      headers: asAttacker,
      body: order({ merchantId: 'm-pizza', items: [{ productId: '<script>alert(1)</script>', quantity: 1 }] }),
      allowed: [400],
    },
    {
      what: 'NoSQL operator as quantity',
      method: 'POST',
      path: '/orders',
      headers: asAttacker,
      body: order({ merchantId: 'm-pizza', items: [{ productId: 'p-margherita', quantity: { $gt: 0 } }] }),
      allowed: [400],
    },
    {
      what: 'prototype pollution',
      method: 'POST',
      path: '/orders',
      headers: asAttacker,
      body: `{"__proto__":{"admin":true},"merchantId":"m-pizza","items":[{"productId":"p-margherita","quantity":1}]}`,
      allowed: [400],
    },
    {
      what: 'negative quantity',
      method: 'POST',
      path: '/orders',
      headers: asAttacker,
      body: order({ merchantId: 'm-pizza', items: [{ productId: 'p-margherita', quantity: -5 }] }),
      allowed: [400],
    },
    { what: 'not JSON', method: 'POST', path: '/orders', headers: asAttacker, body: '{"merchantId": ', allowed: [400] },
    {
      what: 'oversized body (20 KB)',
      method: 'POST',
      path: '/orders',
      headers: asAttacker,
      body: order({ ...valid, pad: 'x'.repeat(20_000) }),
      allowed: [413],
    },
  ];
  return probes.map((p) => ({ ...p, allowed: [...p.allowed, 429] }));
}

/** The victim's data the attacker must never see: its ids, name and email (read with the victim's own token). */
async function victimMarkers(spec: Extract<LoadSpec, { kind: 'hostile' }>, ctx: LoadContext, send: Send) {
  const token = await ctx.sign(spec.victim);
  const headers = { authorization: `Bearer ${token}` };
  const orders = await send('GET', '/orders?limit=50', headers, undefined, false);
  const ids = orders.status === 200 ? (JSON.parse(orders.text) as { items: { orderId: string }[] }).items.map((o) => o.orderId) : [];
  const profile = await send('GET', `/customers/${spec.victim}`, headers, undefined, false);
  const p = profile.status === 200 ? (JSON.parse(profile.text) as { name?: string; email?: string }) : {};
  return { ids, markers: [spec.victim, ...ids, ...[p.name, p.email].filter((x): x is string => !!x)] };
}

type Send = (method: string, p: string, headers?: Record<string, string>, body?: string, record?: boolean) => Promise<Answer>;

/**
 * Each metric minute: one flood of GET /orders/{victim's id} (the stage's limit answers 429 beyond its burst), then
 * `roundsPerMetricMinute` rounds of every probe, paced over the minute. A marker leaks when an answer carries it and
 * the request did not (a 404 may echo the id asked for; it must not add anything).
 */
async function hostile(
  spec: Extract<LoadSpec, { kind: 'hostile' }>,
  ctx: LoadContext,
  send: Send,
  summary: LoadSummary,
  signal: AbortSignal,
) {
  const { ids, markers } = await victimMarkers(spec, ctx, send);
  const probes = await hostileProbes(spec, ctx, ids);
  const judge = (p: Probe, a: Answer) => {
    if (!p.allowed.includes(a.status))
      summary.unexpected.push({ what: p.what, method: p.method, path: p.path, status: a.status, allowed: p.allowed });
    const asked = `${decodeURIComponent(p.path)} ${p.body ?? ''}`;
    for (const m of markers) if (a.text.includes(m) && !asked.includes(m)) summary.leaks.push({ what: p.what, path: p.path, marker: m });
  };
  const fire = async (p: Probe) => judge(p, await send(p.method, p.path, p.headers, p.body));
  const from = Date.now();
  const minutes = Math.max(1, Math.min(30, Math.round(spec.metricMinutes)));
  const rounds = Math.max(1, Math.min(60, Math.round(spec.roundsPerMetricMinute)));
  const flood = probes.find((p) => p.what === "victim's order")!;
  for (let m = 0; m < minutes && !signal.aborted; m++) {
    const floodSize = Math.min(MAX_FLOOD, spec.floodRequests);
    await paced(
      floodSize,
      () => 0,
      () => fire({ ...flood, what: `flood: ${flood.what}` }),
      signal,
      floodSize,
    );
    for (let r = 0; r < rounds && !signal.aborted; r++) {
      await paced(
        probes.length,
        () => 0,
        (i) => fire(probes[i]),
        signal,
      );
      await sleep(from + (m + (r + 1) / rounds) * ctx.minuteMs - Date.now(), signal);
    }
  }
}

/** The load's outcome in a line, for logs and the report. */
export function describeLoad(s: LoadSummary): string {
  const statuses = Object.entries(s.statuses)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const noAnswer = Object.entries(s.noAnswer ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${s.kind}: ${s.requests} requests (${statuses}${noAnswer ? `; no answer: ${noAnswer}` : ''}), ${s.placed} orders placed, ${s.throttled} throttled${
    s.kind === 'hostile' ? `, ${s.unexpected.length} unexpected answers, ${s.leaks.length} leaks` : ''
  }`;
}
