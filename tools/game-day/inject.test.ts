/**
 * The injection log: every change records what was there before, `clear` restores exactly that (a fault someone set
 * by hand survives), a scenario cannot be injected twice, and a half-done injection is still undone. The target
 * here is a plain in-memory one; the offline and AWS targets are exercised by the end-to-end tests.
 */
import { describe, expect, it } from 'vitest';
import { clear, type GameDayTarget, inject, memoryLog, openInjections, type RuleState } from './inject';
import { scenarioNamed } from './scenarios';

function memoryTarget(env: Record<string, string | undefined>, rules: Record<string, RuleState>, failOn?: string): GameDayTarget {
  return {
    name: 'mem',
    getFaultsVar: async (w) => ({ physical: `fn-${w}`, value: env[w] }),
    setFaultsVar: async (w, v) => {
      if (w === failOn) throw new Error(`cannot update ${w}`);
      env[w] = v;
    },
    getRule: async (w) => ({ physical: `rule-${w}`, ...rules[w] }),
    setRule: async (w, r) => void (rules[w] = r),
  };
}

describe('inject and clear', () => {
  it('adds to what is there, records before/after, and restores exactly the previous configuration', async () => {
    const manual = '[{"mode":"provider-errors","share":0.1}]';
    const env: Record<string, string | undefined> = { RestaurantConsumer: manual };
    const log = memoryLog();
    const target = memoryTarget(env, {});
    const entry = await inject(target, log, scenarioNamed('restaurant-drops-orders'), 'tester');
    expect(entry.by).toBe('tester');
    expect(entry.changes).toEqual([
      expect.objectContaining({
        kind: 'function-env',
        physical: 'fn-RestaurantConsumer',
        before: manual,
        after: expect.stringContaining('drop-events'),
      }),
    ]);
    expect(JSON.parse(env.RestaurantConsumer!).map((f: any) => f.mode)).toEqual(['provider-errors', 'drop-events']);
    await expect(inject(target, log, scenarioNamed('restaurant-drops-orders'))).rejects.toThrow(/already injected/);
    const cleared = await clear(target, log, undefined, 'tester');
    expect(cleared.map((c) => c.scenario)).toEqual(['restaurant-drops-orders']);
    expect(env.RestaurantConsumer).toBe(manual);
    expect(openInjections(log, 'mem')).toEqual([]);
    expect(log.read()[0]).toMatchObject({ clearedBy: 'tester' });
  });

  it('restores a rule pattern and unsets a variable that was not set', async () => {
    const pattern = '{"source":["shopwave.orders"],"detail-type":["order.paid"]}';
    const rules: Record<string, RuleState> = { RestaurantConsumerRule: { state: 'ENABLED', eventPattern: pattern } };
    const env: Record<string, string | undefined> = {};
    const log = memoryLog();
    const target = memoryTarget(env, rules);
    await inject(target, log, scenarioNamed('paid-orders-routed-nowhere'));
    expect(rules.RestaurantConsumerRule.eventPattern).toContain('order.paid.v2');
    await inject(target, log, scenarioNamed('order-placement-fails'));
    expect(env.OrdersApi).toContain('fail-dependency');
    await clear(target, log, 'paid-orders-routed-nowhere');
    expect(rules.RestaurantConsumerRule).toEqual({ state: 'ENABLED', eventPattern: pattern });
    expect(openInjections(log, 'mem').map((i) => i.scenario)).toEqual(['order-placement-fails']);
    await clear(target, log);
    expect(env.OrdersApi).toBeUndefined();
  });

  it('a failure half-way leaves a log entry that clear undoes', async () => {
    const env: Record<string, string | undefined> = {};
    const log = memoryLog();
    const scenario = {
      ...scenarioNamed('restaurant-drops-orders'),
      inject: { functions: { A: [{ mode: 'crash-on-init' as const }], B: [{ mode: 'crash-on-init' as const }] } },
    };
    await expect(inject(memoryTarget(env, {}, 'B'), log, scenario)).rejects.toThrow(/cannot update B/);
    expect(env.A).toContain('crash-on-init');
    await clear(memoryTarget(env, {}), log);
    expect(env.A).toBeUndefined();
  });
});
