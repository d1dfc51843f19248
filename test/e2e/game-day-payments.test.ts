/**
 * The payment provider's game days (seeds 002 and 003) end to end, offline, at test speed (one metric minute = 8 s),
 * on one shared platform, through the kit's runner (offline/shopwave/game-day-run.ts): the provider slow on every
 * third call, charging and losing its answer, then down. Each must be caught by its alarms and no other, and after
 * the mitigation nothing is lost — and, from the provider's own ledger, every order is charged exactly once, retries
 * came back with the order's idempotency key, and the payment reconciliation (PaymentMismatch) has nothing to say.
 * How PaymentMismatch catches a retry under a *new* key is test/e2e/payment-mismatch.test.ts (a planted double charge).
 * Order: the outage last, so its dead letters and the breaker's open minutes cannot leak into the others' windows.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGameDay } from '../../offline/shopwave/game-day-run';
import type { GameDayResult } from '../../tools/game-day/report';
import { scenarioNamed } from '../../tools/game-day/scenarios';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ timeScale: 2 / 15 });
});
afterAll(() => t?.stop());

const short = (name: string) => name.replace(/^[^-]+-/, '');
const alarmState = (name: string) => t.platform.alarms.states().find((a) => short(a.alarmName) === name)?.state;
const reconciler = () => t.platform.model.functions.find((f) => f.logicalId.startsWith('PaymentReconciler'))!;
const paymentsMetric = (name: string, stat: string, from: number, to: number) =>
  t.platform.metrics.statistic({ namespace: 'ShopWave', name, dimensions: { service: 'payments' } }, stat, from, to);

async function run(name: string): Promise<GameDayResult> {
  const scenario = scenarioNamed(name);
  const { result } = await runGameDay(scenario, {
    platform: t.platform,
    speed: 'test',
    mitigate: true,
    report: false,
    baselineMinutes: 1,
    log: () => {},
  });
  const l = result.ledger!;
  console.log(
    `${name}: TTD ${JSON.stringify(result.ttd)} false leads ${JSON.stringify(result.falseLeads)} impact ${result.impact.orders.affected} orders; ledger ${l.charges} charges / ${l.ordersCharged} orders, ${l.replays} replays for ${l.ordersReplayed} orders`,
  );
  expect(result.baselineAlarms).toEqual([]);
  for (const alarm of scenario.alarms.expected) expect(result.ttd[alarm], `${alarm} fired`).toBeGreaterThan(0);
  expect(result.falseLeads).toEqual([]);
  expect(result.recovery).toMatchObject({ alarmsOk: true, allTerminal: true, moneyReconciled: true, stockConserved: true });
  expect(result.impact.money.charged).toBe(result.impact.money.deliveredValue + result.impact.money.refunded);
  expect(t.platform.gameDay.open()).toEqual([]);
  // The provider's side: one successful charge per charged order, under the order's own key, recorded by payments.
  const charged = result.orders.filter((o) => o.status === 'DELIVERED').length;
  expect(charged).toBeGreaterThan(0);
  expect(l).toMatchObject({
    ordersCharged: charged,
    charges: charged,
    doubleCharged: [],
    chargeNotRecorded: [],
    paymentWithoutCharge: [],
    doubleRefunded: [],
    foreignKeys: [],
    matches: true,
  });
  return result;
}

/** The reconciler, run now: the ledger against payments and orders (the check behind PaymentMismatch). */
async function reconcile() {
  return t.platform.invoke<{ mismatches: number; counts: Record<string, number>; breaker: string }>(reconciler().functionName, {});
}

describe('payment provider game days on one offline platform', { timeout: 300_000 }, () => {
  it('payment-provider-gremlin: timed-out charges are retried with the same key, nobody is charged twice', async () => {
    const from = Date.now();
    const result = await run('payment-provider-gremlin');
    // Retries reached the provider with the order's key: it answered them from its idempotency record.
    expect(result.ledger!.ordersReplayed).toBeGreaterThan(0);
    // Some calls were cut off at the 3 s timeout (answered late, after the charge was made).
    expect(paymentsMetric('PaymentProviderCallMs', 'Maximum', from, Date.now())).toBeGreaterThanOrEqual(2900);
    expect(result.firstCustomerEffectAt).toBeGreaterThanOrEqual(result.injectedAt);
  });

  it('charged-but-response-lost: exactly one charge per order; the payment reconciliation stays quiet', async () => {
    const result = await run('charged-but-response-lost');
    expect(result.ledger!.ordersReplayed).toBeGreaterThan(0);
    // Quiet with data, not silent: the reconciler ran every metric minute and found nothing.
    expect(alarmState('PaymentMismatch')).toBe('OK');
    const now = await reconcile();
    expect(now).toMatchObject({ mismatches: 0, breaker: 'CLOSED' });
    expect(Object.values(now.counts).every((n) => n === 0)).toBe(true);
  });

  it('payment-provider-outage: the shared breaker opens and holds orders; after the fix a half-open probe closes it, held orders complete', async () => {
    const from = Date.now();
    const result = await run('payment-provider-outage');
    // Orders were held by the open breaker (no provider call), not failed: all of them were delivered in the end.
    expect(paymentsMetric('PaymentsHeldByBreaker', 'Sum', from, Date.now())).toBeGreaterThan(0);
    expect(result.impact.orders.affected).toBeGreaterThan(0);
    expect(result.orders.every((o) => o.status === 'DELIVERED')).toBe(true);
    // The shared state (one item of the payments table) was closed again by the half-open probe.
    const breaker = await t.doc.send(
      new GetCommand({ TableName: t.table('DataPayments'), Key: { pk: 'BREAKER#payment-provider', sk: 'STATE' }, ConsistentRead: true }),
    );
    expect(breaker.Item).toMatchObject({ state: 'CLOSED', reason: 'the half-open probe succeeded' });
    expect((await reconcile()).mismatches).toBe(0);
  });
});
