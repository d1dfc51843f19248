#!/usr/bin/env node
/**
 * Synthesizes the template the offline runtime runs: `npm start` → cdk.out (demo speed), `npm test` → cdk.out.test
 * (simulated actors and the restaurant ack deadline at test speed), `--zero` → cdk.out.zero (no deliberate delay at
 * all: what `npm run bench -- --profile latency|throughput|dinner-rush` measures). Same stack, same bundles, offline target.
 *
 * A synth takes 10–40 s; when none of its inputs changed since the last one into the same folder
 * (tools/synth-inputs.mjs: every file of bin/, lib/, functions/, the lockfiles, cdk.json, CDK_* variables, the
 * arguments, …) and that folder still holds the template and assets it wrote, it is skipped. `--force` synthesizes
 * anyway.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { changedInputs, synthInputs } from '../tools/synth-inputs.mjs';

const root = path.resolve(import.meta.dirname, '..');
const test = process.argv.includes('--test');
const zero = process.argv.includes('--zero');
const force = process.argv.includes('--force');
if (test && zero) throw new Error('--test and --zero are two speeds: give one');
const speed = test ? 'test' : zero ? 'zero' : 'demo';
const outdir = speed === 'demo' ? 'cdk.out' : `cdk.out.${speed}`;
const args = ['synth', '--quiet', '--no-notices', '-c', 'target=offline', '-c', `speed=${speed}`, '-o', outdir];
const templateFile = path.join(root, outdir, 'ShopWave.template.json');
// Written after a successful synth: the inputs it was made from, and a hash of the template it wrote.
const stampFile = path.join(root, outdir, 'shopwave-synth-inputs.json');
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** The last synth's stamp when the folder still holds exactly what it wrote (a manual `cdk synth -o` replaces it). */
function intactStamp() {
  if (!existsSync(stampFile) || !existsSync(templateFile)) return undefined;
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  if (stamp.template !== sha256(readFileSync(templateFile))) return undefined;
  const assets = JSON.parse(readFileSync(path.join(root, outdir, 'ShopWave.assets.json'), 'utf8')).files ?? {};
  const complete = Object.values(assets).every((a) => existsSync(path.join(root, outdir, a.source.path)));
  return complete ? stamp : undefined;
}

const started = Date.now();
const inputs = synthInputs(root, { args });
const stamp = intactStamp();
if (!force && stamp?.key === inputs.key) {
  console.log(`${outdir}/ShopWave.template.json is up to date (inputs unchanged; --force to synthesize anyway)`);
  process.exit(0);
}
const changed = changedInputs(stamp, inputs);
const shown = changed.length > 5 ? [...changed.slice(0, 5), `${changed.length - 5} more`] : changed;
const why = force ? '--force' : stamp ? `inputs changed: ${shown.join(', ')}` : 'no previous synth';
// Removed first: a synth that fails or is interrupted must not leave an old stamp beside a half-written folder.
rmSync(stampFile, { force: true });
process.stdout.write(`synthesizing ${outdir}… (${why})`);
const ticker = process.stdout.isTTY
  ? setInterval(() => process.stdout.write(`\rsynthesizing ${outdir}… (${why}) ${Math.round((Date.now() - started) / 1000)} s`), 1000)
  : undefined;
const child = spawn(path.join(root, 'node_modules', '.bin', 'cdk'), args, {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: '1' },
});
let output = '';
child.stdout.on('data', (d) => (output += d));
child.stderr.on('data', (d) => (output += d));
child.on('close', (code, signal) => {
  clearInterval(ticker);
  process.stdout.write('\n');
  if (code !== 0) {
    // Bundling chatter is noise on success; on failure it is the evidence (cdk-nag findings, esbuild errors).
    process.stderr.write(
      output
        .split('\n')
        .filter((l) => !/nodedir/.test(l))
        .join('\n'),
    );
    console.error(`cdk synth failed (exit ${code ?? signal}); run 'npx cdk synth -c target=offline' to see why`);
    process.exit(code ?? 1);
  }
  writeFileSync(stampFile, `${JSON.stringify({ ...inputs, template: sha256(readFileSync(templateFile)) }, null, 2)}\n`);
  console.log(`synthesized ${outdir}/ShopWave.template.json in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
