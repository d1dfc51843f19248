/**
 * Seed 001 on the metric path LocalStack community 4.14 has: the localstack template (its alarms, no dashboard, no
 * metric filter) run offline with EMF ingestion off, as LocalStack never parses EMF. The only way a ShopWave metric
 * reaches the alarms is then PutMetricData (functions/shared/gauges.ts → offline/runtime/cloudwatch-emulator.ts), as
 * on LocalStack: the restaurant drops every order and LostOrders and OldestAwaitingOrder must still fire.
 *
 * Same clock as test/e2e/lost-orders.test.ts: one metric minute is 8 s, the SLI deadline 10 s (test speed).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../offline/runtime/wait';
import { startTraffic, type Traffic } from '../../offline/shopwave/traffic';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const ROOT = path.join(import.meta.dirname, '..', '..');
const OUT = path.join(ROOT, 'cdk.out.test.localstack');
const TIME_SCALE = 2 / 15;
const METRIC_MINUTE_MS = 60_000 * TIME_SCALE;

let t: TestPlatform;
let traffic: Traffic | undefined;

beforeAll(async () => {
  // The localstack template with its bundles, at test speed (scripts/synth.mjs builds only the offline one).
  const synth = spawnSync(
    path.join(ROOT, 'node_modules', '.bin', 'cdk'),
    ['synth', '--quiet', '--no-notices', '-c', 'target=localstack', '-c', 'speed=test', '-o', OUT],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: '1' },
    },
  );
  if (synth.status !== 0) throw new Error(`cdk synth -c target=localstack failed:\n${synth.stdout}\n${synth.stderr}`);
  t = await startTestPlatform({ timeScale: TIME_SCALE, templatePath: path.join(OUT, 'ShopWave.template.json'), emf: false });
}, 300_000);
afterAll(async () => {
  traffic?.stop();
  await t?.stop();
});

const alarmNamed = (suffix: string) => t.platform.alarms.states().find((a) => a.alarmName === `ShopWave-${suffix}`);

describe('seed 001 through the LocalStack metric path (PutMetricData, no EMF)', { timeout: 240_000 }, () => {
  it('runs the localstack template: its alarms only, none that LocalStack cannot evaluate', () => {
    expect(alarmNamed('LostOrders')).toBeDefined();
    expect(alarmNamed('OldestAwaitingOrder')).toBeDefined();
    expect(alarmNamed('OrdersPilingUp')).toBeDefined();
    // Metric math and EMF-only alarms are not deployed there.
    expect(alarmNamed('FlowGap')).toBeUndefined();
    expect(alarmNamed('OutboxRelayLag')).toBeUndefined();
  });

  it('fires LostOrders and OldestAwaitingOrder from PutMetricData alone when the restaurant drops orders', async () => {
    traffic = startTraffic(t.platform.apiUrl, 5, { minuteMs: METRIC_MINUTE_MS, sign: (c) => t.platform.issuer.sign(c) });
    await waitFor(async () => traffic!.placed[0] && (await t.readOrder(traffic!.placed[0].orderId)).body?.status === 'DELIVERED', {
      timeoutMs: 90_000,
      description: 'the first order delivered (cold starts)',
    });
    // The reconciler's gauges arrive and no EMF metric does: the flow counters (EMF only) stay absent.
    const names = () => new Set(t.platform.metrics.list().map((m) => `${m.namespace}/${m.name}`));
    await waitFor(() => names().has('ShopWave/LostOrders'), { timeoutMs: 30_000, description: 'the LostOrders gauge in CloudWatch' });
    expect(names().has('ShopWave/OldestAwaitingRestaurantSeconds')).toBe(true);
    expect(names().has('ShopWave/PaymentsCharged')).toBe(false);

    await t.platform.gameDay.inject('restaurant-drops-orders');
    await waitFor(() => alarmNamed('LostOrders')?.state === 'ALARM' && alarmNamed('OldestAwaitingOrder')?.state === 'ALARM', {
      timeoutMs: 90_000,
      description: 'LostOrders and OldestAwaitingOrder in ALARM on the PutMetricData path',
    });
    await t.platform.gameDay.clear();
  });
});
