/**
 * `npm run bench`: what the platform costs, measured rather than guessed. With no `--profile` it runs all of the
 * profiles below one after another, each in its own process (bench/suite.ts: ~9 min on 2 quiet cores; `--tests`
 * adds `npm test`, ~25 min more), and writes bench/results.json with every part and a headline table. Profiles
 * (`--profile <name>`):
 * - `demo`: bundle size and cold init per function, and offline end to end: orders placed through the API until
 *   DELIVERED (demo speed, so including the simulated actors' delays), latency percentiles → bench/results.demo.json;
 * - `bundles`: per function bundle and map size, cold init with and without source maps, bytes per package, and
 *   the runtime-SDK alternative (bench/bundles.ts) → bench/results.bundles.json;
 * - `provider-faults`: a flaky payment provider (bench/provider-faults.ts);
 * - `cost`: requests per order by service and their price, idle and beside seed 004's containers (bench/cost.ts).
 * - `latency`, `throughput`, `dinner-rush`: the platform's own per-hop latency, the highest order rate it sustains,
 *   and a dinner rush (ramp up, peak, ramp down), on the zero-speed template cdk.out.zero (`node scripts/synth.mjs
 *   --zero`) or against `--url` (bench/load-profiles.ts) → bench/results.<profile>.json.
 * - `dev-loop`: `npm start`'s synth (forced, and cached) and platform start; with `--tests` also `npm test`'s phases
 *   and slowest files (bench/dev-loop.ts).
 * Those files are scratch (git-ignored). `--record` also writes the run to bench/results/<profile>.json (or
 * <profile>.<label>.json with `--label`), the
 * committed reference with the machine, Node and commit it was measured on; `--compare <earlier.json>` prints every
 * metric of this run beside the earlier one with the ratio (`--with <later.json>` compares two files, running
 * nothing). `--template <dir>` measures another cloud assembly than cdk.out. Run `npm run synth` (or `npm start`
 * once) first. `--cpu-prof <dir>` (load profiles, offline) also samples the CPU of the main thread and of every
 * Lambda worker, writes the `.cpuprofile` files there and prints where the time went (bench/cpu-profile.ts); the
 * sampling slows the platform, so that run's latencies are not comparable with an unprofiled one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TERMINAL_STATUSES } from '../functions/orders/status';
import { loadPlatformModel } from '../offline/runtime/template-model';
import { compareResults, percentile } from './stats';

const root = path.resolve(import.meta.dirname, '..');

/** `--name value` from the command line (npm run bench -- --profile provider-faults …). */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

// The demo-speed template includes the simulated actors' delays (tablet 1.5 s, courier 4 × 1 s): the end-to-end
// numbers are the platform's own latency plus those.
// `--template <dir>`: another synthesized cloud assembly (another commit's cdk.out, for a before figure).
const LOAD_PROFILES = ['latency', 'throughput', 'dinner-rush'] as const;
type LoadProfile = (typeof LOAD_PROFILES)[number];
const loadProfile = (LOAD_PROFILES as readonly string[]).includes(arg('profile') ?? '') ? (arg('profile') as LoadProfile) : undefined;
// The load profiles measure the platform without the actors' delays: the zero-speed template.
const outdir = path.resolve(root, arg('template') ?? (loadProfile ? 'cdk.out.zero' : 'cdk.out'));
const templatePath = path.join(outdir, 'ShopWave.template.json');
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 20);

const round = (n: number | null) => (n === null ? null : Math.round(n));

/** Where a run was measured: the figures depend on the machine and on what else it was doing. */
function machine(): Record<string, unknown> {
  let commit: string | null = null;
  try {
    // -dirty: measured with uncommitted changes, so the commit alone does not say what was measured.
    commit = execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=7'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {}
  return {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    template: path.relative(root, outdir) || outdir,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    commit,
  };
}

function readResults(file: string): any {
  // npm runs scripts in the package root; INIT_CWD is where the command was typed.
  return JSON.parse(readFileSync(path.resolve(process.env.INIT_CWD ?? process.cwd(), file), 'utf8'));
}

function printComparison(before: any, after: any, beforeName: string): void {
  const rows = compareResults(before, after).filter((r) => !/^(machine|coldRuns)\b/.test(r.metric));
  console.log(
    `compared with ${beforeName} (${before.measuredAt ?? '?'}, Node ${before.machine?.node ?? before.node ?? '?'}): ratio = now ÷ then`,
  );
  console.table(rows);
}

async function main(): Promise<void> {
  const compare = arg('compare');
  const later = arg('with');
  if (compare && later) return printComparison(readResults(compare), readResults(later), compare);
  // The cost model (bench/cost.ts): its own template (test speed) and output.
  if (arg('profile') === 'cost') {
    const { measureCost } = await import('./cost');
    await measureCost({
      root,
      templateDir: arg('template'),
      orders: Number(arg('orders') ?? 50),
      record: process.argv.includes('--record'),
      label: arg('label'),
    });
    return;
  }
  const url = arg('url');
  const profile = arg('profile');
  if (profile === undefined && !url) {
    const { runSuite } = await import('./suite');
    return runSuite({ root, tests: process.argv.includes('--tests'), record: process.argv.includes('--record'), machine: machine() });
  }
  if (profile === 'dev-loop') {
    const { measureDevLoop } = await import('./dev-loop');
    const measured = await measureDevLoop({ root, runs: Number(arg('runs') ?? 3), tests: process.argv.includes('--tests') });
    return writeResults(profile, { profile, measuredAt: new Date().toISOString(), machine: machine(), ...measured });
  }
  if (!url && !existsSync(templatePath))
    throw new Error(`${templatePath} not found: run ${loadProfile ? "'node scripts/synth.mjs --zero'" : "'npm run synth'"} first`);
  if (profile === 'provider-faults') {
    const { measureProviderFaults } = await import('./provider-faults');
    await measureProviderFaults({
      root,
      templatePath,
      label: arg('label') ?? 'latest',
      orders: Number(arg('orders') ?? 30),
      failureRate: Number(arg('failure-rate') ?? 0.3),
      maxSeconds: Number(arg('max-seconds') ?? 600),
    });
    return;
  }
  if (profile !== undefined && profile !== 'bundles' && profile !== 'demo' && !loadProfile)
    throw new Error(
      `unknown bench profile '${profile}' (known: demo, bundles, provider-faults, cost, dev-loop, ${LOAD_PROFILES.join(', ')})`,
    );
  const startedAt = machine();
  if (loadProfile) {
    const { measureLoadProfile } = await import('./load-profiles');
    const cpuProfDir = arg('cpu-prof') && path.resolve(process.env.INIT_CWD ?? process.cwd(), arg('cpu-prof')!);
    const { profileCpu } = await import('./cpu-profile');
    const profiled = await profileCpu(cpuProfDir, () =>
      measureLoadProfile({
        profile: loadProfile,
        templatePath,
        url,
        unthrottled: process.argv.includes('--unthrottled'),
        arg,
      }),
    );
    return writeResults(loadProfile, {
      profile: loadProfile,
      measuredAt: new Date().toISOString(),
      machine: startedAt,
      ...profiled.result,
      ...(profiled.cpu && { cpuProfile: profiled.cpu }),
    });
  }
  const model = loadPlatformModel(JSON.parse(readFileSync(templatePath, 'utf8')), {
    stackName: 'ShopWave',
    assetRoot: outdir,
    naming: { region: 'us-east-1', accountId: '000000000000', sqsEndpoint: 'http://127.0.0.1:9', resourcePrefix: '' },
  });
  const { measureBundles } = await import('./bundles');
  const bundles = await measureBundles({ root, outdir, functions: model.functions, runs: COLD_RUNS, runtimeSdk: profile === 'bundles' });
  const table = bundles.functions.map((f) => ({
    function: f.function,
    'bundle KB': f.bundleKB,
    'map KB': f.mapKB,
    'cold init ms': f.coldInitMs,
    'no maps ms': f.coldInitNoMapsMs,
    'SDK KB': f.sdkKB,
    ...(profile === 'bundles' && { 'runtime-SDK KB': f.runtimeSdkBundleKB, 'runtime-SDK init ms': f.runtimeSdkColdInitMs }),
  }));
  console.table(table);
  const drifted = bundles.functions.filter((f) => f.rebuildMatchesAsset === false).map((f) => f.function);
  if (drifted.length)
    console.warn(`rebuilt with BUNDLING, these differ from their asset (stale cdk.out? run npm run synth): ${drifted.join(', ')}`);

  let results: Record<string, unknown>;
  if (profile === 'bundles') {
    console.table(bundles.packages.slice(0, 30));
    console.table([{ 'median of': 'functions', ...bundles.summary }]);
    results = { profile, measuredAt: new Date().toISOString(), machine: startedAt, coldRuns: COLD_RUNS, ...bundles };
  } else {
    const endToEnd = await measureEndToEnd();
    console.table([endToEnd]);
    results = {
      profile: 'demo',
      measuredAt: new Date().toISOString(),
      machine: startedAt,
      coldRuns: COLD_RUNS,
      functions: bundles.functions,
      endToEnd,
    };
  }
  writeResults(profile, results);
}

/** bench/results[.<profile>].json (scratch), and with --record the committed bench/results/<profile>[.<label>].json. */
function writeResults(profile: string | undefined, results: Record<string, unknown>): void {
  const compare = arg('compare');
  (results.machine as Record<string, unknown>).loadAverageAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
  const name = profile === undefined ? 'results.json' : `results.${profile}.json`;
  writeFileSync(path.join(root, 'bench', name), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written bench/${name}`);
  if (process.argv.includes('--record')) {
    const label = arg('label');
    const recorded = path.join(root, 'bench', 'results', `${profile ?? 'default'}${label ? `.${label}` : ''}.json`);
    mkdirSync(path.dirname(recorded), { recursive: true });
    writeFileSync(recorded, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`recorded ${path.relative(root, recorded)} (commit it with the change it measures)`);
  }
  if (compare) printComparison(readResults(compare), results, compare);
}

/** Places ORDERS orders (5 at a time) on a fresh offline platform and times each from POST to DELIVERED. */
async function measureEndToEnd(): Promise<Record<string, number | null>> {
  const { startPlatform } = await import('../offline/shopwave/platform');
  const { seedDemoData } = await import('../tools/seed-data');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
  const platform = await startPlatform({ templatePath, port: 0, logs: 'silent' });
  try {
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: platform.endpoints.dynamodb,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );
    await seedDemoData({
      doc,
      tableName: (k) => platform.tableName({ catalog: 'DataCatalog', customers: 'DataCustomers', inventory: 'DataInventory' }[k]),
    });
    const auth = { authorization: `Bearer ${await platform.issuer.sign('c-alice')}` };
    const one = async (): Promise<number> => {
      const started = Date.now();
      const res = await fetch(`${platform.apiUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ merchantId: 'm-sushi', items: [{ productId: 'p-miso-soup', quantity: 1 }] }),
      });
      const { orderId } = (await res.json()) as { orderId: string };
      for (;;) {
        const order = (await (await fetch(`${platform.apiUrl}/orders/${orderId}`, { headers: auth })).json()) as { status: string };
        if (order.status === 'DELIVERED') return Date.now() - started;
        if ((TERMINAL_STATUSES as readonly string[]).includes(order.status)) throw new Error(`order ${orderId} ended ${order.status}`);
        if (Date.now() - started > 120_000) throw new Error(`order ${orderId} stuck at ${order.status}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const latencies: number[] = [];
    for (let i = 0; i < ORDERS; i += 5) latencies.push(...(await Promise.all(Array.from({ length: Math.min(5, ORDERS - i) }, one))));
    latencies.sort((a, b) => a - b);
    return {
      orders: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p95Ms: round(percentile(latencies, 95)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: latencies.at(-1)!,
    };
  } finally {
    await platform.stop();
  }
}

await main();
