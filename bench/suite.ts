/**
 * `npm run bench` without `--profile`: every profile, one after another, each in its own process (a profile's
 * platform, workers and emulators are gone before the next starts), then bench/results.json with all of them and a
 * headline table: per-hop latency, sustained orders/s, bundle size, cold init, dollars per 100k orders beside the
 * container design, `npm start` and (with `--tests`) `npm test`. A profile that fails is reported as failed, and the
 * run exits 1 after the others ran.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compareResults } from './stats';

/** In this order: the cheap ones first, the long load runs after, npm test (optional) last. */
export const SUITE = ['bundles', 'cost', 'latency', 'throughput', 'dinner-rush', 'demo', 'dev-loop'] as const;

type Json = any;

/** The figures a reader compares first, picked from each profile's results (null when a part did not run). */
export function headline(parts: Record<string, Json>): Record<string, number | string | null> {
  const hop = (name: string) => parts.latency?.hops?.find?.((h: Json) => h.hop === name);
  const placedToReceived = hop('placed → received by restaurant');
  return {
    'bundle median KB': parts.bundles?.summary?.bundleKB ?? null,
    'cold init median ms': parts.bundles?.summary?.coldInitMs ?? null,
    'placed → received p50 ms (latency profile)': placedToReceived?.p50Ms ?? null,
    'placed → received p99 ms': placedToReceived?.p99Ms ?? null,
    'highest sustained orders/s': parts.throughput?.highestSustainedPerSecond ?? null,
    'dinner rush delivered': parts['dinner-rush']?.delivered ?? null,
    'demo order → DELIVERED p50 ms': parts.demo?.endToEnd?.p50Ms ?? null,
    '$ per 100k orders (serverless)': parts.cost?.summary?.serverlessPer100kOrdersUsd ?? null,
    // The containers' cost is their fixed month; per order they add little (the marginal figure).
    '$ per 100k orders, marginal (containers)': parts.cost?.summary?.containerPer100kOrdersUsd ?? null,
    '$ idle per month (serverless)': parts.cost?.summary?.serverlessIdlePerMonthUsd ?? null,
    '$ idle per month (containers)': parts.cost?.summary?.containerIdlePerMonthUsd ?? null,
    'npm start, nothing changed s': parts['dev-loop']?.start?.npmStartCachedS ?? null,
    'npm start after a change s': parts['dev-loop']?.start?.npmStartAfterChangeS ?? null,
    'npm test s': parts['dev-loop']?.tests?.wallS ?? null,
  };
}

export async function runSuite(opts: { root: string; tests: boolean; record: boolean; machine: Record<string, unknown> }) {
  const { root } = opts;
  const started = Date.now();
  // The templates the profiles run: demo (cdk.out), zero (load profiles), test speed (cost); each skipped when cached.
  for (const speed of [[], ['--zero'], ['--test']]) {
    const r = spawnSync('node', ['scripts/synth.mjs', ...speed], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`node scripts/synth.mjs ${speed.join(' ')} failed (exit ${r.status})`);
  }
  const parts: Record<string, Json> = {};
  const status: Record<string, { exit: number | null; seconds: number }> = {};
  for (const profile of SUITE) {
    const t0 = Date.now();
    console.log(`\n== bench --profile ${profile}`);
    const args = ['tsx', 'bench/run.ts', '--profile', profile];
    if (profile === 'dev-loop' && opts.tests) args.push('--tests');
    if (opts.record) args.push('--record');
    const r = spawnSync('npx', args, { cwd: root, stdio: 'inherit', env: process.env });
    status[profile] = { exit: r.status, seconds: Math.round((Date.now() - t0) / 1000) };
    const file = path.join(root, 'bench', `results.${profile}.json`);
    // A failed profile's file (if any) is an earlier run's: left out.
    if (r.status === 0 && existsSync(file)) parts[profile] = JSON.parse(readFileSync(file, 'utf8'));
  }
  const summary = headline(parts);
  const results = {
    profile: 'all',
    measuredAt: new Date().toISOString(),
    machine: opts.machine,
    minutes: Math.round((Date.now() - started) / 6000) / 10,
    status,
    summary,
    parts,
  };
  writeFileSync(path.join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('\n== every profile');
  console.table(Object.entries(status).map(([profile, s]) => ({ profile, ...s })));
  console.table(Object.entries(summary).map(([metric, value]) => ({ metric, value })));
  console.log('written bench/results.json');
  if (opts.record) {
    const recorded = path.join(root, 'bench', 'results', 'all.json');
    mkdirSync(path.dirname(recorded), { recursive: true });
    writeFileSync(recorded, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`recorded ${path.relative(root, recorded)} (commit it with the change it measures)`);
  }
  const compare = process.argv[process.argv.indexOf('--compare') + 1];
  if (process.argv.includes('--compare') && compare) {
    const before = JSON.parse(readFileSync(path.resolve(process.env.INIT_CWD ?? process.cwd(), compare), 'utf8'));
    console.log(`compared with ${compare}: ratio = now ÷ then`);
    console.table(compareResults({ summary: before.summary }, { summary }));
  }
  if (Object.values(status).some((s) => s.exit !== 0)) process.exitCode = 1;
}
