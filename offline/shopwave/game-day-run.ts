/**
 * `npm run game-day -- run <scenario>` (the kit is tools/game-day/): a whole game day on the offline platform, bounded in time at every step.
 * Starts the platform, runs steady traffic, records a baseline, injects, waits for the expected alarms (TTD of each,
 * every other alarm a false lead), with `mitigate` applies the scenario's mitigation (clear, redrive), verifies
 * recovery (alarms OK, every order terminal, charges = delivered value + refunds, stock conserved) and writes the
 * report folder from the tables.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DevIssuer } from '../../tools/dev-issuer';
import { computeImpact, type OrderRow, type PaymentRow } from '../../tools/game-day/impact';
import { type Injection, whoAmI } from '../../tools/game-day/inject';
import { checkLedger, describeLedger, type LedgerCheck, type LedgerPaymentRow, type LedgerRow } from '../../tools/game-day/ledger';
import { describeLoad, type LoadRun, loadCorrelationPrefix, startLoad } from '../../tools/game-day/load';
import { type AlarmEvent, type GameDayResult, writeReport } from '../../tools/game-day/report';
import type { Scenario } from '../../tools/game-day/scenario';
import { type ScorecardRow, scorecardRow } from '../../tools/game-day/scorecard';
import { scanAll } from '../../tools/game-day/tables';
import { redrive } from '../../tools/redrive';
import { DEFAULT_MAX_EVENTS, type ReplayArgs, type ReplayOutcome, type ReplayTarget, runReplay } from '../../tools/replay';
import { seedDemoData } from '../../tools/seed-data';
import { startPlatform, type Platform } from './platform';
import { startTraffic, type Traffic } from './traffic';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** demo: the template `npm start` runs, real time. test: the test template, one metric minute = 8 s. */
export const SPEEDS = {
  demo: { timeScale: 1, template: path.join(ROOT, 'cdk.out', 'ShopWave.template.json') },
  test: { timeScale: 2 / 15, template: path.join(ROOT, 'cdk.out.test', 'ShopWave.template.json') },
} as const;

export interface RunOptions {
  speed: 'demo' | 'test';
  mitigate: boolean;
  /** Use this platform instead of starting one (tests share one); its orders tables may hold earlier runs' orders. */
  platform?: Platform;
  /** Attach to the `npm start` whose .offline/endpoints.json this is, instead of starting a platform. */
  attach?: string;
  dynamodbEndpoint?: string;
  log?: (line: string) => void;
  /** Write the report folder (default true). */
  report?: boolean;
  /** Baseline length in metric minutes (default 3). */
  baselineMinutes?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const short = (name: string) => name.replace(/^[^-]+-/, '');

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  void what;
  return false;
}

/**
 * Until `check` holds and still holds one metric minute later (bounded). An alarm can read OK for one evaluation
 * because a scheduled check's datapoint fell outside that minute (missing data is not breaching), then fire again:
 * recovery is an alarm that stays OK.
 */
async function untilSteady(check: () => boolean, timeoutMs: number, steadyMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await until('steady', check, deadline - Date.now(), 1000))) return false;
    const flapped = await until('flapped', () => !check(), steadyMs, 500);
    if (!flapped) return true;
  }
  return false;
}

export async function runGameDay(scenario: Scenario, opts: RunOptions): Promise<{ result: GameDayResult; reportDir?: string }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const speed = SPEEDS[opts.speed];
  const startedAt = Date.now();
  const own = !opts.platform && !opts.attach;
  const platform: RunTarget = opts.attach
    ? await attachTo(opts.attach)
    : fromPlatform(
        opts.platform ??
          (await startPlatform({
            templatePath: speed.template,
            timeScale: speed.timeScale,
            port: 0,
            logs: 'file',
            issuer: await DevIssuer.ephemeral(),
            dynamodbEndpoint: opts.dynamodbEndpoint,
            // Unique per run: scorecard runs start several platforms in the same millisecond on one DynamoDB Local.
            resourcePrefix: `gd${startedAt.toString(36)}${Math.random().toString(36).slice(2, 6)}-`,
          })),
        own,
      );
  const { doc } = platform;
  const table = (p: string) => platform.table(p);
  if (own) {
    await seedDemoData({
      doc,
      tableName: (key) => table({ catalog: 'DataCatalog', customers: 'DataCustomers', inventory: 'DataInventory' }[key]),
    });
  }
  const metricMinuteMs = 60_000 * platform.timeScale;
  const stateOf = (n: string) => platform.alarmStates().find((a) => short(a.alarmName) === n)?.state;
  let traffic: Traffic | undefined;
  let load: LoadRun | undefined;
  try {
    await prepareLoad(scenario, platform, log);
    const stockBefore = await scanAll<{ productId: string; available: number; reserved: number }>(
      doc,
      table('DataInventory'),
      (r) => r.sk === 'STOCK',
    );
    log(`platform up: ${platform.apiUrl} (${opts.speed} speed, 1 metric minute = ${(metricMinuteMs / 1000).toFixed(0)} s)`);
    traffic = startTraffic(platform.apiUrl, scenario.traffic.ordersPerMetricMinute, {
      minuteMs: metricMinuteMs,
      sign: (c) => platform.sign(c),
    });
    const t = traffic;
    // Cold starts first: the first delivery may legitimately take longer than the deadline.
    const delivered = await until(
      'first delivery',
      async () => {
        const first = t.placed[0];
        if (!first) return false;
        const rows = await scanAll<OrderRow>(doc, table('DataOrders'), (r) => r.orderId === first.orderId && r.sk === 'ORDER');
        return rows[0]?.status === 'DELIVERED';
      },
      Math.max(120_000, 3 * metricMinuteMs),
      1000,
    );
    if (!delivered) throw new Error('no order was delivered during warm-up: the platform is not healthy, no baseline');
    const baselineFrom = Date.now();
    log(
      `baseline: ${opts.baselineMinutes ?? 3} metric minutes of steady traffic (${scenario.traffic.ordersPerMetricMinute} orders a metric minute)`,
    );
    await sleep((opts.baselineMinutes ?? 3) * metricMinuteMs);
    const history = () => platform.alarmHistory();
    const baselineAlarms = [
      ...new Set(
        history()
          .filter((h) => h.at >= baselineFrom && h.to === 'ALARM')
          .map((h) => short(h.alarmName)),
      ),
    ];
    if (baselineAlarms.length)
      log(`baseline not quiet: ${baselineAlarms.join(', ')} fired before the injection (a loaded machine?): TTDs are not reliable`);

    const writesBefore = scenario.inject.load?.kind === 'hostile' ? await rowKeys(platform) : undefined;
    const injection = await platform.inject(scenario.name, `${whoAmI()} (game-day run)`);
    const injectedAt = Date.parse(injection.at);
    log(`injected ${scenario.name}: ${injection.changes.map((c) => `${c.kind} ${c.physical}`).join(', ')}`);
    load = startScenarioLoad(scenario, platform, log);
    const fired = (n: string) => history().find((h) => h.at >= injectedAt && h.to === 'ALARM' && short(h.alarmName) === n);
    // Detection: bounded by the scenario's wait (default 12 metric minutes: demo 12 min, test 96 s).
    const detectWait = (scenario.alarms.withinMetricMinutes ?? 12) * metricMinuteMs;
    await until('expected alarms', () => scenario.alarms.expected.every((a) => fired(a)), detectWait, 500);
    // One more metric minute: consequences and false leads show up after the first alarm too.
    await sleep(metricMinuteMs);
    const ttd: Record<string, number | undefined> = {};
    for (const a of scenario.alarms.expected) {
      const f = fired(a);
      ttd[a] = f ? f.at - injectedAt : undefined;
      log(
        `  ${a}: ${f ? `ALARM after ${((f.at - injectedAt) / 1000).toFixed(1)} s` : `did not fire within ${(detectWait / 1000).toFixed(0)} s`}`,
      );
    }
    const allowed = new Set([
      ...scenario.alarms.expected,
      ...(scenario.alarms.mayFire ?? []),
      ...(opts.speed === 'test' ? (scenario.alarms.mayFireAtTestSpeed ?? []) : []),
    ]);
    const falseLeads = () => [
      ...new Set(
        history()
          .filter((h) => h.at >= injectedAt && h.to === 'ALARM' && !allowed.has(short(h.alarmName)))
          .map((h) => short(h.alarmName)),
      ),
    ];
    const firstEffect =
      scenario.customerEffect.signal === 'api-errors'
        ? [...t.failures, ...(load && load.spec.kind !== 'hostile' ? load.refused : [])]
            .filter((f) => f.at >= injectedAt)
            .sort((a, b) => a.at - b.at)[0]?.at
        : undefined;

    const mitigationSteps: { at: number; what: string }[] = [];
    const deliveredAfterFix: NonNullable<GameDayResult['deliveredAfterFix']> = [];
    let mitigatedAt: number | undefined;
    let recoveredAt: number | undefined;
    let recovery: GameDayResult['recovery'];
    if (opts.mitigate) {
      mitigatedAt = Date.now();
      const cleared = await platform.clear(scenario.name, 'game-day run --mitigate');
      // `clear` stops an injected load too (a ramp still running ends here).
      if (load) {
        mitigationSteps.push({ at: Date.now(), what: stopLoad(load, log) });
        await adoptUnanswered(load, platform, log);
      }
      mitigationSteps.push({
        at: Date.now(),
        what: `npm run game-day -- clear: restored ${cleared.flatMap((c) => c.changes.map((x) => x.physical)).join(', ')}`,
      });
      log(`mitigation: cleared (${scenario.mitigation.summary})`);
    }
    // Traffic stops once the incident is over (or at the end of the observation): the rest is draining.
    t.stop();
    const stoppedAt = Date.now();
    if (opts.mitigate) {
      for (const watch of scenario.mitigation.redrive ?? []) {
        const r = await platform.redrive(watch, Math.max(60_000, 10 * metricMinuteMs));
        mitigationSteps.push({ at: Date.now(), what: `redrove ${r.moved} message(s) from ${r.from} to ${r.to}` });
        log(`mitigation: redrove ${r.moved} message(s) from ${r.from}`);
        deliveredAfterFix.push({ consumer: watch, via: 'redrive', events: r.moved });
      }
      if (scenario.mitigation.replay) {
        const { step, events, orders } = await replayMissed(
          platform,
          scenario.mitigation.replay,
          { from: injectedAt - metricMinuteMs, to: Date.now() },
          metricMinuteMs,
        );
        mitigationSteps.push({ at: Date.now(), what: step });
        log(`mitigation: ${step}`);
        deliveredAfterFix.push({ consumer: scenario.mitigation.replay.consumer, via: 'replay', events, orders });
      }
      const notes: string[] = [];
      // The expected alarms must return to OK; consequences with long windows (the slow SLO burn) may still be in
      // ALARM when the run ends: noted, not a failure.
      const alarmsOk = await untilSteady(
        () => scenario.alarms.expected.every((a) => stateOf(a) !== 'ALARM'),
        Math.max(120_000, 15 * metricMinuteMs),
        metricMinuteMs,
      );
      if (!alarmsOk)
        notes.push(`expected alarms still in ALARM: ${scenario.alarms.expected.filter((a) => stateOf(a) === 'ALARM').join(', ')}`);
      const lingering = [...(scenario.alarms.mayFire ?? []), ...(scenario.alarms.mayFireAtTestSpeed ?? [])].filter(
        (a) => stateOf(a) === 'ALARM',
      );
      if (lingering.length) notes.push(`still in ALARM at the end (long evaluation windows): ${lingering.join(', ')}`);
      const ids = new Set(placedOrders(t, load).map((p) => p.orderId));
      const TERMINAL = ['DELIVERED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];
      const allTerminal = await until(
        'orders terminal',
        async () =>
          (await scanAll<OrderRow>(doc, table('DataOrders'), (r) => r.sk === 'ORDER' && ids.has(r.orderId))).every((o) =>
            TERMINAL.includes(o.status),
          ),
        Math.max(120_000, 10 * metricMinuteMs),
        2000,
      );
      if (allTerminal) recoveredAt = Date.now();
      recovery = { alarmsOk, allTerminal, moneyReconciled: false, stockConserved: false, notes };
    } else {
      // Not mitigated: the fault is cleared anyway so the platform is left as it was; the run does not wait for recovery.
      await platform.clear(scenario.name, 'game-day run (end, no mitigation)');
      if (load) stopLoad(load, log);
    }
    if (load) await adoptUnanswered(load, platform, log);

    const ids = new Set(placedOrders(t, load).map((p) => p.orderId));
    const orders = await scanAll<OrderRow>(doc, table('DataOrders'), (r) => r.sk === 'ORDER' && ids.has(r.orderId));
    // The whole row: providerChargeId too, for the provider-ledger check.
    const payments = await scanAll<PaymentRow & LedgerPaymentRow>(
      doc,
      table('DataPayments'),
      (r) => r.sk === 'PAYMENT' && ids.has(r.orderId),
    );
    const refused = [...t.failures, ...(load && load.spec.kind !== 'hostile' ? load.refused : [])].sort((a, b) => a.at - b.at);
    const impact = computeImpact({ orders, payments, refused, window: { from: injectedAt, to: mitigatedAt ?? stoppedAt } });
    const ledger = await providerLedgerCheck(doc, table, payments, ids);
    const firstCustomerEffectAt =
      firstEffect ??
      orders
        .filter((o) => Date.parse(o.createdAt) >= injectedAt && o.status !== 'DELIVERED')
        .map((o) => Date.parse(o.milestones.CHARGED ?? o.createdAt))
        .sort((a, b) => a - b)[0] ??
      firstDelayedOrderAt(orders, [...impact.orders.affectedIds, ...ledger.replayedIds], injectedAt);
    if (recovery) {
      // Our rows reconcile (charges = delivered + refunds) and the provider agrees with them: one charge per order.
      recovery.moneyReconciled = impact.money.reconciled && ledger.matches;
      if (!ledger.matches) recovery.notes.push(`provider ledger: ${describeLedger(ledger)}`);
      // Stock: what is available plus what is reserved (sold or held) is what there was; the reserved delta is exactly
      // the delivered quantities of this run (every other order released its reservation).
      const stockAfter = await scanAll<{ productId: string; available: number; reserved: number }>(
        doc,
        table('DataInventory'),
        (r) => r.sk === 'STOCK',
      );
      const soldNow = new Map<string, number>();
      for (const o of orders.filter((x) => x.status === 'DELIVERED'))
        for (const l of o.items) soldNow.set(l.productId, (soldNow.get(l.productId) ?? 0) + l.quantity);
      recovery.stockConserved = stockAfter.every((a) => {
        const b = stockBefore.find((x) => x.productId === a.productId);
        if (!b) return false;
        const ok =
          a.available + a.reserved === b.available + b.reserved &&
          (own ? a.reserved - b.reserved === (soldNow.get(a.productId) ?? 0) : true);
        if (!ok)
          recovery!.notes.push(
            `stock of ${a.productId}: before ${b.available}+${b.reserved}, after ${a.available}+${a.reserved}, delivered ${soldNow.get(a.productId) ?? 0}`,
          );
        return ok;
      });
    }
    const result: GameDayResult = {
      scenario,
      target: opts.attach ? 'offline (attached to npm start)' : 'offline',
      speed: opts.speed,
      metricMinuteMs,
      startedAt,
      baselineFrom,
      injectedAt,
      injectedBy: injection.by,
      ttd,
      falseLeads: falseLeads(),
      baselineAlarms,
      firstCustomerEffectAt,
      firstCustomerEffect: firstCustomerEffectAt ? scenario.customerEffect.what : undefined,
      mitigatedAt,
      mitigationSteps,
      recoveredAt,
      recovery,
      load: load && (await verifyLoad(load, { platform, orders, writesBefore, placedIds: ids })),
      endedAt: Date.now(),
      alarmHistory: history().filter((h) => h.at >= baselineFrom),
      impact,
      ledger,
      orders,
      deliveredAfterFix,
    };
    const reportDir = opts.report === false ? undefined : writeReport(ROOT, result);
    return { result, reportDir };
  } finally {
    traffic?.stop();
    load?.stop();
    await platform.stop();
  }
}

/**
 * The scorecard's runs: every scenario with --mitigate, each on a platform of its own (no scenario inherits another's
 * alarms or backlog), `parallel` at a time (demo speed is real time and light; test speed is better one at a time on
 * a small machine). A run that throws is a row with nothing detected and the error as its note.
 */
export async function runScorecard(
  scenarios: readonly Scenario[],
  opts: { speed: 'demo' | 'test'; parallel: number; log?: (line: string) => void },
): Promise<ScorecardRow[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const queue = [...scenarios];
  const rows: ScorecardRow[] = [];
  const worker = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      const scenario = s;
      const t0 = Date.now();
      try {
        const { result, reportDir } = await runGameDay(scenario, {
          speed: opts.speed,
          mitigate: true,
          log: (l) => log(`[${scenario.name}] ${l}`),
        });
        rows.push(scorecardRow(result));
        log(`[${scenario.name}] done in ${((Date.now() - t0) / 60_000).toFixed(1)} min; report ${reportDir}`);
      } catch (err) {
        log(`[${scenario.name}] failed: ${(err as Error).message}`);
        rows.push({
          scenario: scenario.name,
          speed: opts.speed,
          measuredAt: new Date(t0).toISOString(),
          expected: Object.fromEntries(scenario.alarms.expected.map((a) => [a, null])),
          falseLeads: [],
          baselineQuiet: false,
          notes: [`run failed: ${(err as Error).message}`],
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.parallel, scenarios.length) }, worker));
  return scenarios.map((sc) => rows.find((r) => r.scenario === sc.name)!);
}

/**
 * The scenario's outbox replay (Scenario.mitigation.replay): its detail-types over the incident window, sent, through
 * the replay tool's library function (the same as `npm run replay -- --send`, audited), then bounded waiting for the
 * target consumer's queue to drain. The window starts one metric minute before the injection: an outbox row
 * committed just before it may have been relayed after it (and replaying an event a consumer had is harmless).
 * Throws when anything selected was not published: the mitigation is not done.
 */
async function replayMissed(
  platform: RunTarget,
  replay: NonNullable<Scenario['mitigation']['replay']>,
  window: { from: number; to: number },
  metricMinuteMs: number,
): Promise<{ step: string; events: number; orders: number }> {
  const args: ReplayArgs = {
    detailTypes: replay.detailTypes,
    since: new Date(window.from),
    until: new Date(window.to),
    send: true,
    max: DEFAULT_MAX_EVENTS,
    ...(replay.reprocess ? { reprocess: [replay.consumer] } : {}),
  };
  const { outcome, drained } = await platform.replay(args, replay.consumer, Math.max(60_000, 10 * metricMinuteMs));
  if (outcome.exitCode !== 0)
    throw new Error(`replay of ${replay.detailTypes.join(', ')} failed: ${JSON.stringify(outcome.result?.failed ?? [])}`);
  const events = outcome.result?.published.length ?? 0;
  const orders = new Set(outcome.rows.map((r) => r.orderId)).size;
  const step =
    `npm run replay -- ${replay.detailTypes.map((t) => `--detail-type ${t}`).join(' ')} --since ${args.since!.toISOString()} ` +
    `--until ${args.until!.toISOString()}${replay.reprocess ? ` --reprocess ${replay.consumer}` : ''} --send: ` +
    `re-published ${events} event(s) of ${orders} order(s) from the outbox for ${replay.consumer}` +
    `${drained ? ', its queue drained' : `, ${replay.consumer}'s queue still not empty`} (audit ${outcome.audit?.id})`;
  return { step, events, orders };
}

/**
 * When every order was delivered in the end (the fault only delayed them): the first one placed after the injection
 * that the impact counts as affected (delivered late, after the fix) or whose charge had to be retried (the ledger).
 */
function firstDelayedOrderAt(orders: OrderRow[], delayedIds: string[], injectedAt: number): number | undefined {
  const delayed = new Set(delayedIds);
  return orders
    .filter((o) => delayed.has(o.orderId) && Date.parse(o.createdAt) >= injectedAt)
    .map((o) => Date.parse(o.createdAt))
    .sort((a, b) => a - b)[0];
}

/**
 * The provider's ledger against this run's payment rows (tools/game-day/ledger.ts): one charge per order, under the
 * order's key, recorded by us, and how many retries the provider answered from its idempotency record.
 */
async function providerLedgerCheck(
  doc: DynamoDBDocumentClient,
  table: (prefix: string) => string,
  payments: (PaymentRow & LedgerPaymentRow)[],
  ids: Set<string>,
): Promise<LedgerCheck> {
  const ledger = await scanAll<LedgerRow>(doc, table('DataProviderLedger'), (r) => typeof r.reference === 'string' && ids.has(r.reference));
  return checkLedger({ ledger, payments, orderIds: ids });
}

// --- Injected load (flash-sale, hostile-client, dinner-rush: the scenario's inject.load) ---------------------------

/** A flash sale starts with its stock: the product is restocked to `stock` units available (reserved kept). */
async function prepareLoad(scenario: Scenario, platform: RunTarget, log: (l: string) => void): Promise<void> {
  const spec = scenario.inject.load;
  if (spec?.kind !== 'flash-sale') return;
  await platform.doc.send(
    new UpdateCommand({
      TableName: platform.table('DataInventory'),
      Key: { pk: `PRODUCT#${spec.productId}`, sk: 'STOCK' },
      UpdateExpression: 'SET available = :s',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':s': spec.stock },
    }),
  );
  log(`flash sale: ${spec.productId} restocked to ${spec.stock} available`);
}

function startScenarioLoad(scenario: Scenario, platform: RunTarget, log: (l: string) => void): LoadRun | undefined {
  const spec = scenario.inject.load;
  if (!spec) return undefined;
  const run = startLoad(spec, {
    apiUrl: platform.apiUrl,
    minuteMs: 60_000 * platform.timeScale,
    normalPerMinute: scenario.traffic.ordersPerMetricMinute,
    sign: (c, o) => platform.sign(c, o),
    log,
  });
  log(`load started: ${spec.kind}`);
  void run.done.then(() => log(`load ended: ${describeLoad(run.summary)}`));
  return run;
}

function stopLoad(load: LoadRun, log: (l: string) => void): string {
  const running = load.summary.endedAt === undefined;
  load.stop();
  const what = running ? `load stopped by clear (${load.spec.kind})` : `load had ended by itself (${load.spec.kind})`;
  log(`mitigation: ${what}`);
  return what;
}

const placedOrders = (t: Traffic, load: LoadRun | undefined) => [...t.placed, ...(load?.placed ?? [])];

/**
 * Once the load has ended: orders it created whose answer never came back (a client timeout under load) are found
 * by the load's correlation ids and followed like the rest, so nothing it wrote escapes the checks.
 */
async function adoptUnanswered(load: LoadRun, platform: RunTarget, log: (l: string) => void): Promise<void> {
  await load.done;
  const known = new Set(load.placed.map((p) => p.orderId));
  const prefix = loadCorrelationPrefix(load.spec.kind, load.summary.startedAt);
  const found = await scanAll<OrderRow & { correlationId?: string; sk: string }>(
    platform.doc,
    platform.table('DataOrders'),
    (r) => r.sk === 'ORDER' && String(r.correlationId ?? '').startsWith(prefix) && !known.has(r.orderId),
  );
  for (const o of found)
    load.placed.push({ orderId: o.orderId, correlationId: o.correlationId!, at: Date.parse(o.createdAt), customerId: o.customerId });
  if (found.length) log(`load: ${found.length} order(s) created without an answer to the client, followed too`);
}

/** The business tables a hostile client could write to. */
const GUARDED_TABLES = ['DataOrders', 'DataPayments', 'DataInventory', 'DataCustomers', 'DataCatalog'];

/** Every row of the guarded tables, by table, pk and sk, with the order it belongs to (if any). */
async function rowKeys(platform: RunTarget): Promise<Map<string, string | undefined>> {
  const keys = new Map<string, string | undefined>();
  for (const t of GUARDED_TABLES)
    for (const r of await scanAll<{ pk: string; sk: string; orderId?: string }>(platform.doc, platform.table(t), () => true))
      keys.set(`${t} ${r.pk} ${r.sk}`, r.orderId);
  return keys;
}

/**
 * What the load must have left true, judged from its answers and the tables once everything has drained:
 * flash-sale: no oversell (stock never below zero along its audit trail, sold <= stock), rejections counted,
 * throttling seen; hostile: every probe refused, nothing of the victim's in any answer, no row written that is not
 * the steady traffic's; ramp: the rush's orders are followed like the rest (nothing lost is the generic check).
 */
async function verifyLoad(
  load: LoadRun,
  ctx: { platform: RunTarget; orders: OrderRow[]; writesBefore?: Map<string, string | undefined>; placedIds: Set<string> },
): Promise<NonNullable<GameDayResult['load']>> {
  const { spec, summary } = load;
  const checks: { name: string; ok: boolean; detail: string }[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  if (spec.kind === 'flash-sale') {
    const mine = new Set(load.placed.map((p) => p.orderId));
    const sale = ctx.orders.filter((o) => mine.has(o.orderId));
    const sold = sale.filter((o) => o.status === 'DELIVERED').length;
    const rejected = sale.filter((o) => o.status === 'REJECTED').length;
    const moves = await scanAll<{ pk: string; sk: string; delta: number; orderId: string }>(
      ctx.platform.doc,
      ctx.platform.table('DataInventory'),
      (r) => r.pk === `PRODUCT#${spec.productId}` && String(r.sk).startsWith('MOVE#') && mine.has(r.orderId),
    );
    const stock = (
      await scanAll<{ pk: string; sk: string; available: number }>(
        ctx.platform.doc,
        ctx.platform.table('DataInventory'),
        (r) => r.pk === `PRODUCT#${spec.productId}` && r.sk === 'STOCK',
      )
    )[0];
    // Replay the sale's movements from the stock it started with: the lowest point must not be below zero.
    let level = spec.stock;
    let lowest = level;
    for (const m of moves.sort((a, b) => a.sk.localeCompare(b.sk))) lowest = Math.min(lowest, (level += m.delta));
    check(
      'no oversell',
      sold <= spec.stock && lowest >= 0 && (stock?.available ?? -1) >= 0,
      `sold ${sold} of ${spec.stock}; lowest stock ${lowest}; available now ${stock?.available}`,
    );
    check(
      'rejections counted',
      rejected > 0 && rejected + sold === sale.length,
      `${summary.placed} accepted: ${sold} delivered, ${rejected} rejected out of stock (${sale.length - sold - rejected} other)`,
    );
    check('throttling visible', summary.throttled > 0, `${summary.throttled} of ${summary.requests} requests answered 429`);
  } else if (spec.kind === 'hostile') {
    check(
      'every probe refused',
      summary.unexpected.length === 0 && summary.requests > 0,
      summary.unexpected.length
        ? summary.unexpected
            .slice(0, 5)
            .map((u) => `${u.what} (${u.method} ${u.path}) answered ${u.status}, expected ${u.allowed.join('/')}`)
            .join('; ')
        : `${summary.requests} requests, all refused`,
    );
    check(
      'nothing leaked',
      summary.leaks.length === 0,
      summary.leaks.length
        ? summary.leaks
            .slice(0, 5)
            .map((l) => `${l.what}: ${l.marker}`)
            .join('; ')
        : "no answer carried the victim's data",
    );
    const after = await rowKeys(ctx.platform);
    const written = [...after].filter(([k, orderId]) => !ctx.writesBefore?.has(k) && !(orderId && ctx.placedIds.has(orderId)));
    check(
      'nothing written',
      written.length === 0,
      written.length
        ? `rows not from the steady traffic: ${written
            .slice(0, 5)
            .map(([k]) => k)
            .join(', ')}`
        : "only the steady traffic's orders were written",
    );
  } else {
    check(
      'rush placed',
      summary.placed > 0,
      `${summary.placed} extra orders placed, ${summary.throttled} throttled, ${load.refused.length} refused`,
    );
  }
  return { summary, checks, ok: checks.every((c) => c.ok) };
}

/** What the runner needs of a platform: the one it started (or a test's), or a running `npm start` over HTTP. */
export interface RunTarget {
  apiUrl: string;
  timeScale: number;
  sign(customerId: string, opts?: { expiresIn?: number; issuer?: string }): Promise<string>;
  doc: DynamoDBDocumentClient;
  table(logicalIdPrefix: string): string;
  alarmStates(): { alarmName: string; state: string }[];
  alarmHistory(): AlarmEvent[];
  inject(scenario: string, by: string): Promise<Injection>;
  clear(scenario: string, by: string): Promise<Injection[]>;
  /** Redrives the consumer's DLQ until it and the consumer's queue are empty (bounded). */
  redrive(watchName: string, timeoutMs: number): Promise<{ moved: number; from: string; to: string }>;
  /** Replays from the outbox (tools/replay.ts), then waits (bounded) for the consumer's queue to be empty. */
  replay(args: ReplayArgs, consumer: string, timeoutMs: number): Promise<{ outcome: ReplayOutcome; drained: boolean }>;
  stop(): Promise<void>;
}

const OFFLINE_CREDENTIALS = { region: 'us-east-1', credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } };

/** The consumer's function name by its construct id: the logical id is `<consumer>Handler<hash>`. */
const consumerFunctionIn = (functions: Record<string, string>, consumer: string) =>
  Object.entries(functions).find(([logicalId]) => new RegExp(`^${consumer}Handler[0-9A-F]{8}$`).test(logicalId))?.[1];

function fromPlatform(platform: Platform, own: boolean): RunTarget {
  return {
    apiUrl: platform.apiUrl,
    timeScale: platform.timeScale,
    sign: (c, o) => platform.issuer.sign(c, o),
    doc: platform.documentClient(),
    table: (p) => platform.tableName(p),
    alarmStates: () => platform.alarms.states(),
    alarmHistory: () => platform.alarms.history(),
    inject: (s, by) => platform.gameDay.inject(s, by),
    clear: (s, by) => platform.gameDay.clear(s, by),
    redrive: async (watch, timeoutMs) => {
      const source = platform.model.queues.find((q) => q.deadLetter && new RegExp(`^${watch}(Handler)?Queue`).test(q.logicalId));
      const dlq = platform.model.queues.find((q) => q.arn === source?.deadLetter?.targetArn);
      if (!source || !dlq) throw new Error(`no dead-letter queue for ${watch}`);
      // Messages still being retried reach the DLQ later: redrive until the source and the DLQ are empty (bounded).
      let moved = 0;
      await until(
        `${watch} queues empty`,
        async () => {
          moved += await redrive(platform.sqsClient(), dlq.url, source.url);
          const q = platform.inspectQueue(source.queueName);
          const d = platform.inspectQueue(dlq.queueName);
          return !!q && !!d && q.ready.length + q.inflight.length + q.delayed.length === 0 && d.ready.length === 0;
        },
        timeoutMs,
        1000,
      );
      return { moved, from: dlq.queueName, to: source.queueName };
    },
    replay: async (args, consumer, timeoutMs) => {
      const target: ReplayTarget = {
        name: 'offline',
        doc: platform.documentClient(),
        outboxTable: platform.tableName('DataOutbox'),
        eventBridge: new EventBridgeClient({ endpoint: platform.endpoints.eventbridge, ...OFFLINE_CREDENTIALS }),
        busName: platform.model.buses[0].name,
        audit: {},
        idempotencyTable: platform.tableName('DataIdempotency'),
        consumerFunction: async (c) =>
          consumerFunctionIn(Object.fromEntries(platform.model.functions.map((f) => [f.logicalId, f.functionName])), c),
      };
      const outcome = await runReplay(target, args, () => {}, { backoffMs: 50 });
      const queue = platform.model.queues.find((q) => new RegExp(`^${consumer}(Handler)?Queue`).test(q.logicalId));
      if (!queue) throw new Error(`no queue for ${consumer}`);
      // The bus routes at once; then the consumer has them until its queue is empty.
      await sleep(1000);
      const drained = await until(
        `${consumer} queue empty`,
        () => {
          const q = platform.inspectQueue(queue.queueName);
          return !!q && q.ready.length + q.inflight.length + q.delayed.length === 0;
        },
        timeoutMs,
        500,
      );
      return { outcome, drained };
    },
    stop: async () => {
      if (own) await platform.stop();
    },
  };
}

/**
 * A running `npm start` (.offline/endpoints.json): its /ops game-day API for alarms, injection and queues (alarm
 * state mirrored every 500 ms, so the runner reads it as it reads an in-process platform), its DynamoDB for the
 * tables, the development issuer's key pair in .offline/ for tokens. Its tables may hold orders of others: the
 * impact counts only this run's orders, and the stock check only that available + reserved is unchanged.
 */
async function attachTo(endpointsFile: string): Promise<RunTarget> {
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as {
    api: string;
    dynamodb: string;
    eventbridge?: string;
    outboxTable?: string;
    eventBus?: string;
    idempotencyTable?: string;
    functions?: Record<string, string>;
  };
  const issuer = await DevIssuer.load();
  const call = async (method: string, p: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${endpoints.api}/ops/api${p}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${method} /ops/api${p}: ${json.message ?? res.status}`);
    return json;
  };
  let status = await call('GET', '/game-day');
  let stopped = false;
  const refresh = async () => {
    // Bounded: stops with the run, and after ~28 hours at the latest.
    for (let i = 0; i < 200_000 && !stopped; i++) {
      status = await call('GET', '/game-day').catch(() => status);
      await sleep(500);
    }
  };
  void refresh();
  const tables = status.tables as Record<string, string>;
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints.dynamodb, ...OFFLINE_CREDENTIALS }));
  const queueStatus = async (consumer: string) =>
    ((await call('GET', '/game-day')).queues as { dlq: string; sourceLogicalId?: string; sourceCount: number }[]).find((q) =>
      new RegExp(`^${consumer}(Handler)?Queue`).test(q.sourceLogicalId ?? ''),
    );
  return {
    apiUrl: endpoints.api,
    timeScale: status.timeScale,
    sign: (c, o) => issuer.sign(c, o),
    doc,
    table: (prefix) => {
      const found = Object.entries(tables).filter(([id]) => id.startsWith(prefix));
      if (found.length !== 1) throw new Error(`${found.length} tables match ${prefix}`);
      return found[0][1];
    },
    alarmStates: () => status.alarms,
    alarmHistory: () => status.alarmHistory,
    inject: async (s, by) => (await call('POST', '/game-day/inject', { scenario: s, by })).injected,
    clear: async (s, by) => (await call('POST', '/game-day/clear', { scenario: s, by })).cleared,
    redrive: async (watch, timeoutMs) => {
      const queue = (status.queues as { dlq: string; source?: string; sourceLogicalId?: string }[]).find((q) =>
        new RegExp(`^${watch}(Handler)?Queue`).test(q.sourceLogicalId ?? ''),
      );
      if (!queue?.source) throw new Error(`no dead-letter queue for ${watch}`);
      let moved = 0;
      await until(
        `${watch} queues empty`,
        async () => {
          moved += (await call('POST', `/dlq/${queue.dlq}/redrive`)).moved;
          const now = (await call('GET', '/game-day')).queues.find((q: { dlq: string }) => q.dlq === queue.dlq);
          return now.count === 0 && now.sourceCount === 0;
        },
        timeoutMs,
        1000,
      );
      return { moved, from: queue.dlq, to: queue.source };
    },
    replay: async (args, consumer, timeoutMs) => {
      if (!endpoints.eventbridge || !endpoints.outboxTable || !endpoints.eventBus)
        throw new Error(`${endpointsFile} has no eventbridge/outboxTable/eventBus: restart npm start with this version`);
      const target: ReplayTarget = {
        name: 'offline',
        doc,
        outboxTable: endpoints.outboxTable,
        eventBridge: new EventBridgeClient({ endpoint: endpoints.eventbridge, ...OFFLINE_CREDENTIALS }),
        busName: endpoints.eventBus,
        audit: {},
        idempotencyTable: endpoints.idempotencyTable,
        consumerFunction: async (c) => consumerFunctionIn(endpoints.functions ?? {}, c),
      };
      const outcome = await runReplay(target, args, () => {}, { backoffMs: 50 });
      await sleep(1000);
      // The ops API counts a consumer's queue (sourceCount) for consumers with a DLQ: every event consumer has one.
      const drained = await until(`${consumer} queue empty`, async () => (await queueStatus(consumer))?.sourceCount === 0, timeoutMs, 1000);
      return { outcome, drained };
    },
    stop: async () => {
      stopped = true;
    },
  };
}
