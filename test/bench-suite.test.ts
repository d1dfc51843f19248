/**
 * `npm run bench`'s headline (bench/suite.ts) picks its figures from each profile's results: read against the
 * recorded runs in bench/results/, so a profile that renames a field turns a headline figure into null here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { headline, SUITE } from '../bench/suite';

const recorded = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'bench', 'results', `${name}.json`), 'utf8'));

describe('bench suite headline', () => {
  it('finds every figure of the recorded profiles, and only null for a part that did not run', () => {
    const parts = {
      bundles: recorded('bundles'),
      cost: recorded('cost'),
      latency: recorded('latency'),
      throughput: recorded('throughput.p99-10s'), // the 2 s run sustained no step (recorded under load): null there
      'dinner-rush': recorded('dinner-rush'),
    };
    const h = headline(parts);
    expect(h['bundle median KB']).toBe(parts.bundles.summary.bundleKB);
    expect(h['cold init median ms']).toBe(parts.bundles.summary.coldInitMs);
    const hop = parts.latency.hops.find((x: any) => x.hop === 'placed → received by restaurant');
    expect(h['placed → received p99 ms']).toBe(hop.p99Ms);
    expect(h['highest sustained orders/s']).toBe(parts.throughput.highestSustainedPerSecond);
    expect(h['$ per 100k orders (serverless)']).toBe(parts.cost.summary.serverlessPer100kOrdersUsd);
    expect(h['$ idle per month (containers)']).toBe(parts.cost.summary.containerIdlePerMonthUsd);
    for (const [metric, value] of Object.entries(h)) {
      const fromMissingPart = /demo|npm (start|test)/.test(metric);
      if (fromMissingPart) expect(value, metric).toBeNull();
      else expect(value, metric).not.toBeNull();
    }
  });

  it('runs every profile the bench knows for the platform, the long load runs after the quick ones', () => {
    expect([...SUITE]).toEqual(['bundles', 'cost', 'latency', 'throughput', 'dinner-rush', 'demo', 'dev-loop']);
  });
});
