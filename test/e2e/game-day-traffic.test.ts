/**
 * The traffic scenarios of the game-day kit (the fault is the load: tools/game-day/load.ts), end to end on one
 * offline platform at test speed (one metric minute = 8 s), through the runner behind `npm run game-day -- run`:
 * - flash-sale: ten times a product's stock within seconds: no oversell, rejections counted, throttling seen,
 *   StockRejectionSurge fires and nothing that should stay quiet does;
 * - hostile-client: token probing, other customers' ids, injection strings and floods: all refused, nothing leaked,
 *   nothing written, AuthFailureSurge fires;
 * - dinner-rush: a ramp to ten times normal: OrderDemandAboveCapacity fires, nothing lost.
 * Order matters as in game-day.test.ts: the rush (whose consequences may include the slow SLO burn) runs last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGameDay } from '../../offline/shopwave/game-day-run';
import { scenarioNamed } from '../../tools/game-day/scenarios';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ timeScale: 2 / 15 });
});
afterAll(() => t?.stop());

const run = async (name: string) => {
  const scenario = scenarioNamed(name);
  const { result } = await runGameDay(scenario, {
    platform: t.platform,
    speed: 'test',
    mitigate: true,
    report: false,
    baselineMinutes: 1,
    log: () => {},
  });
  console.log(
    `${name}: TTD ${JSON.stringify(result.ttd)} false leads ${JSON.stringify(result.falseLeads)} load ${JSON.stringify(result.load?.checks)} money ${JSON.stringify(result.impact.money)} statuses ${JSON.stringify(result.impact.orders.byStatus)} notes ${JSON.stringify(result.recovery?.notes)}`,
  );
  expect(result.baselineAlarms).toEqual([]);
  for (const alarm of scenario.alarms.expected) expect(result.ttd[alarm], `${alarm} fired`).toBeGreaterThan(0);
  expect(result.falseLeads).toEqual([]);
  expect(result.recovery).toMatchObject({ alarmsOk: true, allTerminal: true, moneyReconciled: true, stockConserved: true });
  expect(result.impact.money.charged).toBe(result.impact.money.deliveredValue + result.impact.money.refunded);
  expect(t.platform.gameDay.open()).toEqual([]);
  expect(result.load?.checks.filter((c) => !c.ok)).toEqual([]);
  return result;
};

describe('game-day traffic scenarios on one offline platform', { timeout: 300_000 }, () => {
  it('flash-sale: the stock holds, rejections are counted, throttling shows, StockRejectionSurge fires', async () => {
    const r = await run('flash-sale');
    const s = r.load!.summary;
    expect(s.requests).toBe(100);
    expect(s.throttled).toBeGreaterThan(0);
    const sale = r.orders.filter((o) => o.items.some((i) => i.productId === 'p-flash-deal'));
    expect(sale.filter((o) => o.status === 'DELIVERED')).toHaveLength(10);
    expect(sale.filter((o) => o.status === 'REJECTED')).toHaveLength(s.placed - 10);
    // Refused customers (429) are the impact's refused attempts; a sold-out order is REJECTED and never charged.
    expect(r.impact.refusedRequests).toBeGreaterThanOrEqual(s.throttled);
  });

  it('hostile-client: every probe refused, nothing leaked or written, AuthFailureSurge fires', async () => {
    const r = await run('hostile-client');
    const s = r.load!.summary;
    expect(s.unexpected).toEqual([]);
    expect(s.leaks).toEqual([]);
    // Only refusals came back: no 2xx and no 5xx.
    expect(Object.keys(s.statuses).every((code) => ['400', '401', '403', '404', '413', '429'].includes(code))).toBe(true);
    expect(s.statuses['429']).toBeGreaterThan(0);
  });

  it('dinner-rush: ten times normal is detected by OrderDemandAboveCapacity, nothing lost', async () => {
    const r = await run('dinner-rush');
    expect(r.load!.summary.placed).toBeGreaterThan(20);
    console.log(
      `dinner-rush: first alarms ${JSON.stringify(
        r.alarmHistory.filter((h) => h.at >= r.injectedAt && h.to === 'ALARM').map((h) => [h.alarmName, h.at - r.injectedAt]),
      )}`,
    );
  });
});
