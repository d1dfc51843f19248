/**
 * What the acceptance suite runs against, and how it gets what a user would: customer tokens and merchant keys from
 * the project's own CLIs (npm run token / merchant-key), the ordering switch and the game-day faults through
 * npm run ordering / game-day, and the LostOrders alarm's state from the target's CloudWatch.
 *   offline     no --stack: the running `npm start` (.offline/endpoints.json; SHOPWAVE_OFFLINE_DIR moves it)
 *   localstack  --stack with AWS_ENDPOINT_URL set: tokens from the development issuer (`token --publish`)
 *   aws         --stack otherwise: Cognito ID tokens from the environment (README "Customer tokens on AWS"), or
 *               minted for acceptance-<customerId> users of the stack's pool (`token --cognito`) when none is set
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { httpClient, type Http } from './http';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

export type TargetKind = 'offline' | 'localstack' | 'aws';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface AcceptanceContext {
  api: Http;
  kind: TargetKind;
  stack?: string;
  /** A customer's bearer token; throws naming how to provide one when there is none. */
  token(customerId: string): Promise<string>;
  /** A key for one merchant's tablet routes (npm run merchant-key). */
  merchantKey(merchantId: string): Promise<string>;
  /** `npm run -s <script> -- <args>`, with --stack added on a deployed target; bounded in time. */
  cli(script: 'token' | 'merchant-key' | 'ordering' | 'game-day', args: string[]): Promise<CliResult>;
  /** The LostOrders alarm's state on the target (ALARM, OK, INSUFFICIENT_DATA), undefined when it has none. */
  lostOrdersAlarm(): Promise<string | undefined>;
  /** Bounds of the waits: an order to settle, the SLI alarm to fire. */
  orderTimeoutMs: number;
  sliTimeoutMs: number;
}

/** SHOPWAVE_ID_TOKEN_C_ALICE for c-alice (SHOPWAVE_ID_TOKEN also works for c-alice). */
export const tokenVariable = (customerId: string) => `SHOPWAVE_ID_TOKEN_${customerId.toUpperCase().replace(/-/g, '_')}`;

/** The CLIs running now: a Ctrl-C stops them before restoring (a switch landing after the restore would stick). */
const RUNNING = new Set<ReturnType<typeof spawn>>();
export const stopRunningClis = () => {
  for (const child of RUNNING) child.kill('SIGTERM');
};

function runCli(script: string, args: string[], timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', script, '--', ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    RUNNING.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs / 1000} s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      RUNNING.delete(child);
      resolve({ code: null, stdout, stderr: `${stderr}${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      RUNNING.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CLI's exit code and what it said last: a thrown error's message, else its last stderr line. */
export function cliReason(r: CliResult): string {
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.find((l) => /^\w*Error\b.*:/.test(l) || /^\w+Exception\b/.test(l));
  const last = lines.filter((l) => !/^Node\.js v\d/.test(l) && !l.startsWith('at ')).slice(-1)[0];
  return `exit ${r.code}: ${error ?? last ?? '(no output)'}`;
}

export function acceptanceContext(opts: {
  url: string;
  stack?: string;
  orderTimeoutMs: number;
  sliTimeoutMs: number;
  env?: NodeJS.ProcessEnv;
}): AcceptanceContext {
  const env = opts.env ?? process.env;
  const kind: TargetKind = !opts.stack ? 'offline' : env.AWS_ENDPOINT_URL ? 'localstack' : 'aws';
  const api = httpClient(opts.url);
  const stackArgs = opts.stack ? ['--stack', opts.stack] : [];
  const cli: AcceptanceContext['cli'] = (script, args) => runCli(script, [...args, ...stackArgs], 180_000);

  // One token per customer and one key per merchant for the whole run: each is a CLI call.
  const tokens = new Map<string, Promise<string>>();
  const token = (customerId: string) => {
    if (!tokens.has(customerId)) {
      tokens.set(
        customerId,
        (async () => {
          if (kind === 'aws') {
            const value = env[tokenVariable(customerId)] ?? (customerId === 'c-alice' ? env.SHOPWAVE_ID_TOKEN : undefined);
            if (value) return value.trim();
          }
          // aws without a token in the environment: the stack's user pool mints one (tools/cognito-tokens.ts).
          const flag = { offline: [], localstack: ['--publish'], aws: ['--cognito'] }[kind];
          const r = await cli('token', [customerId, ...flag]);
          const out = r.stdout.trim();
          if (r.code !== 0 || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(out))
            throw new Error(`no token for ${customerId} (npm run token ${cliReason(r)})`);
          return out;
        })(),
      );
    }
    return tokens.get(customerId)!;
  };
  const keys = new Map<string, Promise<string>>();
  const merchantKey = (merchantId: string) => {
    if (!keys.has(merchantId)) {
      keys.set(
        merchantId,
        (async () => {
          const r = await cli('merchant-key', [merchantId]);
          const out = r.stdout.trim();
          if (r.code !== 0 || !out.startsWith('mk_'))
            throw new Error(`no merchant key for ${merchantId} (npm run merchant-key ${cliReason(r)})`);
          return out;
        })(),
      );
    }
    return keys.get(merchantId)!;
  };

  const lostOrdersAlarm = async () => {
    if (kind === 'offline') {
      // The offline platform's CloudWatch (its alarms, evaluated from the template) through its /ops API, beside the API.
      const res = await api.request<{ alarms: { alarmName: string; state: string }[] }>('GET', '/ops/api/game-day');
      if (res.status !== 200) throw new Error(`GET /ops/api/game-day answered ${res.status}`);
      return res.body.alarms.find((a) => /(^|-)LostOrders$/.test(a.alarmName))?.state;
    }
    const { MetricAlarms } = await new CloudWatchClient({}).send(new DescribeAlarmsCommand({ AlarmNames: [`${opts.stack}-LostOrders`] }));
    return MetricAlarms?.[0]?.StateValue;
  };

  return {
    api,
    kind,
    stack: opts.stack,
    token,
    merchantKey,
    cli,
    lostOrdersAlarm,
    orderTimeoutMs: opts.orderTimeoutMs,
    sliTimeoutMs: opts.sliTimeoutMs,
  };
}
