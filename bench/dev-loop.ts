/**
 * `npm run bench -- --profile dev-loop`: what a developer waits for.
 * - `npm start`: the synth (`node scripts/synth.mjs`) forced, then again with nothing changed (the cache keyed on
 *   its inputs, tools/synth-inputs.mjs, skips it), and the whole `npm start` from the command to GET /health
 *   answering 200, median of `runs` starts; after a change it is that plus the synth;
 * - `npm test`'s phases, with `tests: true` (about half an hour on 2 cores): lint, synth for tests, typecheck and
 *   vitest, each timed as package.json's "test" runs it, vitest's time split by project (main in parallel, timing
 *   one file at a time) and its slowest files from its JSON report. Each phase is timed even when it fails; a failed
 *   phase is reported, not hidden.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * `npm start` as a developer runs it, from the command to its API answering GET /health (synth skipped or not,
 * emulators up, template wired, demo data seeded, endpoints written), on a free port and its own offline folder
 * (SHOPWAVE_OFFLINE_DIR), so a developer's running `npm start` is not touched. Stopped with SIGINT, as Ctrl-C does.
 */
async function npmStartMs(root: string): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shopwave-bench-start-'));
  const endpoints = path.join(dir, 'endpoints.json');
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: root,
    detached: true, // its own process group: npm, tsx and the emulators stop together
    stdio: 'ignore',
    env: { ...process.env, PORT: '0', SHOPWAVE_OFFLINE_DIR: dir },
  });
  try {
    const deadline = started + 180_000;
    for (;;) {
      if (performance.now() > deadline) throw new Error('npm start did not answer GET /health within 180 s');
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`npm start exited (${child.exitCode ?? child.signalCode}) before answering`);
      if (existsSync(endpoints)) {
        const { api } = JSON.parse(readFileSync(endpoints, 'utf8')) as { api: string };
        const res = await fetch(new URL('health', api.endsWith('/') ? api : `${api}/`)).catch(() => undefined);
        if (res?.status === 200) return performance.now() - started;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    const running = () => child.exitCode === null && child.signalCode === null;
    // The whole group (npm, tsx, emulators); ESRCH: it is gone already.
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, s);
      } catch {}
    };
    if (running()) {
      const exited = new Promise((r) => child.once('exit', r));
      signal('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (running()) signal('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
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
  // After a change: the synth runs again (forced here), then the start. Nothing changed: the whole `npm start`.
  const synthForced = timed(root, 'node', ['scripts/synth.mjs', '--force']);
  const synthCached = timed(root, 'node', ['scripts/synth.mjs']);
  const starts: number[] = [];
  for (let i = 0; i < opts.runs; i++) starts.push(await npmStartMs(root));
  const npmStartCachedS = seconds(median(starts)!);
  const start = {
    synthForcedS: synthForced.seconds,
    synthCachedS: synthCached.seconds,
    runs: opts.runs,
    npmStartCachedS,
    npmStartAfterChangeS: seconds((synthForced.seconds - synthCached.seconds + npmStartCachedS) * 1000),
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
