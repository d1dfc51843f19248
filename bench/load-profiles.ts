/**
 * The platform's own latency and throughput (`npm run bench -- --profile latency|throughput|dinner-rush`), on the
 * zero-speed template (cdk.out.zero: tablet, courier and provider answer at once, so every millisecond measured is
 * the platform's) or against a running API (`--url`). Orders go out through tools/game-day/load.ts (the game days'
 * generator: every loop bounded in count and time) and are followed through GET /orders/{id} until terminal; the
 * hops come from each order's own history (bench/hops.ts).
 *
 * - latency: a few orders at a low rate (no queueing), p50/p95/p99 of each hop;
 * - throughput: open-loop steps at fixed rates, each bounded in seconds and orders, stopping at the first step whose
 *   placed → received p99 exceeds 2 s or that has an error (non-202, an order not DELIVERED within the wait);
 * - dinner-rush: ramp up, peak, ramp down (tools/game-day/scenarios/dinner-rush.ts's shape, with a ramp down),
 *   per phase.
 * Offline, the time each function spent in its handler comes from the runtime's AWS/Lambda Duration metric: a hop's
 * time minus its handlers' is time spent in queues, pollers, the stream and waiting for an environment.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadSpec } from '../tools/game-day/scenario';
import { describeLoad, RUSH_MENU, rampSchedule, startLoad, type PlacedOrder } from '../tools/game-day/load';
import {
  dominantHop,
  type HistoryEntry,
  highestSustained,
  hopTable,
  judgeStep,
  PLACED_TO_RECEIVED,
  rushPhase,
  type StepVerdict,
  throughputSteps,
} from './hops';
import { percentile } from './stats';

const TERMINAL = new Set(['DELIVERED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED']);
/** Reads of GET /orders/{id} a second while following: under the stage's 50 rps, so following is not throttled. */
const GETS_PER_SECOND = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Target {
  apiUrl: string;
  sign(customerId: string): Promise<string | undefined>;
  /** Offline only: ms each function spent in its handler between two instants. */
  handlerTimes?(fromMs: number, toMs: number): { function: string; invocations: number; p50Ms: number; avgMs: number; p99Ms: number }[];
  /** Offline only: ms of one DynamoDB Local GetItem from here (p50, p99 of `n` in a row): the floor of every table call. */
  dynamodbProbe?(n: number): Promise<{ p50Ms: number | null; p99Ms: number | null }>;
  stop(): Promise<void>;
}

export interface LoadProfileOptions {
  profile: 'latency' | 'throughput' | 'dinner-rush';
  templatePath: string;
  url?: string;
  /** Offline: a copy of the template with POST /orders unthrottled (bench only; the template is unchanged). */
  unthrottled: boolean;
  arg(name: string): string | undefined;
}

const isLoopback = (u: string) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(u).hostname);

/** A running API: tokens from BENCH_TOKENS ('{"c-alice":"<jwt>",…}', for Cognito), else the dev issuer (loopback only). */
async function urlTarget(url: string): Promise<Target> {
  const given = process.env.BENCH_TOKENS ? (JSON.parse(process.env.BENCH_TOKENS) as Record<string, string>) : undefined;
  if (!given && !isLoopback(url)) throw new Error('--url beyond loopback needs BENCH_TOKENS=\'{"c-alice":"<jwt>","c-bob":"<jwt>"}\'');
  const { DevIssuer } = await import('../tools/dev-issuer');
  const issuer = given ? undefined : await DevIssuer.load();
  return { apiUrl: url.replace(/\/$/, ''), sign: async (c) => (given ? given[c] : issuer!.sign(c)), stop: async () => {} };
}

/**
 * The template with POST /orders' method throttle raised to the stage's ×20, written beside it (its assets are
 * relative): measures the platform behind the gateway's limit. The committed template keeps 20 rps / burst 40.
 */
function unthrottledCopy(templatePath: string): string {
  const t = JSON.parse(readFileSync(templatePath, 'utf8'));
  let raised = 0;
  for (const r of Object.values<any>(t.Resources)) {
    if (r.Type !== 'AWS::ApiGateway::Stage') continue;
    for (const s of r.Properties.MethodSettings ?? []) {
      if (s.ThrottlingRateLimit === undefined) continue;
      s.ThrottlingRateLimit = 1000;
      s.ThrottlingBurstLimit = 2000;
      raised++;
    }
  }
  if (raised === 0) throw new Error('no method throttling found to raise');
  const out = path.join(path.dirname(templatePath), 'ShopWave.bench-unthrottled.template.json');
  writeFileSync(out, JSON.stringify(t));
  return out;
}

async function offlineTarget(templatePath: string, unthrottled: boolean): Promise<Target> {
  const { startPlatform } = await import('../offline/shopwave/platform');
  const { seedDemoData } = await import('../tools/seed-data');
  const { DevIssuer } = await import('../tools/dev-issuer');
  const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
  const platform = await startPlatform({
    templatePath: unthrottled ? unthrottledCopy(templatePath) : templatePath,
    port: 0,
    logs: 'silent',
    issuer: await DevIssuer.ephemeral(),
  });
  const doc = platform.documentClient();
  const table = (k: 'catalog' | 'customers' | 'inventory') =>
    platform.tableName({ catalog: 'DataCatalog', customers: 'DataCustomers', inventory: 'DataInventory' }[k]);
  try {
    await seedDemoData({ doc, tableName: table });
    // Bench only: the menu the load orders from never sells out (a sold-out order would be REJECTED, not slow).
    for (const { productId } of RUSH_MENU) {
      await doc.send(
        new UpdateCommand({
          TableName: table('inventory'),
          Key: { pk: `PRODUCT#${productId}`, sk: 'STOCK' },
          UpdateExpression: 'SET available = :s',
          ExpressionAttributeValues: { ':s': 1_000_000 },
        }),
      );
    }
  } catch (err) {
    await platform.stop();
    throw err;
  }
  return {
    apiUrl: platform.apiUrl,
    sign: (c) => platform.issuer.sign(c),
    handlerTimes: (from, to) =>
      platform.model.functions
        .map((f) => {
          const q = { namespace: 'AWS/Lambda', name: 'Duration', dimensions: { FunctionName: f.functionName } };
          return {
            function: f.logicalId.replace(/[0-9A-F]{8}$/, ''),
            invocations: platform.metrics.statistic(q, 'SampleCount', from, to) ?? 0,
            p50Ms: Math.round(platform.metrics.statistic(q, 'p50', from, to) ?? 0),
            avgMs: Math.round(platform.metrics.statistic(q, 'Average', from, to) ?? 0),
            p99Ms: Math.round(platform.metrics.statistic(q, 'p99', from, to) ?? 0),
          };
        })
        .filter((r) => r.invocations > 0)
        .sort((a, b) => b.avgMs * b.invocations - a.avgMs * a.invocations),
    dynamodbProbe: async (n) => {
      const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await doc.send(new GetCommand({ TableName: table('inventory'), Key: { pk: `PRODUCT#${RUSH_MENU[0].productId}`, sk: 'STOCK' } }));
        times.push(performance.now() - t);
      }
      return { p50Ms: ms(times, 50), p99Ms: ms(times, 99) };
    },
    stop: () => platform.stop(),
  };
}

interface Followed {
  order: PlacedOrder;
  status?: string;
  history: HistoryEntry[];
}

/**
 * Reads every placed order until it is terminal or `maxWaitMs` has passed. Reads cost the platform CPU (OrdersApi),
 * which is what a saturated platform is short of, so while the newest pending order is not terminal only that one is
 * read, once a second; then every pending order, at most GETS_PER_SECOND reads a second. Bounded by maxWaitMs.
 */
async function follow(target: Target, placed: PlacedOrder[], maxWaitMs: number): Promise<Followed[]> {
  const deadline = Date.now() + maxWaitMs;
  const all: Followed[] = placed.map((order) => ({ order, history: [] }));
  const tokens = new Map<string, Promise<string | undefined>>();
  const token = (c: string) => tokens.get(c) ?? tokens.set(c, target.sign(c)).get(c)!;
  const read = async (f: Followed) => {
    try {
      const res = await fetch(`${target.apiUrl}/orders/${f.order.orderId}`, {
        headers: { authorization: `Bearer ${await token(f.order.customerId)}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status !== 200) return; // 429 or a blip: read again later
      const o = (await res.json()) as { status: string; history: HistoryEntry[] };
      f.status = o.status;
      f.history = o.history;
    } catch {}
  };
  let pending = [...all].sort((a, b) => a.order.at - b.order.at);
  while (pending.length > 0 && Date.now() < deadline) {
    const roundStart = Date.now();
    const newest = pending.at(-1)!;
    await read(newest);
    if (TERMINAL.has(newest.status ?? '')) {
      for (let i = 0; i < pending.length - 1 && Date.now() < deadline; i += 10) {
        const slice = pending.slice(i, Math.min(i + 10, pending.length - 1));
        const started = Date.now();
        await Promise.all(slice.map(read));
        await sleep((slice.length * 1000) / GETS_PER_SECOND - (Date.now() - started));
      }
    }
    pending = pending.filter((f) => !TERMINAL.has(f.status ?? ''));
    if (pending.length > 0) await sleep(1000 - (Date.now() - roundStart));
  }
  // At the deadline with the newest still pending (stuck): one last read of the others, bounded by their count.
  for (let i = 0; i < pending.length - 1; i += 10) {
    const started = Date.now();
    const slice = pending.slice(i, Math.min(i + 10, pending.length - 1));
    await Promise.all(slice.map(read));
    await sleep((slice.length * 1000) / GETS_PER_SECOND - (Date.now() - started));
  }
  return all;
}

/** One open-loop run of `spec` (a ramp), the orders followed to the end. */
async function runLoad(
  target: Target,
  spec: Extract<LoadSpec, { kind: 'ramp' }>,
  normalPerMinute: number,
  minuteMs: number,
  waitMs: number,
) {
  const startedAt = Date.now();
  const run = startLoad(spec, {
    apiUrl: target.apiUrl,
    minuteMs,
    normalPerMinute,
    sign: (c) => target.sign(c),
    // Open loop: requests leave on schedule even when answers are slow (up to 500 in flight).
    inFlight: 500,
  });
  await run.done;
  const sentMs = Date.now() - startedAt;
  const followed = await follow(target, run.placed, waitMs);
  return { startedAt, endedAt: Date.now(), sentMs, run, followed };
}

const ms = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const v = percentile(s, p);
  return v === null ? null : Math.round(v);
};

/** What the orders of one run did: the POST answers, how they ended, the hops. */
function outcome(r: Awaited<ReturnType<typeof runLoad>>) {
  const { summary } = r.run;
  const hops = hopTable(r.followed.filter((f) => f.status === 'DELIVERED').map((f) => f.history));
  const accepted = r.run.placed.map((p) => p.acceptedMs).filter((v): v is number => v !== undefined);
  return {
    sent: summary.requests,
    accepted: summary.placed,
    statuses: summary.statuses,
    sendSeconds: Number((r.sentMs / 1000).toFixed(1)),
    delivered: r.followed.filter((f) => f.status === 'DELIVERED').length,
    unfinished: r.followed.filter((f) => !TERMINAL.has(f.status ?? '')).length,
    failed: r.followed.filter((f) => f.status !== undefined && TERMINAL.has(f.status) && f.status !== 'DELIVERED').length,
    postAcceptedMs: { p50: ms(accepted, 50), p99: ms(accepted, 99) },
    hops,
    dominant: dominantHop(hops),
  };
}

export async function measureLoadProfile(opts: LoadProfileOptions): Promise<Record<string, unknown>> {
  const target = opts.url ? await urlTarget(opts.url) : await offlineTarget(opts.templatePath, opts.unthrottled);
  const num = (name: string, dflt: number) => Number(opts.arg(name) ?? dflt);
  try {
    // Warm-up, not measured: every function's environments start (a cold start under load is seconds here).
    const warmUp = Math.min(20, num('warm-up', 6));
    if (warmUp > 0) {
      const w = await runLoad(
        target,
        { kind: 'ramp', multiple: 1, rampMetricMinutes: 0, holdMetricMinutes: warmUp / 2 / 60, withNormal: true },
        120,
        60_000,
        60_000,
      );
      console.log(`warm-up: ${describeLoad(w.run.summary)}; ${w.followed.filter((f) => f.status === 'DELIVERED').length} delivered`);
    }
    const dynamodb = await target.dynamodbProbe?.(30);
    if (dynamodb) console.log(`DynamoDB Local GetItem from the bench: p50 ${dynamodb.p50Ms} ms, p99 ${dynamodb.p99Ms} ms`);
    const measured = await measure();
    return { ...measured, warmUpOrders: warmUp, dynamodbGetItem: dynamodb };
  } finally {
    await target.stop();
  }

  async function measure(): Promise<Record<string, unknown>> {
    if (opts.profile === 'latency') {
      // A low rate, so nothing queues behind anything: the platform's own latency per hop.
      const perSecond = num('rate', 1);
      const orders = Math.min(200, num('orders', 30));
      const spec = {
        kind: 'ramp',
        multiple: 1,
        rampMetricMinutes: 0,
        holdMetricMinutes: orders / perSecond / 60,
        withNormal: true,
      } as const;
      const r = await runLoad(target, spec, perSecond * 60, 60_000, 60_000);
      const o = outcome(r);
      console.log(describeLoad(r.run.summary));
      console.table(o.hops);
      const handlers = target.handlerTimes?.(r.startedAt, r.endedAt);
      if (handlers) console.table(handlers);
      return { perSecond, ...o, handlers };
    }
    if (opts.profile === 'throughput') {
      const rates = (opts.arg('rates') ?? '1,2,3,4,5,10,20,50').split(',').map(Number);
      const steps = throughputSteps(rates, num('seconds', 20), num('max-orders', 1000));
      const p99LimitMs = num('p99-limit-ms', 2000);
      const results: (ReturnType<typeof outcome> & { perSecond: number; verdict: StepVerdict; handlers?: unknown })[] = [];
      for (const step of steps) {
        const spec = {
          kind: 'ramp',
          multiple: 1,
          rampMetricMinutes: 0,
          holdMetricMinutes: step.orders / step.perSecond / 60,
          withNormal: true,
        } as const;
        if (rampSchedule(spec, step.perSecond * 60, 60_000).length > step.orders) throw new Error('step schedule beyond its bound');
        const r = await runLoad(target, spec, step.perSecond * 60, 60_000, num('wait-seconds', 60) * 1000);
        const o = outcome(r);
        const placedToReceivedP99Ms = o.hops.find((h) => h.hop === PLACED_TO_RECEIVED)?.p99Ms ?? null;
        const verdict = judgeStep({ perSecond: step.perSecond, ...o, placedToReceivedP99Ms }, p99LimitMs);
        const handlers = target.handlerTimes?.(r.startedAt, r.endedAt).slice(0, 8);
        results.push({ perSecond: step.perSecond, verdict, ...o, handlers });
        console.log(
          `${step.perSecond}/s: ${describeLoad(r.run.summary)}; delivered ${o.delivered}, unfinished ${o.unfinished}; placed → received p99 ${placedToReceivedP99Ms} ms; ${verdict.sustained ? 'sustained' : `not sustained: ${verdict.reasons.join('; ')}`}`,
        );
        console.table(o.hops);
        if (handlers) console.table(handlers);
        if (!verdict.sustained) break;
      }
      const best = highestSustained(results);
      console.log(
        `highest rate sustained: ${best ?? 'none'} orders/s (p99 limit ${p99LimitMs} ms)${opts.unthrottled ? ' (POST /orders unthrottled, bench only)' : ''}`,
      );
      return { p99LimitMs, unthrottled: opts.unthrottled, highestSustainedPerSecond: best, steps: results };
    }
    // dinner-rush: normal → ten times normal → normal → nothing, a metric minute of `--minute-ms`.
    const minuteMs = num('minute-ms', 15_000);
    const normalPerSecond = num('normal-per-second', 0.5);
    const spec = {
      kind: 'ramp',
      multiple: num('multiple', 10),
      rampMetricMinutes: 1,
      holdMetricMinutes: 2,
      rampDownMetricMinutes: 1,
      withNormal: true,
    } as const;
    const normalPerMinute = (normalPerSecond * minuteMs) / 1000;
    const r = await runLoad(target, spec, normalPerMinute, minuteMs, num('wait-seconds', 90) * 1000);
    const o = outcome(r);
    const phases = (['ramp up', 'peak', 'ramp down'] as const).map((phase) => {
      const of = r.followed.filter((f) => rushPhase(spec, (f.order.at - r.startedAt) / minuteMs) === phase);
      const refused = r.run.refused.filter((x) => rushPhase(spec, (x.at - r.startedAt) / minuteMs) === phase);
      const rows = hopTable(of.filter((f) => f.status === 'DELIVERED').map((f) => f.history));
      const span = rows.find((h) => h.hop === PLACED_TO_RECEIVED)!;
      return {
        phase,
        accepted: of.length,
        refused: refused.length,
        delivered: of.filter((f) => f.status === 'DELIVERED').length,
        unfinished: of.filter((f) => !TERMINAL.has(f.status ?? '')).length,
        'placed → received p50 ms': span.p50Ms,
        'placed → received p99 ms': span.p99Ms,
      };
    });
    console.log(describeLoad(r.run.summary));
    console.table(phases);
    console.table(o.hops);
    const handlers = target.handlerTimes?.(r.startedAt, r.endedAt).slice(0, 8);
    if (handlers) console.table(handlers);
    return {
      shape: { ...spec, minuteMs, normalPerSecond, peakPerSecond: normalPerSecond * spec.multiple },
      target: opts.url ? 'url' : 'offline',
      ...o,
      phases,
      handlers,
    };
  }
}
