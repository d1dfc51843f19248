/**
 * The folders depend on each other in one direction only, so each can be read, changed and reused on its own:
 * the generic offline runtime runs any CDK template and knows nothing of ShopWave, scripts/ holds entry points that
 * nothing imports, and no two folders import each other (directly or round a loop). A linter's import-cycle rule
 * sees cycles between modules; these are cycles between folders, which it does not see (offline/ops.ts importing
 * scripts/redrive.ts while scripts/token.ts imported offline/dev-issuer.ts was one, with no module cycle).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const SOURCE_DIRS = ['bin', 'lib', 'functions', 'offline', 'tools', 'scripts', 'test', 'bench'];

function walk(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return walk(rel);
    return /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Every module specifier of a file: static imports and re-exports, side-effect imports, dynamic import(). */
function specifiers(source: string): string[] {
  const found = [
    ...source.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/gms),
    ...source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ];
  return found.map((m) => m[1]);
}

function resolveRelative(from: string, spec: string): string | undefined {
  const base = path.posix.join(path.posix.dirname(from), spec);
  return [base, `${base}.ts`, `${base}.mjs`, `${base}/index.ts`].find((c) => existsSync(path.join(ROOT, c)) && /\.(ts|mjs)$/.test(c));
}

/** The folder a file belongs to for layering: top level, except offline/, whose two halves are layers of their own. */
const folderOf = (file: string) => {
  const [top, second] = file.split('/');
  return top === 'offline' ? `offline/${second}` : top;
};

interface ModuleInfo {
  imports: string[]; // repo files
  packages: string[]; // bare specifiers
  unresolved: string[];
}

const modules = new Map<string, ModuleInfo>();
for (const file of SOURCE_DIRS.filter((d) => existsSync(path.join(ROOT, d))).flatMap(walk)) {
  const info: ModuleInfo = { imports: [], packages: [], unresolved: [] };
  for (const spec of specifiers(readFileSync(path.join(ROOT, file), 'utf8'))) {
    if (!spec.startsWith('.')) info.packages.push(spec);
    else {
      const target = resolveRelative(file, spec);
      if (target) info.imports.push(target);
      else info.unresolved.push(spec);
    }
  }
  modules.set(file, info);
}
const isTest = (file: string) => file.endsWith('.test.ts');

/** Folder → folders it imports, from every module that is not itself a test (tests may reach anywhere). */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const [file, info] of modules) {
    if (isTest(file)) continue;
    for (const target of info.imports) {
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from === to) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      graph.get(from)!.set(to, `${file} → ${target}`);
    }
  }
  return graph;
}

/** A cycle as the list of import edges that make it, or undefined. */
function findCycle(graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') {
      const loop = [...stack.slice(stack.indexOf(node)), node];
      return loop.slice(1).map((to, i) => graph.get(loop[i])!.get(to)!);
    }
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every repo module `file` loads, itself included. */
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const next of modules.get(file)?.imports ?? []) closure(next, seen);
  return seen;
}

describe('the import graph between folders', () => {
  it('reads every relative import it checks (a typo would hide an edge)', () => {
    expect(modules.size).toBeGreaterThan(100);
    const unresolved = [...modules].flatMap(([file, info]) => info.unresolved.map((s) => `${file}: '${s}'`));
    expect(unresolved).toEqual([]);
  });

  it('has no cycle between folders', () => {
    expect(findCycle(folderGraph())).toBeUndefined();
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const graph = new Map([
      ['offline/shopwave', new Map([['scripts', 'offline/shopwave/ops.ts → scripts/redrive.ts']])],
      ['scripts', new Map([['offline/shopwave', 'scripts/token.ts → offline/shopwave/dev-issuer.ts']])],
    ]);
    expect(findCycle(graph)).toEqual(['offline/shopwave/ops.ts → scripts/redrive.ts', 'scripts/token.ts → offline/shopwave/dev-issuer.ts']);
  });

  it('keeps the generic offline runtime free of the application: it imports only itself and packages', () => {
    const outside = [...modules]
      .filter(([file]) => folderOf(file) === 'offline/runtime')
      .flatMap(([file, info]) => info.imports.filter((t) => folderOf(t) !== 'offline/runtime').map((t) => `${file} → ${t}`));
    expect(outside).toEqual([]);
  });

  it('keeps scripts/ to entry points: nothing imports a module of scripts/', () => {
    const importers = [...modules].flatMap(([file, info]) =>
      info.imports.filter((t) => t.startsWith('scripts/')).map((t) => `${file} → ${t}`),
    );
    expect(importers).toEqual([]);
  });

  it('keeps aws-cdk-lib out of the development issuer and the token CLI', () => {
    for (const entry of ['tools/dev-issuer.ts', 'scripts/token.ts']) {
      const loaded = [...closure(entry)].filter((f) =>
        modules.get(f)!.packages.some((p) => p === 'aws-cdk-lib' || p.startsWith('aws-cdk-lib/') || p === 'constructs'),
      );
      expect(loaded, entry).toEqual([]);
    }
  });

  // The X-Ray SDK under Powertools Tracer creates a cls-hooked namespace when loaded: an async hook with destroy
  // tracking on every promise of the process. In the offline platform's own process (pollers, gateway, emulators)
  // that was ~5 % of its CPU, measured with bench/cpu-profile.ts; the handlers' bundles load it in their workers.
  it('keeps Powertools Tracer and the SDK clients of the handlers out of the offline platform process', () => {
    for (const entry of [
      'offline/shopwave/cli.ts',
      'offline/shopwave/game-day-run.ts',
      'test/support/platform.ts',
      'bench/load-profiles.ts',
    ]) {
      const loaded = [...closure(entry)].filter(
        (f) =>
          f === 'functions/shared/aws-clients.ts' || modules.get(f)!.packages.some((p) => p.startsWith('@aws-lambda-powertools/tracer')),
      );
      expect(loaded, entry).toEqual([]);
    }
  });
});
