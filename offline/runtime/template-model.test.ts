/**
 * loadPlatformModel against templates CDK really synthesizes (written to disk, so the `aws:asset:path` metadata is
 * exercised as `cdk synth` writes it), plus small hand-written templates for the intrinsics CDK rarely emits.
 */
import { App, type CfnElement, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ddb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { IConstruct } from 'constructs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfflineNaming, PlatformModel } from './model';
import { loadPlatformModel, type CfnTemplate } from './template-model';

const naming = (resourcePrefix: string): OfflineNaming => ({
  region: 'us-east-1',
  accountId: '000000000000',
  sqsEndpoint: 'http://127.0.0.1:4566',
  resourcePrefix,
});
const ARN = 'arn:aws:%s:us-east-1:000000000000:';
const arn = (service: string, rest: string) => ARN.replace('%s', service) + rest;

const tempDirs: string[] = [];
const tempDir = (name: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `template-model-${name}-`));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const HANDLER_SOURCE = 'export const handler = async () => ({ statusCode: 200, body: "ok" });\n';

/** The stack under test: one of everything the offline runtime reads. Returns the logical ids by role. */
function buildStack(app: App, codeDir: string) {
  const stack = new Stack(app, 'T');
  const id = (construct: IConstruct) => stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

  const table = new ddb.Table(stack, 'Orders', {
    tableName: 'Orders',
    partitionKey: { name: 'pk', type: ddb.AttributeType.STRING },
    sortKey: { name: 'sk', type: ddb.AttributeType.STRING },
    stream: ddb.StreamViewType.NEW_IMAGE,
    timeToLiveAttribute: 'expiresAt',
    billingMode: ddb.BillingMode.PAY_PER_REQUEST,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  table.addGlobalSecondaryIndex({
    indexName: 'byCustomer',
    partitionKey: { name: 'customerId', type: ddb.AttributeType.STRING },
    sortKey: { name: 'createdAt', type: ddb.AttributeType.NUMBER },
    projectionType: ddb.ProjectionType.INCLUDE,
    nonKeyAttributes: ['total'],
  });
  const plain = new ddb.Table(stack, 'Plain', {
    partitionKey: { name: 'id', type: ddb.AttributeType.STRING },
    removalPolicy: RemovalPolicy.DESTROY,
  });

  const dlq = new sqs.Queue(stack, 'Dlq', { queueName: 'work-dlq', retentionPeriod: Duration.days(14) });
  const queue = new sqs.Queue(stack, 'Work', {
    visibilityTimeout: Duration.seconds(60),
    deliveryDelay: Duration.seconds(5),
    receiveMessageWaitTime: Duration.seconds(20),
    deadLetterQueue: { queue: dlq, maxReceiveCount: 3 },
  });
  const fifo = new sqs.Queue(stack, 'Ordered', { fifo: true });

  const bus = new events.EventBus(stack, 'Bus', { eventBusName: 'ShopBus' });
  const toQueue = new events.Rule(stack, 'ToQueue', {
    eventBus: bus,
    eventPattern: { source: ['shop.orders'], detailType: ['order.created'], detail: { total: events.Match.greaterThan(0) } },
    targets: [new targets.SqsQueue(queue, { deadLetterQueue: dlq })],
  });

  const fnLogs = new logs.LogGroup(stack, 'FnLogs', { removalPolicy: RemovalPolicy.DESTROY });
  const fn = new lambda.Function(stack, 'Fn', {
    logGroup: fnLogs,
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(codeDir),
    timeout: Duration.seconds(10),
    memorySize: 256,
    reservedConcurrentExecutions: 5,
    environment: {
      TABLE_NAME: table.tableName,
      QUEUE_URL: queue.queueUrl,
      EVENT_BUS_NAME: bus.eventBusName,
      STREAM: table.tableStreamArn!,
    },
  });
  fn.addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true, maxConcurrency: 2 }));
  fn.addEventSource(
    new sources.DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 25,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      retryAttempts: 2,
      reportBatchItemFailures: true,
      onFailure: new sources.SqsDlq(dlq),
      filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual('INSERT') })],
    }),
  );
  const inline = new lambda.Function(stack, 'Inline', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });

  const accessLogs = new logs.LogGroup(stack, 'AccessLogs', { removalPolicy: RemovalPolicy.DESTROY });
  const api = new apigw.RestApi(stack, 'Api', {
    restApiName: 'shop-api',
    deployOptions: {
      accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
      accessLogFormat: apigw.AccessLogFormat.custom(
        '{"requestId":"$context.requestId","status":"$context.status","path":"$context.resourcePath"}',
      ),
      stageName: 'prod',
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
      methodOptions: { '/orders/{id}/GET': { throttlingRateLimit: 5, throttlingBurstLimit: 10 } },
    },
  });
  const integration = new apigw.LambdaIntegration(fn);
  const orders = api.root.addResource('orders');
  orders.addMethod('POST', integration);
  orders.addMethod('GET', integration);
  const order = orders.addResource('{id}');
  order.addMethod('GET', integration);
  order.addMethod('DELETE', new apigw.MockIntegration({ integrationResponses: [{ statusCode: '204' }] }), {
    methodResponses: [{ statusCode: '204' }],
  });
  order.addResource('tracking').addMethod('GET', integration, { authorizationType: apigw.AuthorizationType.IAM, apiKeyRequired: true });

  const tick = new events.Rule(stack, 'Tick', {
    schedule: events.Schedule.rate(Duration.minutes(1)),
    targets: [new targets.LambdaFunction(fn)],
  });
  const revenue = new logs.MetricFilter(stack, 'Revenue', {
    logGroup: fnLogs,
    filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'payment charged'),
    metricNamespace: 'Shop/FromLogs',
    metricName: 'Revenue',
    metricValue: '$.amount',
    dimensions: { currency: '$.currency' },
    unit: cloudwatch.Unit.NONE,
  });
  const charged = new logs.MetricFilter(stack, 'Charged', {
    logGroup: logs.LogGroup.fromLogGroupName(stack, 'InlineLogs', `/aws/lambda/${inline.functionName}`),
    filterPattern: logs.FilterPattern.allTerms('charged'),
    metricNamespace: 'Shop/FromLogs',
    metricName: 'Charged',
    defaultValue: 0,
  });
  const param = new ssm.StringParameter(stack, 'Param', { parameterName: '/shop/config', stringValue: 'v1' });
  const tableParam = new ssm.StringParameter(stack, 'TableParam', { stringValue: table.tableName });
  new CfnOutput(stack, 'ApiUrl', { value: api.url });
  new CfnOutput(stack, 'TableName', { value: table.tableName });

  return {
    stack,
    ids: {
      table: id(table),
      plain: id(plain),
      dlq: id(dlq),
      queue: id(queue),
      fifo: id(fifo),
      bus: id(bus),
      toQueue: id(toQueue),
      fn: id(fn),
      fnLogs: id(fnLogs),
      accessLogs: id(accessLogs),
      revenue: id(revenue),
      charged: id(charged),
      inline: id(inline),
      api: id(api),
      tick: id(tick),
      param: id(param),
      tableParam: id(tableParam),
    },
  };
}

describe('loadPlatformModel on a synthesized CDK stack', () => {
  let outdir: string;
  let codeDir: string;
  let template: CfnTemplate;
  let ids: ReturnType<typeof buildStack>['ids'];
  let model: PlatformModel;
  const load = (resourcePrefix: string) =>
    loadPlatformModel(template, { stackName: 'T', assetRoot: outdir, naming: naming(resourcePrefix) });

  beforeAll(() => {
    codeDir = tempDir('code');
    writeFileSync(path.join(codeDir, 'index.mjs'), HANDLER_SOURCE);
    outdir = tempDir('cdkout');
    // The CDK CLI sets this context; with it, each asset-backed resource carries `aws:asset:path` metadata.
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    ({ ids } = buildStack(app, codeDir));
    app.synth();
    template = JSON.parse(readFileSync(path.join(outdir, 'T.template.json'), 'utf8'));
    model = load('p1-');
  });

  const find = <T extends { logicalId: string }>(list: T[], logicalId: string): T => {
    const found = list.find((x) => x.logicalId === logicalId);
    if (!found) throw new Error(`${logicalId} not in the model`);
    return found;
  };

  it('reads tables: keys, GSIs, stream, TTL, names and ARNs', () => {
    expect(model.tables).toHaveLength(2);
    const tableArn = arn('dynamodb', 'table/p1-Orders');
    expect(find(model.tables, ids.table)).toEqual({
      logicalId: ids.table,
      tableName: 'p1-Orders',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      globalSecondaryIndexes: [
        {
          indexName: 'byCustomer',
          partitionKey: { name: 'customerId', type: 'S' },
          sortKey: { name: 'createdAt', type: 'N' },
          projectionType: 'INCLUDE',
          nonKeyAttributes: ['total'],
        },
      ],
      streamViewType: 'NEW_IMAGE',
      streamArn: `${tableArn}/stream/offline`,
      timeToLiveAttribute: 'expiresAt',
      arn: tableArn,
    });
    expect(find(model.tables, ids.plain)).toEqual({
      logicalId: ids.plain,
      tableName: `p1-${ids.plain}`,
      partitionKey: { name: 'id', type: 'S' },
      globalSecondaryIndexes: [],
      arn: arn('dynamodb', `table/p1-${ids.plain}`),
    });
  });

  it('reads queues: names, URLs, ARNs, AWS defaults, the redrive policy and FIFO names', () => {
    expect(model.queues).toHaveLength(3);
    expect(find(model.queues, ids.dlq)).toEqual({
      logicalId: ids.dlq,
      queueName: 'p1-work-dlq',
      url: 'http://127.0.0.1:4566/000000000000/p1-work-dlq',
      arn: arn('sqs', 'p1-work-dlq'),
      fifo: false,
      visibilityTimeoutSeconds: 30,
      messageRetentionSeconds: 14 * 86_400,
      delaySeconds: 0,
      receiveWaitTimeSeconds: 0,
    });
    expect(find(model.queues, ids.queue)).toEqual({
      logicalId: ids.queue,
      queueName: `p1-${ids.queue}`,
      url: `http://127.0.0.1:4566/000000000000/p1-${ids.queue}`,
      arn: arn('sqs', `p1-${ids.queue}`),
      fifo: false,
      visibilityTimeoutSeconds: 60,
      messageRetentionSeconds: 345_600,
      delaySeconds: 5,
      receiveWaitTimeSeconds: 20,
      deadLetter: { targetArn: arn('sqs', 'p1-work-dlq'), maxReceiveCount: 3 },
    });
    const fifo = find(model.queues, ids.fifo);
    expect(fifo.fifo).toBe(true);
    expect(fifo.queueName).toBe(`p1-${ids.fifo}.fifo`);
    expect(fifo.url).toBe(`http://127.0.0.1:4566/000000000000/p1-${ids.fifo}.fifo`);
  });

  it('reads the bus and the rule routing to a queue, with its pattern and target DLQ', () => {
    expect(model.buses).toEqual([{ logicalId: ids.bus, name: 'p1-ShopBus', arn: arn('events', 'event-bus/p1-ShopBus') }]);
    expect(find(model.rules, ids.toQueue)).toEqual({
      logicalId: ids.toQueue,
      name: `p1-${ids.toQueue}`,
      eventBusName: 'p1-ShopBus',
      state: 'ENABLED',
      // CDK renders detailType as "detail-type" and Match.greaterThan as a numeric matcher.
      eventPattern: { source: ['shop.orders'], 'detail-type': ['order.created'], detail: { total: [{ numeric: ['>', 0] }] } },
      targets: [{ id: 'Target0', arn: arn('sqs', `p1-${ids.queue}`), kind: 'sqs', deadLetterArn: arn('sqs', 'p1-work-dlq') }],
    });
  });

  it('reads the scheduled rule on the default bus with its Lambda target', () => {
    expect(find(model.rules, ids.tick)).toEqual({
      logicalId: ids.tick,
      name: `p1-${ids.tick}`,
      eventBusName: 'default',
      state: 'ENABLED',
      scheduleExpression: 'rate(1 minute)',
      targets: [{ id: 'Target0', arn: arn('lambda', `function:p1-${ids.fn}`), kind: 'lambda' }],
    });
  });

  it('reads functions: settings, resolved environment, asset directory from aws:asset:path', () => {
    const table = find(model.tables, ids.table);
    const queue = find(model.queues, ids.queue);
    const fn = find(model.functions, ids.fn);
    expect(fn).toEqual({
      logicalId: ids.fn,
      functionName: `p1-${ids.fn}`,
      arn: arn('lambda', `function:p1-${ids.fn}`),
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      timeoutSeconds: 10,
      memorySize: 256,
      reservedConcurrency: 5,
      environment: { TABLE_NAME: table.tableName, QUEUE_URL: queue.url, EVENT_BUS_NAME: model.buses[0].name, STREAM: table.streamArn },
      codeDirectory: expect.stringMatching(/\/asset\.[0-9a-f]{64}$/),
      logGroup: ids.fnLogs,
    });
    expect(fn.environment).toEqual({
      TABLE_NAME: 'p1-Orders',
      QUEUE_URL: `http://127.0.0.1:4566/000000000000/p1-${ids.queue}`,
      EVENT_BUS_NAME: 'p1-ShopBus',
      STREAM: arn('dynamodb', 'table/p1-Orders/stream/offline'),
    });
    expect(path.dirname(fn.codeDirectory!)).toBe(outdir);
    expect(template.Resources[ids.fn].Metadata?.['aws:asset:path']).toBe(path.basename(fn.codeDirectory!));
    expect(readFileSync(path.join(fn.codeDirectory!, 'index.mjs'), 'utf8')).toBe(HANDLER_SOURCE);
  });

  it('reads metric filters on the log groups the functions write to, however the template names the group', () => {
    expect(find(model.functions, ids.inline).logGroup).toBe(`/aws/lambda/p1-${ids.inline}`);
    expect(find(model.metricFilters, ids.revenue)).toEqual({
      logicalId: ids.revenue,
      logGroup: ids.fnLogs,
      filterPattern: '{ $.message = "payment charged" }',
      transformations: [
        {
          namespace: 'Shop/FromLogs',
          metricName: 'Revenue',
          metricValue: '$.amount',
          unit: 'None',
          dimensions: { currency: '$.currency' },
        },
      ],
    });
    expect(find(model.metricFilters, ids.charged)).toEqual({
      logicalId: ids.charged,
      logGroup: `/aws/lambda/p1-${ids.inline}`,
      filterPattern: '"charged"',
      transformations: [{ namespace: 'Shop/FromLogs', metricName: 'Charged', metricValue: '1', defaultValue: 0, dimensions: {} }],
    });
  });

  it('leaves inline code without a directory and applies the Lambda defaults', () => {
    const inline = find(model.functions, ids.inline);
    expect(inline.codeDirectory).toBeUndefined();
    expect(inline).toMatchObject({ functionName: `p1-${ids.inline}`, timeoutSeconds: 3, memorySize: 128, environment: {} });
    expect(inline.reservedConcurrency).toBeUndefined();
  });

  it('reads the SQS event source mapping', () => {
    const [mapping] = model.eventSourceMappings.filter((m) => m.kind === 'sqs');
    expect(mapping).toEqual({
      logicalId: expect.any(String),
      functionLogicalId: ids.fn,
      sourceArn: arn('sqs', `p1-${ids.queue}`),
      kind: 'sqs',
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      enabled: true,
      reportBatchItemFailures: true,
      filterPatterns: [],
      maximumConcurrency: 2,
    });
  });

  it('reads the DynamoDB stream event source mapping with its filters parsed', () => {
    const [mapping] = model.eventSourceMappings.filter((m) => m.kind === 'dynamodb-stream');
    expect(mapping).toEqual({
      logicalId: expect.any(String),
      functionLogicalId: ids.fn,
      sourceArn: find(model.tables, ids.table).streamArn,
      kind: 'dynamodb-stream',
      batchSize: 25,
      maximumBatchingWindowSeconds: 1,
      enabled: true,
      reportBatchItemFailures: true,
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: 2,
      bisectBatchOnFunctionError: true,
      onFailureDestinationArn: arn('sqs', 'p1-work-dlq'),
      filterPatterns: [{ eventName: ['INSERT'] }],
    });
    expect(model.eventSourceMappings).toHaveLength(2);
  });

  it('rebuilds the REST API: full paths, integrations, auth, stage and throttling', () => {
    expect(model.restApis).toHaveLength(1);
    const api = model.restApis[0];
    expect(api.logicalId).toBe(ids.api);
    expect(api.name).toBe('shop-api');
    expect(api.stageName).toBe('prod');
    const proxy = { authorizationType: 'NONE', apiKeyRequired: false, functionLogicalId: ids.fn, integrationType: 'AWS_PROXY' };
    expect(api.routes).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/orders', ...proxy },
        { method: 'GET', path: '/orders', ...proxy },
        { method: 'GET', path: '/orders/{id}', ...proxy },
        { method: 'DELETE', path: '/orders/{id}', authorizationType: 'NONE', apiKeyRequired: false, integrationType: 'MOCK' },
        { method: 'GET', path: '/orders/{id}/tracking', ...proxy, authorizationType: 'AWS_IAM', apiKeyRequired: true },
      ]),
    );
    expect(api.routes).toHaveLength(5);
    expect(api.accessLog).toEqual({
      logGroup: ids.accessLogs,
      format: '{"requestId":"$context.requestId","status":"$context.status","path":"$context.resourcePath"}',
    });
    // CDK writes ResourcePath '/~1orders~1{id}' for the per-method entry.
    expect(api.throttling).toEqual([
      { path: '/*', method: '*', rateLimit: 50, burstLimit: 100 },
      { path: '/orders/{id}', method: 'GET', rateLimit: 5, burstLimit: 10 },
    ]);
  });

  it('reads SSM parameters (names are not prefixed) and resolves outputs', () => {
    expect(model.parameters).toEqual([
      { logicalId: ids.param, name: '/shop/config', type: 'String', value: 'v1' },
      { logicalId: ids.tableParam, name: ids.tableParam, type: 'String', value: 'p1-Orders' },
    ]);
    expect(model.outputs.ApiUrl).toBe(`https://${ids.api}.execute-api.us-east-1.amazonaws.com/prod/`);
    expect(model.outputs.TableName).toBe('p1-Orders');
  });

  it('applies the resource prefix to every table, queue, function, bus and rule, and only there', () => {
    const unprefixed = load('');
    const names = (m: PlatformModel) => [
      ...m.tables.map((t) => t.tableName),
      ...m.queues.map((q) => q.queueName),
      ...m.functions.map((f) => f.functionName),
      ...m.buses.map((b) => b.name),
      ...m.rules.map((r) => r.name),
    ];
    expect(names(model).every((n) => n.startsWith('p1-'))).toBe(true);
    expect(names(model)).toEqual(names(unprefixed).map((n) => `p1-${n}`));
    expect(JSON.stringify(unprefixed)).not.toContain('p1-');
    expect(unprefixed.rules.find((r) => r.logicalId === ids.toQueue)?.eventBusName).toBe('ShopBus');
    expect(unprefixed.parameters).toEqual(model.parameters.map((p) => ({ ...p, value: p.value.replace('p1-', '') })));
    expect(unprefixed.restApis).toEqual(model.restApis);
  });

  it('finds the asset from the Code S3Key when the template has no asset metadata', () => {
    const plainOut = tempDir('no-metadata');
    const app = new App({ outdir: plainOut });
    const { stack, ids: plainIds } = buildStack(app, codeDir);
    const json = Template.fromStack(stack).toJSON() as CfnTemplate;
    expect(json.Resources[plainIds.fn].Metadata?.['aws:asset:path']).toBeUndefined();
    const fn = loadPlatformModel(json, { stackName: 'T', assetRoot: plainOut, naming: naming('') }).functions.find(
      (f) => f.logicalId === plainIds.fn,
    )!;
    const s3Key = (json.Resources[plainIds.fn].Properties!.Code as { S3Key: string }).S3Key;
    expect(fn.codeDirectory).toBe(path.join(plainOut, `asset.${s3Key.replace('.zip', '')}`));
    // Same source, same asset hash as the metadata case.
    expect(path.basename(fn.codeDirectory!)).toBe(path.basename(find(model.functions, ids.fn).codeDirectory!));
    app.synth();
    expect(existsSync(path.join(fn.codeDirectory!, 'index.mjs'))).toBe(true);
  });
});

/** Hand-written templates for the intrinsics and error paths. */
describe('intrinsics and wiring errors', () => {
  const fnResource = (variables: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    Type: 'AWS::Lambda::Function',
    Properties: { Handler: 'index.handler', Runtime: 'nodejs22.x', Code: { ZipFile: 'x' }, Environment: { Variables: variables } },
    ...extra,
  });
  const base = (): CfnTemplate => ({
    Parameters: {
      BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' },
      Subnets: { Type: 'CommaDelimitedList', Default: 'a,b' },
    },
    Mappings: { Sizes: { 'us-east-1': { Memory: 512 } } },
    Conditions: {
      IsUsEast1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
      IsOther: { 'Fn::Not': [{ Condition: 'IsUsEast1' }] },
      Both: { 'Fn::And': [{ Condition: 'IsUsEast1' }, { 'Fn::Equals': ['1', 1] }] },
      Either: { 'Fn::Or': [{ Condition: 'IsOther' }, { Condition: 'Both' }] },
    },
    Resources: {
      Table: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          TableName: { 'Fn::Sub': '${AWS::StackName}-orders' },
        },
      },
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'dlq.fifo', FifoQueue: true } },
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          FifoQueue: 'true',
          VisibilityTimeout: '45',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:x-dlq.fifo', maxReceiveCount: '4' }),
        },
      },
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'Shop' } },
      Alarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          Namespace: 'N',
          MetricName: 'M',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        },
      },
      Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Param: {
        Type: 'AWS::SSM::Parameter',
        Properties: { Type: 'String', Value: { 'Fn::Join': ['-', ['v', { Ref: 'AWS::Partition' }]] } },
      },
      OnlyElsewhere: { Type: 'AWS::SQS::Queue', Condition: 'IsOther' },
      Fn: fnResource({
        SUB: { 'Fn::Sub': '${AWS::Region}/${AWS::AccountId}/${AWS::Partition}/${AWS::URLSuffix}/${Table}/${Table.Arn}/${!Literal}' },
        SUB_VARS: { 'Fn::Sub': ['${Name}@${Queue.QueueName}', { Name: { Ref: 'Bus' } }] },
        SELECT: { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] },
        SELECT_PARAM: { 'Fn::Select': ['0', { Ref: 'Subnets' }] },
        GETATT_STRING: { 'Fn::GetAtt': 'Queue.QueueUrl' },
        IF: { 'Fn::If': ['IsUsEast1', 'here', 'there'] },
        IF_NESTED: { 'Fn::If': ['Either', 'yes', 'no'] },
        DROPPED: { 'Fn::If': ['IsOther', 'x', { Ref: 'AWS::NoValue' }] },
        MAP: { 'Fn::FindInMap': ['Sizes', { Ref: 'AWS::Region' }, 'Memory'] },
        PARAM: { Ref: 'BootstrapVersion' },
        ALARM: { Ref: 'Alarm' },
        ALARM_ARN: { 'Fn::GetAtt': ['Alarm', 'Arn'] },
        TOPIC: { Ref: 'Topic' },
        ROLE: { 'Fn::GetAtt': ['Role', 'Arn'] },
        SSM: { 'Fn::GetAtt': ['Param', 'Value'] },
        NUMBER: 42,
        STACK_ID: { Ref: 'AWS::StackId' },
      }),
    },
    Outputs: {
      Region: { Value: { Ref: 'AWS::Region' } },
      Skipped: { Value: { Ref: 'OnlyElsewhere' }, Condition: 'IsOther' },
    },
  });
  const load = (template: CfnTemplate, prefix = 'x-') =>
    loadPlatformModel(template, { stackName: 'Shop', assetRoot: '/tmp/cdk.out', naming: naming(prefix) });
  const withResources = (resources: CfnTemplate['Resources']): CfnTemplate => {
    const t = base();
    t.Resources = { ...t.Resources, ...resources };
    return t;
  };

  it('resolves Sub, Join, Select, Split, GetAtt strings, If/Conditions, FindInMap, parameters and pseudo parameters', () => {
    const model = load(base());
    expect(model.functions[0].environment).toEqual({
      SUB: `us-east-1/000000000000/aws/amazonaws.com/x-Shop-orders/${arn('dynamodb', 'table/x-Shop-orders')}/\${Literal}`,
      SUB_VARS: 'x-Shop@x-Queue.fifo',
      SELECT: 'b',
      SELECT_PARAM: 'a',
      GETATT_STRING: 'http://127.0.0.1:4566/000000000000/x-Queue.fifo',
      IF: 'here',
      IF_NESTED: 'yes',
      MAP: '512',
      PARAM: '/cdk-bootstrap/hnb659fds/version',
      ALARM: arn('cloudwatch', 'Alarm'),
      ALARM_ARN: arn('cloudwatch', 'Alarm'),
      TOPIC: arn('sns', 'Topic'),
      ROLE: 'arn:aws:iam::000000000000:role/Role',
      SSM: 'v-aws',
      NUMBER: '42',
      STACK_ID: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Shop/offline',
    });
    expect(model.functions[0].functionName).toBe('x-Fn');
    expect(model.outputs).toEqual({ Region: 'us-east-1' });
  });

  it('skips resources whose condition is false, and fails on references to them', () => {
    const model = load(base());
    expect(model.queues.map((q) => q.logicalId)).toEqual(['Dlq', 'Queue']);
    expect(() => load(withResources({ Fn: fnResource({ Q: { Ref: 'OnlyElsewhere' } }) }))).toThrow(
      'Fn.Properties.Environment.Variables.Q.Ref: resource "OnlyElsewhere" is not created: its condition "IsOther" is false',
    );
  });

  it('parses queue settings given as strings and a RedrivePolicy given as JSON; keeps declared FIFO names', () => {
    const [dlq, queue] = load(base()).queues;
    expect(dlq).toMatchObject({ queueName: 'x-dlq.fifo', fifo: true });
    expect(queue).toMatchObject({
      queueName: 'x-Queue.fifo',
      fifo: true,
      visibilityTimeoutSeconds: 45,
      deadLetter: { targetArn: dlq.arn, maxReceiveCount: 4 },
    });
  });

  it('fails when a redrive policy points at a queue the template does not have', () => {
    const t = base();
    t.Resources.Queue.Properties!.RedrivePolicy = {
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:elsewhere',
      maxReceiveCount: 4,
    };
    expect(() => load(t)).toThrow(
      'Queue.Properties.RedrivePolicy: the dead-letter queue arn:aws:sqs:us-east-1:000000000000:elsewhere is not in this template',
    );
  });

  it('names the logical id and property path of what cannot be resolved', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ X: { Ref: 'Nope' } }, 'Fn.Properties.Environment.Variables.X.Ref: unknown resource, parameter or pseudo parameter "Nope"'],
      [
        { X: { 'Fn::ImportValue': 'Shared-Table' } },
        'Fn.Properties.Environment.Variables.X.Fn::ImportValue: cross-stack imports cannot be resolved offline',
      ],
      [{ X: { 'Fn::GetAtt': ['Table', 'StreamArn'] } }, 'Table.StreamArn: the table has no stream (StreamSpecification)'],
      [{ X: { 'Fn::GetAtt': ['Queue', 'Nope'] } }, 'AWS::SQS::Queue "Queue" has no attribute "Nope" offline'],
      [{ X: { 'Fn::GetAZs': '' } }, 'Fn::GetAZs is not supported offline'],
      [{ X: { 'Fn::Select': [5, ['a']] } }, 'Fn.Properties.Environment.Variables.X.Fn::Select: index 5 is outside the list'],
      [{ X: { 'Fn::FindInMap': ['Sizes', 'eu-west-1', 'Memory'] } }, 'no mapping Sizes.eu-west-1.Memory'],
      [{ X: { 'Fn::If': ['Missing', 'a', 'b'] } }, 'unknown condition "Missing"'],
      [{ X: { Key: 'value' } }, 'Fn.Properties.Environment.Variables.X: expected a string, got {"Key":"value"}'],
    ];
    for (const [variables, message] of cases) {
      expect(() => load(withResources({ Fn: fnResource(variables) }))).toThrow(message);
    }
    // A name that depends on itself is reported, not a stack overflow.
    const selfNamed = withResources({
      Fn: {
        ...fnResource({}),
        Properties: {
          ...fnResource({}).Properties,
          FunctionName: { 'Fn::Select': [6, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Fn', 'Arn'] }] }] },
        },
      },
    });
    expect(() => load(selfNamed)).toThrow('Fn.Arn depends on itself');
  });

  it('resolves every form of a rule EventBusName to a bus name, and parses JSON patterns', () => {
    const rule = (EventBusName: unknown, name: string) => ({
      [name]: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ...(EventBusName !== undefined && { EventBusName }),
          EventPattern: '{"source":[{"prefix":"shop."}]}',
          State: 'DISABLED',
        },
      },
    });
    const model = load(
      withResources({
        ...rule({ Ref: 'Bus' }, 'ByRef'),
        ...rule({ 'Fn::GetAtt': ['Bus', 'Arn'] }, 'ByArn'),
        ...rule({ 'Fn::GetAtt': ['Bus', 'Name'] }, 'ByName'),
        ...rule('Shop', 'ByLiteral'),
        ...rule('arn:aws:events:us-east-1:000000000000:event-bus/Shop', 'ByLiteralArn'),
        ...rule('default', 'OnDefault'),
        ...rule(undefined, 'Absent'),
      }),
    );
    expect(Object.fromEntries(model.rules.map((r) => [r.logicalId, r.eventBusName]))).toEqual({
      ByRef: 'x-Shop',
      ByArn: 'x-Shop',
      ByName: 'x-Shop',
      ByLiteral: 'x-Shop',
      ByLiteralArn: 'x-Shop',
      OnDefault: 'default',
      Absent: 'default',
    });
    expect(model.rules[0]).toMatchObject({ state: 'DISABLED', eventPattern: { source: [{ prefix: 'shop.' }] }, targets: [] });
  });

  it('rejects an invalid event pattern as a deployment would', () => {
    const t = withResources({ Bad: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: [{ contains: 'shop' }] } } } });
    expect(() => load(t)).toThrow('Bad.Properties.EventPattern: Invalid event pattern at "source[0]": unknown operator "contains"');
  });

  it('fails on rule targets and event sources that are not in the template', () => {
    const target = withResources({
      R: {
        Type: 'AWS::Events::Rule',
        Properties: { ScheduleExpression: 'rate(1 minute)', Targets: [{ Id: 't', Arn: arn('lambda', 'function:gone') }] },
      },
    });
    expect(() => load(target)).toThrow('R.Properties.Targets[0].Arn: no function of this template is');
    const mapping = withResources({
      M: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: arn('sqs', 'gone') } },
    });
    expect(() => load(mapping)).toThrow(
      'M.Properties.EventSourceArn: arn:aws:sqs:us-east-1:000000000000:gone is not a queue or table stream of this template',
    );
    const kinesis = withResources({
      M: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: 'x-Fn', EventSourceArn: arn('kinesis', 'stream/s') } },
    });
    expect(() => load(kinesis)).toThrow('only SQS queues and DynamoDB streams run offline');
  });

  it('accepts a mapping naming its function by name, and fills the stream defaults', () => {
    const t = withResources({
      Table: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
        },
      },
      M: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          FunctionName: 'x-Fn',
          EventSourceArn: { 'Fn::GetAtt': 'Table.StreamArn' },
          StartingPosition: 'LATEST',
          Enabled: false,
        },
      },
    });
    expect(load(t).eventSourceMappings[0]).toEqual({
      logicalId: 'M',
      functionLogicalId: 'Fn',
      sourceArn: arn('dynamodb', 'table/x-Table/stream/offline'),
      kind: 'dynamodb-stream',
      batchSize: 100,
      maximumBatchingWindowSeconds: 0,
      enabled: false,
      reportBatchItemFailures: false,
      startingPosition: 'LATEST',
      maximumRetryAttempts: -1,
      bisectBatchOnFunctionError: false,
      filterPatterns: [],
    });
  });

  it('locates code from a CDK asset S3Key and fails when the code is not on this machine', () => {
    const code = (Code: unknown) => withResources({ Fn: { ...fnResource({}), Properties: { ...fnResource({}).Properties, Code } } });
    const hash = 'a'.repeat(64);
    expect(load(code({ S3Bucket: { 'Fn::Sub': 'cdk-assets-${AWS::AccountId}' }, S3Key: `${hash}.zip` })).functions[0].codeDirectory).toBe(
      `/tmp/cdk.out/asset.${hash}`,
    );
    expect(() => load(code({ S3Bucket: 'some-bucket', S3Key: 'lambda/handler.zip' }))).toThrow(
      'Fn.Properties.Code: neither aws:asset:path metadata nor a CDK asset S3Key',
    );
  });
});

describe('metric filters as CloudWatch Logs accepts them', () => {
  const load = (transformation: Record<string, unknown>) =>
    loadPlatformModel(
      {
        Resources: {
          Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/shop/payments' } },
          Filter: {
            Type: 'AWS::Logs::MetricFilter',
            Properties: {
              LogGroupName: '/shop/payments',
              FilterPattern: '{ $.message = "payment charged" }',
              MetricTransformations: [{ MetricNamespace: 'Shop', MetricName: 'Revenue', MetricValue: '$.amount', ...transformation }],
            },
          },
        },
      },
      { stackName: 'Shop', assetRoot: '/tmp/cdk.out', naming: naming('') },
    ).metricFilters;

  it('names a log group by its declared LogGroupName too', () => {
    expect(load({})[0].logGroup).toBe('Logs');
  });

  it('refuses a default value together with dimensions, and more than three dimensions', () => {
    const dims = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `d${i}`, Value: `$.d${i}` }));
    expect(load({ Dimensions: dims(3) })[0].transformations[0].dimensions).toEqual({ d0: '$.d0', d1: '$.d1', d2: '$.d2' });
    expect(() => load({ Dimensions: dims(1), DefaultValue: 0 })).toThrow(/Filter.*DefaultValue: .*refuses a default value/);
    expect(() => load({ Dimensions: dims(4) })).toThrow(/at most 3 dimensions/);
  });
});
