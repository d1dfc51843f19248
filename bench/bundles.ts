/**
 * `npm run bench -- --profile bundles`: what each function's bundle weighs and what a cold start pays to load it.
 * For every function of the synthesized template (cdk.out):
 * - bundle and source map size, as synthesized (what Lambda downloads and loads);
 * - cold init: import of the bundle in a fresh Node process with the function's template environment, median of
 *   BENCH_COLD_RUNS runs: as deployed (the template's NODE_OPTIONS, --enable-source-maps) and without source maps,
 *   plus the time of the first `Error.stack` after import (where a source map is read and decoded);
 * - where the bytes come from: the entry rebuilt with the same esbuild options (BUNDLING in
 *   lib/constructs/service-function.ts) and its metafile, summed per package;
 * - the alternative of the nodejs22.x runtime's own SDK: the same entry with `@aws-sdk/*` external, its size, and its
 *   cold init loading the SDK unbundled from node_modules, as the runtime loads its copy from /var/runtime.
 */
import { build, type BuildOptions } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLING, ENTRY_METADATA } from '../lib/constructs/service-function';
import type { FunctionModel } from '../offline/runtime/model';
import { median } from './stats';

const kb = (bytes: number) => Math.round(bytes / 1024);
const ms = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

/** The package a bundled input belongs to (`…/node_modules/@aws-sdk/core/dist-es/…` → `@aws-sdk/core`), or its folder. */
export function packageOf(input: string): string {
  const m = input.match(/.*node_modules\/((?:@[^/]+\/)?[^/]+)/);
  return m ? m[1] : input.split('/').slice(0, 2).join('/');
}

const isSdk = (pkg: string) => /^@(aws-sdk|smithy|aws-crypto)\//.test(pkg);

/** Entry file of each function, by construct path, from the construct metadata ServiceFunction adds. */
function entries(outdir: string, template: any): Map<string, string> {
  const metadata = JSON.parse(readFileSync(path.join(outdir, 'ShopWave.metadata.json'), 'utf8')) as Record<
    string,
    { type: string; data: string }[]
  >;
  const byPath = new Map<string, string>();
  for (const [constructPath, items] of Object.entries(metadata)) {
    const entry = items.find((i) => i.type === ENTRY_METADATA);
    if (entry) byPath.set(constructPath, entry.data);
  }
  const byLogicalId = new Map<string, string>();
  for (const [id, r] of Object.entries<any>(template.Resources)) {
    const cdkPath = r.Metadata?.['aws:cdk:path'] as string | undefined;
    const entry = cdkPath && byPath.get(`/${cdkPath.replace(/\/Resource$/, '')}`);
    if (entry) byLogicalId.set(id, entry);
  }
  return byLogicalId;
}

function esbuildOptions(root: string, entry: string, outfile: string, external: string[]): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    write: true,
    metafile: true,
    logLevel: 'silent',
    format: BUNDLING.format,
    target: BUNDLING.target,
    platform: BUNDLING.platform,
    mainFields: [...BUNDLING.mainFields],
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    external: [...BUNDLING.externalModules, ...external],
    banner: { js: BUNDLING.banner },
  };
}

interface ColdInit {
  initMs: number | null;
  /** Time to map the first stack frame into the bundle (the source map read and decoded); null without a map. */
  firstStackMs: number | null;
}

interface Variant {
  file: string;
  nodeOptions: string;
}

/**
 * Median import time of each variant in fresh processes with the function's `env`. The variants take turns, run by
 * run, so a neighbour's load on this shared machine weighs on each of them alike.
 */
function coldInits(variants: Variant[], env: Record<string, string>, runs: number): ColdInit[] {
  const samples = variants.map(() => [] as [number, number | null][]);
  for (let run = 0; run < runs; run++) {
    variants.forEach((v, i) => {
      const url = pathToFileURL(v.file).href;
      const script = [
        "import { findSourceMap } from 'node:module';",
        'const t0 = performance.now();',
        `await import(${JSON.stringify(url)});`,
        'const t1 = performance.now();',
        // What the first Error.stack through the bundle costs: findSourceMap is what --enable-source-maps consults.
        `const entry = findSourceMap(${JSON.stringify(url)})?.findEntry(1, 1000);`,
        'console.log(JSON.stringify([t1 - t0, entry ? performance.now() - t1 : null]));',
      ].join(' ');
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        // The handler's module-level code runs as on Lambda: its environment, fake credentials, no endpoint reached.
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'x',
          AWS_SECRET_ACCESS_KEY: 'x',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
          NODE_OPTIONS: v.nodeOptions,
        },
        encoding: 'utf8',
      });
      samples[i].push(JSON.parse(out.trim().split('\n').at(-1)!));
    });
  }
  return samples.map((s) => {
    const stacks = s.map((x) => x[1]).filter((x) => x !== null);
    return { initMs: ms(median(s.map((x) => x[0]))), firstStackMs: ms(median(stacks)) };
  });
}

export interface BundlesOptions {
  root: string;
  outdir: string;
  functions: FunctionModel[];
  runs: number;
  /** Also measure the runtime-SDK alternative (a second build and cold init per function). */
  runtimeSdk: boolean;
}

export async function measureBundles(opts: BundlesOptions) {
  const template = JSON.parse(readFileSync(path.join(opts.outdir, 'ShopWave.template.json'), 'utf8'));
  const entryOf = entries(opts.outdir, template);
  // Inside the project so the external-SDK variant resolves @aws-sdk/* from its node_modules, as the runtime's would.
  const scratch = path.join(opts.root, 'cdk.out.bench');
  rmSync(scratch, { recursive: true, force: true });
  const packages = new Map<string, number[]>();
  const functions: Record<string, unknown>[] = [];
  for (const fn of opts.functions) {
    const file = ['index.mjs', 'index.js'].map((f) => path.join(fn.codeDirectory ?? '', f)).find(existsSync);
    if (!file) throw new Error(`no bundle for ${fn.logicalId}`);
    const map = `${file}.map`;
    const nodeOptions = fn.environment.NODE_OPTIONS ?? '';
    const entry = entryOf.get(fn.logicalId);
    const variants: Variant[] = [
      { file, nodeOptions },
      { file, nodeOptions: nodeOptions.replace('--enable-source-maps', '').trim() },
    ];
    const runtimeSdkFile = path.join(scratch, fn.logicalId, 'runtime-sdk', 'index.mjs');
    if (entry && opts.runtimeSdk) {
      await build(esbuildOptions(opts.root, entry, runtimeSdkFile, ['@aws-sdk/*']));
      variants.push({ file: runtimeSdkFile, nodeOptions });
    }
    const [asDeployed, withoutMaps, runtimeSdk] = coldInits(variants, fn.environment, opts.runs);
    const row: Record<string, unknown> = {
      function: fn.logicalId,
      entry: entryOf.get(fn.logicalId) ?? null,
      bundleKB: kb(statSync(file).size),
      mapKB: existsSync(map) ? kb(statSync(map).size) : 0,
      coldInitMs: asDeployed.initMs,
      coldInitNoMapsMs: withoutMaps.initMs,
      firstStackMs: asDeployed.firstStackMs,
    };
    if (entry) {
      const outfile = path.join(scratch, fn.logicalId, 'index.mjs');
      mkdirSync(path.dirname(outfile), { recursive: true });
      const { metafile } = await build(esbuildOptions(opts.root, entry, outfile, []));
      const output = Object.values(metafile!.outputs).find((o) => o.entryPoint)!;
      const byPackage = new Map<string, number>();
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const pkg = packageOf(input);
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
      }
      for (const [pkg, bytes] of byPackage) packages.set(pkg, [...(packages.get(pkg) ?? []), bytes]);
      const sdkBytes = [...byPackage].filter(([p]) => isSdk(p)).reduce((s, [, b]) => s + b, 0);
      // A rebuild that differs from the asset means BUNDLING and the synthesized bundle drifted apart.
      row.rebuildMatchesAsset = statSync(outfile).size === statSync(file).size;
      row.sdkKB = kb(sdkBytes);
      if (runtimeSdk) {
        row.runtimeSdkBundleKB = kb(statSync(runtimeSdkFile).size);
        row.runtimeSdkColdInitMs = runtimeSdk.initMs;
      }
    }
    functions.push(row);
  }
  rmSync(scratch, { recursive: true, force: true });
  const byPackage = [...packages]
    .map(([pkg, sizes]) => ({
      package: pkg,
      functions: sizes.length,
      minKB: Math.round(Math.min(...sizes) / 102.4) / 10,
      maxKB: Math.round(Math.max(...sizes) / 102.4) / 10,
    }))
    .sort((a, b) => b.maxKB - a.maxKB);
  // Medians across the functions: one line per figure to compare runs by (`--compare`).
  const across = (field: string) => ms(median(functions.map((f) => f[field]).filter((v): v is number => typeof v === 'number')));
  const fields = [
    'bundleKB',
    'mapKB',
    'sdkKB',
    'coldInitMs',
    'coldInitNoMapsMs',
    'firstStackMs',
    'runtimeSdkBundleKB',
    'runtimeSdkColdInitMs',
  ];
  const summary = Object.fromEntries(fields.map((f) => [f, across(f)]).filter(([, v]) => v !== null));
  return { summary, functions, packages: byPackage };
}
