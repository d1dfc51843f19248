/**
 * The offline PutMetricData endpoint against the real SDK: what it is sent lands in the metric store, and what
 * CloudWatch would refuse is refused. (The handlers' gauge helper through it: test/gauges.test.ts, since the generic
 * runtime imports nothing of ShopWave, its tests included.)
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchEmulator } from './cloudwatch-emulator';
import { MetricStore } from './metrics';

const store = new MetricStore();
const emulator = new CloudWatchEmulator(store);
let client: CloudWatchClient;

beforeAll(async () => {
  const endpoint = await emulator.start();
  client = new CloudWatchClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
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
});
