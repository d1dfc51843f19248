#!/usr/bin/env node
/**
 * Synthesizes the template the offline runtime runs: `npm start` → cdk.out (demo speed), `npm test` → cdk.out.test
 * (simulated actors and the restaurant ack deadline at test speed). Same stack, same bundles, offline target.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const test = process.argv.includes('--test');
const outdir = test ? 'cdk.out.test' : 'cdk.out';
const args = ['synth', '--quiet', '--no-notices', '-c', 'target=offline', '-c', `speed=${test ? 'test' : 'demo'}`, '-o', outdir];
const started = Date.now();
const result = spawnSync(path.join(root, 'node_modules', '.bin', 'cdk'), args, {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  maxBuffer: 64 * 1024 * 1024,
  encoding: 'utf8',
  env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: '1' },
});
if (result.status !== 0) {
  // Bundling chatter is noise on success; on failure it is the evidence (cdk-nag findings, esbuild errors).
  process.stderr.write(
    `${result.stdout}\n${result.stderr}`
      .split('\n')
      .filter((l) => !/nodedir/.test(l))
      .join('\n'),
  );
  console.error(`cdk synth failed (exit ${result.status ?? result.signal}); run 'npx cdk synth -c target=offline' to see why`);
  process.exit(result.status ?? 1);
}
console.log(`synthesized ${outdir}/ShopWave.template.json in ${((Date.now() - started) / 1000).toFixed(1)} s`);
