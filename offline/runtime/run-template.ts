/**
 * Runs a synthesized CloudFormation template on this machine: DynamoDB Local for tables and streams, fauxqs for
 * SQS, the EventBridge emulator for the bus and rules, worker threads for the functions, pollers for the event
 * source mappings, a timer for scheduled rules, SSM parameters, metrics and alarms, and the REST API — all created
 * from the template. It knows nothing of the application the template describes: what an application adds (pages
 * beside the API, parameters only an operator sets, extra function environment) comes in through the options.
 */
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startFauxqs } from 'fauxqs';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { EventBridgeEmulator, type EventListener, type PutEventsEntry } from './eventbridge-emulator';
import { EventSourcePollers } from './event-source-pollers';
import { AlarmEvaluator, type AlarmTransition } from './alarms';
import { ApiGatewayEmulator, type ApiGatewayHooks, type ApiGatewayLimits } from './api-gateway';
import { CloudWatchEmulator } from './cloudwatch-emulator';
import { MetricStore } from './metrics';
import { SsmEmulator } from './ssm-emulator';
import { dynamoDbMetering, putEventsBilledEvents, sqsMetering, startMeteringProxy, UsageMeter } from './usage';
import { LambdaRuntime, type LogSink } from './lambda-runtime';
import { LogMetricFilters } from './log-metric-filters';
import { LogShipper } from './log-shipper';
import type { PlatformModel, RestApiModel, TableModel } from './model';
import { loadPlatformModel } from './template-model';

const CREDENTIALS = { accessKeyId: 'offline', secretAccessKey: 'offline' };

/** Where function logs go: printed, dropped, or one file per function (`<directory>/<function>.log`). */
export type LogDestination = 'console' | 'silent' | { directory: string };

/** A message as the SQS emulator holds it (non-destructive look, no receive). */
export interface QueueMessage {
  messageId: string;
  body: string;
  sentTimestamp: number;
  approximateReceiveCount: number;
}

export interface RunTemplateOptions {
  /** `cdk.out/<stack>.template.json`; its directory holds the assets (function bundles). */
  templatePath: string;
  stackName: string;
  /** API port; 0 picks a free one. */
  port?: number;
  /** Reuse a running DynamoDB Local (tests share one) instead of starting one. */
  dynamodbEndpoint?: string;
  resourcePrefix?: string;
  /**
   * Accelerates time for tests: queue visibility timeouts, scheduled rules and metric periods (alarm evaluation)
   * run at this fraction of the template's durations (1 = as deployed). Delivery delays (queue DelaySeconds),
   * function timeouts and the ages measured in seconds (message age) are not scaled.
   */
  timeScale?: number;
  /** Called on every alarm state change. */
  onAlarm?: (t: AlarmTransition) => void;
  /** Environment every function gets on top of the template's (changeable later with `setFunctionEnv`). */
  functionEnv?: Record<string, string>;
  logs?: LogDestination;
  /**
   * Also ships every function log line over OTLP/HTTP to a collector (log-shipper.ts), spooled on disk in `spoolDir`
   * while the collector is unreachable: the offline stand-in for the observability hub's log collection.
   */
  shipLogs?: { url: string; spoolDir: string };
  /**
   * Whether EMF documents in function output become metrics, as CloudWatch Logs does on AWS (default true). false
   * runs the template as LocalStack community 4.14 would: no EMF parsing, only PutMetricData and the service
   * metrics reach the alarms.
   */
  emf?: boolean;
  /**
   * Runs once the emulators are up and before any function starts: for what the template leaves to an operator
   * (a parameter whose value is published after deploy, say).
   */
  beforeFunctions?: (services: Pick<RuntimeServices, 'model' | 'parameters'>) => void | Promise<void>;
  /** Pages served on the API's port beside the REST API; built once everything else runs. */
  localPages?: (services: RuntimeServices) => NonNullable<ApiGatewayHooks['local']>;
  /** The API's body limit and slow-client timeouts; tests shorten the timeouts. */
  apiLimits?: Partial<ApiGatewayLimits>;
  /**
   * Also counts DynamoDB units and SQS requests (`usage`), through a metering proxy in front of each emulator
   * (offline/runtime/usage.ts): one more loopback hop per call, so only when asked (the cost bench).
   */
  meterRequests?: boolean;
}

/** What the running template offers: to the caller, and to `localPages` before the API starts. */
export interface RuntimeServices {
  model: PlatformModel;
  endpoints: { dynamodb: string; sqs: string; eventbridge: string; ssm: string };
  /** SSM Parameter Store offline (the template's parameters): read and flip switches as a CLI would. */
  parameters: Pick<SsmEmulator, 'get' | 'put'>;
  invoke<T = unknown>(fn: string, event: unknown): Promise<T>;
  putEvents: EventBridgeEmulator['putEvents'];
  onEvent(listener: EventListener): () => void;
  /** Physical name of the table whose logical id starts with `logicalIdPrefix` (CDK appends a hash). */
  tableName(logicalIdPrefix: string): string;
  queueUrl(logicalIdPrefix: string): string;
  sqsClient(): SQSClient;
  /** A document client on the DynamoDB the template's tables live in. */
  documentClient(): DynamoDBDocumentClient;
  /** Non-destructive look into a queue; undefined for a name the emulator does not have. */
  inspectQueue(queueName: string): { ready: QueueMessage[]; delayed: QueueMessage[]; inflight: { message: QueueMessage }[] } | undefined;
  /** The CloudWatch metrics offline: EMF lines of every function, plus what Lambda, SQS and API Gateway report. */
  metrics: MetricStore;
  /** The template's alarms, evaluated on `metrics` every metric minute. */
  alarms: AlarmEvaluator;
  timeScale: number;
  /** Replaces the extra environment of every function: new invocations get it (running ones finish first). */
  setFunctionEnv(env: Record<string, string>): void;
  /** Replaces the extra environment of one function (logical id or name), on top of `setFunctionEnv`'s. */
  setEnvOf(fn: string, env: Record<string, string> | undefined): void;
  envOf(fn: string): Record<string, string>;
  /** The bus's rules at runtime: DescribeRule, and DisableRule / EnableRule / PutRule (state, pattern). */
  rules: Pick<EventBridgeEmulator, 'describeRule' | 'updateRule'>;
  /** Writes a line to the runtime's log destination, as if printed by `source`. */
  log: LogSink;
  /**
   * What AWS would bill, counted (offline/runtime/usage.ts): Lambda, API, PutEvents, PutMetricData and log bytes
   * always; DynamoDB units and SQS requests with `meterRequests`.
   */
  usage: UsageMeter;
}

export interface TemplateRuntime extends RuntimeServices {
  apiUrl: string;
  /** The log shipper, when `shipLogs` was given. */
  logShipper?: LogShipper;
  stop(): Promise<void>;
}

function byPrefix<T extends { logicalId: string }>(items: T[], prefix: string, what: string): T {
  const found = items.filter((i) => i.logicalId.startsWith(prefix));
  if (found.length !== 1)
    throw new Error(`${found.length} ${what}s match '${prefix}': ${found.map((f) => f.logicalId).join(', ') || 'none'}`);
  return found[0];
}

async function createTable(client: DynamoDBClient, t: TableModel): Promise<void> {
  const attributes = new Map<string, string>();
  for (const k of [t.partitionKey, t.sortKey, ...t.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey])])
    if (k) attributes.set(k.name, k.type);
  await client.send(
    new CreateTableCommand({
      TableName: t.tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
        AttributeName,
        AttributeType: AttributeType as 'S',
      })),
      KeySchema: [
        { AttributeName: t.partitionKey.name, KeyType: 'HASH' },
        ...(t.sortKey ? [{ AttributeName: t.sortKey.name, KeyType: 'RANGE' as const }] : []),
      ],
      GlobalSecondaryIndexes: t.globalSecondaryIndexes.length
        ? t.globalSecondaryIndexes.map((g) => ({
            IndexName: g.indexName,
            KeySchema: [
              { AttributeName: g.partitionKey.name, KeyType: 'HASH' as const },
              ...(g.sortKey ? [{ AttributeName: g.sortKey.name, KeyType: 'RANGE' as const }] : []),
            ],
            Projection: { ProjectionType: g.projectionType, NonKeyAttributes: g.nonKeyAttributes },
          }))
        : undefined,
      StreamSpecification: t.streamViewType ? { StreamEnabled: true, StreamViewType: t.streamViewType as 'NEW_IMAGE' } : undefined,
    }),
  );
  if (t.timeToLiveAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: t.tableName,
        TimeToLiveSpecification: { AttributeName: t.timeToLiveAttribute, Enabled: true },
      }),
    );
  }
}

/**
 * The name a stage's access log lines are written under (`<prefix><api>-access`, so `.offline/logs/ShopWave-access.log`
 * for `npm start`): prefixed like the functions, so platforms sharing a log directory keep their own.
 */
export function accessLogSource(model: Pick<PlatformModel, 'naming'>, api: Pick<RestApiModel, 'name'>): string {
  return `${model.naming.resourcePrefix}${api.name}-access`;
}

function logSinkFor(destination: LogDestination): LogSink {
  if (destination === 'silent') return () => undefined;
  if (destination === 'console') return (fn, _stream, line) => console.log(`[${fn}] ${line}`);
  const dir = destination.directory;
  mkdirSync(dir, { recursive: true });
  return (fn, _stream, line) => appendFileSync(path.join(dir, `${fn}.log`), `${line}\n`);
}

export async function runTemplate(opts: RunTemplateOptions): Promise<TemplateRuntime> {
  const { templatePath, stackName } = opts;
  const timeScale = opts.timeScale ?? 1;
  const metrics = new MetricStore({ msPerMetricSecond: 1000 * timeScale });
  const sink = logSinkFor(opts.logs ?? 'silent');
  const logShipper = opts.shipLogs ? new LogShipper(opts.shipLogs) : undefined;
  // Like CloudWatch Logs on AWS: EMF documents a function prints become metrics (not on LocalStack: `emf: false`).
  const emf = opts.emf ?? true;
  const usage = new UsageMeter();
  // Log bytes of the functions (their names are known once the model is loaded), not of the runtime's own lines.
  const functionNames = new Set<string>();
  // The template's metric filters on the functions' log groups (set once the model is loaded).
  let metricFilters: LogMetricFilters | undefined;
  const log: LogSink = (fn, stream, line) => {
    const isEmf = stream === 'stdout' && line.includes('"_aws"');
    if (emf && isEmf) metrics.ingestLogLine(line);
    if (functionNames.has(fn)) {
      metricFilters?.ingest(fn, line);
      usage.add(`logs.bytes.${fn}`, Buffer.byteLength(line, 'utf8') + 1);
      if (isEmf) usage.add(`logs.emfLines.${fn}`);
    }
    sink(fn, stream, line);
    logShipper?.ship(fn, stream, line);
  };
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => undefined);
  };
  if (logShipper) {
    logShipper.start();
    stoppers.push(() => logShipper.stop());
  }
  try {
    let ddbLocal: DynamoDbLocal | undefined;
    let dynamodbEndpoint = opts.dynamodbEndpoint ?? (ddbLocal = await startDynamoDbLocal()).endpoint;
    if (ddbLocal) stoppers.push(() => ddbLocal!.stop());

    const fauxqs = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
    stoppers.push(() => fauxqs.stop());
    let sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
    if (opts.meterRequests) {
      // Everything (functions, pollers, the bus's deliveries, the caller's clients) goes through the meters.
      const ddbMeter = await startMeteringProxy(dynamodbEndpoint, dynamoDbMetering(usage));
      stoppers.push(() => ddbMeter.stop());
      dynamodbEndpoint = ddbMeter.endpoint;
      const sqsMeter = await startMeteringProxy(sqsEndpoint, sqsMetering(usage));
      stoppers.push(() => sqsMeter.stop());
      sqsEndpoint = sqsMeter.endpoint;
    }

    const model = loadPlatformModel(JSON.parse(readFileSync(templatePath, 'utf8')), {
      stackName,
      assetRoot: path.dirname(templatePath),
      // fauxqs names queues http://sqs.<region>.<host>:<port>/<account>/<name>; the model uses the same URLs.
      naming: {
        region: 'us-east-1',
        accountId: '000000000000',
        sqsEndpoint: `http://sqs.us-east-1.127.0.0.1:${fauxqs.port}`,
        resourcePrefix: opts.resourcePrefix ?? '',
      },
    });
    for (const f of model.functions) functionNames.add(f.functionName);
    // Like CloudWatch Logs: each function line is an event of its log group, tested against the filters on it.
    metricFilters = new LogMetricFilters(
      model.functions,
      model.metricFilters,
      (d) => metrics.put(d),
      60_000 * timeScale,
      model.restApis.flatMap((a) => (a.accessLog ? [a.accessLog.logGroup] : [])),
    );
    for (const f of metricFilters.unfed)
      log('metric-filters', 'stdout', `${f.logicalId}: no function writes to its log group ${f.logGroup}; not evaluated offline`);

    const dynamodb = new DynamoDBClient({ endpoint: dynamodbEndpoint, region: model.naming.region, credentials: CREDENTIALS });
    const streams = new DynamoDBStreamsClient({ endpoint: dynamodbEndpoint, region: model.naming.region, credentials: CREDENTIALS });
    // fauxqs's queue URLs carry a host that does not resolve: send to the endpoint, not to the URL's host.
    const sqsClient = () =>
      new SQSClient({ endpoint: sqsEndpoint, region: model.naming.region, credentials: CREDENTIALS, useQueueUrlAsEndpoint: false });
    const sqs = sqsClient();

    for (const table of model.tables) await createTable(dynamodb, table);

    const isDlq = new Set(model.queues.flatMap((q) => (q.deadLetter ? [q.deadLetter.targetArn] : [])));
    for (const q of [...model.queues].sort((a, b) => Number(isDlq.has(b.arn)) - Number(isDlq.has(a.arn)))) {
      const created = fauxqs.createQueue(q.queueName, {
        region: model.naming.region,
        attributes: {
          VisibilityTimeout: String(Math.max(1, Math.round(q.visibilityTimeoutSeconds * timeScale))),
          MessageRetentionPeriod: String(q.messageRetentionSeconds),
          DelaySeconds: String(q.delaySeconds),
          ReceiveMessageWaitTimeSeconds: String(q.receiveWaitTimeSeconds),
          ...(q.fifo ? { FifoQueue: 'true' } : {}),
          ...(q.deadLetter
            ? {
                RedrivePolicy: JSON.stringify({
                  deadLetterTargetArn: q.deadLetter.targetArn,
                  maxReceiveCount: q.deadLetter.maxReceiveCount,
                }),
              }
            : {}),
        },
      });
      if (created.queueUrl !== q.url) throw new Error(`fauxqs named queue ${q.queueName} ${created.queueUrl}, the model expected ${q.url}`);
    }

    let runtime: LambdaRuntime;
    const bus = new EventBridgeEmulator(model, {
      toQueue: async (arn, body) => {
        const queue = model.queues.find((q) => q.arn === arn);
        if (!queue) throw new Error(`rule target ${arn} is not a queue of this template`);
        await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
      },
      toFunction: (arn, event) =>
        void runtime.invoke(arn, event).catch((err) => log('eventbridge', 'stderr', `async invoke of ${arn} failed: ${err.message}`)),
    });
    bus.onPutEvents = (entries) => {
      usage.add('eventbridge.putEventsRequests');
      for (const e of entries) usage.add('eventbridge.events', putEventsBilledEvents(e));
    };
    const eventbridge = await bus.start();
    stoppers.push(() => bus.stop());

    const ssm = new SsmEmulator(model.parameters, model.naming);
    const ssmEndpoint = await ssm.start();
    stoppers.push(() => ssm.stop());
    const parameters: RuntimeServices['parameters'] = {
      get: (name) => ssm.get(name),
      put: (name, value, type, overwrite) => ssm.put(name, value, type, overwrite),
    };
    // PutMetricData (the scheduled checks' gauges: functions/shared/gauges.ts) into the same store.
    const cloudWatch = new CloudWatchEmulator(metrics, (datums) => {
      usage.add('cloudwatch.putMetricDataRequests');
      usage.add('cloudwatch.putMetricDataDatums', datums);
    });
    const cloudWatchEndpoint = await cloudWatch.start();
    stoppers.push(() => cloudWatch.stop());
    await opts.beforeFunctions?.({ model, parameters });

    runtime = new LambdaRuntime(model.functions, {
      naming: model.naming,
      endpointEnv: {
        AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamodbEndpoint,
        AWS_ENDPOINT_URL_SQS: sqsEndpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: eventbridge,
        AWS_ENDPOINT_URL_SSM: ssmEndpoint,
        AWS_ENDPOINT_URL_CLOUDWATCH: cloudWatchEndpoint,
      },
      extraEnv: opts.functionEnv,
      logSink: log,
      onInvocation: ({ functionName, durationMs, error }) => {
        usage.add(`lambda.invocations.${functionName}`);
        // Lambda bills duration rounded up to the millisecond.
        usage.add(`lambda.durationMs.${functionName}`, Math.max(1, Math.ceil(durationMs)));
        const d = { namespace: 'AWS/Lambda', dimensions: { FunctionName: functionName }, timestamp: Date.now() };
        metrics.put({ ...d, name: 'Invocations', value: 1, unit: 'Count' });
        metrics.put({ ...d, name: 'Errors', value: error ? 1 : 0, unit: 'Count' });
        metrics.put({ ...d, name: 'Duration', value: durationMs, unit: 'Milliseconds' });
      },
    });
    stoppers.push(() => runtime.stop());

    const pollers = new EventSourcePollers(model, runtime, { sqs, dynamodb, streams }, (m) => log('pollers', 'stderr', m));
    pollers.start();
    stoppers.push(() => pollers.stop());

    // Scheduled rules: rate() expressions on a timer (cron expressions are reported as unsupported and skipped).
    for (const rule of model.rules.filter((r) => r.scheduleExpression && r.state === 'ENABLED')) {
      const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(rule.scheduleExpression!);
      if (!m) {
        log('scheduler', 'stderr', `${rule.name}: '${rule.scheduleExpression}' is not supported offline`);
        continue;
      }
      const unitMs = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[m[2].replace(/s$/, '') as 'minute'];
      const timer = setInterval(
        () => {
          const event = {
            version: '0',
            id: crypto.randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account: model.naming.accountId,
            time: new Date().toISOString(),
            region: model.naming.region,
            resources: [`arn:aws:events:${model.naming.region}:${model.naming.accountId}:rule/${rule.name}`],
            detail: {},
          };
          for (const t of rule.targets) {
            if (t.kind === 'lambda') void runtime.invoke(t.arn, event).catch((err) => log('scheduler', 'stderr', err.message));
          }
        },
        Number(m[1]) * unitMs * timeScale,
      );
      stoppers.push(async () => clearInterval(timer));
    }

    // What SQS reports to CloudWatch, sampled once a metric minute. Ages are real seconds (not scaled).
    const sampleQueues = () => {
      const now = Date.now();
      for (const q of model.queues) {
        const inspected = fauxqs.inspectQueue(q.queueName);
        if (!inspected) continue;
        const waiting = [...inspected.messages.ready, ...inspected.messages.inflight.map((i) => i.message)];
        const d = { namespace: 'AWS/SQS', dimensions: { QueueName: q.queueName }, timestamp: now };
        metrics.put({ ...d, name: 'ApproximateNumberOfMessagesVisible', value: inspected.messages.ready.length, unit: 'Count' });
        metrics.put({ ...d, name: 'ApproximateNumberOfMessagesNotVisible', value: inspected.messages.inflight.length, unit: 'Count' });
        metrics.put({ ...d, name: 'ApproximateNumberOfMessagesDelayed', value: inspected.messages.delayed.length, unit: 'Count' });
        const oldest = Math.min(now, ...waiting.map((m) => m.sentTimestamp));
        metrics.put({ ...d, name: 'ApproximateAgeOfOldestMessage', value: Math.floor((now - oldest) / 1000), unit: 'Seconds' });
      }
    };
    sampleQueues();
    const sampler = setInterval(
      () => {
        sampleQueues();
        metricFilters?.flush(); // the default values of the minute that is over
      },
      Math.max(50, 60_000 * timeScale),
    );
    stoppers.push(async () => clearInterval(sampler));

    const alarms = new AlarmEvaluator(model.alarms, metrics, { msPerMetricSecond: 1000 * timeScale });
    alarms.start((t) => {
      log('alarms', 'stdout', JSON.stringify(t));
      opts.onAlarm?.(t);
    });
    stoppers.push(async () => alarms.stop());

    const services: RuntimeServices = {
      model,
      endpoints: { dynamodb: dynamodbEndpoint, sqs: sqsEndpoint, eventbridge, ssm: ssmEndpoint },
      parameters,
      invoke: (fn, event) => runtime.invoke(fn, event),
      putEvents: (entries: PutEventsEntry[]) => bus.putEvents(entries),
      onEvent: (l) => bus.onEvent(l),
      tableName: (prefix) => byPrefix(model.tables, prefix, 'table').tableName,
      queueUrl: (prefix) => byPrefix(model.queues, prefix, 'queue').url,
      sqsClient,
      documentClient: () => DynamoDBDocumentClient.from(dynamodb),
      inspectQueue: (name) => fauxqs.inspectQueue(name)?.messages,
      metrics,
      alarms,
      timeScale,
      setFunctionEnv: (env) => runtime.setExtraEnv(env),
      setEnvOf: (fn, env) => runtime.setFunctionExtraEnv(fn, env),
      envOf: (fn) => runtime.functionExtraEnv(fn),
      rules: { describeRule: (name) => bus.describeRule(name), updateRule: (name, change) => bus.updateRule(name, change) },
      log,
      usage,
    };

    const [restApi] = model.restApis;
    const api = new ApiGatewayEmulator(restApi, runtime, model.naming.accountId, {
      onRequest: ({ apiName, status, latencyMs }) => {
        usage.add('apigateway.requests');
        const d = { namespace: 'AWS/ApiGateway', dimensions: { ApiName: apiName }, timestamp: Date.now() };
        metrics.put({ ...d, name: 'Count', value: 1, unit: 'Count' });
        metrics.put({ ...d, name: '4XXError', value: status >= 400 && status < 500 ? 1 : 0, unit: 'Count' });
        metrics.put({ ...d, name: '5XXError', value: status >= 500 ? 1 : 0, unit: 'Count' });
        metrics.put({ ...d, name: 'Latency', value: latencyMs, unit: 'Milliseconds' });
      },
      // The stage's access log: one line per request in its format, into the metric filters on its log group (the
      // API's throttled-requests filter, say) and to the log destination as `accessLogSource` (shipped like the rest).
      onAccessLog: restApi.accessLog
        ? (line) => {
            metricFilters?.ingestGroup(restApi.accessLog!.logGroup, line);
            log(accessLogSource(model, restApi), 'stdout', line);
          }
        : undefined,
      limits: opts.apiLimits,
      local: opts.localPages?.(services),
    });
    const apiUrl = await api.start(opts.port ?? 3000);
    stoppers.push(() => api.stop());

    return { ...services, apiUrl, stop, logShipper };
  } catch (err) {
    await stop();
    throw err;
  }
}
