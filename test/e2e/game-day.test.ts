/**
 * The game-day kit end to end, offline, at test speed (one metric minute = 8 s): each scenario is injected into one
 * shared running platform by the kit (offline/shopwave/game-day-run.ts, the code behind `npm run game-day -- run`), its
 * expected alarms must fire and no other alarm, and after the documented mitigation (clear, redrive) nothing is
 * lost: every order terminal, charges = delivered value + refunds, stock conserved. restaurant-drops-orders is
 * test/e2e/lost-orders.test.ts. Order matters: scenarios whose consequences include the slow delivery-SLO burn
 * (long windows) run after those that would count it as a false lead.
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

describe('game-day scenarios on one offline platform', { timeout: 300_000 }, () => {
  it.each(['consumer-crashloop', 'datastore-failing', 'order-placement-fails', 'paid-orders-routed-nowhere'])(
    '%s: detected by its alarms only, mitigated without loss',
    async (name) => {
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
        `${name}: TTD ${JSON.stringify(result.ttd)} false leads ${JSON.stringify(result.falseLeads)} impact ${result.impact.orders.affected} orders`,
      );
      expect(result.baselineAlarms).toEqual([]);
      for (const alarm of scenario.alarms.expected) expect(result.ttd[alarm], `${alarm} fired`).toBeGreaterThan(0);
      expect(result.falseLeads).toEqual([]);
      expect(result.recovery).toMatchObject({ alarmsOk: true, allTerminal: true, moneyReconciled: true, stockConserved: true });
      expect(result.impact.money.charged).toBe(result.impact.money.deliveredValue + result.impact.money.refunded);
      // The injection is gone: the functions and rules are as they were.
      expect(t.platform.gameDay.open()).toEqual([]);
      // The scenario had an effect the report can measure.
      if (scenario.customerEffect.signal === 'api-errors') expect(result.impact.refusedRequests).toBeGreaterThan(0);
      else expect(result.impact.orders.inWindow).toBeGreaterThan(0);
    },
  );
});
