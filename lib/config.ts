import type { Node } from 'constructs';
import { DEFAULT_OTEL_LAYER_ARN, otelLayerWrapper } from './constructs/otel-tracing';

/**
 * Where the stack goes. One switch for everything that differs between targets:
 * - aws: a sandbox account; X-Ray active tracing, arm64.
 * - localstack: LocalStack community 4.14 via cdklocal; only what it deploys (no X-Ray), x86_64.
 * - offline: the template the offline runtime (offline/) reads; same resources as localstack.
 */
export type Target = 'aws' | 'localstack' | 'offline';
const TARGETS: Target[] = ['aws', 'localstack', 'offline'];

/**
 * How fast the simulated actors (tablet, courier, payment provider) play. `test` keeps end-to-end tests short;
 * `zero` removes every deliberate delay, so what is left is the platform's own latency (`npm run bench -- --profile latency`).
 */
export type SimulationSpeed = 'demo' | 'test' | 'zero';
/** Every speed, for the checks that validate a speed given on a command line. */
export const SIMULATION_SPEEDS: readonly SimulationSpeed[] = ['demo', 'test', 'zero'];

export interface TabletSimulatorConfig {
  ackDelayMs: number;
  rejectRate: number;
  silentRate: number;
  merchants: Record<string, 'ack' | 'reject' | 'silent'>;
}

/** `-c tracing=xray|otel`: who traces the functions on the aws target (lib/constructs/otel-tracing.ts). */
export type TracingMode = 'xray' | 'otel';
const TRACING_MODES: TracingMode[] = ['xray', 'otel'];

/** With tracing=otel: the ADOT Lambda layer and the OTLP/HTTP collector the functions export to. */
export interface OtelTracingConfig {
  /** `-c otelLayerArn=…`, default the us-east-1 ADOT layer (DEFAULT_OTEL_LAYER_ARN). */
  layerArn: string;
  /** `-c otelEndpoint=…`: the collector's base URL (https, no path); traces go to `<endpoint>/v1/traces`. */
  endpoint: string;
}

export interface PlatformConfig {
  target: Target;
  /**
   * `-c tracing=xray|otel` (default xray). xray: X-Ray active tracing and Powertools Tracer on the aws target. otel
   * (aws only; refused elsewhere: LocalStack community has no layers and the offline runtime loads none): the ADOT
   * layer exporting OTLP to `otel.endpoint`, X-Ray and the Powertools Tracer off. LocalStack and offline trace nothing
   * either way.
   */
  tracing: TracingMode;
  /** Set exactly when tracing is otel. */
  otel?: OtelTracingConfig;
  /** Seconds a restaurant has to acknowledge a paid order before it is cancelled and refunded (max 900: SQS delay). */
  restaurantAckDeadlineSeconds: number;
  /**
   * The delivery SLI's deadline: a charged order not received by the restaurant within it is "lost" until it is
   * received or compensated. Shorter than the ack deadline on purpose: people are paged before customers are
   * refunded automatically, so there is time to fix the path and redrive (docs/observability.md).
   */
  deliverySliSeconds: number;
  /**
   * TrackingNotIngested's threshold: analytics has expected tracking for an order and ingested none for longer.
   * A healthy first tracking point reaches analytics within seconds of the restaurant's receipt (hops plus one
   * courier step), so this is a wide margin; short enough that a game day sees the alarm within ~3 minutes.
   */
  trackingFreshnessSeconds: number;
  /**
   * Orders a minute the restaurants and couriers are planned for: OrderDemandAboveCapacity fires above it. The
   * game days' steady traffic is 2 to 8 a minute; dinner-rush ramps to ten times its 2. `-c orderCapacityPerMinute=…`.
   */
  orderCapacityPerMinute: number;
  /** Where alarm notifications go (an email subscription on the alarm topic), from `-c alarmEmail=…`. */
  alarmEmail?: string;
  tabletSimulator: TabletSimulatorConfig;
  courierSimulator: { stepDelayMs: number };
  paymentSimulator: { latencyMs: number; declinedPaymentMethods: string[]; failureRate: number };
  /** The payment provider's circuit breaker (functions/payments/breaker.ts). */
  paymentBreaker: { failures: number; cooldownMs: number };
  /**
   * The payment reconciler (functions/payments/reconciler.ts): ledger entries younger than `graceSeconds` wait for the
   * next run; a PENDING row or a missing refund counts once the saga has had `settleSeconds` (its retries) to settle.
   */
  paymentReconciler: { windowMinutes: number; graceSeconds: number; settleSeconds: number };
  /** AWS-only features (X-Ray active tracing and the like). */
  awsOnly: boolean;
  /**
   * Table backups on the aws target (lib/constructs/table-backups.ts): `-c backupCopyVaultArn=…` copies each daily
   * backup to that vault (another region or account); `-c backupVaultLock=true` locks the stack's vault.
   */
  backup: { copyVaultArn?: string; vaultLock: boolean };
  /**
   * The workload side of the central observability hub (aws only; lib/constructs/hub-link.ts,
   * docs/observability-hub.md): `-c hubSinkArn=…` links the account to the hub's OAM sink (metrics, logs, traces),
   * `-c hubLogDestinationArn=…` subscribes every function's log group to the hub's log archive.
   */
  hub: { sinkArn?: string; logDestinationArn?: string };
  /**
   * `-c stage=<name>`: a named copy of the platform, stack `ShopWave-<name>` (a personal sandbox beside the shared
   * one). Undefined: the stack is `ShopWave`, as in every doc and offline. Not offline (one platform per checkout).
   */
  stage?: string;
  /**
   * `-c deployStrategy=canary|all-at-once` (aws only): how CodeDeploy shifts each function's `live` alias to a new
   * version — 10 % for 5 minutes then all (default), or at once (a personal sandbox). lib/constructs/canary-deployments.ts.
   */
  deployStrategy: DeployStrategy;
}

export type DeployStrategy = 'canary' | 'all-at-once';
const DEPLOY_STRATEGIES: DeployStrategy[] = ['canary', 'all-at-once'];
/** Lowercase, starts with a letter, short: it is part of the stack name and of every resource name built from it. */
const STAGE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

// The demo merchants whose tablets misbehave on purpose (see tools/seed-data.ts and the README).
const DEMO_TABLET_OVERRIDES: TabletSimulatorConfig['merchants'] = { 'm-closed': 'reject', 'm-silent': 'silent' };

const SPEEDS: Record<
  SimulationSpeed,
  Omit<
    PlatformConfig,
    | 'target'
    | 'awsOnly'
    | 'restaurantAckDeadlineSeconds'
    | 'deliverySliSeconds'
    | 'orderCapacityPerMinute'
    | 'alarmEmail'
    | 'stage'
    | 'deployStrategy'
    | 'backup'
    | 'hub'
    | 'tracing'
    | 'otel'
  > & {
    ackDeadline: number;
    sliDeadline: number;
  }
> = {
  demo: {
    ackDeadline: 300,
    sliDeadline: 120,
    tabletSimulator: { ackDelayMs: 1500, rejectRate: 0, silentRate: 0, merchants: DEMO_TABLET_OVERRIDES },
    courierSimulator: { stepDelayMs: 1000 },
    trackingFreshnessSeconds: 90,
    paymentSimulator: { latencyMs: 150, declinedPaymentMethods: ['tok_declined'], failureRate: 0 },
    paymentBreaker: { failures: 5, cooldownMs: 30_000 },
    // Settle: a consumer's retry budget (5 receives × 60 s visibility) plus margin, so a held charge is not a mismatch.
    paymentReconciler: { windowMinutes: 60, graceSeconds: 60, settleSeconds: 600 },
  },
  test: {
    // Measured offline on 2 cores, one order a second: charged → received by the restaurant (three hops) p90 4.2 s,
    // max 4.6 s. The SLI deadline keeps twice that margin so a healthy run never counts a lost order.
    ackDeadline: 20,
    sliDeadline: 10,
    tabletSimulator: { ackDelayMs: 50, rejectRate: 0, silentRate: 0, merchants: DEMO_TABLET_OVERRIDES },
    courierSimulator: { stepDelayMs: 20 },
    // Received → first tracking point in analytics is about five hops, ~1.4 s each offline (up to ~5 s each under load).
    trackingFreshnessSeconds: 20,
    paymentSimulator: { latencyMs: 10, declinedPaymentMethods: ['tok_declined'], failureRate: 0 },
    paymentBreaker: { failures: 5, cooldownMs: 5_000 },
    paymentReconciler: { windowMinutes: 60, graceSeconds: 2, settleSeconds: 120 },
  },
  zero: {
    // No actor waits: tablet, courier and provider answer at once. The deadlines are the test speed's tripled: the
    // throughput bench queues orders on purpose, and a slow hop under load must show as latency, not as a refund.
    ackDeadline: 60,
    sliDeadline: 30,
    tabletSimulator: { ackDelayMs: 0, rejectRate: 0, silentRate: 0, merchants: DEMO_TABLET_OVERRIDES },
    courierSimulator: { stepDelayMs: 0 },
    trackingFreshnessSeconds: 20,
    paymentSimulator: { latencyMs: 0, declinedPaymentMethods: ['tok_declined'], failureRate: 0 },
    paymentBreaker: { failures: 5, cooldownMs: 5_000 },
    paymentReconciler: { windowMinutes: 60, graceSeconds: 2, settleSeconds: 120 },
  },
};

/**
 * Reads `-c target=…`, `-c speed=demo|test|zero`, `-c restaurantAckDeadlineSeconds=…`, `-c deliverySliSeconds=…`,
 * `-c alarmEmail=…`, `-c stage=…`, `-c deployStrategy=…`, `-c backupCopyVaultArn=…`, `-c backupVaultLock=…`,
 * `-c hubSinkArn=…`, `-c hubLogDestinationArn=…`, `-c tracing=xray|otel`, `-c otelEndpoint=…` and
 * `-c otelLayerArn=…`; anything invalid fails synth.
 */
export function readConfig(node: Node): PlatformConfig {
  const target = String(node.tryGetContext('target') ?? 'aws') as Target;
  if (!TARGETS.includes(target)) throw new Error(`context 'target' must be one of ${TARGETS.join(', ')}, got '${target}'`);
  const speed = String(node.tryGetContext('speed') ?? 'demo') as SimulationSpeed;
  if (!SIMULATION_SPEEDS.includes(speed)) throw new Error(`context 'speed' must be one of ${SIMULATION_SPEEDS.join(', ')}, got '${speed}'`);
  const { ackDeadline, sliDeadline, ...simulation } = SPEEDS[speed];
  const deadlineContext = node.tryGetContext('restaurantAckDeadlineSeconds');
  // An explicit -c on the command line wins; cdk.json's default only applies to the demo speed.
  const fixedDeadlines = speed !== 'demo';
  const restaurantAckDeadlineSeconds = fixedDeadlines ? ackDeadline : Number(deadlineContext ?? ackDeadline);
  if (!Number.isInteger(restaurantAckDeadlineSeconds) || restaurantAckDeadlineSeconds < 1 || restaurantAckDeadlineSeconds > 900) {
    throw new Error(`restaurantAckDeadlineSeconds must be an integer from 1 to 900, got '${deadlineContext}'`);
  }
  const sliContext = node.tryGetContext('deliverySliSeconds');
  const deliverySliSeconds = fixedDeadlines ? sliDeadline : Number(sliContext ?? sliDeadline);
  if (!Number.isInteger(deliverySliSeconds) || deliverySliSeconds < 1 || deliverySliSeconds >= restaurantAckDeadlineSeconds) {
    // Equal or longer and compensation always wins the race: lost orders would be refunded before anyone saw them.
    throw new Error(
      `deliverySliSeconds must be an integer from 1 to below restaurantAckDeadlineSeconds (${restaurantAckDeadlineSeconds}), got '${sliContext ?? sliDeadline}'`,
    );
  }
  const capacityContext = node.tryGetContext('orderCapacityPerMinute');
  const orderCapacityPerMinute = Number(capacityContext ?? 15);
  if (!Number.isInteger(orderCapacityPerMinute) || orderCapacityPerMinute < 1)
    throw new Error(`orderCapacityPerMinute must be a positive integer, got '${capacityContext}'`);
  const alarmEmail = node.tryGetContext('alarmEmail') as string | undefined;
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail))
    throw new Error(`context 'alarmEmail' is not an email address: '${alarmEmail}'`);
  const copyVaultArn = node.tryGetContext('backupCopyVaultArn') as string | undefined;
  if (copyVaultArn !== undefined && !/^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_.-]{2,50}$/.test(copyVaultArn))
    throw new Error(`context 'backupCopyVaultArn' is not a backup vault ARN: '${copyVaultArn}'`);
  const vaultLock = String(node.tryGetContext('backupVaultLock') ?? 'false');
  if (!['true', 'false'].includes(vaultLock)) throw new Error(`context 'backupVaultLock' must be true or false, got '${vaultLock}'`);
  const hub = {
    sinkArn: hubContext(node, 'hubSinkArn', HUB_SINK_ARN, 'an OAM sink ARN (arn:aws:oam:<region>:<account>:sink/<id>)', target),
    logDestinationArn: hubContext(
      node,
      'hubLogDestinationArn',
      HUB_LOG_DESTINATION_ARN,
      'a CloudWatch Logs destination ARN (arn:aws:logs:<region>:<account>:destination:<name>)',
      target,
    ),
  };
  const stageContext = node.tryGetContext('stage') as string | undefined;
  const stage = stageContext === undefined || stageContext === '' ? undefined : String(stageContext);
  if (stage !== undefined && !STAGE_NAME.test(stage))
    throw new Error(`context 'stage' must match ${STAGE_NAME} (it becomes the stack name ShopWave-<stage>), got '${stage}'`);
  if (stage !== undefined && target === 'offline')
    throw new Error("context 'stage' is for deployed stacks: the offline runtime runs the one ShopWave stack of this checkout");
  const deployStrategy = String(node.tryGetContext('deployStrategy') ?? 'canary') as DeployStrategy;
  if (!DEPLOY_STRATEGIES.includes(deployStrategy))
    throw new Error(`context 'deployStrategy' must be one of ${DEPLOY_STRATEGIES.join(', ')}, got '${deployStrategy}'`);
  const { tracing, otel } = readTracing(node, target);
  return {
    target,
    tracing,
    otel,
    stage,
    deployStrategy,
    restaurantAckDeadlineSeconds,
    deliverySliSeconds,
    orderCapacityPerMinute,
    alarmEmail,
    ...simulation,
    awsOnly: target === 'aws',
    backup: { copyVaultArn, vaultLock: vaultLock === 'true' },
    hub,
  };
}

/** The hub's OAM sink: `arn:aws:oam:us-east-1:111111111111:sink/<uuid>` (output `SinkArn` of the hub stack). */
const HUB_SINK_ARN = /^arn:aws[a-z-]*:oam:[a-z0-9-]+:\d{12}:sink\/[A-Za-z0-9-]{1,64}$/;
/** The hub's log destination: `arn:aws:logs:us-east-1:111111111111:destination:<name>` (output `LogDestinationArn`). */
const HUB_LOG_DESTINATION_ARN = /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:destination:[^:*\s]{1,512}$/;

/**
 * A hub ARN from the context, validated; aws only: LocalStack community and the offline runtime have no
 * cross-account observability, and their templates must not change (the offline mode ships its logs itself:
 * offline/runtime/log-shipper.ts).
 */
function hubContext(node: Node, key: string, pattern: RegExp, what: string, target: Target): string | undefined {
  const value = node.tryGetContext(key) as string | undefined;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw new Error(`context '${key}' is not ${what}: '${value}'`);
  if (target !== 'aws') throw new Error(`context '${key}' is for target=aws: the hub links AWS accounts, ${target} has no such thing`);
  return value;
}

/**
 * `-c tracing`, `-c otelEndpoint`, `-c otelLayerArn`. otel is refused off the aws target rather than ignored (a
 * LocalStack or offline run that asked for OpenTelemetry would silently get none), and the otel keys are refused
 * without tracing=otel for the same reason.
 */
function readTracing(node: Node, target: Target): { tracing: TracingMode; otel?: OtelTracingConfig } {
  const tracing = String(node.tryGetContext('tracing') ?? 'xray') as TracingMode;
  if (!TRACING_MODES.includes(tracing)) throw new Error(`context 'tracing' must be one of ${TRACING_MODES.join(', ')}, got '${tracing}'`);
  const endpointContext = node.tryGetContext('otelEndpoint') as string | undefined;
  const layerContext = node.tryGetContext('otelLayerArn') as string | undefined;
  if (tracing !== 'otel') {
    for (const [key, value] of [
      ['otelEndpoint', endpointContext],
      ['otelLayerArn', layerContext],
    ] as const) {
      if (value !== undefined) throw new Error(`context '${key}' is only read with -c tracing=otel (tracing is '${tracing}')`);
    }
    return { tracing };
  }
  if (target !== 'aws')
    throw new Error(
      `context 'tracing=otel' is for target=aws: LocalStack community has no Lambda layers and the offline runtime loads none (target is '${target}')`,
    );
  if (endpointContext === undefined || endpointContext === '')
    throw new Error(
      "context 'otelEndpoint' is required with tracing=otel: the OTLP/HTTP collector's base URL, e.g. -c otelEndpoint=https://otel.example.com:4318",
    );
  const endpoint = String(endpointContext);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`context 'otelEndpoint' is not a URL: '${endpoint}'`);
  }
  // Spans carry order and correlation ids and leave the account: TLS only. Credentials would sit in the template.
  if (url.protocol !== 'https:')
    throw new Error(`context 'otelEndpoint' must be an https:// URL (spans leave the account), got '${endpoint}'`);
  if (url.username || url.password) throw new Error("context 'otelEndpoint' must not carry credentials: they would be in the template");
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || endpoint.endsWith('/'))
    throw new Error(
      `context 'otelEndpoint' is the collector's base URL without a path (traces go to <endpoint>/v1/traces), got '${endpoint}'`,
    );
  const layerArn = String(layerContext ?? DEFAULT_OTEL_LAYER_ARN);
  const family = otelLayerWrapper(layerArn);
  if ('error' in family) throw new Error(`context 'otelLayerArn' ${family.error}: '${layerArn}'`);
  return { tracing, otel: { endpoint, layerArn } };
}
