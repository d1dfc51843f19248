/**
 * ShopWave offline: the generic runtime (offline/runtime/) running ShopWave's synthesized template, plus what only
 * ShopWave has — the development issuer's public keys published where the customer routes look for them, the
 * game-day faults (SHOPWAVE_FAULTS on every function) and the /ops page beside the API.
 */
import path from 'node:path';
import { FAULTS_ENV } from '../../functions/shared/game-day';
import { DevIssuer } from '../../tools/dev-issuer';
import { runTemplate, type RunTemplateOptions, type RuntimeServices, type TemplateRuntime } from '../runtime/run-template';
import { opsHandler } from './ops';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** As lib/constructs/public-api.ts's metric filter writes it (test/e2e/freshness-and-auth-alarms.test.ts holds the two equal). */
export const API_THROTTLED_METRIC = { namespace: 'ShopWave', name: 'ApiThrottledRequests' } as const;

export interface PlatformOptions
  extends Pick<RunTemplateOptions, 'port' | 'dynamodbEndpoint' | 'resourcePrefix' | 'timeScale' | 'onAlarm' | 'apiLimits'> {
  /** Default: what `npm start` synthesized, cdk.out/ShopWave.template.json. */
  templatePath?: string;
  stackName?: string;
  /** Signs customer tokens; default: the key pair in .offline/ (created at first start). Tests pass an ephemeral one. */
  issuer?: DevIssuer;
  extraFunctionEnv?: Record<string, string>;
  /** 'file' (default): .offline/logs/<function>.log. */
  logs?: 'console' | 'file' | 'silent';
}

/** The runtime, less `setFunctionEnv`: here the function environment is the options' plus the faults, set by `setFaults`. */
export interface Platform extends Omit<TemplateRuntime, 'setFunctionEnv'> {
  /** The development issuer whose public keys the handlers trust: `issuer.sign('c-alice')` is a customer token. */
  issuer: DevIssuer;
  /** Switches game-day faults (functions/shared/game-day.ts) on every function; [] clears them. */
  setFaults(faults: string[]): void;
  faults(): string[];
}

export async function startPlatform(opts: PlatformOptions = {}): Promise<Platform> {
  const issuer = opts.issuer ?? (await DevIssuer.load());
  let activeFaults: string[] = [];
  // A scaled runtime tells the consumers, so their retry backoff (functions/shared/retry-policy.ts) scales with the queues.
  const scaleEnv: Record<string, string> = (opts.timeScale ?? 1) !== 1 ? { SHOPWAVE_OFFLINE_TIME_SCALE: String(opts.timeScale) } : {};
  const functionEnv = () => ({
    ...scaleEnv,
    ...opts.extraFunctionEnv,
    ...(activeFaults.length ? { [FAULTS_ENV]: activeFaults.join(',') } : {}),
  });
  // Set by localPages, which runs before the API answers: the faults switch of the /ops page needs the runtime.
  let services: RuntimeServices | undefined;
  const setFaults = (faults: string[]) => {
    activeFaults = [...faults];
    services!.setFunctionEnv(functionEnv());
    services!.log('game-day', 'stdout', JSON.stringify({ faults: activeFaults, at: new Date().toISOString() }));
  };

  const runtime = await runTemplate({
    templatePath: opts.templatePath ?? path.join(ROOT, 'cdk.out', 'ShopWave.template.json'),
    stackName: opts.stackName ?? 'ShopWave',
    port: opts.port,
    dynamodbEndpoint: opts.dynamodbEndpoint,
    resourcePrefix: opts.resourcePrefix,
    timeScale: opts.timeScale,
    onAlarm: opts.onAlarm,
    apiLimits: opts.apiLimits,
    // The template's access-log metric filter for throttled requests (lib/constructs/public-api.ts), which the
    // generic runtime does not model: 1 per 429, 0 otherwise (its default value).
    onApiRequest: ({ status }, s) =>
      s.metrics.put({ ...API_THROTTLED_METRIC, dimensions: {}, value: status === 429 ? 1 : 0, unit: 'Count', timestamp: Date.now() }),
    functionEnv: functionEnv(),
    logs: (opts.logs ?? 'file') === 'file' ? { directory: path.join(ROOT, '.offline', 'logs') } : (opts.logs as 'console' | 'silent'),
    // Publish the development issuer's public keys where the customer routes look for them (the template says where).
    beforeFunctions: ({ model, parameters }) => {
      for (const name of new Set(model.functions.map((f) => f.environment.AUTH_JWKS_PARAMETER).filter(Boolean)))
        parameters.put(name, JSON.stringify(issuer.jwks()));
    },
    localPages: (s) => {
      services = s;
      return opsHandler({
        model: s.model,
        metrics: s.metrics,
        alarms: s.alarms,
        sqs: s.sqsClient(),
        doc: s.documentClient(),
        timeScale: s.timeScale,
        inspectQueue: s.inspectQueue,
        faults: { active: () => [...activeFaults], set: setFaults },
      });
    },
  });
  return { ...runtime, issuer, setFaults, faults: () => [...activeFaults] };
}
