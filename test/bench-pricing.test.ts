/** The cost model's arithmetic (bench/pricing.ts) on hand-worked examples, and the price list's shape. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  alarmMetricCounts,
  idleEsmReceivesPerMonth,
  NO_USAGE,
  type PriceList,
  price,
  priceContainerIdle,
  priceIdle,
  priceUsage,
  schedulePerMonth,
  totalUsd,
} from '../bench/pricing';

const list: PriceList = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'bench', 'prices-us-east-1.json'), 'utf8'));

describe('the price list', () => {
  it('gives every price a date, a unit and its source page', () => {
    expect(list.asOf).toMatch(/^\d{4}-\d{2}/);
    for (const [key, p] of Object.entries(list.prices)) {
      expect(p.usd, key).toBeGreaterThan(0);
      expect(p.source, key).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(p.per, key).not.toBe('');
    }
  });
  it('refuses an unknown price instead of pricing it at zero', () => {
    expect(() => price(list, 'lambda.gbSecond.sparc')).toThrow(/not in the price list/);
  });
});

describe('serverless usage', () => {
  const tiny: PriceList = { ...list, prices: Object.fromEntries(Object.entries(list.prices).map(([k, p]) => [k, { ...p, usd: 1 }])) };
  it('multiplies each quantity by its price and the order count, and leaves out what is not used', () => {
    const items = priceUsage({ ...NO_USAGE, lambdaInvocations: 3, dynamodbWriteUnits: 0.5, logBytes: 1024 ** 3 }, 10, tiny);
    expect(items.map((i) => [i.priceKey, i.quantity, i.usd])).toEqual([
      ['lambda.request', 30, 30],
      ['dynamodb.writeRequestUnit', 5, 5],
      ['cloudwatch.logsIngestedGb', 10, 10],
    ]);
    expect(totalUsd(items)).toBe(45);
  });
  it('prices arm64 duration below x86_64', () => {
    const gbs = (arch: 'arm64' | 'x86_64') =>
      totalUsd(priceUsage({ ...NO_USAGE, lambdaGbSeconds: { arm64: 0, x86_64: 0, [arch]: 1000 } }, 1, list));
    expect(gbs('arm64')).toBeCloseTo(0.0133334, 6);
    expect(gbs('x86_64')).toBeCloseTo(0.0166667, 6);
  });
});

describe('idle', () => {
  it('counts alarm metrics as CloudWatch bills them', () => {
    const counts = alarmMetricCounts({
      A: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors', Period: 60 } },
      B: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors', Period: 10 } },
      C: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          Metrics: [
            { Id: 'a', MetricStat: { Period: 300 } },
            { Id: 'b', MetricStat: { Period: 300 } },
            { Id: 'e', Expression: 'a / b' },
          ],
        },
      },
      D: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: {} },
      E: { Type: 'AWS::SQS::Queue' },
    });
    expect(counts).toEqual({ standard: 3, highResolution: 1, composite: 1 });
  });
  it('turns schedules and idle long polls into requests a month', () => {
    expect(schedulePerMonth('rate(1 minute)')).toBe(43_800);
    expect(schedulePerMonth('rate(2 hours)')).toBe(365);
    expect(() => schedulePerMonth('cron(0 12 * * ? *)')).toThrow(/not a rate/);
    // 1 mapping, 5 pollers, one 20 s poll each: 5 × 730 × 180.
    expect(idleEsmReceivesPerMonth(1)).toBe(657_000);
  });
  it('prices the idle inventory', () => {
    const items = priceIdle(
      {
        alarmMetrics: { standard: 10, highResolution: 0, composite: 0 },
        dashboards: 1,
        customMetrics: 2,
        kmsKeys: 1,
        scheduled: NO_USAGE,
        sqsMappings: 0,
        pollersPerMapping: 5,
        cognitoMauAboveFree: 0,
      },
      list,
    );
    expect(totalUsd(items)).toBeCloseTo(1 + 3 + 0.6 + 1, 6);
  });
});

describe('the container design', () => {
  it('is billed by the hour whatever the traffic', () => {
    const items = priceContainerIdle(
      {
        eksClusters: 1,
        nodes: { priceKey: 'ec2.t3.medium.hour', count: 2, ebsGb: 0 },
        rds: { priceKey: 'rds.postgres.db.t3.micro.singleAz.hour', storageGb: 0, storagePriceKey: 'rds.gp2.multiAzGbMonth' },
        cache: { priceKey: 'elasticache.cache.t3.micro.hour', count: 0 },
        natGateways: 0,
        albs: 0,
        publicIpv4: 0,
        ecrGb: 0,
        alarms: 0,
        dashboards: 0,
      },
      list,
    );
    expect(totalUsd(items)).toBeCloseTo(730 * (0.1 + 2 * 0.0416 + 0.018), 6);
  });
});
