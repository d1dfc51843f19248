/**
 * Two new signals of issue 9, end to end and offline, on one platform (they share its traffic and warm-up):
 * - hostile-client: a burst of bad tokens and keys fires AuthFailureSurge, and nothing else;
 * - tracking-stops-reaching-analytics: analytics' rule stops matching `tracking.updated` (the "renamed past its
 *   rule" shape, made by changing the rule's pattern in the EventBridge emulator, as a deploy would). Shipping and
 *   the courier keep working and orders keep being delivered, so TrackingNotIngested must fire and the delivery SLI
 *   alarms (and everything else) must stay quiet; then the missed events, re-published as they were (the replay
 *   tool's job), get analytics back to fresh and are counted once.
 *
 * Time is accelerated as in lost-orders.test.ts: one metric minute lasts 8 s (timeScale 2/15), so the check and the
 * alarms run 7.5× faster while the hops between services do not. The test speed's freshness threshold is 20 s real
 * time (about five hops of ~1.4 s each with a wide margin), against which a healthy first tracking point takes a
 * few seconds and a fault grows by 8 s every check run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmTransition } from '../../offline/runtime/alarms';
import { waitFor } from '../../offline/runtime/wait';
import { readFileSync } from 'node:fs';
import { API_THROTTLED_REQUESTS, NAMESPACE } from '../../lib/constructs/business-metrics';
import { startTraffic, type Traffic } from '../../offline/shopwave/traffic';
import { startTestPlatform, TEST_TEMPLATE, type TestPlatform } from '../support/platform';

const TIME_SCALE = 2 / 15;
const METRIC_MINUTE_MS = 60_000 * TIME_SCALE;
const ORDERS_PER_METRIC_MINUTE = 5;

let t: TestPlatform;
let traffic: Traffic;
const transitions: AlarmTransition[] = [];
/** Every tracking event on the bus, with the rules it matched: what analytics got, and what it missed. */
const trackingOnBus: { event: any; rules: string[] }[] = [];

beforeAll(async () => {
  t = await startTestPlatform({ timeScale: TIME_SCALE, onAlarm: (tr) => transitions.push(tr) });
  t.platform.onEvent((e: any, rules: string[]) => e['detail-type'] === 'tracking.updated' && trackingOnBus.push({ event: e, rules }));
});
afterAll(async () => {
  traffic?.stop();
  await t?.stop();
});

const alarmNamed = (suffix: string) => t.platform.alarms.states().find((a) => a.alarmName.endsWith(`-${suffix}`))!;
const firedSince = (since: number) => [
  ...new Set(transitions.filter((tr) => tr.to === 'ALARM' && tr.at >= since).map((tr) => tr.alarmName)),
];
const inAlarm = () =>
  t.platform.alarms
    .states()
    .filter((a) => a.state === 'ALARM')
    .map((a) => a.alarmName);
const analyticsRule = () => t.platform.model.rules.find((r) => r.logicalId.startsWith('AnalyticsConsumer'))!;
const freshnessCheck = () => t.platform.model.functions.find((f) => f.logicalId.startsWith('TrackingFreshnessCheck'))!;
const checkNow = () => t.platform.invoke<{ awaitingTracking: number; stalenessSeconds: number }>(freshnessCheck().functionName, {});

describe('new alarms: tracking freshness and auth-failure surge', { timeout: 300_000 }, () => {
  it('stays quiet while orders flow normally, with the new alarms evaluated', async () => {
    traffic = startTraffic(t.platform.apiUrl, ORDERS_PER_METRIC_MINUTE, {
      minuteMs: METRIC_MINUTE_MS,
      sign: (c) => t.platform.issuer.sign(c),
    });
    await waitFor(async () => traffic.placed[0] && (await t.readOrder(traffic.placed[0].orderId)).body?.status === 'DELIVERED', {
      timeoutMs: 90_000,
      description: 'the first order delivered (cold starts)',
    });
    // One more metric minute: a cold start's slow first tracking point is the warm-up's, not the steady state's.
    await new Promise((r) => setTimeout(r, METRIC_MINUTE_MS));
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 3 * METRIC_MINUTE_MS));
    expect(firedSince(started)).toEqual([]);
    // Evaluated on data, not silent for lack of it.
    await waitFor(() => alarmNamed('TrackingNotIngested').state === 'OK', { timeoutMs: 2 * METRIC_MINUTE_MS });
    expect(trackingOnBus.length).toBeGreaterThan(0);
    expect((await checkNow()).stalenessSeconds).toBeLessThan(20);
  });

  it('fires AuthFailureSurge, and nothing else, on a burst of bad tokens and keys', async () => {
    const since = Date.now();
    const good = await t.platform.issuer.sign('c-alice');
    const [h, p] = good.split('.');
    const bad = [
      undefined,
      'Basic YWxpY2U6c2VjcmV0',
      'Bearer not-a-jwt',
      `Bearer ${h}.${p}.${'A'.repeat(86)}`, // tampered signature
      `Bearer ${await t.platform.issuer.sign('c-alice', { issuer: 'https://evil.example' })}`,
      `Bearer ${await t.platform.issuer.sign('c-alice', { expiresIn: Math.floor(Date.now() / 1000) - 600 })}`,
    ];
    const statuses: number[] = [];
    // 42 refused reads within a few seconds (threshold: more than 20 a metric minute): nothing is written.
    for (let round = 0; round < 6; round++) {
      const answers = await Promise.all([
        ...bad.map((authorization) => t.api('GET', '/orders', undefined, authorization ? { authorization } : {})),
        t.api('GET', '/merchants/m-pizza/orders', undefined, { 'x-api-key': `mk_${'0'.repeat(16)}_${'A'.repeat(43)}` }),
      ]);
      statuses.push(...answers.map((a) => a.status));
    }
    expect(new Set(statuses)).toEqual(new Set([401]));
    // And a flood on the route with the tightest throttling (POST /orders: burst 40): beyond the bucket API
    // Gateway answers 429 before any function runs (not an auth failure, and in 4XXError), the rest are 401s.
    const flood = await t.floodOrders();
    const throttled = flood.filter((a) => a.status === 429).length;
    expect(throttled).toBeGreaterThan(0);
    expect(flood.every((a) => a.status === 429 || a.status === 401)).toBe(true);
    // The 429 series of the dashboard: the template's access-log metric filter, which the offline runtime evaluates
    // on the access log lines its API Gateway writes (offline/runtime/log-metric-filters.ts).
    const template = JSON.parse(readFileSync(TEST_TEMPLATE, 'utf8'));
    const filters = Object.values<any>(template.Resources).filter(
      (r) => r.Type === 'AWS::Logs::MetricFilter' && r.Properties.MetricTransformations[0].MetricNamespace === NAMESPACE,
    );
    expect(filters.map((f) => f.Properties.MetricTransformations[0])).toEqual([
      expect.objectContaining({ MetricNamespace: NAMESPACE, MetricName: API_THROTTLED_REQUESTS, MetricValue: '1' }),
    ]);
    const q = { namespace: NAMESPACE, name: API_THROTTLED_REQUESTS, dimensions: {} };
    // At least the flood's: a traffic order that hit the emptied bucket counts too.
    expect(t.platform.metrics.statistic(q, 'Sum', since, Date.now() + 1)).toBeGreaterThanOrEqual(throttled);
    await waitFor(() => alarmNamed('AuthFailureSurge').state === 'ALARM', {
      timeoutMs: 4 * METRIC_MINUTE_MS,
      description: 'AuthFailureSurge',
    });
    console.log(
      `burst → AuthFailureSurge: ${transitions.find((tr) => tr.alarmName.endsWith('-AuthFailureSurge') && tr.to === 'ALARM')!.at - since} ms`,
    );
    // 4xx are not alarmed by themselves (Api5xxRate counts 5xx only): nothing but the surge fires.
    expect(firedSince(since)).toEqual(['ShopWave-AuthFailureSurge']);
    // The burst ends, the next minutes have no failures: back to OK, so the next scenario starts clean.
    await waitFor(() => alarmNamed('AuthFailureSurge').state === 'OK', { timeoutMs: 6 * METRIC_MINUTE_MS, description: 'back to OK' });
  });

  let missed: any[] = [];
  it("fires TrackingNotIngested, and no delivery SLI or other alarm, when analytics' rule stops taking tracking", async () => {
    const rule = analyticsRule();
    const original = rule.eventPattern;
    const since = Date.now();
    const busBefore = trackingOnBus.length;
    // What a deploy that renames the tracking event past analytics' subscription leaves: analytics gets everything
    // but tracking.
    rule.eventPattern = { source: [{ prefix: 'shopwave.' }], 'detail-type': [{ 'anything-but': ['tracking.updated'] }] };
    try {
      await waitFor(() => alarmNamed('TrackingNotIngested').state === 'ALARM', {
        timeoutMs: 12 * METRIC_MINUTE_MS,
        description: 'TrackingNotIngested in ALARM',
      });
      const fired = transitions.find((tr) => tr.alarmName.endsWith('-TrackingNotIngested') && tr.to === 'ALARM' && tr.at >= since)!;
      console.log(`fault → TrackingNotIngested: ${fired.at - since} ms (1 metric minute = ${METRIC_MINUTE_MS} ms)`);
      // Shipping kept emitting and orders kept being delivered: only analytics missed the points.
      const duringFault = trackingOnBus.slice(busBefore);
      expect(duringFault.length).toBeGreaterThan(0);
      expect(duringFault.every((e) => !e.rules.includes(rule.name))).toBe(true);
      const placedDuring = traffic.placed.filter((o) => o.at > since + 1000);
      await t.waitForStatus(placedDuring[0].orderId, 'DELIVERED', 30_000);
      // The SLI alarms and everything else stayed quiet: customers are served, only the Analytics team is not.
      expect(firedSince(since)).toEqual(['ShopWave-TrackingNotIngested']);
      expect(inAlarm()).toEqual(['ShopWave-TrackingNotIngested']);
    } finally {
      rule.eventPattern = original;
    }
    missed = trackingOnBus.filter((e) => !e.rules.includes(rule.name)).map((e) => e.event);
  });

  it('gets the missed tracking into analytics by re-publishing it as it was, counted once, and clears', async () => {
    expect(missed.length).toBeGreaterThan(0);
    // The replay tool's job, done here by hand: the original envelopes, twice (a replay may overlap a redelivery).
    const entries = missed.map((e) => ({
      Source: e.source,
      DetailType: e['detail-type'],
      Detail: JSON.stringify(e.detail),
      EventBusName: analyticsRule().eventBusName,
    }));
    for (const batch of [entries, entries]) {
      for (let i = 0; i < batch.length; i += 10) await t.platform.putEvents(batch.slice(i, i + 10));
    }
    await waitFor(async () => (await checkNow()).stalenessSeconds < 20, { timeoutMs: 60_000, description: 'analytics fresh again' });
    await waitFor(() => alarmNamed('TrackingNotIngested').state === 'OK', { timeoutMs: 6 * METRIC_MINUTE_MS, description: 'back to OK' });
    // Each missed point is in its order's analytics timeline exactly once.
    const analytics = t.table('DataAnalytics');
    const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
    const sample = missed.slice(0, 5);
    for (const e of sample) {
      const rows =
        (
          await t.doc.send(
            new QueryCommand({
              TableName: analytics,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
              ExpressionAttributeValues: { ':pk': `ORDER#${e.detail.data.orderId}`, ':e': 'EVENT#' },
            }),
          )
        ).Items ?? [];
      expect(rows.filter((r) => r.eventId === e.detail.metadata.eventId)).toHaveLength(1);
    }
    expect(inAlarm()).toEqual([]);
  });
});
