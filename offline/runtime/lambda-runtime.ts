/**
 * Runs the template's functions: each execution environment is a worker thread with the function's own
 * environment (the Worker `env` option), loading the bundle `cdk synth` built — the file Lambda would run.
 * An environment runs one invocation at a time; a function gets up to `maxEnvironments` of them (or its reserved
 * concurrency), and an invocation past the function's timeout kills its environment, as Lambda does.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { FunctionModel, OfflineNaming } from './model';

export type LogSink = (functionName: string, stream: 'stdout' | 'stderr', line: string) => void;
/** What Lambda would report to CloudWatch (AWS/Lambda Invocations, Errors, Duration) for one invocation. */
export type InvocationListener = (r: { functionName: string; durationMs: number; error?: string }) => void;

export class InvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    errorMessage: string,
  ) {
    super(`${functionName}: ${errorType}: ${errorMessage}`);
    this.name = 'InvocationError';
  }
}

interface Environment {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
  /** Started with an environment that has since changed: discarded after its current invocation. */
  stale?: boolean;
  /** The environment crashed or exited: never handed out again. */
  dead?: boolean;
  /** Fails the invocation in progress when the environment dies under it. */
  fail?: (err: InvocationError) => void;
}

const WORKER_FILE = path.join(import.meta.dirname, 'lambda-worker.mjs');

/**
 * SHOPWAVE_CPU_PROF_DIR=<dir> profiles every execution environment with V8's sampling profiler: each worker
 * writes `<function>.<n>.cpuprofile` there when it ends (`npm run bench -- --profile <load profile> --cpu-prof <dir>` sets it and reads them).
 */
let profiledEnvironments = 0;
function cpuProfileArgs(functionName: string): string[] {
  const dir = process.env.SHOPWAVE_CPU_PROF_DIR;
  if (!dir) return [];
  profiledEnvironments += 1;
  return ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`, `--cpu-prof-name=${functionName}.${profiledEnvironments}.cpuprofile`];
}

export class LambdaRuntime {
  private readonly pools = new Map<string, { fn: FunctionModel; envs: Environment[]; waiting: (() => void)[] }>();
  private stopped = false;

  constructor(
    functions: FunctionModel[],
    private options: {
      naming: OfflineNaming;
      endpointEnv: Record<string, string>;
      extraEnv?: Record<string, string>;
      logSink: LogSink;
      maxEnvironments?: number;
      onInvocation?: InvocationListener;
    },
  ) {
    for (const fn of functions) this.pools.set(fn.logicalId, { fn, envs: [], waiting: [] });
  }

  /**
   * Replaces the extra environment of every function (a fault injected or cleared, say), as
   * UpdateFunctionConfiguration does: idle environments are discarded now, busy ones after their invocation.
   */
  setExtraEnv(extraEnv: Record<string, string> | undefined): void {
    this.options.extraEnv = extraEnv;
    for (const pool of this.pools.values()) this.recycle(pool);
  }

  /**
   * Replaces the extra environment of one function (logical id or name) on top of every function's, as
   * UpdateFunctionConfiguration on that function alone: only its environments are recycled.
   */
  setFunctionExtraEnv(nameOrId: string, extraEnv: Record<string, string> | undefined): void {
    const fn = this.find(nameOrId);
    if (extraEnv && Object.keys(extraEnv).length) this.functionEnv.set(fn.logicalId, { ...extraEnv });
    else this.functionEnv.delete(fn.logicalId);
    this.recycle(this.pools.get(fn.logicalId)!);
  }

  functionExtraEnv(nameOrId: string): Record<string, string> {
    return { ...this.functionEnv.get(this.find(nameOrId).logicalId) };
  }

  private readonly functionEnv = new Map<string, Record<string, string>>();

  private recycle(pool: { envs: Environment[] }): void {
    for (const env of pool.envs) {
      if (env.busy) env.stale = true;
      else void env.worker.terminate();
    }
    pool.envs = pool.envs.filter((e) => e.busy);
  }

  find(nameOrId: string): FunctionModel {
    const pool = this.pools.get(nameOrId) ?? [...this.pools.values()].find((p) => p.fn.functionName === nameOrId || p.fn.arn === nameOrId);
    if (!pool) throw new Error(`no function '${nameOrId}' in the template`);
    return pool.fn;
  }

  private spawn(fn: FunctionModel): Environment {
    const [fileBase, exportName] = fn.handler.split('.');
    const file = ['.mjs', '.js'].map((ext) => path.join(fn.codeDirectory ?? '', fileBase + ext)).find(existsSync);
    if (!file) throw new Error(`no bundle for ${fn.logicalId} in ${fn.codeDirectory} (run cdk synth)`);
    const { naming } = this.options;
    const worker = new Worker(WORKER_FILE, {
      workerData: {
        file,
        exportName,
        functionName: fn.functionName,
        functionArn: fn.arn,
        memoryMb: fn.memorySize,
        logGroupName: `/aws/lambda/${fn.functionName}`,
      },
      env: {
        PATH: process.env.PATH ?? '',
        TZ: 'UTC',
        ...fn.environment,
        AWS_REGION: naming.region,
        AWS_DEFAULT_REGION: naming.region,
        AWS_ACCESS_KEY_ID: 'offline',
        AWS_SECRET_ACCESS_KEY: 'offline',
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        _HANDLER: fn.handler,
        POWERTOOLS_TRACE_ENABLED: 'false',
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...this.options.endpointEnv,
        ...this.options.extraEnv,
        ...this.functionEnv.get(fn.logicalId),
      },
      execArgv: ['--enable-source-maps', ...cpuProfileArgs(fn.functionName)],
      stdout: true,
      stderr: true,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: worker[stream] }).on('line', (line) => this.options.logSink(fn.functionName, stream, line));
    }
    let initFailed: (err: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      initFailed = reject;
    });
    ready.catch(() => undefined);
    const env: Environment = { worker, ready, busy: false };
    // Permanent listeners: a worker's uncaught exception (a timer firing after the handler returned, an unhandled
    // rejection) or process.exit() ends the environment, as it ends a Lambda sandbox; without an 'error' listener
    // it would crash this process. The environment leaves the pool, so the next invocation gets a fresh one.
    let reason: string | undefined;
    worker.on('error', (err) => {
      reason ??= `Runtime exited with error: ${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`;
      this.options.logSink(fn.functionName, 'stderr', `environment crashed: ${err?.stack ?? err}`);
    });
    worker.on('messageerror', (err) => (reason ??= `Runtime exited with error: ${err.message}`));
    worker.on('exit', (code) => {
      env.dead = true;
      const message = reason ?? `Runtime exited with error: exit status ${code}`;
      initFailed(new Error(message));
      env.fail?.(new InvocationError(fn.functionName, 'Runtime.ExitError', message));
      const pool = this.pools.get(fn.logicalId);
      if (pool?.envs.includes(env)) {
        pool.envs = pool.envs.filter((e) => e !== env);
        if (!env.busy) pool.waiting.shift()?.(); // a slot is free for a waiting invocation
      }
    });
    return env;
  }

  private async acquire(id: string): Promise<Environment> {
    const pool = this.pools.get(id)!;
    const max = Math.min(this.options.maxEnvironments ?? 2, pool.fn.reservedConcurrency ?? Infinity);
    for (;;) {
      if (this.stopped) throw new Error('runtime stopped');
      const idle = pool.envs.find((e) => !e.busy && !e.dead);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.envs.length < max) {
        const env = this.spawn(pool.fn);
        env.busy = true;
        pool.envs.push(env);
        return env;
      }
      await new Promise<void>((resolve) => pool.waiting.push(resolve));
    }
  }

  private release(id: string, env: Environment, discard: boolean): void {
    const pool = this.pools.get(id)!;
    env.busy = false;
    env.fail = undefined;
    if (discard || env.stale || env.dead) {
      pool.envs = pool.envs.filter((e) => e !== env);
      void env.worker.terminate();
    }
    pool.waiting.shift()?.();
  }

  async invoke<T = unknown>(nameOrId: string, event: unknown): Promise<T> {
    const fn = this.find(nameOrId);
    const env = await this.acquire(fn.logicalId);
    let discard = false;
    const started = Date.now();
    let error: string | undefined;
    try {
      await env.ready;
      const id = randomUUID();
      const timeoutMs = fn.timeoutSeconds * 1000;
      return await new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          discard = true; // Lambda freezes and throws away a timed-out environment
          env.worker.off('message', onMessage);
          reject(new InvocationError(fn.functionName, 'Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`));
        }, timeoutMs);
        // The environment died under this invocation (the 'exit' listener of spawn() calls it).
        env.fail = (err) => {
          discard = true;
          clearTimeout(timer);
          env.worker.off('message', onMessage);
          reject(err);
        };
        const onMessage = (msg: { id?: string; ok: boolean; result?: T; error?: { errorType: string; errorMessage: string } }) => {
          if (msg.id !== id) return;
          clearTimeout(timer);
          env.worker.off('message', onMessage);
          if (msg.ok) resolve(msg.result as T);
          else
            reject(
              new InvocationError(
                fn.functionName,
                msg.error?.errorType ?? 'Runtime.Unknown',
                msg.error?.errorMessage ?? 'no error message',
              ),
            );
        };
        env.worker.on('message', onMessage);
        if (env.dead) return env.fail(new InvocationError(fn.functionName, 'Runtime.ExitError', 'Runtime exited before the invocation'));
        try {
          env.worker.postMessage({ id, event, requestId: randomUUID(), deadline: Date.now() + timeoutMs });
        } catch (err) {
          env.fail(
            new InvocationError(fn.functionName, 'Runtime.Unknown', `event could not be passed to the runtime: ${(err as Error).message}`),
          );
        }
      });
    } catch (err) {
      if (!(err instanceof InvocationError)) discard = true; // failed to start
      const failure =
        err instanceof InvocationError ? err : new InvocationError(fn.functionName, 'Runtime.InitError', (err as Error).message);
      error = failure.errorType;
      throw failure;
    } finally {
      this.release(fn.logicalId, env, discard);
      this.options.onInvocation?.({ functionName: fn.functionName, durationMs: Date.now() - started, error });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.pools.values()].flatMap((p) => p.envs.map((e) => e.worker.terminate())));
    for (const p of this.pools.values()) for (const wake of p.waiting.splice(0)) wake();
  }
}
