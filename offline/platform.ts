/**
 * The offline platform: the synthesized template run on this machine. DynamoDB Local for tables and streams,
 * fauxqs for SQS, the EventBridge emulator for the bus and rules, worker threads for the functions, pollers for
 * the event source mappings, a timer for scheduled rules and the REST API — all created from the template.
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
import { ApiGatewayEmulator, type ApiGatewayLimits } from './api-gateway';
import { MetricStore } from './metrics';
import { opsHandler } from './ops';
import { SsmEmulator } from './ssm-emulator';
import { DevIssuer } from './dev-issuer';
import { LambdaRuntime, type LogSink } from './lambda-runtime';
import type { PlatformModel, TableModel } from './model';
import { loadPlatformModel } from './template-model';

const ROOT = path.resolve(import.meta.dirname, '..');
const CREDENTIALS = { accessKeyId: 'offline', secretAccessKey: 'offline' };

export interface PlatformOptions {
  templatePath?: string;
  stackName?: string;
  /** API port; 0 picks a free one. */
  port?: number;
  /** Reuse a running DynamoDB Local (tests share one) instead of starting one. */
  dynamodbEndpoint?: string;
  resourcePrefix?: string;
  /**
   * Accelerates time for tests: queue visibility timeouts, scheduled rules and metric periods (alarm evaluation)
   * run at this fraction of the template's durations (1 = as deployed). Delivery delays (the restaurant ack
   * deadline), function timeouts and the ages measured in seconds (message age, order age) are not scaled.
   */
  timeScale?: number;
  /** Signs customer tokens; default: the key pair in .offline/ (created at first start). Tests pass an ephemeral one. */
  issuer?: DevIssuer;
  /** Called on every alarm state change (npm start prints them). */
  onAlarm?: (t: AlarmTransition) => void;
  extraFunctionEnv?: Record<string, string>;
  logs?: 'console' | 'file' | 'silent';
  /** The API's body limit and slow-client timeouts; tests shorten the timeouts. */
  apiLimits?: Partial<ApiGatewayLimits>;
}

export interface Platform {
  apiUrl: string;
  model: PlatformModel;
  endpoints: { dynamodb: string; sqs: string; eventbridge: string; ssm: string };
  /** The development issuer whose public keys the handlers trust: `issuer.sign('c-alice')` is a customer token. */
  issuer: DevIssuer;
  /** SSM Parameter Store offline (the template's parameters): read and flip switches as the CLI does. */
  parameters: Pick<SsmEmulator, 'get' | 'put'>;
  invoke<T = unknown>(fn: string, event: unknown): Promise<T>;
  putEvents: EventBridgeEmulator['putEvents'];
  onEvent(listener: EventListener): () => void;
  /** Physical name of the table whose logical id starts with `logicalIdPrefix` (CDK appends a hash). */
  tableName(logicalIdPrefix: string): string;
  queueUrl(logicalIdPrefix: string): string;
  sqsClient(): SQSClient;
  /** The CloudWatch metrics offline: EMF lines of every function, plus what Lambda, SQS and API Gateway report. */
  metrics: MetricStore;
  /** The template's alarms, evaluated on `metrics` every metric minute. */
  alarms: AlarmEvaluator;
  /** Switches game-day faults (functions/shared/game-day.ts) on every function; [] clears them. */
  setFaults(faults: string[]): void;
  faults(): string[];
  stop(): Promise<void>;
}

function byPrefix<T extends { logicalId: string }>(items: T[], prefix: string, what: string): T {
  const found = items.filter((i) => i.logicalId.startsWith(prefix));
  if (found.length !== 1) throw new Error(`${found.length} ${what}s match '${prefix}': ${found.map((f) => f.logicalId).join(', ') || 'none'}`);
  return found[0];
}

async function createTable(client: DynamoDBClient, t: TableModel): Promise<void> {
  const attributes = new Map<string, string>();
  for (const k of [t.partitionKey, t.sortKey, ...t.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey])]) if (k) attributes.set(k.name, k.type);
  await client.send(
    new CreateTableCommand({
      TableName: t.tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType: AttributeType as 'S' })),
      KeySchema: [{ AttributeName: t.partitionKey.name, KeyType: 'HASH' }, ...(t.sortKey ? [{ AttributeName: t.sortKey.name, KeyType: 'RANGE' as const }] : [])],
      GlobalSecondaryIndexes: t.globalSecondaryIndexes.length
        ? t.globalSecondaryIndexes.map((g) => ({
            IndexName: g.indexName,
            KeySchema: [{ AttributeName: g.partitionKey.name, KeyType: 'HASH' as const }, ...(g.sortKey ? [{ AttributeName: g.sortKey.name, KeyType: 'RANGE' as const }] : [])],
            Projection: { ProjectionType: g.projectionType, NonKeyAttributes: g.nonKeyAttributes },
          }))
        : undefined,
      StreamSpecification: t.streamViewType ? { StreamEnabled: true, StreamViewType: t.streamViewType as 'NEW_IMAGE' } : undefined,
    }),
  );
  if (t.timeToLiveAttribute) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: t.tableName, TimeToLiveSpecification: { AttributeName: t.timeToLiveAttribute, Enabled: true } }));
  }
}

function logSinkFor(mode: PlatformOptions['logs']): LogSink {
  if (mode === 'silent') return () => undefined;
  if (mode === 'console') return (fn, _stream, line) => console.log(`[${fn}] ${line}`);
  const dir = path.join(ROOT, '.offline', 'logs');
  mkdirSync(dir, { recursive: true });
  return (fn, _stream, line) => appendFileSync(path.join(dir, `${fn}.log`), `${line}\n`);
}

export async function startPlatform(opts: PlatformOptions = {}): Promise<Platform> {
  const templatePath = opts.templatePath ?? path.join(ROOT, 'cdk.out', 'ShopWave.template.json');
  const stackName = opts.stackName ?? 'ShopWave';
  const timeScale = opts.timeScale ?? 1;
  const metrics = new MetricStore({ msPerMetricSecond: 1000 * timeScale });
  const sink = logSinkFor(opts.logs ?? 'file');
  // Like CloudWatch Logs: EMF documents a function prints become metrics.
  const log: LogSink = (fn, stream, line) => {
    if (stream === 'stdout' && line.includes('"_aws"')) metrics.ingestLogLine(line);
    sink(fn, stream, line);
  };
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => undefined);
  };
  try {
    let ddbLocal: DynamoDbLocal | undefined;
    const dynamodbEndpoint = opts.dynamodbEndpoint ?? (ddbLocal = await startDynamoDbLocal()).endpoint;
    if (ddbLocal) stoppers.push(() => ddbLocal!.stop());

    const fauxqs = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
    stoppers.push(() => fauxqs.stop());
    const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;

    const model = loadPlatformModel(JSON.parse(readFileSync(templatePath, 'utf8')), {
      stackName,
      assetRoot: path.dirname(templatePath),
      // fauxqs names queues http://sqs.<region>.<host>:<port>/<account>/<name>; the model uses the same URLs.
      naming: { region: 'us-east-1', accountId: '000000000000', sqsEndpoint: `http://sqs.us-east-1.127.0.0.1:${fauxqs.port}`, resourcePrefix: opts.resourcePrefix ?? '' },
    });

    const dynamodb = new DynamoDBClient({ endpoint: dynamodbEndpoint, region: model.naming.region, credentials: CREDENTIALS });
    const streams = new DynamoDBStreamsClient({ endpoint: dynamodbEndpoint, region: model.naming.region, credentials: CREDENTIALS });
    // fauxqs's queue URLs carry a host that does not resolve: send to the endpoint, not to the URL's host.
    const sqsClient = () => new SQSClient({ endpoint: sqsEndpoint, region: model.naming.region, credentials: CREDENTIALS, useQueueUrlAsEndpoint: false });
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
          ...(q.deadLetter ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: q.deadLetter.targetArn, maxReceiveCount: q.deadLetter.maxReceiveCount }) } : {}),
        },
      });
      if (created.queueUrl !== q.url) throw new Error(`fauxqs named queue ${q.queueName} ${created.queueUrl}, the model expected ${q.url}`);
    }

    let runtime: LambdaRuntime;
    let activeFaults: string[] = [];
    const functionEnv = () => ({ ...opts.extraFunctionEnv, ...(activeFaults.length ? { SHOPWAVE_FAULTS: activeFaults.join(',') } : {}) });
    const bus = new EventBridgeEmulator(model, {
      toQueue: async (arn, body) => {
        const queue = model.queues.find((q) => q.arn === arn);
        if (!queue) throw new Error(`rule target ${arn} is not a queue of this template`);
        await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
      },
      toFunction: (arn, event) => void runtime.invoke(arn, event).catch((err) => log('eventbridge', 'stderr', `async invoke of ${arn} failed: ${err.message}`)),
    });
    const eventbridge = await bus.start();
    stoppers.push(() => bus.stop());

    const ssm = new SsmEmulator(model.parameters, model.naming);
    const ssmEndpoint = await ssm.start();
    stoppers.push(() => ssm.stop());
    // Publish the development issuer's public keys where the customer routes look for them (the template says where).
    const issuer = opts.issuer ?? (await DevIssuer.load());
    for (const name of new Set(model.functions.map((f) => f.environment.AUTH_JWKS_PARAMETER).filter(Boolean))) ssm.put(name, JSON.stringify(issuer.jwks()));

    runtime = new LambdaRuntime(model.functions, {
      naming: model.naming,
      endpointEnv: {
        AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamodbEndpoint,
        AWS_ENDPOINT_URL_SQS: sqsEndpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: eventbridge,
        AWS_ENDPOINT_URL_SSM: ssmEndpoint,
      },
      extraEnv: functionEnv(),
      logSink: log,
      onInvocation: ({ functionName, durationMs, error }) => {
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

    // Scheduled rules: rate() expressions on a timer (cron is not needed by this stack yet).
    for (const rule of model.rules.filter((r) => r.scheduleExpression && r.state === 'ENABLED')) {
      const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(rule.scheduleExpression!);
      if (!m) {
        log('scheduler', 'stderr', `${rule.name}: '${rule.scheduleExpression}' is not supported offline`);
        continue;
      }
      const unitMs = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[m[2].replace(/s$/, '') as 'minute'];
      const timer = setInterval(() => {
        const event = { version: '0', id: crypto.randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: model.naming.accountId, time: new Date().toISOString(), region: model.naming.region, resources: [`arn:aws:events:${model.naming.region}:${model.naming.accountId}:rule/${rule.name}`], detail: {} };
        for (const t of rule.targets) {
          if (t.kind === 'lambda') void runtime.invoke(t.arn, event).catch((err) => log('scheduler', 'stderr', err.message));
        }
      }, Number(m[1]) * unitMs * timeScale);
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
    const sampler = setInterval(sampleQueues, Math.max(50, 60_000 * timeScale));
    stoppers.push(async () => clearInterval(sampler));

    const alarms = new AlarmEvaluator(model.alarms, metrics, { msPerMetricSecond: 1000 * timeScale });
    alarms.start((t) => {
      log('alarms', 'stdout', JSON.stringify(t));
      opts.onAlarm?.(t);
    });
    stoppers.push(async () => alarms.stop());

    const setFaults = (faults: string[]) => {
      activeFaults = [...faults];
      runtime.setExtraEnv(functionEnv());
      log('game-day', 'stdout', JSON.stringify({ faults: activeFaults, at: new Date().toISOString() }));
    };

    const [restApi] = model.restApis;
    const doc = DynamoDBDocumentClient.from(dynamodb);
    const api = new ApiGatewayEmulator(restApi, runtime, model.naming.accountId, {
      onRequest: ({ apiName, status, latencyMs }) => {
        const d = { namespace: 'AWS/ApiGateway', dimensions: { ApiName: apiName }, timestamp: Date.now() };
        metrics.put({ ...d, name: 'Count', value: 1, unit: 'Count' });
        metrics.put({ ...d, name: '4XXError', value: status >= 400 && status < 500 ? 1 : 0, unit: 'Count' });
        metrics.put({ ...d, name: '5XXError', value: status >= 500 ? 1 : 0, unit: 'Count' });
        metrics.put({ ...d, name: 'Latency', value: latencyMs, unit: 'Milliseconds' });
      },
      limits: opts.apiLimits,
      local: opsHandler({
        model,
        metrics,
        alarms,
        sqs,
        doc,
        timeScale,
        inspectQueue: (name) => fauxqs.inspectQueue(name)?.messages,
        faults: { active: () => [...activeFaults], set: setFaults },
      }),
    });
    const apiUrl = await api.start(opts.port ?? 3000);
    stoppers.push(() => api.stop());

    return {
      apiUrl,
      model,
      endpoints: { dynamodb: dynamodbEndpoint, sqs: sqsEndpoint, eventbridge, ssm: ssmEndpoint },
      parameters: { get: (name) => ssm.get(name), put: (name, value, type, overwrite) => ssm.put(name, value, type, overwrite) },
      issuer,
      invoke: (fn, event) => runtime.invoke(fn, event),
      putEvents: (entries: PutEventsEntry[]) => bus.putEvents(entries),
      onEvent: (l) => bus.onEvent(l),
      tableName: (prefix) => byPrefix(model.tables, prefix, 'table').tableName,
      queueUrl: (prefix) => byPrefix(model.queues, prefix, 'queue').url,
      sqsClient,
      metrics,
      alarms,
      setFaults,
      faults: () => [...activeFaults],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
