/**
 * The acceptance suite (npm run acceptance, docs/acceptance.md) against an offline platform, as a user runs it: a
 * child process that finds the platform through SHOPWAVE_OFFLINE_DIR (endpoints.json and the development issuer's
 * key, both written here) and calls the project's CLIs the same way. Every check, seed 001's detection included,
 * must pass with exit 0; against a loopback server answering wrongly it must fail with exit 1 naming the checks;
 * a bad argument is exit 2.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointsOf } from '../../offline/shopwave/platform';
import { ORDERING_OPEN } from '../../functions/shared/ordering-state';
import { CHECKS } from '../../tools/acceptance/checks';
import { DevIssuer } from '../../tools/dev-issuer';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
// As test/e2e/lost-orders.test.ts: one metric minute lasts 8 s, so LostOrders can fire within a test's time.
const TIME_SCALE = 2 / 15;

function acceptance(offlineDir: string, args: string[], timeoutMs: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn('npm', ['run', '-s', 'acceptance', '--', ...args], {
      cwd: ROOT,
      env: { ...process.env, SHOPWAVE_OFFLINE_DIR: offlineDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('npm run acceptance against the offline platform', () => {
  let t: TestPlatform;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'acceptance-'));
    // The key pair `npm run token` signs with (SHOPWAVE_OFFLINE_DIR/dev-issuer-key.json) is the one the platform trusts.
    t = await startTestPlatform({ issuer: await DevIssuer.load(path.join(dir, 'dev-issuer-key.json')), timeScale: TIME_SCALE });
    writeFileSync(path.join(dir, 'endpoints.json'), JSON.stringify(endpointsOf(t.platform)));
  });
  afterAll(() => t?.stop());

  it('passes every check, seed 001 detection included, and exits 0', async () => {
    const run = await acceptance(dir, ['--sli', '--order-timeout', '120', '--sli-timeout', '180'], 420_000);
    console.log(`${run.stdout}${run.stderr}(acceptance took ${(run.ms / 1000).toFixed(1)} s)`);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const check of CHECKS) expect(run.stdout).toMatch(new RegExp(`^PASS ${check.name.replace(/[()]/g, '\\$&')} \\(`, 'm'));
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(run.stdout).toMatch(new RegExp(`^PASSED: ${CHECKS.length}/${CHECKS.length} checks passed`, 'm'));
    // It restored what it switched: ordering open, no fault left on.
    expect(JSON.parse(t.platform.parameters.get(t.platform.model.outputs.OrderingParameterName)!)).toEqual(ORDERING_OPEN);
    expect(t.platform.faults()).toEqual([]);
  }, 480_000);

  it('fails the order check, and only it, while the restaurant drops orders', async () => {
    await t.platform.gameDay.inject('restaurant-drops-orders', 'acceptance test');
    try {
      const run = await acceptance(dir, ['--only', 'health,order delivered', '--order-timeout', '15'], 120_000);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toMatch(/^PASS health \(/m);
      expect(run.stdout).toMatch(
        /^FAIL order delivered \(.*\): .*(timed out after 15 s waiting for order \S+ to reach DELIVERED: it is CHARGED|ended CANCELLED)/m,
      );
    } finally {
      await t.platform.gameDay.clear('restaurant-drops-orders', 'acceptance test');
    }
  }, 150_000);
});

describe('npm run acceptance can fail', () => {
  let server: Server;
  let dir: string;
  beforeAll(async () => {
    // A loopback "platform" that is up but wrong: /health says 500, /ready says degraded, the catalog is empty.
    server = createServer((req, res) => {
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/health') json(500, { message: 'Internal server error' });
      else if (req.url === '/ready') json(503, { status: 'degraded', down: ['orders'] });
      else if (req.url?.startsWith('/merchants')) json(200, { items: [] });
      else json(404, { error: { code: 'NOT_FOUND' } });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    dir = mkdtempSync(path.join(tmpdir(), 'acceptance-wrong-'));
    writeFileSync(path.join(dir, 'endpoints.json'), JSON.stringify({ api: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('exits 1 naming each failing check and why', async () => {
    const run = await acceptance(dir, ['--only', 'health,readiness,catalog'], 60_000);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^FAIL health \(.*\): GET \/health answered 500, expected 200/m);
    expect(run.stdout).toMatch(/^FAIL readiness \(.*\): GET \/ready answered 503 degraded: down \["orders"\]/m);
    expect(run.stdout).toMatch(/^FAIL catalog \(.*\): GET \/merchants has no m-pizza/m);
    expect(run.stdout).toMatch(/^FAILED: 0\/3 checks passed .*; failed: health, readiness, catalog$/m);
  }, 90_000);

  it('exits 2 for a bad argument or a URL that is not the running platform', async () => {
    const bad = await acceptance(dir, ['--order-timeout', 'soon'], 60_000);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("--order-timeout 'soon' is not a whole number")]);
    const other = await acceptance(dir, ['--url', 'http://127.0.0.1:1'], 60_000);
    expect([other.code, other.stderr]).toEqual([2, expect.stringContaining('is not the running npm start')]);
    const unknown = await acceptance(dir, ['--only', 'helth'], 60_000);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining("no check named 'helth'")]);
  }, 120_000);
});
