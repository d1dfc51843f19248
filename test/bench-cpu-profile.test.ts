/**
 * bench/cpu-profile.ts: the arithmetic of self time on a hand-made profile, the source-map lookup on a real
 * profile of an esbuild bundle (as the Lambda workers run them), and `profileCpu` around work on this thread.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuProfilesIn, MAIN_THREAD_PROFILE, packageOf, profileCpu, summarizeCpuProfiles } from '../bench/cpu-profile';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cpu-profile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Spins for `ms` in a function whose name the profile must show. */
function spinForCpuProfileTest(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  // Arithmetic between clock reads, so the self time is this function's and not the clock's.
  while (performance.now() < end) for (let i = 0; i < 100_000; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

describe('packageOf', () => {
  it('names the package under node_modules, the project folder, node internals and native frames', () => {
    expect(packageOf('/w/node_modules/@smithy/core/dist-cjs/index.js')).toBe('@smithy/core');
    expect(packageOf('/w/node_modules/a/node_modules/zod/lib/index.js')).toBe('zod');
    expect(packageOf('../../functions/orders/saga.ts')).toBe('functions/orders');
    expect(packageOf('/work/main/offline/runtime/sqs.ts')).toBe('offline/runtime');
    expect(packageOf('node:internal/streams/writable')).toBe('node internals');
    expect(packageOf('')).toBe('(native or V8)');
  });
});

describe('summarizeCpuProfiles', () => {
  it('sums self time per frame, leaves idle out of the busy time and ranks packages and functions', () => {
    const frame = (id: number, functionName: string, url = '') => ({
      id,
      callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 },
    });
    const profile = {
      nodes: [
        frame(1, '(root)'),
        frame(2, '(idle)'),
        frame(3, '(garbage collector)'),
        frame(4, 'send', 'file:///w/node_modules/@smithy/core/index.js'),
        frame(5, 'handler', 'file:///w/functions/orders/api.js'),
      ],
      startTime: 0,
      endTime: 1000_000,
      // µs: idle 600 ms, GC 100 ms, smithy 200 ms, handler 100 ms (two samples of 50).
      samples: [2, 3, 4, 5, 5],
      timeDeltas: [600_000, 100_000, 200_000, 50_000, 50_000],
    };
    const dir = path.join(tmp, 'synthetic');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'a.cpuprofile'), JSON.stringify(profile));
    writeFileSync(path.join(dir, 'b.cpuprofile'), JSON.stringify(profile));
    writeFileSync(path.join(dir, 'notes.txt'), 'not a profile');
    const files = cpuProfilesIn(dir);
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['a.cpuprofile', 'b.cpuprofile']);

    const s = summarizeCpuProfiles(files);
    expect(s).toMatchObject({ files: 2, sampledMs: 2000, busyMs: 800 });
    expect(s.byPackage).toEqual([
      { name: '@smithy/core', ms: 400, percent: 50 },
      { name: '(garbage collector)', ms: 200, percent: 25 },
      { name: 'functions/orders', ms: 200, percent: 25 },
    ]);
    expect(s.byFunction[0]).toEqual({ name: '@smithy/core index.js:send', ms: 400, percent: 50 });
    expect(s.byFunction.map((f) => f.name)).toContain('functions/orders api.js:handler');
  });

  it("maps a bundle's positions back to its sources through the bundle's .map", () => {
    // A bundle the way the handlers are built: esbuild, minified, its source map in a file beside it.
    const src = path.join(tmp, 'functions', 'demo');
    mkdirSync(src, { recursive: true });
    writeFileSync(
      path.join(src, 'hot.ts'),
      'export function burnTheCpu(ms: number): number {\n  const end = Date.now() + ms;\n  let x = 0;\n  while (Date.now() < end) for (let i = 0; i < 100000; i++) x = (x * 31 + i) % 1000003;\n  return x;\n}\n',
    );
    writeFileSync(path.join(src, 'index.ts'), "import { burnTheCpu } from './hot';\nconsole.log(burnTheCpu(400));\n");
    const bundle = path.join(tmp, 'out', 'index.mjs');
    buildSync({
      entryPoints: [path.join(src, 'index.ts')],
      bundle: true,
      minify: true,
      format: 'esm',
      sourcemap: 'external',
      outfile: bundle,
      platform: 'node',
    });
    const profDir = path.join(tmp, 'bundle-profile');
    execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, bundle], { stdio: 'ignore' });

    const s = summarizeCpuProfiles(cpuProfilesIn(profDir));
    expect(s.files).toBe(1);
    // Minified, the bundle's function has a one-letter name: the original one comes from the map.
    const hot = s.byFunction.find((f) => f.name.startsWith('functions/demo hot.ts:'));
    expect(hot, JSON.stringify(s.byFunction)).toBeDefined();
    expect(hot!.ms).toBeGreaterThan(200);
    expect(s.byPackage[0].name).toBe('functions/demo');
  });
});

describe('profileCpu', () => {
  it('only runs the work when no folder is given', async () => {
    const out = await profileCpu(undefined, async () => 42);
    expect(out).toEqual({ result: 42 });
  });

  it('profiles this thread, points new Lambda workers at the folder while the work runs, and summarizes both', async () => {
    const dir = path.join(tmp, 'around');
    let seen: string | undefined;
    const out = await profileCpu(dir, async () => {
      seen = process.env.SHOPWAVE_CPU_PROF_DIR;
      return spinForCpuProfileTest(300);
    });
    expect(seen).toBe(dir);
    expect(process.env.SHOPWAVE_CPU_PROF_DIR).toBeUndefined();
    expect(readdirSync(dir)).toEqual([MAIN_THREAD_PROFILE]);
    expect(out.cpu!.workers.files).toBe(0);
    expect(out.cpu!.mainThread.files).toBe(1);
    const spin = out.cpu!.mainThread.byFunction.find((f) => f.name.endsWith(':spinForCpuProfileTest'));
    expect(spin, JSON.stringify(out.cpu!.mainThread.byFunction)).toBeDefined();
    expect(spin!.ms).toBeGreaterThan(150);
  });

  it('refuses a folder that already holds profiles, so two runs are never summed together', async () => {
    await expect(profileCpu(path.join(tmp, 'around'), async () => 1)).rejects.toThrow(/already holds 1 \.cpuprofile/);
  });
});
