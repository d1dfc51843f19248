import { describe, expect, it } from 'vitest';
import { LogMetricFilters } from './log-metric-filters';
import { MetricStore } from './metrics';
import type { MetricFilterModel } from './model';

const functions = [
  { functionName: 'payments', logGroup: 'PaymentsLogs' },
  { functionName: 'orders', logGroup: '/aws/lambda/orders' },
];
const filter = (over: Partial<MetricFilterModel> & Pick<MetricFilterModel, 'filterPattern'>): MetricFilterModel => ({
  logicalId: 'Filter',
  logGroup: 'PaymentsLogs',
  transformations: [{ namespace: 'Test', metricName: 'M', metricValue: '1', dimensions: {} }],
  ...over,
});
const line = (o: Record<string, unknown>) => JSON.stringify(o);
const MINUTE = 60_000;

function setup(filters: MetricFilterModel[]) {
  const store = new MetricStore({ now: () => 10 * MINUTE });
  return { store, filters: new LogMetricFilters(functions, filters, (d) => store.put(d), MINUTE) };
}

describe('LogMetricFilters', () => {
  it('publishes a literal or a field of each matching line of the filtered log group only', () => {
    const { store, filters } = setup([
      filter({ filterPattern: '{ $.message = "payment charged" }' }),
      filter({
        logicalId: 'Revenue',
        filterPattern: '{ $.message = "payment charged" && $.amount >= 0 }',
        transformations: [{ namespace: 'Test', metricName: 'Revenue', metricValue: '$.amount', dimensions: {} }],
      }),
    ]);
    filters.ingest('payments', line({ message: 'payment charged', amount: 1200 }), 1000);
    filters.ingest('payments', line({ message: 'payment charged', amount: 800 }), 2000);
    filters.ingest('payments', line({ message: 'payment declined', amount: 500 }), 3000);
    filters.ingest('payments', 'not json', 3000);
    filters.ingest('orders', line({ message: 'payment charged', amount: 99 }), 3000); // another log group
    filters.ingest('unknown', line({ message: 'payment charged', amount: 99 }), 3000);
    expect(store.statistic({ namespace: 'Test', name: 'M' }, 'Sum', 0, MINUTE)).toBe(2);
    expect(store.statistic({ namespace: 'Test', name: 'M' }, 'SampleCount', 0, MINUTE)).toBe(2);
    expect(store.statistic({ namespace: 'Test', name: 'Revenue' }, 'Sum', 0, MINUTE)).toBe(2000);
  });

  it('takes dimensions from the event, and publishes nothing when a dimension or the value is missing', () => {
    const { store, filters } = setup([
      filter({
        filterPattern: '{ $.message = "payment charged" }',
        transformations: [{ namespace: 'Test', metricName: 'Revenue', metricValue: '$.amount', dimensions: { currency: '$.currency' } }],
      }),
    ]);
    filters.ingest('payments', line({ message: 'payment charged', amount: 1200, currency: 'EUR' }), 1000);
    filters.ingest('payments', line({ message: 'payment charged', amount: 300, currency: 'GBP' }), 1000);
    filters.ingest('payments', line({ message: 'payment charged', amount: 300 }), 1000);
    filters.ingest('payments', line({ message: 'payment charged', amount: 'n/a', currency: 'EUR' }), 1000);
    const revenue = (currency: string) =>
      store.statistic({ namespace: 'Test', name: 'Revenue', dimensions: { currency } }, 'Sum', 0, MINUTE);
    expect([revenue('EUR'), revenue('GBP')]).toEqual([1200, 300]);
    expect(store.statistic({ namespace: 'Test', name: 'Revenue' }, 'Sum', 0, MINUTE)).toBeUndefined();
  });

  it('publishes the default value once per minute that had events and no match, none for a quiet minute', () => {
    const { store, filters } = setup([
      filter({
        filterPattern: '{ $.status = "429" }',
        transformations: [{ namespace: 'Test', metricName: 'M', metricValue: '1', defaultValue: 0, dimensions: {} }],
      }),
    ]);
    const q = { namespace: 'Test', name: 'M' };
    filters.ingest('payments', line({ status: '200' }), 1000); // minute 0: no match
    filters.ingest('payments', line({ status: '200' }), 2000);
    filters.ingest('payments', line({ status: '429' }), MINUTE + 1); // minute 1: a match
    filters.ingest('payments', line({ status: '200' }), MINUTE + 2);
    filters.flush(3 * MINUTE + 1); // minute 2 was quiet
    expect(store.statistic(q, 'SampleCount', 0, MINUTE)).toBe(1);
    expect(store.statistic(q, 'Sum', 0, MINUTE)).toBe(0);
    expect(store.statistic(q, 'SampleCount', MINUTE, 2 * MINUTE)).toBe(1);
    expect(store.statistic(q, 'Sum', MINUTE, 2 * MINUTE)).toBe(1);
    expect(store.statistic(q, 'SampleCount', 2 * MINUTE, 4 * MINUTE)).toBeUndefined();
  });

  it('lists a filter no function feeds, and names the filter whose pattern it cannot evaluate', () => {
    const { filters } = setup([filter({ logicalId: 'AccessLog', logGroup: 'ApiAccessLogs', filterPattern: '{ $.status = "429" }' })]);
    expect(filters.unfed.map((f) => f.logicalId)).toEqual(['AccessLog']);
    expect(() => setup([filter({ logicalId: 'Bad', filterPattern: '[ip, status]' })])).toThrow(/^Bad\.Properties: .*space-delimited/);
    expect(() =>
      setup([
        filter({
          logicalId: 'BadValue',
          filterPattern: '',
          transformations: [{ namespace: 'T', metricName: 'M', metricValue: 'one', dimensions: {} }],
        }),
      ]),
    ).toThrow(/BadValue.*neither a number nor \$\.field/);
  });
});
