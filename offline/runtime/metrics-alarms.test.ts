/**
 * The offline CloudWatch: EMF parsing checked against what Powertools Metrics really prints, CloudWatch's
 * statistics, and alarm evaluation (thresholds, M of N, missing data, metric math) with accelerated time.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { AlarmEvaluator, evaluateExpression, parseExpression, type AlarmModel } from './alarms';
import { MetricStore, statistic } from './metrics';

/** What the real Powertools Metrics class prints (through its own console) for these metrics. */
function powertoolsLines(service: string, add: (m: Metrics) => void): string[] {
  const lines: string[] = [];
  // vitest.config.ts disables Powertools metrics for the handler tests; this one needs them printed.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const metrics = new Metrics({ namespace: 'ShopWave', serviceName: service });
  vi.unstubAllEnvs();
  vi.spyOn((metrics as unknown as { console: Console }).console, 'log').mockImplementation(
    (line: unknown) => void lines.push(String(line)),
  );
  add(metrics);
  metrics.publishStoredMetrics();
  return lines;
}

describe('MetricStore', () => {
  it('reads the EMF documents Powertools prints, one datum per value, with its service dimension', () => {
    const store = new MetricStore();
    const lines = powertoolsLines('payments', (m) => {
      m.addMetric('PaymentsCharged', MetricUnit.Count, 1);
      m.addMetric('ChargedAmount', MetricUnit.NoUnit, 1900);
      m.addMetric('ChargedAmount', MetricUnit.NoUnit, 700); // twice: Powertools prints an array
    });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.reduce((n, l) => n + store.ingestLogLine(l), 0)).toBe(3);
    const now = Date.now();
    const q = (name: string) => ({ namespace: 'ShopWave', name, dimensions: { service: 'payments' } });
    expect(store.statistic(q('PaymentsCharged'), 'Sum', now - 60_000, now + 1)).toBe(1);
    expect(store.statistic(q('ChargedAmount'), 'Sum', now - 60_000, now + 1)).toBe(2600);
    // Dimensions match exactly, as in CloudWatch.
    expect(store.statistic({ namespace: 'ShopWave', name: 'PaymentsCharged' }, 'Sum', now - 60_000, now + 1)).toBeUndefined();
    expect(store.ingestLogLine('{"level":"INFO","message":"not a metric"}')).toBe(0);
    expect(store.ingestLogLine('plain text')).toBe(0);
  });

  it('computes CloudWatch statistics', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(statistic(values, 'Sum')).toBe(5050);
    expect(statistic(values, 'Average')).toBe(50.5);
    expect(statistic(values, 'Maximum')).toBe(100);
    expect(statistic(values, 'Minimum')).toBe(1);
    expect(statistic(values, 'SampleCount')).toBe(100);
    expect(statistic(values, 'p99')).toBe(99);
    expect(statistic(values, 'p50')).toBe(50);
    expect(statistic([], 'Sum')).toBeUndefined();
    expect(() => statistic(values, 'tm99')).toThrow(/not supported offline/);
  });
});

describe('metric math', () => {
  it('evaluates the expressions the alarms and the dashboard use', () => {
    const v = (values: Record<string, number | undefined>) => (id: string) => values[id];
    expect(evaluateExpression('FILL(charged, 0) - FILL(received, 0)', v({ charged: 5 }))).toBe(5);
    expect(evaluateExpression('charged - received', v({ charged: 5 }))).toBeUndefined(); // missing input, no FILL
    expect(evaluateExpression('FILL(overdue, 0) / charged / 0.0050', v({ overdue: 1, charged: 10 }))).toBeCloseTo(20);
    expect(evaluateExpression('100 * (1 - FILL(overdue, 0) / charged)', v({ charged: 0 }))).toBeUndefined(); // x / 0
    expect(evaluateExpression('IF(a >= 3, -a, MAX(a, 2))', v({ a: 1 }))).toBe(2);
    expect(evaluateExpression('IF(a >= 3, -a, MAX(a, 2))', v({ a: 4 }))).toBe(-4);
    expect(() => parseExpression('ANOMALY_DETECTION_BAND(m1)')).toThrow(/not supported offline/);
    expect(() => parseExpression('m1 +')).toThrow();
  });
});

describe('AlarmEvaluator', () => {
  const base = { logicalId: 'A', description: 'Runbook: docs/runbooks/x.md', alarmActions: [] };
  const metric = { namespace: 'ShopWave', metricName: 'LostOrders', dimensions: { service: 'orders' }, periodSeconds: 60, stat: 'Maximum' };

  function setup(alarm: Omit<AlarmModel, 'logicalId' | 'alarmActions'>) {
    let now = 1_000_000;
    const msPerMetricSecond = 1000 / 60; // one metric minute per real second
    const store = new MetricStore({ msPerMetricSecond, now: () => now });
    const evaluator = new AlarmEvaluator([{ ...base, ...alarm }], store, { msPerMetricSecond, now: () => now });
    const minute = (value?: number, name = 'LostOrders', dimensions: Record<string, string> = { service: 'orders' }) => {
      now += 1000;
      if (value !== undefined) store.put({ namespace: 'ShopWave', name, dimensions, value, timestamp: now - 500 });
      return evaluator.evaluate();
    };
    return { evaluator, minute, state: () => evaluator.states()[0] };
  }

  it('goes to ALARM on M of N breaching datapoints and back to OK', () => {
    const { minute, state } = setup({
      alarmName: 'lost',
      metric,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });
    expect(state().state).toBe('INSUFFICIENT_DATA');
    expect(minute(0)[0]).toMatchObject({ from: 'INSUFFICIENT_DATA', to: 'OK' });
    expect(minute(2)).toEqual([]); // 1 of 3
    expect(minute(1)[0]).toMatchObject({ to: 'ALARM' }); // 2 of 3
    expect(state().reason).toContain('2 of the last 3');
    minute(0);
    expect(minute(0)[0]).toMatchObject({ to: 'OK' });
  });

  it('treats missing data as the alarm says', () => {
    const make = (treatMissingData: AlarmModel['treatMissingData']) =>
      setup({
        alarmName: treatMissingData,
        metric,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData,
      });
    const notBreaching = make('notBreaching');
    notBreaching.minute();
    expect(notBreaching.state().state).toBe('OK');
    const breaching = make('breaching');
    breaching.minute();
    expect(breaching.state().state).toBe('ALARM');
    const missing = make('missing');
    missing.minute(5);
    missing.minute();
    expect(missing.state().state).toBe('INSUFFICIENT_DATA');
    const ignore = make('ignore');
    ignore.minute(5);
    ignore.minute();
    expect(ignore.state().state).toBe('ALARM');
  });

  it('evaluates a metric-math alarm (the flow gap) per period, with percentile and comparison operators', () => {
    const charged = { ...metric, dimensions: { service: 'payments' }, metricName: 'PaymentsCharged', stat: 'Sum' };
    const received = { ...metric, metricName: 'OrdersReceivedByRestaurant', stat: 'Sum' };
    const { minute, state } = setup({
      alarmName: 'gap',
      metrics: [
        { id: 'gap', expression: 'FILL(charged, 0) - FILL(received, 0)', returnData: true },
        { id: 'charged', metricStat: charged, returnData: false },
        { id: 'received', metricStat: received, returnData: false },
      ],
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      threshold: 3,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
    const chargedMinute = (c: number) => minute(c, 'PaymentsCharged', { service: 'payments' });
    chargedMinute(5);
    expect(state().state).toBe('OK'); // 1 of 3
    chargedMinute(4);
    expect(state().state).toBe('ALARM');
    expect(state().lastValues.slice(-2)).toEqual([5, 4]);
  });

  it('refuses an alarm it cannot evaluate, naming it', () => {
    const store = new MetricStore();
    expect(
      () =>
        new AlarmEvaluator(
          [
            {
              ...base,
              alarmName: 'odd',
              metrics: [
                { id: 'e', expression: 'ANOMALY_DETECTION_BAND(m)', returnData: true },
                { id: 'm', metricStat: metric, returnData: false },
              ],
              evaluationPeriods: 1,
              datapointsToAlarm: 1,
              threshold: 0,
              comparisonOperator: 'GreaterThanThreshold',
              treatMissingData: 'missing',
            },
          ],
          store,
        ),
    ).toThrow(/alarm odd .*cannot be evaluated offline/);
  });
});
