/**
 * The offline PutMetricData endpoint against the real SDK, and the handlers' gauge helper through it: what a
 * scheduled check publishes lands in the metric store under the name and `service` dimension the alarms read, and
 * what CloudWatch would refuse is refused.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchEmulator } from './cloudwatch-emulator';
import { MetricStore } from './metrics';

const store = new MetricStore();
const emulator = new CloudWatchEmulator(store);
let client: CloudWatchClient;
const saved = { ...process.env };

beforeAll(async () => {
  const endpoint = await emulator.start();
  client = new CloudWatchClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
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

describe('CloudWatch PutMetricData offline', () => {
  it('stores what the SDK sends, with its dimensions, values and counts', async () => {
    await client.send(
      new PutMetricDataCommand({
        Namespace: 'Test',
        MetricData: [
          { MetricName: 'Depth', Dimensions: [{ Name: 'queue', Value: 'a' }], Value: 3, Unit: 'Count' },
          { MetricName: 'Latency', Values: [10, 20], Counts: [1, 2], Unit: 'Milliseconds' },
        ],
      }),
    );
    const now = Date.now();
    expect(store.statistic({ namespace: 'Test', name: 'Depth', dimensions: { queue: 'a' } }, 'Maximum', now - 60_000, now + 1)).toBe(3);
    // Dimensions match exactly, as in CloudWatch: without the dimension it is another metric.
    expect(store.statistic({ namespace: 'Test', name: 'Depth' }, 'Maximum', now - 60_000, now + 1)).toBeUndefined();
    expect(store.statistic({ namespace: 'Test', name: 'Latency' }, 'SampleCount', now - 60_000, now + 1)).toBe(3);
  });

  it('refuses what CloudWatch refuses: no value, a reserved namespace', async () => {
    await expect(client.send(new PutMetricDataCommand({ Namespace: 'Test', MetricData: [{ MetricName: 'X' }] }))).rejects.toThrow(/Value/);
    await expect(
      client.send(new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'X', Value: 1 }] })),
    ).rejects.toThrow(/reserved/);
  });

  it("takes a scheduled check's gauges under the service dimension the alarms read, and only declared ones", async () => {
    const { publishGauges } = await import('../../functions/shared/gauges');
    await publishGauges({ LostOrders: { value: 4, unit: 'Count' }, OldestAwaitingRestaurantSeconds: { value: 130, unit: 'Seconds' } });
    const now = Date.now();
    const q = (name: string) => ({ namespace: 'ShopWave', name, dimensions: { service: 'orders' } });
    expect(store.statistic(q('LostOrders'), 'Maximum', now - 60_000, now + 1)).toBe(4);
    expect(store.statistic(q('OldestAwaitingRestaurantSeconds'), 'Maximum', now - 60_000, now + 1)).toBe(130);
    // The template's declaration is what the per-target table reads: a gauge it does not declare fails the run.
    await expect(publishGauges({ RevenueAtRisk: { value: 1, unit: 'None' } })).rejects.toThrow(/not declared in SHOPWAVE_GAUGES/);
  });
});
