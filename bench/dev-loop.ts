/**
 * `npm run bench -- --profile dev-loop`: what a developer waits for.
 * - `npm start`'s two phases: the synth (`node scripts/synth.mjs`) forced, then again with nothing changed (the
 *   cache keyed on its inputs, tools/synth-inputs.mjs, skips it), and the offline platform from the template to
 *   ready (emulators up, template wired, demo data seeded), median of `runs` starts;
 * - `npm test`'s phases, with `tests: true` (about half an hour on 2 cores): lint, synth for tests, typecheck and
 *   vitest, each timed as package.json's "test" runs it, vitest's time split by project (main in parallel, timing
 *   one file at a time) and its slowest files from its JSON report. Each phase is timed even when it fails; a failed
 *   phase is reported, not hidden.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TIMING_SENSITIVE } from '../test/support/timing-sensitive';
import { median } from './stats';

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function timed(root: string, command: string, args: string[]): { seconds: number; exit: number | null } {
  const started = performance.now();
  const r = spawnSync(command, args, {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { seconds: seconds(performance.now() - started), exit: r.status };
}

/** The offline platform from the synthesized template to ready, as `npm start` brings it up (demo data included). */
async function platformStartMs(root: string): Promise<number> {
  const { startPlatform } = await import('../offline/shopwave/platform');
  const { seedDemoData } = await import('../tools/seed-data');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
  const started = performance.now();
  const platform = await startPlatform({ templatePath: path.join(root, 'cdk.out', 'ShopWave.template.json'), port: 0, logs: 'silent' });
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
    return performance.now() - started;
  } finally {
    await platform.stop();
  }
}

interface VitestReport {
  startTime: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; startTime: number; endTime: number }[];
}

export async function measureDevLoop(opts: { root: string; runs: number; tests: boolean }): Promise<Record<string, unknown>> {
  const { root } = opts;
  const synthForced = timed(root, 'node', ['scripts/synth.mjs', '--force']);
  const synthCached = timed(root, 'node', ['scripts/synth.mjs']);
  const starts: number[] = [];
  for (let i = 0; i < opts.runs; i++) starts.push(await platformStartMs(root));
  const platformReadyS = seconds(median(starts)!);
  const start = {
    synthForcedS: synthForced.seconds,
    synthCachedS: synthCached.seconds,
    platformReadyS,
    // What `npm start` takes to answer when nothing changed, and after a change to the code or the stack.
    npmStartCachedS: seconds((synthCached.seconds + platformReadyS) * 1000),
    npmStartAfterChangeS: seconds((synthForced.seconds + platformReadyS) * 1000),
  };
  console.table([start]);
  if (!opts.tests) return { start };

  const report = path.join(mkdtempSync(path.join(tmpdir(), 'shopwave-bench-tests-')), 'vitest.json');
  const phases = {
    lint: timed(root, 'npx', ['biome', 'check', '--error-on-warnings', '.']),
    synth: timed(root, 'node', ['scripts/synth.mjs', '--test']),
    typecheck: timed(root, 'npx', ['tsc', '--noEmit']),
    vitest: timed(root, 'npx', ['vitest', 'run', '--reporter=dot', '--reporter=json', `--outputFile=${report}`]),
  };
  const r = JSON.parse(readFileSync(report, 'utf8')) as VitestReport;
  const files = r.testResults.map((f) => ({
    file: path.relative(root, f.name),
    project: (TIMING_SENSITIVE as readonly string[]).includes(path.relative(root, f.name)) ? 'timing' : 'main',
    seconds: seconds(f.endTime - f.startTime),
  }));
  // The timing project runs after main, one file at a time: its files' sum is its wall time.
  const byProject = (p: string) => seconds(files.filter((f) => f.project === p).reduce((s, f) => s + f.seconds * 1000, 0));
  const tests = {
    wallS: seconds(Object.values(phases).reduce((s, p) => s + p.seconds * 1000, 0)),
    phases: Object.fromEntries(Object.entries(phases).map(([k, p]) => [k, { seconds: p.seconds, exit: p.exit }])),
    passed: r.numPassedTests,
    failed: r.numFailedTests,
    files: files.length,
    timingProjectSerialS: byProject('timing'),
    mainProjectFileSecondsSum: byProject('main'),
    slowest: files.sort((a, b) => b.seconds - a.seconds).slice(0, 12),
  };
  console.table(Object.entries(tests.phases).map(([phase, p]) => ({ phase, ...p })));
  console.table(tests.slowest);
  console.log(`npm test: ${tests.wallS} s (${tests.passed} passed, ${tests.failed} failed); the goal is under 300 s`);
  return { start, tests };
}
