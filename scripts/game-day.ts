/**
 * Game days (tools/game-day/; docs/game-days/README.md): the same scenario names on every target.
 *   npm run game-day -- list
 *   npm run game-day -- inject <scenario> [--stack S]     offline: the running `npm start`; --stack: AWS or LocalStack
 *   npm run game-day -- clear [<scenario>] [--stack S]    restores what was there before (from the injection log)
 *   npm run game-day -- status [--stack S]
 *   npm run game-day -- run <scenario> [--speed demo|test] [--mitigate] [--attach]   a whole game day offline, with the report
 *     (--attach: on the running `npm start` instead of a platform of its own)
 *   npm run game-day -- scorecard [--speed test|demo] [--only a,b] [--parallel N]
 *     every scenario (or those named) with --mitigate, each on a platform of its own; writes docs/game-days/scorecard.md
 *   npm run game-day -- report --stack S [--scenario name]   the report folder of the last injection on a deployed stack
 */
import { spawnSync } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { awsTarget, offlineApi } from '../tools/game-day/aws-target';
import { DevIssuer } from '../tools/dev-issuer';
import { ENDPOINTS_FILE } from '../tools/offline-dir';
import { clear, defaultLogFile, fileLog, inject, openInjections, whoAmI } from '../tools/game-day/inject';
import { describeLoad, startLoad } from '../tools/game-day/load';
import { runGameDay } from '../offline/shopwave/game-day-run';
import { SCENARIOS, scenarioNamed } from '../tools/game-day/scenarios';
import { mergeRows, readScorecard, rowPasses, writeScorecard } from '../tools/game-day/scorecard';
import { stackReport } from '../tools/game-day/stack-report';
import { runScorecard } from '../offline/shopwave/game-day-run';

const ROOT = path.resolve(import.meta.dirname, '..');
const USAGE = `usage: npm run game-day -- list | inject <scenario> [--stack S] | clear [<scenario>] [--stack S] | status [--stack S]
       | run <scenario> [--speed demo|test] [--mitigate] [--attach]
       | scorecard [--speed test|demo] [--only a,b] [--parallel N] | report --stack S [--scenario name]
scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let parsed: ReturnType<
  typeof parseArgs<{
    options: {
      stack: { type: 'string' };
      speed: { type: 'string' };
      mitigate: { type: 'boolean' };
      attach: { type: 'boolean' };
      only: { type: 'string' };
      parallel: { type: 'string' };
      scenario: { type: 'string' };
    };
    allowPositionals: true;
  }>
>;
try {
  parsed = parseArgs({
    options: {
      stack: { type: 'string' },
      speed: { type: 'string' },
      mitigate: { type: 'boolean' },
      attach: { type: 'boolean' },
      only: { type: 'string' },
      parallel: { type: 'string' },
      scenario: { type: 'string' },
    },
    allowPositionals: true,
  });
} catch (err) {
  fail((err as Error).message);
}
const { positionals, values } = parsed;
const [command, name, ...extra] = positionals;
if (extra.length) fail(`unexpected arguments: ${extra.join(' ')}`);
if (name !== undefined && !SCENARIOS.some((s) => s.name === name)) fail(`unknown scenario '${name}'`);
const by = whoAmI();

/**
 * The template a run starts must be built from this checkout: synthesize it unless its inputs are unchanged (the
 * synth cache makes that a fraction of a second), as `npm start` and `npm test` do.
 */
function ensureTemplate(speed: 'demo' | 'test'): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'synth.mjs'), ...(speed === 'test' ? ['--test'] : [])], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) fail(`synth failed (exit ${r.status ?? r.signal}): the platform cannot start`);
}

/** The running `npm start`, from .offline/endpoints.json. */
function offlineEndpoint(): string {
  const file = ENDPOINTS_FILE;
  if (!existsSync(file)) fail('no running offline platform (.offline/endpoints.json): start one with `npm start`, or pass --stack');
  return (JSON.parse(readFileSync(file, 'utf8')) as { api: string }).api;
}

/**
 * A traffic scenario's load (tools/game-day/load.ts), from this terminal against the target's API: offline the
 * running `npm start`, on a stack its ApiUrl output. Tokens: the development issuer (offline, LocalStack), or
 * GAME_DAY_TOKENS='{"c-alice":"<jwt>",...}' for a stack that trusts Cognito. It runs until it ends by itself, the
 * injection is cleared (`npm run game-day -- clear` in another terminal: polled every second), or Ctrl-C.
 */
async function runInjectedLoad(scenarioName: string, stack: string | undefined): Promise<void> {
  const scenario = scenarioNamed(scenarioName);
  const offline = stack ? undefined : await offlineApi(offlineEndpoint());
  const apiUrl = stack ? await stackOutput(stack, 'ApiUrl') : offlineEndpoint();
  const timeScale = offline ? ((await offline.status()).timeScale as number) : 1;
  const given = process.env.GAME_DAY_TOKENS ? (JSON.parse(process.env.GAME_DAY_TOKENS) as Record<string, string>) : undefined;
  const issuer = given ? undefined : await DevIssuer.load();
  const spec = scenario.inject.load!;
  if (spec.kind === 'flash-sale') {
    // A sale starts with its stock, as the runner's: restock the product (its reserved units stay as they are).
    const { doc, table } = stack
      ? { doc: DynamoDBDocumentClient.from(new DynamoDBClient({})), table: await stackOutput(stack, 'InventoryTableName') }
      : {
          doc: DynamoDBDocumentClient.from(
            new DynamoDBClient({
              endpoint: (JSON.parse(readFileSync(ENDPOINTS_FILE, 'utf8')) as { dynamodb: string }).dynamodb,
              region: 'us-east-1',
              credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' },
            }),
          ),
          table: Object.entries((await offline!.status()).tables as Record<string, string>).find(([id]) =>
            id.startsWith('DataInventory'),
          )![1],
        };
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `PRODUCT#${spec.productId}`, sk: 'STOCK' },
        UpdateExpression: 'SET available = :s',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':s': spec.stock },
      }),
    );
    console.log(`flash sale: ${spec.productId} restocked to ${spec.stock} available`);
  }
  const run = startLoad(spec, {
    apiUrl,
    minuteMs: 60_000 * timeScale,
    normalPerMinute: scenario.traffic.ordersPerMetricMinute,
    // Given tokens cannot be made expired or foreign: those probes are skipped.
    sign: async (c, o) => (given ? (o ? undefined : given[c]) : issuer!.sign(c, o)),
  });
  console.log(`load ${spec.kind} running against ${apiUrl}; \`npm run game-day -- clear\` or Ctrl-C stops it`);
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    run.stop();
  });
  const isOpen = async () =>
    offline
      ? ((await offline.status()).open as { scenario: string }[]).some((i) => i.scenario === scenarioName)
      : openInjections(fileLog(defaultLogFile(ROOT, stack!)), stack!).some((i) => i.scenario === scenarioName);
  const watcher = setInterval(
    () =>
      void isOpen().then(
        (open) => open || run.stop(),
        () => undefined,
      ),
    1000,
  );
  await run.done;
  clearInterval(watcher);
  console.log(describeLoad(run.summary));
  if (run.summary.unexpected.length || run.summary.leaks.length)
    console.log(JSON.stringify({ unexpected: run.summary.unexpected, leaks: run.summary.leaks }, null, 2));
  if (run.summary.stoppedBy === 'clear' && !interrupted) console.log('stopped: the injection was cleared');
  else console.log(`load done; \`npm run game-day -- clear${stack ? ` --stack ${stack}` : ''}\` closes the injection`);
}

async function stackOutput(stack: string, key: string): Promise<string> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const out = (await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.Outputs;
  const value = out?.find((o) => o.OutputKey === key)?.OutputValue;
  if (!value) fail(`stack ${stack} has no ${key} output`);
  return value;
}

switch (command) {
  case 'list':
    for (const s of SCENARIOS)
      console.log(`${s.name.padEnd(34)} ${s.title}\n${' '.repeat(35)}seed ${s.seed}; alarms: ${s.alarms.expected.join(', ')}`);
    break;
  case 'inject': {
    if (!name) fail('inject needs a scenario');
    if (values.stack) {
      const target = awsTarget(values.stack);
      const entry = await inject(target, fileLog(defaultLogFile(ROOT, values.stack)), scenarioNamed(name), by);
      console.log(JSON.stringify(entry, null, 2));
    } else console.log(JSON.stringify((await (await offlineApi(offlineEndpoint())).inject(name, by)).injected, null, 2));
    if (scenarioNamed(name).inject.load) await runInjectedLoad(name, values.stack);
    break;
  }
  case 'clear': {
    if (values.stack) {
      const cleared = await clear(awsTarget(values.stack), fileLog(defaultLogFile(ROOT, values.stack)), name, by);
      console.log(
        cleared.length ? cleared.map((c) => `cleared ${c.scenario} (injected ${c.at} by ${c.by})`).join('\n') : 'nothing injected',
      );
    } else {
      const { cleared } = await (await offlineApi(offlineEndpoint())).clear(name, by);
      console.log(
        cleared.length ? cleared.map((c: any) => `cleared ${c.scenario} (injected ${c.at} by ${c.by})`).join('\n') : 'nothing injected',
      );
    }
    break;
  }
  case 'status': {
    const open = values.stack
      ? openInjections(fileLog(defaultLogFile(ROOT, values.stack)), values.stack)
      : (await (await offlineApi(offlineEndpoint())).status()).open;
    if (!open.length) console.log('nothing injected');
    for (const i of open as ReturnType<typeof openInjections>)
      console.log(
        `${i.scenario}: injected ${i.at} by ${i.by}\n${i.changes.map((c) => `  ${c.kind} ${c.physical}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`).join('\n')}`,
      );
    break;
  }
  case 'run': {
    if (!name) fail('run needs a scenario');
    const speed = (values.speed ?? 'demo') as 'demo' | 'test';
    if (!['demo', 'test'].includes(speed)) fail(`--speed must be demo or test, got '${values.speed}'`);
    if (values.stack) fail('run is offline only; on a stack use inject, clear and report');
    // --attach: the running `npm start` (its speed is the one it was started with); else a platform of its own.
    if (values.attach) offlineEndpoint();
    const attach = values.attach ? ENDPOINTS_FILE : undefined;
    if (!attach) ensureTemplate(speed);
    const { result, reportDir } = await runGameDay(scenarioNamed(name), { speed, mitigate: values.mitigate ?? false, attach });
    console.log(
      `\nTTD: ${Object.entries(result.ttd)
        .map(([a, ms]) => `${a} ${ms === undefined ? 'not fired' : `${(ms / 1000).toFixed(1)} s`}`)
        .join(', ')}`,
    );
    console.log(`false leads: ${result.falseLeads.join(', ') || 'none'}`);
    console.log(
      `impact: ${result.impact.orders.affected} orders, ${result.impact.customersAffected} customers; money ${result.impact.money.reconciled ? 'reconciled' : 'NOT reconciled'}`,
    );
    if (result.recovery) console.log(`recovery: ${JSON.stringify(result.recovery)}`);
    console.log(`report: ${path.relative(ROOT, reportDir!)}/`);
    const missed = result.scenario.alarms.expected.filter((a) => result.ttd[a] === undefined);
    const lost = result.recovery && !(result.recovery.allTerminal && result.recovery.moneyReconciled && result.recovery.stockConserved);
    if (result.load) for (const c of result.load.checks) console.log(`load: ${c.ok ? 'ok' : 'FAILED'} ${c.name}: ${c.detail}`);
    if (result.baselineAlarms.length) console.log(`baseline not quiet: ${result.baselineAlarms.join(', ')} (TTDs not reliable)`);
    process.exit(missed.length || result.falseLeads.length || result.baselineAlarms.length || lost || result.load?.ok === false ? 1 : 0);
    break;
  }
  case 'scorecard': {
    if (name) fail('scorecard takes no scenario: use --only a,b');
    const speed = (values.speed ?? 'test') as 'demo' | 'test';
    if (!['demo', 'test'].includes(speed)) fail(`--speed must be demo or test, got '${values.speed}'`);
    const only = values.only?.split(',').map((x) => x.trim());
    const unknown = only?.filter((x) => !SCENARIOS.some((s) => s.name === x)) ?? [];
    if (unknown.length) fail(`--only: unknown scenario(s) ${unknown.join(', ')}`);
    const parallel = Number(values.parallel ?? 1);
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 6) fail(`--parallel must be an integer 1-6, got '${values.parallel}'`);
    const chosen = SCENARIOS.filter((s) => !only || only.includes(s.name));
    ensureTemplate(speed);
    const rows = await runScorecard(chosen, { speed, parallel });
    const jsonFile = path.join(ROOT, 'docs', 'game-days', 'scorecard.json');
    writeScorecard(jsonFile, jsonFile.replace(/json$/, 'md'), mergeRows(readScorecard(jsonFile), rows), SCENARIOS);
    for (const r of rows)
      console.log(
        `${r.scenario.padEnd(34)} ${r.detectedBy ?? 'NOT DETECTED'} ${r.ttdMs === undefined ? '' : `${(r.ttdMs / 1000).toFixed(1)} s`}  false leads: ${r.falseLeads.join(', ') || 'none'}  nothing lost: ${r.nothingLost}`,
      );
    console.log(`scorecard: ${path.relative(ROOT, jsonFile.replace(/json$/, 'md'))}`);
    process.exit(rows.every(rowPasses) ? 0 : 1);
    break;
  }
  case 'report': {
    if (!values.stack) fail('report needs --stack');
    const dir = await stackReport(ROOT, values.stack, { scenario: values.scenario ?? name });
    console.log(`report: ${path.relative(ROOT, dir)}/`);
    break;
  }
  default:
    fail(command ? `unknown command '${command}'` : 'no command');
}
