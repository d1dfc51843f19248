/**
 * The handlers' gauge helper (functions/shared/gauges.ts) through the offline PutMetricData endpoint: what a
 * scheduled check publishes lands in the metric store under the name and `service` dimension the alarms read, and
 * only the gauges its function declares.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishGauges } from '../functions/shared/gauges';
import { CloudWatchEmulator } from '../offline/runtime/cloudwatch-emulator';
import { MetricStore } from '../offline/runtime/metrics';

const store = new MetricStore();
const emulator = new CloudWatchEmulator(store);
const saved = { ...process.env };

beforeAll(async () => {
  const endpoint = await emulator.start();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_CLOUDWATCH: endpoint,
    POWERTOOLS_SERVICE_NAME: 'orders',
    POWERTOOLS_METRICS_NAMESPACE: 'ShopWave',
    SHOPWAVE_GAUGES: 'LostOrders,OldestAwaitingRestaurantSeconds',
  });
});
afterAll(async () => {
  process.env = saved;
  await emulator.stop();
});

describe('gauges by PutMetricData', () => {
  it("takes a scheduled check's gauges under the service dimension the alarms read, and only declared ones", async () => {
    await publishGauges({ LostOrders: { value: 4, unit: 'Count' }, OldestAwaitingRestaurantSeconds: { value: 130, unit: 'Seconds' } });
    const now = Date.now();
    const q = (name: string) => ({ namespace: 'ShopWave', name, dimensions: { service: 'orders' } });
    expect(store.statistic(q('LostOrders'), 'Maximum', now - 60_000, now + 1)).toBe(4);
    expect(store.statistic(q('OldestAwaitingRestaurantSeconds'), 'Maximum', now - 60_000, now + 1)).toBe(130);
    // The template's declaration is what the per-target table reads: a gauge it does not declare fails the run.
    await expect(publishGauges({ RevenueAtRisk: { value: 1, unit: 'None' } })).rejects.toThrow(/not declared in SHOPWAVE_GAUGES/);
  });
});
