/**
 * What a `cdk synth` of this app depends on, hashed, so `npm start` and `npm test` can reuse the last synthesized
 * template when none of it changed (scripts/synth.mjs). Plain JS: the synth step runs on bare `node`, without the
 * ~0.7 s of a TypeScript loader.
 *
 * Conservative on purpose (a stale template is a worse bug than a slow start): every file under the folders the
 * app and its bundles are built from, the manifests and lockfiles that pin the CDK, esbuild and every bundled
 * package, the CDK's own context files, every CDK_* variable, the Node version and the synth arguments. Only
 * `*.test.ts` files are left out: no app module or bundle entry imports a test.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Folders whose every file (tests aside) can change the template or a bundle. */
export const INPUT_DIRS = ['bin', 'lib', 'functions'];
/**
 * Single files that can: the CDK app and context, manifests and lockfiles (node_modules/.package-lock.json is what
 * is actually installed, which can differ from package-lock.json), the TypeScript settings tsx and esbuild read,
 * and the synth step itself.
 */
export const INPUT_FILES = [
  'cdk.json',
  'cdk.context.json',
  'package.json',
  'package-lock.json',
  'node_modules/.package-lock.json',
  'tsconfig.json',
  'scripts/synth.mjs',
  'tools/synth-inputs.mjs',
];

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

function walk(root, dir) {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return walk(root, rel);
    return e.name.endsWith('.test.ts') ? [] : [rel];
  });
}

/**
 * The inputs of a synth in `root` with `args` (the cdk command line): `files` maps each input file to its content
 * hash (a missing optional file is simply absent), `settings` the non-file inputs, `key` one hash of both.
 * @param {string} root
 * @param {{ args: string[], env?: NodeJS.ProcessEnv, home?: string }} options
 * @returns {{ key: string, files: Record<string, string>, settings: Record<string, string> }}
 */
export function synthInputs(root, { args, env = process.env, home = homedir() }) {
  const files = {};
  for (const rel of [...INPUT_DIRS.flatMap((d) => walk(root, d)), ...INPUT_FILES].sort()) {
    const abs = path.join(root, rel);
    if (existsSync(abs)) files[rel] = sha256(readFileSync(abs));
  }
  // The CDK CLI merges ~/.cdk.json into the context.
  const userConfig = path.join(home, '.cdk.json');
  if (existsSync(userConfig)) files['~/.cdk.json'] = sha256(readFileSync(userConfig));
  const settings = {
    args: JSON.stringify(args),
    node: process.version,
    env: JSON.stringify(
      Object.keys(env)
        .filter((k) => k.startsWith('CDK_'))
        .sort()
        .map((k) => [k, env[k]]),
    ),
  };
  return { key: sha256(JSON.stringify({ files, settings })), files, settings };
}

/**
 * Why `previous` (the inputs of the last synth) is not `current`: the changed, added and removed inputs by name,
 * or an empty list when they are the same.
 * @param {{ files: Record<string, string>, settings: Record<string, string> } | undefined} previous
 * @param {{ files: Record<string, string>, settings: Record<string, string> }} current
 * @returns {string[]}
 */
export function changedInputs(previous, current) {
  if (!previous) return [];
  const names = new Set([...Object.keys(previous.files), ...Object.keys(current.files)]);
  const files = [...names].filter((n) => previous.files[n] !== current.files[n]).sort();
  const settings = Object.keys(current.settings).filter((k) => previous.settings?.[k] !== current.settings[k]);
  return [...files, ...settings.map((s) => `(${s})`)];
}
