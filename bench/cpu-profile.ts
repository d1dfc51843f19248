/**
 * Where the CPU goes: reads V8 `.cpuprofile` files (the Lambda workers' from SHOPWAVE_CPU_PROF_DIR, the main
 * thread's from `node --cpu-prof`) and sums self time by package and by function, mapping bundle positions back
 * to sources through each bundle's `.map` (node:module's SourceMap, so no dependency). Used by
 * `npm run bench -- --profile <load profile> --cpu-prof <dir>` (bench/run.ts) and on its own:
 * `npx tsx bench/cpu-profile.ts <dir>…`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CpuShare {
  name: string;
  ms: number;
  percent: number;
}
export interface CpuProfileSummary {
  files: number;
  /** Sampled time in all the files (idle included), ms. */
  sampledMs: number;
  /** Sampled time spent running something (not `(idle)`), ms. */
  busyMs: number;
  byPackage: CpuShare[];
  byFunction: CpuShare[];
}

/** The package a source path belongs to: `@scope/name` or `name` under node_modules, else the project folder. */
export function packageOf(source: string): string {
  if (source.startsWith('node:') || source === '') return source === '' ? '(native or V8)' : 'node internals';
  const i = source.lastIndexOf('node_modules/');
  if (i >= 0) {
    const parts = source.slice(i + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  // Project sources: their first two folders (functions/orders, offline/runtime, lib/…).
  const rel = source.replace(/^.*?\/(functions|offline|lib|bench|test|tools|scripts)\//, '$1/');
  return rel.split('/').slice(0, 2).join('/');
}

const maps = new Map<string, SourceMap | null>();
function sourceMapFor(url: string): SourceMap | null {
  if (!maps.has(url)) {
    let map: SourceMap | null = null;
    try {
      const file = url.startsWith('file:') ? fileURLToPath(url) : url;
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {}
    maps.set(url, map);
  }
  return maps.get(url)!;
}

/** Where a sampled frame comes from: original source and function, through the bundle's source map when it has one. */
function locate(frame: CallFrame): { source: string; fn: string } {
  if (!frame.url) return { source: '', fn: frame.functionName || '(anonymous)' };
  const map = sourceMapFor(frame.url);
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; name?: string } | undefined;
  const source = entry?.originalSource ?? (frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url);
  return { source: source.replace(/^file:\/\//, ''), fn: frame.functionName || entry?.name || '(anonymous)' };
}

export function summarizeCpuProfiles(files: string[], top = 15): CpuProfileSummary {
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let sampledMs = 0;
  let idleMs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    for (const [id, us] of selfUs) {
      const frame = nodes.get(id)!.callFrame;
      const ms = us / 1000;
      sampledMs += ms;
      if (frame.functionName === '(idle)') {
        idleMs += ms;
        continue;
      }
      const special = /^\(.*\)$/.test(frame.functionName) && !frame.url;
      const { source, fn } = special ? { source: '', fn: frame.functionName } : locate(frame);
      const pkg = special ? frame.functionName : packageOf(source);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
      const where = source ? `${path.basename(source)}:${fn}` : fn;
      byFunction.set(`${pkg} ${where}`, (byFunction.get(`${pkg} ${where}`) ?? 0) + ms);
    }
  }
  const busyMs = sampledMs - idleMs;
  const rank = (m: Map<string, number>): CpuShare[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), percent: busyMs ? Number(((100 * ms) / busyMs).toFixed(1)) : 0 }));
  return {
    files: files.length,
    sampledMs: Math.round(sampledMs),
    busyMs: Math.round(busyMs),
    byPackage: rank(byPackage),
    byFunction: rank(byFunction),
  };
}

export function cpuProfilesIn(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(dir, f))
    : [];
}

/** The main thread's profile, written beside the workers' (which offline/runtime/lambda-runtime.ts names <function>.<n>). */
export const MAIN_THREAD_PROFILE = 'main-thread.cpuprofile';

/**
 * Runs `run` with every new Lambda worker profiled into `dir` (SHOPWAVE_CPU_PROF_DIR) and this thread profiled
 * through the inspector, then summarizes both. Without a dir it only runs `run`.
 */
export async function profileCpu<T>(
  dir: string | undefined,
  run: () => Promise<T>,
): Promise<{ result: T; cpu?: { dir: string; mainThread: CpuProfileSummary; workers: CpuProfileSummary } }> {
  if (!dir) return { result: await run() };
  mkdirSync(dir, { recursive: true });
  const stale = cpuProfilesIn(dir);
  if (stale.length > 0) throw new Error(`${dir} already holds ${stale.length} .cpuprofile files: give an empty folder`);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  process.env.SHOPWAVE_CPU_PROF_DIR = dir;
  let result: T;
  try {
    result = await run();
  } finally {
    delete process.env.SHOPWAVE_CPU_PROF_DIR;
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(dir, MAIN_THREAD_PROFILE), JSON.stringify(profile));
    session.disconnect();
  }
  const files = cpuProfilesIn(dir);
  const mainThread = summarizeCpuProfiles(files.filter((f) => path.basename(f) === MAIN_THREAD_PROFILE));
  const workers = summarizeCpuProfiles(files.filter((f) => path.basename(f) !== MAIN_THREAD_PROFILE));
  printSummary('main thread', mainThread, 15);
  printSummary('Lambda workers', workers, 15);
  return { result, cpu: { dir, mainThread, workers } };
}

function printSummary(title: string, s: CpuProfileSummary, rows: number): void {
  console.log(`\n${title}: ${s.files} profiles, ${s.busyMs} ms busy of ${s.sampledMs} ms sampled`);
  console.table(s.byPackage.slice(0, rows));
  console.table(s.byFunction.slice(0, rows));
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) {
  for (const dir of process.argv.slice(2)) {
    printSummary(dir, summarizeCpuProfiles(cpuProfilesIn(dir), 25), 25);
  }
}
