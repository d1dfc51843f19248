/**
 * The business metrics derived from the structured log lines (lib/constructs/log-business-metrics.ts: metric
 * filters, namespace ShopWave/FromLogs) equal the handlers' EMF business metrics (namespace ShopWave), counts and
 * sums exactly, on the offline platform, which evaluates the template's metric filters on every function log line
 * (offline/runtime/log-metric-filters.ts), and on the access log lines of its API Gateway. The orders cover every outcome that moves these counts differently:
 * delivered (placed, charged, received), declined (placed only), out of stock (placed only) and rejected by the
 * restaurant (placed, charged, refunded, never received).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../offline/runtime/wait';
import { API_THROTTLED_REQUESTS, NAMESPACE } from '../../lib/constructs/business-metrics';
import { FROM_LOGS, FROM_LOGS_NAMESPACE, type FromLogsMetric } from '../../lib/constructs/log-business-metrics';
import { startTestPlatform, TEST_TEMPLATE, type TestPlatform } from '../support/platform';

let t: TestPlatform;
const startedAt = Date.now();
beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(() => t?.stop());

const METRICS = Object.keys(FROM_LOGS) as FromLogsMetric[];
const sum = (namespace: string, name: string, dimensions: Record<string, string>) =>
  t.platform.metrics.statistic({ namespace, name, dimensions }, 'Sum', startedAt, Date.now() + 1) ?? 0;
const fromLogs = (m: FromLogsMetric) => sum(FROM_LOGS_NAMESPACE, FROM_LOGS[m].metricName, {});
const fromEmf = (m: FromLogsMetric) => sum('ShopWave', FROM_LOGS[m].emf.metricName, { service: FROM_LOGS[m].emf.service });
const both = () => Object.fromEntries(METRICS.map((m) => [m, { logs: fromLogs(m), emf: fromEmf(m) }]));

describe('business metrics from logs', () => {
  it('the template the platform runs has the four filters, in their own namespace', () => {
    const filters = Object.values<any>(JSON.parse(readFileSync(TEST_TEMPLATE, 'utf8')).Resources).filter(
      (r) => r.Type === 'AWS::Logs::MetricFilter' && r.Properties.MetricTransformations[0].MetricNamespace === FROM_LOGS_NAMESPACE,
    );
    expect(filters.map((f) => f.Properties.MetricTransformations[0].MetricName).sort()).toEqual(
      METRICS.map((m) => FROM_LOGS[m].metricName).sort(),
    );
  });

  it('equal the EMF business metrics for placed, charged, received and revenue, exactly', async () => {
    const orders: { customer: string; merchant: string; product: string; quantity: number; ends: string }[] = [
      { customer: 'c-alice', merchant: 'm-pizza', product: 'p-margherita', quantity: 2, ends: 'DELIVERED' },
      { customer: 'c-bob', merchant: 'm-sushi', product: 'p-salmon-nigiri', quantity: 3, ends: 'DELIVERED' },
      { customer: 'c-alice', merchant: 'm-burger', product: 'p-classic-burger', quantity: 1, ends: 'DELIVERED' },
      { customer: 'c-declined', merchant: 'm-pizza', product: 'p-diavola', quantity: 1, ends: 'PAYMENT_FAILED' },
      { customer: 'c-bob', merchant: 'm-pizza', product: 'p-truffle-pizza', quantity: 50, ends: 'REJECTED' },
      { customer: 'c-bob', merchant: 'm-closed', product: 'p-fusion-bowl', quantity: 2, ends: 'CANCELLED' },
    ];
    const placed = await Promise.all(
      orders.map(async (o) => {
        const res = await t.placeOrder(o.customer, o.merchant, [{ productId: o.product, quantity: o.quantity }]);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        return { ...o, orderId: res.body.orderId as string };
      }),
    );
    const finished = await Promise.all(placed.map((o) => t.waitForStatus(o.orderId, o.ends, 60_000)));
    const charged = finished.filter((o) => o.history.some((h: any) => h.status === 'CHARGED'));
    const expected = {
      placed: orders.length,
      charged: charged.length,
      received: finished.filter((o) => o.history.some((h: any) => h.status === 'RECEIVED_BY_RESTAURANT')).length,
      revenue: charged.reduce((total, o) => total + o.total.amount, 0),
    };
    expect(expected).toMatchObject({ placed: 6, charged: 4, received: 3 });
    expect(expected.revenue).toBeGreaterThan(0);

    // A function's EMF document is printed when its invocation ends, its log line during it: wait for both.
    await waitFor(() => METRICS.every((m) => fromEmf(m) === expected[m] && fromLogs(m) === expected[m]), {
      timeoutMs: 20_000,
      description: `log-derived and EMF metrics to reach ${JSON.stringify(expected)} (now ${JSON.stringify(both())})`,
    });
    const measured = both();
    console.log(`business metrics, from logs and EMF: ${JSON.stringify(measured)}`);
    for (const m of METRICS) expect(measured[m], m).toEqual({ logs: expected[m], emf: expected[m] });
    // Nothing lands twice: the ShopWave namespace holds no log-derived datum under the EMF names without a service.
    for (const m of METRICS) expect(sum('ShopWave', FROM_LOGS[m].metricName, {}), m).toBe(0);
  });

  it('evaluates the API access-log filter the same way: one ApiThrottledRequests per 429 answered', async () => {
    const before = sum(NAMESPACE, API_THROTTLED_REQUESTS, {});
    // POST /orders has the tightest bucket (burst 40): past it API Gateway answers 429 before any function runs.
    const flood = await t.floodOrders();
    const throttled = flood.filter((a) => a.status === 429).length;
    expect(throttled).toBeGreaterThan(0);
    await waitFor(() => sum(NAMESPACE, API_THROTTLED_REQUESTS, {}) - before === throttled, {
      timeoutMs: 5_000,
      description: `ApiThrottledRequests to grow by ${throttled}`,
    });
    console.log(
      `429s answered: ${throttled}; ApiThrottledRequests from the access log: ${sum(NAMESPACE, API_THROTTLED_REQUESTS, {}) - before}`,
    );
  });
});
