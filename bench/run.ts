/**
 * `npm run bench`: what the platform costs, measured rather than guessed.
 * - bundle size of every function (what Lambda downloads on a cold start);
 * - cold init: time to import each bundle in a fresh Node process with the function's template environment
 *   (median of several runs; the module-level work a cold start pays before the first event);
 * - offline end to end: orders placed through the API until DELIVERED, latency percentiles.
 * Writes bench/results.json next to this file. Run `npm run synth` (or `npm start` once) first.
 * `--profile provider-faults` measures a flaky payment provider instead (bench/provider-faults.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TERMINAL_STATUSES } from '../functions/orders/status';
import { loadPlatformModel } from '../offline/runtime/template-model';

const root = path.resolve(import.meta.dirname, '..');
// The demo-speed template includes the simulated actors' delays (tablet 1.5 s, courier 4 × 1 s): the end-to-end
// numbers are the platform's own latency plus those.
const outdir = path.join(root, 'cdk.out');
const templatePath = path.join(outdir, 'ShopWave.template.json');
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 20);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function coldInitMs(file: string, env: Record<string, string>): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', ...env, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  return Number(out.trim().split('\n').at(-1));
}

/** `--name value` from the command line (npm run bench -- --profile provider-faults …). */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  if (!existsSync(templatePath)) throw new Error(`${templatePath} not found: run 'npm run synth' first`);
  const profile = arg('profile');
  if (profile === 'provider-faults') {
    const { measureProviderFaults } = await import('./provider-faults');
    const template = arg('template');
    await measureProviderFaults({
      root,
      templatePath: template ? path.resolve(root, template, 'ShopWave.template.json') : templatePath,
      label: arg('label') ?? 'latest',
      orders: Number(arg('orders') ?? 30),
      failureRate: Number(arg('failure-rate') ?? 0.3),
      maxSeconds: Number(arg('max-seconds') ?? 600),
    });
    return;
  }
  if (profile !== undefined) throw new Error(`unknown bench profile '${profile}' (known: provider-faults)`);
  const model = loadPlatformModel(JSON.parse(readFileSync(templatePath, 'utf8')), {
    stackName: 'ShopWave',
    assetRoot: outdir,
    naming: { region: 'us-east-1', accountId: '000000000000', sqsEndpoint: 'http://127.0.0.1:9', resourcePrefix: '' },
  });

  const functions = model.functions.map((fn) => {
    const file = ['index.mjs', 'index.js'].map((f) => path.join(fn.codeDirectory ?? '', f)).find(existsSync);
    if (!file) throw new Error(`no bundle for ${fn.logicalId}`);
    const runs = Array.from({ length: COLD_RUNS }, () => coldInitMs(file, fn.environment)).sort((a, b) => a - b);
    return {
      function: fn.logicalId,
      bundleKiB: Math.round(statSync(file).size / 1024),
      coldInitMedianMs: Math.round(percentile(runs, 50)),
    };
  });
  console.table(functions);

  const endToEnd = await measureEndToEnd();
  console.table([endToEnd]);
  const results = { measuredAt: new Date().toISOString(), node: process.version, coldRuns: COLD_RUNS, functions, endToEnd };
  writeFileSync(path.join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('written bench/results.json');
}

/** Places ORDERS orders (5 at a time) on a fresh offline platform and times each from POST to DELIVERED. */
async function measureEndToEnd(): Promise<Record<string, number>> {
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
    return { orders: latencies.length, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), maxMs: latencies.at(-1)! };
  } finally {
    await platform.stop();
  }
}

await main();
