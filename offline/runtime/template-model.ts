/**
 * Builds the PlatformModel (model.ts) from a synthesized template: what the offline runtime creates and
 * runs comes from the same template CloudFormation would deploy, with intrinsics resolved to offline names.
 * Defaults are AWS's; references that point nowhere (a DLQ, an event source, an integration) throw.
 */
import path from 'node:path';
import { CfnResolver, type CfnResource, type CfnTemplate } from './cfn-intrinsics';
import { validateEventPattern } from './event-pattern';
import type { AlarmMetricStat } from './alarms';
import type {
  AlarmModel,
  ApiRouteModel,
  DashboardModel,
  EventBusModel,
  EventSourceMappingModel,
  FunctionModel,
  KeyAttribute,
  MetricFilterModel,
  OfflineNaming,
  PlatformModel,
  QueueModel,
  RestApiModel,
  RuleModel,
  SsmParameterModel,
  TableIndex,
  TableModel,
} from './model';

export type { CfnTemplate } from './cfn-intrinsics';

export interface LoadPlatformModelOptions {
  stackName: string;
  /** The cdk.out directory the template was written to: `aws:asset:path` metadata is relative to it. */
  assetRoot: string;
  naming: OfflineNaming;
}

type Props = (key: string) => any;

export function loadPlatformModel(template: CfnTemplate, opts: LoadPlatformModelOptions): PlatformModel {
  const cfn = new CfnResolver(template, { stackName: opts.stackName, naming: opts.naming });
  // Each property is resolved only when read, so unrelated resources (policies, alarms…) never need resolving.
  const each = <T>(types: string[], build: (id: string, props: Props, resource: CfnResource) => T): T[] =>
    cfn
      .resources(...types)
      .map(([id, resource]) => build(id, (key) => cfn.resolve(resource.Properties?.[key], `${id}.Properties.${key}`), resource));

  const tables = each(['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'], (id, props) => loadTable(cfn, id, props));
  const queues = each(['AWS::SQS::Queue'], (id, props) => loadQueue(cfn, id, props));
  const buses = each(
    ['AWS::Events::EventBus'],
    (id): EventBusModel => ({ logicalId: id, name: cfn.physicalName(id), arn: String(cfn.getAtt(id, 'Arn', id)) }),
  );
  const logGroupKey = logGroupKeys(cfn);
  const functions = each(['AWS::Lambda::Function'], (id, props, resource) =>
    loadFunction(cfn, id, props, resource, opts.assetRoot, logGroupKey),
  );

  const functionIdOf = (value: string, at: string): string => {
    // A function is named by name, ARN or qualified ARN (…:function:name:alias); the qualifier does not matter offline.
    const unqualified = value.startsWith('arn:') ? value.split(':').slice(0, 7).join(':') : value.split(':')[0];
    const fn = functions.find((f) => f.functionName === unqualified || f.arn === unqualified);
    return fn ? fn.logicalId : fail(at, `no function of this template is "${value}"`);
  };
  const queueArns = new Set(queues.map((q) => q.arn));
  for (const queue of queues) {
    if (queue.deadLetter && !queueArns.has(queue.deadLetter.targetArn)) {
      fail(`${queue.logicalId}.Properties.RedrivePolicy`, `the dead-letter queue ${queue.deadLetter.targetArn} is not in this template`);
    }
  }

  const rules = each(['AWS::Events::Rule'], (id, props) => loadRule(cfn, id, props, queueArns, functionIdOf));
  const eventSourceMappings = each(['AWS::Lambda::EventSourceMapping'], (id, props) => {
    const mapping = loadEventSourceMapping(id, props, functionIdOf);
    const known = mapping.kind === 'sqs' ? queueArns.has(mapping.sourceArn) : tables.some((t) => t.streamArn === mapping.sourceArn);
    return known
      ? mapping
      : fail(`${id}.Properties.EventSourceArn`, `${mapping.sourceArn} is not a queue or table stream of this template`);
  });
  const restApis = each(['AWS::ApiGateway::RestApi'], (id) => loadRestApi(cfn, id, functionIdOf, logGroupKey));
  const parameters = each(
    ['AWS::SSM::Parameter'],
    (id, props): SsmParameterModel => ({
      logicalId: id,
      name: cfn.physicalName(id),
      type: cfn.string(props('Type'), `${id}.Properties.Type`),
      value: cfn.string(props('Value'), `${id}.Properties.Value`),
    }),
  );

  const alarms = each(['AWS::CloudWatch::Alarm'], (id, props) => loadAlarm(cfn, id, props));
  const metricFilters = each(['AWS::Logs::MetricFilter'], (id, props) => loadMetricFilter(cfn, id, props, logGroupKey));
  const dashboards = each(['AWS::CloudWatch::Dashboard'], (id, props): DashboardModel => {
    const body = cfn.string(props('DashboardBody'), `${id}.Properties.DashboardBody`);
    try {
      return { logicalId: id, name: props('DashboardName') ?? cfn.physicalName(id), body: JSON.parse(body) };
    } catch (err) {
      return fail(`${id}.Properties.DashboardBody`, `not JSON: ${(err as Error).message}`);
    }
  });

  const outputs: Record<string, string> = {};
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition === undefined || cfn.condition(output.Condition, `Outputs.${name}.Condition`)) {
      outputs[name] = cfn.string(output.Value, `Outputs.${name}.Value`);
    }
  }

  return {
    stackName: opts.stackName,
    naming: opts.naming,
    tables,
    queues,
    buses,
    rules,
    functions,
    eventSourceMappings,
    restApis,
    parameters,
    alarms,
    metricFilters,
    dashboards,
    outputs,
  };
}

/**
 * One name per log group, however the template refers to it (Ref, Fn::GetAtt Arn, or its LogGroupName): the
 * group's logical id for a group of this template, else the name as given (`/aws/lambda/<function>`).
 */
function logGroupKeys(cfn: CfnResolver): (value: unknown, at: string) => string {
  const known = new Map<string, string>();
  for (const [id, r] of cfn.resources('AWS::Logs::LogGroup')) {
    known.set(String(cfn.ref(id, id)), id);
    known.set(String(cfn.getAtt(id, 'Arn', id)), id);
    if (r.Properties?.LogGroupName !== undefined) known.set(cfn.string(r.Properties.LogGroupName, `${id}.Properties.LogGroupName`), id);
  }
  return (value, at) => {
    const name = cfn.string(value, at);
    return known.get(name) ?? name;
  };
}

/** An AWS::Logs::MetricFilter, checked as CloudWatch Logs checks PutMetricFilter (the pattern itself: filter-pattern.ts). */
function loadMetricFilter(
  cfn: CfnResolver,
  id: string,
  props: Props,
  logGroupKey: (value: unknown, at: string) => string,
): MetricFilterModel {
  const at = (key: string) => `${id}.Properties.${key}`;
  const transformations = (props('MetricTransformations') as any[] | undefined) ?? fail(at('MetricTransformations'), 'required');
  return {
    logicalId: id,
    logGroup: logGroupKey(props('LogGroupName') ?? fail(at('LogGroupName'), 'required'), at('LogGroupName')),
    filterPattern: cfn.string(props('FilterPattern') ?? '', at('FilterPattern')),
    transformations: transformations.map((t, i) => {
      const where = `${at('MetricTransformations')}[${i}]`;
      const dimensions = Object.fromEntries(
        ((t.Dimensions ?? []) as { Key: unknown; Value: unknown }[]).map((d, j) => [
          cfn.string(d.Key, `${where}.Dimensions[${j}].Key`),
          cfn.string(d.Value, `${where}.Dimensions[${j}].Value`),
        ]),
      );
      if (Object.keys(dimensions).length > 3) fail(`${where}.Dimensions`, 'at most 3 dimensions');
      if (t.DefaultValue !== undefined && Object.keys(dimensions).length)
        fail(`${where}.DefaultValue`, 'CloudWatch Logs refuses a default value on a transformation with dimensions');
      return {
        namespace: cfn.string(t.MetricNamespace, `${where}.MetricNamespace`),
        metricName: cfn.string(t.MetricName, `${where}.MetricName`),
        metricValue: cfn.string(t.MetricValue, `${where}.MetricValue`),
        ...(t.DefaultValue !== undefined && { defaultValue: numberOr(t.DefaultValue, undefined, `${where}.DefaultValue`) }),
        ...(t.Unit !== undefined && { unit: cfn.string(t.Unit, `${where}.Unit`) }),
        dimensions,
      };
    }),
  };
}

const COMPARISONS = ['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
const MISSING = ['missing', 'notBreaching', 'breaching', 'ignore'] as const;

function dimensionsOf(cfn: CfnResolver, value: unknown, at: string): Record<string, string> {
  const list = (value ?? []) as { Name: unknown; Value: unknown }[];
  return Object.fromEntries(list.map((d, i) => [cfn.string(d.Name, `${at}[${i}].Name`), cfn.string(d.Value, `${at}[${i}].Value`)]));
}

/** An AWS::CloudWatch::Alarm: single metric (Statistic or ExtendedStatistic) or metric math (Metrics). */
function loadAlarm(cfn: CfnResolver, id: string, props: Props): AlarmModel {
  const at = `${id}.Properties`;
  const evaluationPeriods = numberOr(props('EvaluationPeriods'), undefined, `${at}.EvaluationPeriods`);
  const comparisonOperator = props('ComparisonOperator');
  if (!COMPARISONS.includes(comparisonOperator)) fail(`${at}.ComparisonOperator`, `${comparisonOperator} is not supported offline`);
  const treatMissingData = props('TreatMissingData') ?? 'missing';
  if (!MISSING.includes(treatMissingData)) fail(`${at}.TreatMissingData`, `unknown value ${treatMissingData}`);
  const base = {
    logicalId: id,
    alarmName: props('AlarmName') ?? cfn.physicalName(id),
    description: props('AlarmDescription'),
    evaluationPeriods,
    datapointsToAlarm: numberOr(props('DatapointsToAlarm'), evaluationPeriods, `${at}.DatapointsToAlarm`),
    threshold: numberOr(props('Threshold'), undefined, `${at}.Threshold`),
    comparisonOperator,
    treatMissingData,
    alarmActions: ((props('AlarmActions') ?? []) as unknown[]).map(String),
  };
  const metrics = props('Metrics') as any[] | undefined;
  if (metrics) {
    return {
      ...base,
      metrics: metrics.map((m, i) => {
        const stat = m.MetricStat;
        const metricStat: AlarmMetricStat | undefined = stat && {
          namespace: String(stat.Metric.Namespace),
          metricName: String(stat.Metric.MetricName),
          dimensions: dimensionsOf(cfn, stat.Metric.Dimensions, `${at}.Metrics[${i}].MetricStat.Metric.Dimensions`),
          periodSeconds: numberOr(stat.Period, undefined, `${at}.Metrics[${i}].MetricStat.Period`),
          stat: String(stat.Stat),
        };
        return {
          id: String(m.Id),
          expression: m.Expression,
          metricStat,
          periodSeconds: m.Period,
          returnData: m.ReturnData !== false && m.ReturnData !== 'false',
          label: m.Label,
        };
      }),
    };
  }
  const stat = props('ExtendedStatistic') ?? props('Statistic');
  if (!props('MetricName') || !stat) fail(at, 'an alarm needs MetricName and Statistic/ExtendedStatistic, or Metrics');
  return {
    ...base,
    metric: {
      namespace: props('Namespace'),
      metricName: props('MetricName'),
      dimensions: dimensionsOf(cfn, props('Dimensions'), `${at}.Dimensions`),
      periodSeconds: numberOr(props('Period'), undefined, `${at}.Period`),
      stat: String(stat),
    },
  };
}

function fail(path: string, message: string): never {
  throw new Error(`${path}: ${message}`);
}

/** A number property, or AWS's default when absent (templates may carry numbers as strings); no default = required. */
function numberOr(value: unknown, fallback: number | undefined, at: string): number {
  if (value === undefined) return fallback ?? fail(at, 'required');
  const n = Number(value);
  return Number.isFinite(n) && value !== '' ? n : fail(at, `expected a number, got ${JSON.stringify(value)}`);
}

const isTrue = (value: unknown) => value === true || value === 'true';

function loadTable(cfn: CfnResolver, id: string, props: Props): TableModel {
  const attributes: { AttributeName: string; AttributeType: KeyAttribute['type'] }[] = props('AttributeDefinitions') ?? [];
  const keys = (schema: { AttributeName: string; KeyType: string }[] | undefined, at: string) => {
    const attribute = (keyType: string): KeyAttribute | undefined => {
      const name = schema?.find((k) => k.KeyType === keyType)?.AttributeName;
      if (name === undefined) return undefined;
      const type = attributes.find((a) => a.AttributeName === name)?.AttributeType;
      return type ? { name, type } : fail(at, `key attribute "${name}" is missing from AttributeDefinitions`);
    };
    return { partitionKey: attribute('HASH') ?? fail(at, 'no HASH key'), sortKey: attribute('RANGE') };
  };
  const indexes: any[] = props('GlobalSecondaryIndexes') ?? [];
  const globalSecondaryIndexes = indexes.map((index, i): TableIndex => {
    const at = `${id}.Properties.GlobalSecondaryIndexes[${i}]`;
    const { partitionKey, sortKey } = keys(index.KeySchema, `${at}.KeySchema`);
    return {
      indexName: index.IndexName,
      partitionKey,
      ...(sortKey && { sortKey }),
      projectionType: index.Projection?.ProjectionType ?? fail(`${at}.Projection`, 'no ProjectionType'),
      ...(index.Projection?.NonKeyAttributes && { nonKeyAttributes: index.Projection.NonKeyAttributes }),
    };
  });
  const { partitionKey, sortKey } = keys(props('KeySchema'), `${id}.Properties.KeySchema`);
  const streamViewType: string | undefined = props('StreamSpecification')?.StreamViewType;
  const ttl = props('TimeToLiveSpecification');
  return {
    logicalId: id,
    tableName: cfn.physicalName(id),
    partitionKey,
    ...(sortKey && { sortKey }),
    globalSecondaryIndexes,
    ...(streamViewType && { streamViewType, streamArn: String(cfn.getAtt(id, 'StreamArn', id)) }),
    ...(ttl && isTrue(ttl.Enabled) && { timeToLiveAttribute: ttl.AttributeName }),
    arn: String(cfn.getAtt(id, 'Arn', id)),
  };
}

function loadQueue(cfn: CfnResolver, id: string, props: Props): QueueModel {
  const at = (key: string) => `${id}.Properties.${key}`;
  let redrive = props('RedrivePolicy');
  if (typeof redrive === 'string') redrive = JSON.parse(redrive);
  return {
    logicalId: id,
    queueName: cfn.physicalName(id),
    url: String(cfn.ref(id, id)),
    arn: String(cfn.getAtt(id, 'Arn', id)),
    fifo: isTrue(props('FifoQueue')),
    visibilityTimeoutSeconds: numberOr(props('VisibilityTimeout'), 30, at('VisibilityTimeout')),
    messageRetentionSeconds: numberOr(props('MessageRetentionPeriod'), 345_600, at('MessageRetentionPeriod')),
    delaySeconds: numberOr(props('DelaySeconds'), 0, at('DelaySeconds')),
    receiveWaitTimeSeconds: numberOr(props('ReceiveMessageWaitTimeSeconds'), 0, at('ReceiveMessageWaitTimeSeconds')),
    ...(redrive && {
      deadLetter: {
        targetArn: cfn.string(redrive.deadLetterTargetArn, `${at('RedrivePolicy')}.deadLetterTargetArn`),
        maxReceiveCount: numberOr(redrive.maxReceiveCount, undefined, `${at('RedrivePolicy')}.maxReceiveCount`),
      },
    }),
  };
}

/** EventPattern / FilterCriteria patterns: objects or JSON strings, validated as AWS validates them on deploy. */
function parsePattern(value: unknown, at: string): unknown {
  try {
    const pattern = typeof value === 'string' ? JSON.parse(value) : value;
    validateEventPattern(pattern);
    return pattern;
  } catch (error) {
    return fail(at, (error as Error).message);
  }
}

function loadRule(
  cfn: CfnResolver,
  id: string,
  props: Props,
  queueArns: Set<string>,
  functionIdOf: (value: string, at: string) => string,
): RuleModel {
  const pattern = props('EventPattern');
  const schedule: string | undefined = props('ScheduleExpression');
  const targets: any[] = props('Targets') ?? [];
  return {
    logicalId: id,
    name: cfn.physicalName(id),
    eventBusName: cfn.ruleBusName(id),
    // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is enabled too.
    state: props('State') === 'DISABLED' ? 'DISABLED' : 'ENABLED',
    ...(pattern !== undefined && { eventPattern: parsePattern(pattern, `${id}.Properties.EventPattern`) }),
    ...(schedule !== undefined && { scheduleExpression: schedule }),
    targets: targets.map((target, i) => {
      const at = `${id}.Properties.Targets[${i}]`;
      const arn = cfn.string(target.Arn, `${at}.Arn`);
      const kind = arn.startsWith('arn:aws:sqs:') ? 'sqs' : arn.startsWith('arn:aws:lambda:') ? 'lambda' : 'other';
      if (kind === 'sqs' && !queueArns.has(arn)) fail(`${at}.Arn`, `the queue ${arn} is not in this template`);
      if (kind === 'lambda') functionIdOf(arn, `${at}.Arn`);
      return {
        id: cfn.string(target.Id, `${at}.Id`),
        arn,
        kind,
        ...(target.Input !== undefined && { input: cfn.string(target.Input, `${at}.Input`) }),
        ...(target.InputPath !== undefined && { inputPath: cfn.string(target.InputPath, `${at}.InputPath`) }),
        ...(target.DeadLetterConfig?.Arn !== undefined && {
          deadLetterArn: cfn.string(target.DeadLetterConfig.Arn, `${at}.DeadLetterConfig.Arn`),
        }),
      };
    }),
  };
}

function loadFunction(
  cfn: CfnResolver,
  id: string,
  props: Props,
  resource: CfnResource,
  assetRoot: string,
  logGroupKey: (value: unknown, at: string) => string,
): FunctionModel {
  const at = (key: string) => `${id}.Properties.${key}`;
  const variables: Record<string, unknown> = props('Environment')?.Variables ?? {};
  const environment = Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [k, cfn.string(v, `${at('Environment')}.Variables.${k}`)]),
  );
  const reserved = props('ReservedConcurrentExecutions');
  const codeDirectory = codeDirectoryOf(id, props, resource, assetRoot);
  const logGroup = props('LoggingConfig')?.LogGroup;
  return {
    logicalId: id,
    functionName: cfn.physicalName(id),
    logGroup: logGroup !== undefined ? logGroupKey(logGroup, `${at('LoggingConfig')}.LogGroup`) : `/aws/lambda/${cfn.physicalName(id)}`,
    arn: String(cfn.getAtt(id, 'Arn', id)),
    handler: cfn.string(props('Handler'), at('Handler')),
    runtime: cfn.string(props('Runtime'), at('Runtime')),
    timeoutSeconds: numberOr(props('Timeout'), 3, at('Timeout')),
    memorySize: numberOr(props('MemorySize'), 128, at('MemorySize')),
    environment,
    ...(codeDirectory && { codeDirectory }),
    ...(reserved !== undefined && { reservedConcurrency: numberOr(reserved, undefined, at('ReservedConcurrentExecutions')) }),
  };
}

/** The asset directory cdk synth wrote: `aws:asset:path` metadata, else the `<hash>.zip` S3 key of a CDK asset. */
function codeDirectoryOf(id: string, props: Props, resource: CfnResource, assetRoot: string): string | undefined {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath === 'string') return path.resolve(assetRoot, assetPath);
  const code = props('Code');
  if (code?.ZipFile !== undefined) return undefined; // inline code: nothing on disk
  const hash = typeof code?.S3Key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(path.posix.basename(code.S3Key))?.[1] : undefined;
  return hash
    ? path.resolve(assetRoot, `asset.${hash}`)
    : fail(`${id}.Properties.Code`, 'neither aws:asset:path metadata nor a CDK asset S3Key: the code is not on this machine');
}

function loadEventSourceMapping(id: string, props: Props, functionIdOf: (value: string, at: string) => string): EventSourceMappingModel {
  const at = (key: string) => `${id}.Properties.${key}`;
  const sourceArn: string =
    props('EventSourceArn') ?? fail(at('EventSourceArn'), 'missing (only SQS queues and DynamoDB streams run offline)');
  const kind = sourceArn.startsWith('arn:aws:sqs:')
    ? 'sqs'
    : /^arn:aws:dynamodb:.*\/stream\//.test(sourceArn)
      ? 'dynamodb-stream'
      : fail(at('EventSourceArn'), `${sourceArn}: only SQS queues and DynamoDB streams run offline`);
  const filters: { Pattern: unknown }[] = props('FilterCriteria')?.Filters ?? [];
  const onFailure = props('DestinationConfig')?.OnFailure?.Destination;
  const maximumConcurrency = props('ScalingConfig')?.MaximumConcurrency;
  return {
    logicalId: id,
    functionLogicalId: functionIdOf(String(props('FunctionName')), at('FunctionName')),
    sourceArn,
    kind,
    batchSize: numberOr(props('BatchSize'), kind === 'sqs' ? 10 : 100, at('BatchSize')),
    maximumBatchingWindowSeconds: numberOr(props('MaximumBatchingWindowInSeconds'), 0, at('MaximumBatchingWindowInSeconds')),
    enabled: props('Enabled') === undefined || isTrue(props('Enabled')),
    reportBatchItemFailures: (props('FunctionResponseTypes') ?? []).includes('ReportBatchItemFailures'),
    ...(kind === 'dynamodb-stream' && {
      startingPosition: props('StartingPosition'),
      // AWS's default is -1: retry until the record expires from the stream.
      maximumRetryAttempts: numberOr(props('MaximumRetryAttempts'), -1, at('MaximumRetryAttempts')),
      bisectBatchOnFunctionError: isTrue(props('BisectBatchOnFunctionError')),
    }),
    ...(onFailure !== undefined && { onFailureDestinationArn: String(onFailure) }),
    filterPatterns: filters.map((f, i) => parsePattern(f.Pattern, `${at('FilterCriteria')}.Filters[${i}].Pattern`)),
    ...(maximumConcurrency !== undefined && {
      maximumConcurrency: numberOr(maximumConcurrency, undefined, `${at('ScalingConfig')}.MaximumConcurrency`),
    }),
  };
}

function loadRestApi(
  cfn: CfnResolver,
  apiId: string,
  functionIdOf: (value: string, at: string) => string,
  logGroupKey: (value: unknown, at: string) => string,
): RestApiModel {
  const rootId = cfn.getAtt(apiId, 'RootResourceId', apiId);
  const ofThisApi = (type: string) =>
    cfn.resources(type).filter(([id, r]) => cfn.string(r.Properties?.RestApiId, `${id}.Properties.RestApiId`) === cfn.ref(apiId, apiId));
  const resources = new Map(ofThisApi('AWS::ApiGateway::Resource'));

  /** Full path of a resource id, walking ParentId/PathPart up to the root resource. */
  const pathOf = (resourceId: string, at: string): string => {
    if (resourceId === rootId) return '/';
    const resource = resources.get(resourceId) ?? fail(at, `no AWS::ApiGateway::Resource "${resourceId}" in RestApi ${apiId}`);
    const parent = cfn.string(resource.Properties?.ParentId, `${resourceId}.Properties.ParentId`);
    const part = cfn.string(resource.Properties?.PathPart, `${resourceId}.Properties.PathPart`);
    const parentPath = pathOf(parent, `${resourceId}.Properties.ParentId`);
    return `${parentPath === '/' ? '' : parentPath}/${part}`;
  };

  const routes = ofThisApi('AWS::ApiGateway::Method').map(([id, method]): ApiRouteModel => {
    const at = (key: string) => `${id}.Properties.${key}`;
    const get = (key: string): any => cfn.resolve(method.Properties?.[key], at(key));
    const integration = get('Integration') ?? fail(at('Integration'), 'a method without an integration cannot be served');
    // Lambda integrations call `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations`.
    const lambdaArn = /:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/.exec(String(integration.Uri ?? ''))?.[1];
    return {
      method: cfn.string(get('HttpMethod'), at('HttpMethod')).toUpperCase(),
      path: pathOf(cfn.string(get('ResourceId'), at('ResourceId')), at('ResourceId')),
      authorizationType: get('AuthorizationType') ?? 'NONE',
      apiKeyRequired: isTrue(get('ApiKeyRequired')),
      ...(lambdaArn && { functionLogicalId: functionIdOf(lambdaArn, `${at('Integration')}.Uri`) }),
      integrationType: integration.Type,
    };
  });

  const [stage] = ofThisApi('AWS::ApiGateway::Stage');
  const deploymentStage = ofThisApi('AWS::ApiGateway::Deployment').find(([, d]) => d.Properties?.StageName !== undefined);
  const [stageId, stageResource] = stage ?? deploymentStage ?? fail(apiId, 'the RestApi has no stage: nothing could invoke it');
  const settings = stage
    ? ((cfn.resolve(stageResource.Properties?.MethodSettings, `${stageId}.Properties.MethodSettings`) as any[] | undefined) ?? [])
    : [];
  const accessLog = stage
    ? (cfn.resolve(stageResource.Properties?.AccessLogSetting, `${stageId}.Properties.AccessLogSetting`) as
        | { DestinationArn?: unknown; Format?: unknown }
        | undefined)
    : undefined;
  return {
    logicalId: apiId,
    name: cfn.physicalName(apiId),
    stageName: cfn.string(stageResource.Properties?.StageName, `${stageId}.Properties.StageName`),
    routes,
    throttling: settings
      .filter((s) => s.ThrottlingRateLimit !== undefined || s.ThrottlingBurstLimit !== undefined)
      .map((s) => ({
        path: methodSettingsPath(String(s.ResourcePath)),
        method: String(s.HttpMethod),
        ...(s.ThrottlingRateLimit !== undefined && { rateLimit: Number(s.ThrottlingRateLimit) }),
        ...(s.ThrottlingBurstLimit !== undefined && { burstLimit: Number(s.ThrottlingBurstLimit) }),
      })),
    // Without a Format, API Gateway writes its default CLF line; the templates here always give one.
    ...(accessLog?.DestinationArn !== undefined && {
      accessLog: {
        logGroup: logGroupKey(accessLog.DestinationArn, `${stageId}.Properties.AccessLogSetting.DestinationArn`),
        format: cfn.string(accessLog.Format ?? DEFAULT_ACCESS_LOG_FORMAT, `${stageId}.Properties.AccessLogSetting.Format`),
      },
    }),
  };
}

/** API Gateway's access log format when AccessLogSetting has none (CLF). */
const DEFAULT_ACCESS_LOG_FORMAT =
  '$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId';

/**
 * MethodSettings name a resource as '/' + its path JSON-pointer escaped: '/~1orders~1{id}' is '/orders/{id}'.
 * '/*' (kept as is) means every resource, as HttpMethod '*' means every method.
 */
function methodSettingsPath(resourcePath: string): string {
  const unescaped = resourcePath.slice(1).replaceAll('~1', '/').replaceAll('~0', '~');
  return unescaped.startsWith('/') ? unescaped : `/${unescaped}`;
}
