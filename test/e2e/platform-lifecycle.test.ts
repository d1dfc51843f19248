/**
 * The offline platform leaves nothing behind: started in a child process (as `npm start` runs it) and SIGKILLed —
 * no handler runs — DynamoDB Local (a java grandchild) and every port the platform listened on stop accepting
 * connections within seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../offline/runtime/wait';
import { TEST_TEMPLATE } from '../support/platform';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** True when something accepts a TCP connection on 127.0.0.1:port within 500 ms. */
const accepting = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true)).once('error', () => done(false));
    socket.setTimeout(500, () => done(false));
  });

let child: ChildProcess | undefined;
afterAll(() => void child?.kill('SIGKILL'));

describe('platform lifecycle', () => {
  it('takes DynamoDB Local and every listener down with it when SIGKILLed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lifecycle-'));
    const script = path.join(dir, 'start.mts');
    writeFileSync(
      script,
      `import { DevIssuer } from ${JSON.stringify(path.join(ROOT, 'tools', 'dev-issuer.ts'))};
import { startPlatform } from ${JSON.stringify(path.join(ROOT, 'offline', 'shopwave', 'platform.ts'))};
const p = await startPlatform({ templatePath: ${JSON.stringify(TEST_TEMPLATE)}, port: 0, issuer: await DevIssuer.ephemeral(), logs: 'silent' });
console.log(JSON.stringify({ api: p.apiUrl, ...p.endpoints }));
`,
    );
    // node itself (not the tsx CLI, which would put a wrapper process between the signal and the platform).
    child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`the platform exited with ${code} before it was up`)));
    });
    const urls: Record<string, string> = JSON.parse(line);
    const ports = Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, Number(new URL(url).port)]));
    for (const [name, port] of Object.entries(ports)) expect(await accepting(port), `${name} :${port} up`).toBe(true);

    child.kill('SIGKILL');
    const started = Date.now();
    await waitFor(async () => !(await accepting(ports.dynamodb)), {
      timeoutMs: 5000,
      description: `DynamoDB Local :${ports.dynamodb} to stop accepting connections`,
    });
    console.log(`DynamoDB Local gone ${Date.now() - started} ms after SIGKILL of the platform`);
    for (const [name, port] of Object.entries(ports)) expect(await accepting(port), `${name} :${port} down`).toBe(false);
  }, 90_000);
});
