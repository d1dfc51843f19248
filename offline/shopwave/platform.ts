/**
 * ShopWave offline: the generic runtime (offline/runtime/) running ShopWave's synthesized template, plus what only
 * ShopWave has — the development issuer's public keys published where the customer routes look for them, the
 * game-day kit's offline target (per-function SHOPWAVE_FAULTS and rule changes, no restart; tools/game-day/) and
 * the /ops page beside the API.
 */
import path from 'node:path';
import { FAULTS_ENV } from '../../functions/shared/faults/config';
import {
  clear,
  type GameDayTarget,
  type Injection,
  inject,
  type InjectionLog,
  memoryLog,
  openInjections,
} from '../../tools/game-day/inject';
import { scenarioNamed } from '../../tools/game-day/scenarios';
import { DevIssuer } from '../../tools/dev-issuer';
import type { PlatformModel } from '../runtime/model';
import { runTemplate, type RunTemplateOptions, type RuntimeServices, type TemplateRuntime } from '../runtime/run-template';
import { opsHandler } from './ops';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface PlatformOptions
  extends Pick<
    RunTemplateOptions,
    'port' | 'dynamodbEndpoint' | 'resourcePrefix' | 'timeScale' | 'onAlarm' | 'apiLimits' | 'emf' | 'meterRequests'
  > {
  /** Default: what `npm start` synthesized, cdk.out/ShopWave.template.json. */
  templatePath?: string;
  stackName?: string;
  /** Signs customer tokens; default: the key pair in .offline/ (created at first start). Tests pass an ephemeral one. */
  issuer?: DevIssuer;
  extraFunctionEnv?: Record<string, string>;
  /** Also ship every function log line to a collector (the local archive `npm start` runs; log-shipper.ts). */
  shipLogs?: { url: string; spoolDir: string };
  /** 'file' (default): .offline/logs/<function>.log. */
  logs?: 'console' | 'file' | 'silent';
}

/** The game-day kit on this platform: the same scenario names as on AWS, injected into the running platform. */
export interface GameDay {
  target: GameDayTarget;
  log: InjectionLog;
  inject(scenario: string, by?: string): Promise<Injection>;
  /** Restores what was there before every open injection (or one scenario's). */
  clear(scenario?: string, by?: string): Promise<Injection[]>;
  open(): Injection[];
}

/** The runtime, less `setFunctionEnv` (the function environment is the options' plus the game day's). */
export interface Platform extends Omit<TemplateRuntime, 'setFunctionEnv'> {
  /** The development issuer whose public keys the handlers trust: `issuer.sign('c-alice')` is a customer token. */
  issuer: DevIssuer;
  gameDay: GameDay;
  /** Shorthand: clears every injection, then injects these scenarios (tools/game-day/scenarios/); [] clears. */
  setFaults(scenarios: string[]): Promise<void>;
  /** The scenarios injected now. */
  faults(): string[];
}

/** A function or rule by its watch name: the logical id is the name, 'Handler' for a construct's handler, and CDK's hash. */
export function byWatchName<T extends { logicalId: string }>(items: T[], watchName: string, what: string): T {
  const re = new RegExp(`^${watchName}(Handler)?[0-9A-F]{8}$`);
  const found = items.filter((i) => re.test(i.logicalId));
  if (found.length !== 1) throw new Error(`expected one ${what} named ${watchName}, found ${found.length}`);
  return found[0];
}

export function offlineTarget(
  services: Pick<RuntimeServices, 'envOf' | 'setEnvOf' | 'rules' | 'log'> & { model: PlatformModel },
): GameDayTarget {
  const fn = (watch: string) => byWatchName(services.model.functions, watch, 'function');
  const rule = (watch: string) => byWatchName(services.model.rules, watch, 'rule');
  return {
    name: 'offline',
    getFaultsVar: async (watch) => ({ physical: fn(watch).functionName, value: services.envOf(fn(watch).logicalId)[FAULTS_ENV] }),
    setFaultsVar: async (watch, value) => {
      const f = fn(watch);
      const env = services.envOf(f.logicalId);
      if (value === undefined) delete env[FAULTS_ENV];
      else env[FAULTS_ENV] = value;
      services.setEnvOf(f.logicalId, env);
      services.log(
        'game-day',
        'stdout',
        JSON.stringify({ function: f.functionName, [FAULTS_ENV]: value ?? null, at: new Date().toISOString() }),
      );
    },
    getRule: async (watch) => {
      const r = services.rules.describeRule(rule(watch).name);
      return { physical: r.name, state: r.state, eventPattern: r.eventPattern };
    },
    setRule: async (watch, state) => {
      services.rules.updateRule(rule(watch).name, state);
      services.log('game-day', 'stdout', JSON.stringify({ rule: rule(watch).name, ...state, at: new Date().toISOString() }));
    },
  };
}

export async function startPlatform(opts: PlatformOptions = {}): Promise<Platform> {
  const issuer = opts.issuer ?? (await DevIssuer.load());
  // Set by localPages, which runs before the API answers: the game-day switch of the /ops page needs the runtime.
  let gameDay: GameDay | undefined;
  // A scaled runtime tells the consumers, so their retry backoff (functions/shared/retry-policy.ts) scales with the queues.
  const scaleEnv: Record<string, string> = (opts.timeScale ?? 1) !== 1 ? { SHOPWAVE_OFFLINE_TIME_SCALE: String(opts.timeScale) } : {};

  const templatePath = opts.templatePath ?? path.join(ROOT, 'cdk.out', 'ShopWave.template.json');
  const runtime = await runTemplate({
    templatePath,
    stackName: opts.stackName ?? 'ShopWave',
    port: opts.port,
    dynamodbEndpoint: opts.dynamodbEndpoint,
    resourcePrefix: opts.resourcePrefix,
    timeScale: opts.timeScale,
    onAlarm: opts.onAlarm,
    apiLimits: opts.apiLimits,
    emf: opts.emf,
    shipLogs: opts.shipLogs,
    meterRequests: opts.meterRequests,
    functionEnv: { ...scaleEnv, ...opts.extraFunctionEnv },
    logs: (opts.logs ?? 'file') === 'file' ? { directory: path.join(ROOT, '.offline', 'logs') } : (opts.logs as 'console' | 'silent'),
    // Publish the development issuer's public keys where the customer routes look for them (the template says where).
    beforeFunctions: ({ model, parameters }) => {
      for (const name of new Set(model.functions.map((f) => f.environment.AUTH_JWKS_PARAMETER).filter(Boolean)))
        parameters.put(name, JSON.stringify(issuer.jwks()));
    },
    localPages: (s) => {
      const target = offlineTarget(s);
      const log = memoryLog();
      gameDay = {
        target,
        log,
        inject: (name, by) => inject(target, log, scenarioNamed(name), by),
        clear: (name, by) => clear(target, log, name, by),
        open: () => openInjections(log, target.name),
      };
      return opsHandler({
        model: s.model,
        metrics: s.metrics,
        alarms: s.alarms,
        sqs: s.sqsClient(),
        doc: s.documentClient(),
        timeScale: s.timeScale,
        inspectQueue: s.inspectQueue,
        gameDay,
      });
    },
  });
  const gd = gameDay!;
  const setFaults = async (scenarios: string[]) => {
    await gd.clear();
    for (const s of scenarios) await gd.inject(s);
  };
  return { ...runtime, issuer, gameDay: gd, setFaults, faults: () => gd.open().map((i) => i.scenario) };
}

/** What .offline/endpoints.json holds: where the project's CLIs (ordering, merchant-key, replay, redrive, game-day) find this platform. */
export function endpointsOf(platform: Platform) {
  return {
    api: platform.apiUrl,
    ssm: platform.endpoints.ssm,
    orderingParameter: platform.model.outputs.OrderingParameterName,
    dynamodb: platform.endpoints.dynamodb,
    restaurantTable: platform.model.outputs.RestaurantTableName,
    // npm run replay / redrive (tools/mitigation-target.ts)
    eventbridge: platform.endpoints.eventbridge,
    sqs: platform.endpoints.sqs,
    outboxTable: platform.model.outputs.OutboxTableName,
    eventBus: platform.model.outputs.EventBusName,
    idempotencyTable: platform.model.outputs.IdempotencyTableName,
    // npm run backup (tools/backup/drill.ts): every table by its logical id
    tables: Object.fromEntries(platform.model.tables.map((t) => [t.logicalId, t.tableName])),
    functions: Object.fromEntries(platform.model.functions.map((f) => [f.logicalId, f.functionName])),
  };
}
