/**
 * The acceptance suite (docs/acceptance.md): black-box checks of one deployment through its public API and the
 * project's own CLIs, one line per check, exit 0 when all pass, 1 when one fails, 2 for a bad argument.
 *   npm run acceptance                                          # the running `npm start` (.offline/endpoints.json)
 *   npm run acceptance -- --url "$API" --stack ShopWave         # a deployed stack (AWS, or LocalStack with
 *                                                               # AWS_ENDPOINT_URL=http://localhost:4566); without
 *                                                               # --url, the stack's ApiUrl output
 *   --sli                      also seed 001's detection: drop orders, see LostOrders go ALARM, clear, restore
 *   --only "health,search"     only the checks named (comma-separated)
 *   --order-timeout <s>        how long an order may take to settle (default 120)
 *   --sli-timeout <s>          how long LostOrders may take to fire (default 600)
 * On AWS the customer tokens are Cognito ID tokens from SHOPWAVE_ID_TOKEN_C_ALICE, _C_BOB and _C_DECLINED (README
 * "Customer tokens on AWS"). Only the given URL (or the offline platform on loopback) and the target's AWS APIs,
 * through the CLIs, are contacted.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CHECKS, PENDING_RESTORES } from '../tools/acceptance/checks';
import { runAcceptance } from '../tools/acceptance/runner';
import { acceptanceContext, stopRunningClis } from '../tools/acceptance/target';
import { ENDPOINTS_FILE } from '../tools/offline-dir';

const USAGE = `usage: npm run acceptance -- [--url <ApiUrl>] [--stack <name>] [--sli] [--only a,b] [--order-timeout <s>] [--sli-timeout <s>]
checks: ${CHECKS.map((c) => c.name).join(', ')}`;
function usage(reason: string): never {
  console.error(`${reason}\n${USAGE}`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      url: { type: 'string' },
      stack: { type: 'string' },
      sli: { type: 'boolean' },
      only: { type: 'string' },
      'order-timeout': { type: 'string', default: '120' },
      'sli-timeout': { type: 'string', default: '600' },
      help: { type: 'boolean' },
    },
    allowPositionals: false,
  }));
} catch (err) {
  usage((err as Error).message);
}
if (values.help) usage('');
const seconds = (name: string) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1 || n > 3600) usage(`--${name} '${values[name]}' is not a whole number of seconds from 1 to 3600`);
  return n * 1000;
};
const orderTimeoutMs = seconds('order-timeout');
const sliTimeoutMs = seconds('sli-timeout');
const stack = values.stack as string | undefined;
if (stack !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stack)) usage(`--stack '${stack}' is not a stack name`);
const only = typeof values.only === 'string' ? values.only.split(',').map((s) => s.trim()) : undefined;
const unknown = only?.filter((n) => !CHECKS.some((c) => c.name === n));
if (unknown?.length) usage(`--only: no check named ${unknown.map((n) => `'${n}'`).join(', ')}`);

let url = values.url as string | undefined;
if (!stack) {
  // Offline: the CLIs act on the running `npm start`, so the API checked must be that one.
  if (!existsSync(ENDPOINTS_FILE))
    usage(`no running offline platform (${ENDPOINTS_FILE}): start one with \`npm start\`, or pass --url and --stack`);
  const offlineApi = (JSON.parse(readFileSync(ENDPOINTS_FILE, 'utf8')) as { api: string }).api;
  if (url && url.replace(/\/+$/, '') !== offlineApi.replace(/\/+$/, ''))
    usage(`--url ${url} is not the running npm start (${offlineApi}), which the CLIs would act on: pass --stack for a deployed one`);
  url = offlineApi;
}
if (!url) {
  // A stack without --url: its ApiUrl output.
  const { Stacks } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack })).catch((err: Error) => {
    console.error(`cannot read stack ${stack}'s ApiUrl output (${err.name}: ${err.message}): pass --url`);
    process.exit(2);
  });
  url = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'ApiUrl')?.OutputValue;
  if (!url) usage(`stack ${stack} has no ApiUrl output: pass --url`);
}
try {
  if (!['http:', 'https:'].includes(new URL(url).protocol)) throw new Error();
} catch {
  usage(`--url '${url}' is not an http(s) URL`);
}

const ctx = acceptanceContext({ url, stack, orderTimeoutMs, sliTimeoutMs });
console.log(`acceptance: ${ctx.api.base} (${ctx.kind}${stack ? `, stack ${stack}` : ''})${values.sli ? ', with the SLI check' : ''}`);
// Ctrl-C in the middle of read-only mode or the SLI check: switch the target back before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, async () => {
    console.log(`${signal}: restoring what a check switched (${PENDING_RESTORES.size})…`);
    stopRunningClis();
    for (const restore of PENDING_RESTORES) {
      const failure = await restore();
      if (failure) console.log(failure);
    }
    process.exit(1);
  });
const started = Date.now();
const results = await runAcceptance(ctx, { sli: Boolean(values.sli), only });
const failed = results.filter((r) => !r.ok);
console.log(
  `${failed.length ? 'FAILED' : 'PASSED'}: ${results.length - failed.length}/${results.length} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s${
    failed.length ? `; failed: ${failed.map((r) => r.name).join(', ')}` : ''
  }`,
);
process.exit(failed.length ? 1 : 0);
