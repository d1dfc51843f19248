/**
 * `report --stack`'s numbers: CloudWatch alarm history items (in the shape DescribeAlarmHistory returns) and table
 * rows in, TTD, false leads and impact out; and the scorecard row and table built from such a result.
 */
import type { AlarmHistoryItem } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import type { OrderRow, PaymentRow } from './impact';
import type { Injection } from './inject';
import { scenarioNamed } from './scenarios';
import { mergeRows, renderScorecard, rowPasses, scorecardRow } from './scorecard';
import { alarmEventsFromHistory, stackGameDayResult } from './stack-report';

const T0 = Date.parse('2026-12-01T12:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const iso = (s: number) => at(s).toISOString();
const eur = (amount: number) => ({ amount, currency: 'EUR' as const });

/** A StateUpdate item as CloudWatch writes it: the states in HistoryData's JSON. */
const transition = (alarm: string, s: number, from: string, to: string): AlarmHistoryItem => ({
  AlarmName: `ShopWave-${alarm}`,
  AlarmType: 'MetricAlarm',
  Timestamp: at(s),
  HistoryItemType: 'StateUpdate',
  HistorySummary: `Alarm updated from ${from} to ${to}`,
  HistoryData: JSON.stringify({
    version: '1.0',
    oldState: { stateValue: from, stateReason: 'before' },
    newState: { stateValue: to, stateReason: `Threshold Crossed: ${alarm}` },
  }),
});

const order = (id: string, s: number, status: string, milestones: Record<string, number>): OrderRow => ({
  orderId: id,
  customerId: `c-${id}`,
  merchantId: 'm-pizza',
  status,
  total: eur(1000),
  createdAt: iso(s),
  milestones: Object.fromEntries(Object.entries(milestones).map(([k, v]) => [k, iso(v)])),
  items: [{ productId: 'p-1', quantity: 1 }],
});

const injection: Injection = {
  id: 'x-restaurant-drops-orders',
  scenario: 'restaurant-drops-orders',
  target: 'ShopWave',
  at: iso(0),
  by: 'alice',
  changes: [],
  clearedAt: iso(600),
  clearedBy: 'bob',
};

describe('report --stack', () => {
  const history: AlarmHistoryItem[] = [
    transition('FlowGap', -300, 'OK', 'ALARM'), // in the baseline: makes TTDs unreliable
    transition('FlowGap', -240, 'ALARM', 'OK'),
    transition('LostOrders', 150, 'OK', 'ALARM'),
    transition('FlowGap', 95, 'OK', 'ALARM'),
    transition('OrdersApiErrors', 200, 'OK', 'ALARM'), // not expected, not a consequence: a false lead
    transition('DeliverySloFastBurn', 210, 'OK', 'ALARM'), // a listed consequence
    transition('LostOrders', 700, 'ALARM', 'OK'),
    { AlarmName: 'ShopWave-LostOrders', Timestamp: at(160), HistoryItemType: 'Action', HistorySummary: 'Published to SNS' },
    { ...transition('LostOrders', 100, 'OK', 'ALARM'), AlarmName: 'ShopWaveStaging-LostOrders' }, // another stack's
  ];
  const orders = [
    order('before', -120, 'DELIVERED', { PLACED: -120, CHARGED: -119, DELIVERED: -90 }),
    order('lost', 30, 'CANCELLED', { PLACED: 30, CHARGED: 31, REFUNDED: 400, CANCELLED: 400 }),
    order('after', 650, 'DELIVERED', { PLACED: 650, CHARGED: 651, DELIVERED: 680 }),
    order('old', -3600, 'DELIVERED', { PLACED: -3600, DELIVERED: -3500 }), // before the baseline: not this game day's
  ];
  const payments: PaymentRow[] = [
    { orderId: 'before', status: 'CHARGED', amount: eur(1000) },
    { orderId: 'lost', status: 'REFUNDED', amount: eur(1000) },
    { orderId: 'after', status: 'CHARGED', amount: eur(1000) },
    { orderId: 'old', status: 'CHARGED', amount: eur(1000) },
  ];

  it('reads StateUpdate items only, oldest first, with the states from HistoryData', () => {
    const events = alarmEventsFromHistory(history);
    expect(events.map((e) => `${e.alarmName} ${e.from}>${e.to}`)).toEqual([
      'ShopWave-FlowGap OK>ALARM',
      'ShopWave-FlowGap ALARM>OK',
      'ShopWave-FlowGap OK>ALARM',
      'ShopWaveStaging-LostOrders OK>ALARM',
      'ShopWave-LostOrders OK>ALARM',
      'ShopWave-OrdersApiErrors OK>ALARM',
      'ShopWave-DeliverySloFastBurn OK>ALARM',
      'ShopWave-LostOrders ALARM>OK',
    ]);
    expect(events[0].reason).toBe('Threshold Crossed: FlowGap');
  });

  const result = stackGameDayResult({
    stackName: 'ShopWave',
    scenario: scenarioNamed('restaurant-drops-orders'),
    injection,
    events: alarmEventsFromHistory(history),
    states: [
      { alarmName: 'ShopWave-LostOrders', state: 'OK' },
      { alarmName: 'ShopWave-FlowGap', state: 'OK' },
    ],
    orders,
    payments,
    baselineFrom: T0 - 15 * 60_000,
    now: T0 + 900_000,
  });

  it('measures TTD from the injection, and names false leads and a noisy baseline', () => {
    expect(result.ttd).toEqual({ LostOrders: 150_000, FlowGap: 95_000 });
    expect(result.falseLeads).toEqual(['OrdersApiErrors']);
    expect(result.baselineAlarms).toEqual(['FlowGap']);
    expect(result.mitigatedAt).toBe(T0 + 600_000);
  });

  it('takes the impact from the tables, within the baseline and the injection window', () => {
    expect(result.orders.map((o) => o.orderId)).toEqual(['before', 'lost', 'after']);
    expect(result.impact.orders).toMatchObject({ placed: 3, inWindow: 1, affected: 1, affectedIds: ['lost'] });
    expect(result.impact.money).toMatchObject({ charged: 3000, deliveredValue: 2000, refunded: 1000, reconciled: true });
    expect(result.recovery).toMatchObject({ alarmsOk: true, allTerminal: true, moneyReconciled: true, stockConserved: null });
    expect(result.recovery!.notes.join(' ')).toMatch(/stock conservation is not checked/);
  });

  it('becomes a scorecard row that fails on the false lead, and a table that says so', () => {
    const row = scorecardRow(result);
    expect(row).toMatchObject({ detectedBy: 'FlowGap', ttdMs: 95_000, ttdMetricMinutes: 1.58, baselineQuiet: false, nothingLost: false });
    expect(rowPasses(row)).toBe(false);
    expect(rowPasses({ ...row, falseLeads: [], baselineQuiet: true, nothingLost: true })).toBe(true);
    const md = renderScorecard(mergeRows({}, [row]), [scenarioNamed('restaurant-drops-orders'), scenarioNamed('consumer-crashloop')]);
    expect(md).toContain('| `restaurant-drops-orders` | 001 (theory A) | FlowGap | 95 s |');
    expect(md).toContain('| OrdersApiErrors | **no** |');
    expect(md).toMatch(/`consumer-crashloop` \| 004 \(crashloop\) \| not measured/);
  });

  it('on a target without one of the expected alarms (LocalStack has no FlowGap), judges by the deployed ones', () => {
    const onLocalStack = stackGameDayResult({
      stackName: 'ShopWave',
      scenario: scenarioNamed('restaurant-drops-orders'),
      injection,
      events: alarmEventsFromHistory(history.filter((h) => !h.AlarmName?.endsWith('FlowGap'))),
      states: [{ alarmName: 'ShopWave-LostOrders', state: 'OK' }],
      orders,
      payments,
      baselineFrom: T0 - 15 * 60_000,
      now: T0 + 900_000,
    });
    expect(onLocalStack.ttd).toEqual({ LostOrders: 150_000 });
    expect(onLocalStack.scenario.alarms.expected).toEqual(['LostOrders']);
    expect(onLocalStack.recovery!.notes).toContain('expected alarms this stack does not deploy (its target cannot feed them): FlowGap');
    expect(scorecardRow(onLocalStack).detectedBy).toBe('LostOrders');
  });
});
