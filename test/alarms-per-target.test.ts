/**
 * Issue 10, part 3: docs/alarms-per-target.md is what the templates and the targets' facts say today, and the
 * localstack template deploys no alarm that could never receive data there — the SLI alarms among those that can.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmReach, FACTS, signalOfTemplateAlarm } from '../lib/targets/reach';
import { ALARM_TABLE, alarmRows, renderAlarmTable, synthAll, type AlarmRow } from '../tools/alarms-per-target';

let templates: ReturnType<typeof synthAll>;
let rows: AlarmRow[];
beforeAll(() => {
  templates = synthAll();
  rows = alarmRows(templates);
}, 120_000);

describe('alarms per target', () => {
  it('docs/alarms-per-target.md is current (npm run alarms-per-target)', () => {
    expect(readFileSync(ALARM_TABLE, 'utf8')).toBe(renderAlarmTable(templates));
  });

  it.each(['aws', 'localstack', 'offline'] as const)(
    'deploys on %s only alarms that can receive data there, naming any that cannot',
    (target) => {
      const dead = rows.filter((r) => r.reach[target] && !r.reach[target]!.receives).map((r) => `${r.name}: ${r.reach[target]!.why}`);
      expect(dead).toEqual([]);
    },
  );

  it('keeps the SLI, its plain flow companion and the scheduled checks firing on LocalStack, through PutMetricData', () => {
    for (const name of [
      'LostOrders',
      'OldestAwaitingOrder',
      'OrdersPilingUp',
      'TrackingNotIngested',
      'PaymentMismatch',
      'PaymentBreakerOpen',
    ]) {
      const reach = rows.find((r) => r.name === name)?.reach.localstack;
      expect(reach, name).toMatchObject({ receives: true, why: expect.stringContaining('PutMetricData') });
    }
  });

  it("states the offline runtime's service metrics as offline/runtime/run-template.ts records them", () => {
    // lib/targets/offline.json is hand-kept from the runtime: a metric the runtime starts (or stops) recording shows here.
    const source = readFileSync(new URL('../offline/runtime/run-template.ts', import.meta.url), 'utf8');
    const recorded: Record<string, string[]> = {};
    for (const block of source.split(/const d = \{ namespace: /).slice(1)) {
      const namespace = /^'([^']+)'/.exec(block)![1];
      const end = block.indexOf('\n      },');
      recorded[namespace] = [...block.slice(0, end < 0 ? undefined : end).matchAll(/metrics\.put\(\{ \.\.\.d, name: '([^']+)'/g)]
        .map((m) => m[1])
        .sort();
    }
    const stated = Object.fromEntries(
      Object.entries(FACTS.offline.metrics as Record<string, string[]>).map(([ns, names]) => [ns, [...names].sort()]),
    );
    expect(recorded).toEqual(stated);
  });

  it('would not reach LocalStack by EMF alone: without the gauges the SLI alarms get no data there', () => {
    // The facts decide, not the table: the same alarm without PutMetricData publishers is dead on LocalStack.
    const lost = Object.values<any>(templates.localstack).find((r) => r.Properties?.AlarmName === 'ShopWave-LostOrders');
    expect(alarmReach(FACTS.localstack, signalOfTemplateAlarm(lost.Properties), { gauges: [], metricFilters: [] }).receives).toBe(false);
    expect(alarmReach(FACTS.aws, signalOfTemplateAlarm(lost.Properties), { gauges: [], metricFilters: [] }).receives).toBe(true);
  });
});
