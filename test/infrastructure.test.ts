/**
 * The infrastructure as CloudFormation sees it: every consumer has its queue, DLQ and alarm; every function is
 * bounded; rules only name events of the contract; the target switch keeps AWS-only pieces off LocalStack; and
 * cdk-nag AwsSolutions passes with each acknowledgement justified where it is made.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES, EventCatalog } from '../functions/shared/contracts/events';
import { buildApp } from '../lib/app';
import { MAX_RECEIVE_COUNT } from '../lib/constructs/event-consumer';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, any> }>;

/** Synthesizes the real app; bundling is skipped (asset contents do not matter to these assertions). */
function synth(target: string): { template: Template; resources: Resources } {
  const { app, stack } = buildApp({
    outdir: mkdtempSync(path.join(tmpdir(), `shopwave-${target}-`)),
    context: { target, 'aws:cdk:bundling-stacks': [] },
  });
  app.synth(); // throws ValidationFailed when cdk-nag finds an unacknowledged violation
  const template = Template.fromStack(stack);
  return { template, resources: template.toJSON().Resources as Resources };
}

const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const refId = (v: any): string => v?.Ref ?? v?.['Fn::GetAtt']?.[0];
/** The resources a value refers to, however deep (an alias's FunctionName is a Fn::Join around its Ref). */
const refsIn = (v: any): string[] => (v === null || typeof v !== 'object' ? [] : refId(v) ? [refId(v)] : Object.values(v).flatMap(refsIn));
/**
 * The function a trigger invokes: on aws it names the function's `live` alias (canary deployments), elsewhere the
 * function itself.
 */
const invokedFunction = (resources: Resources, v: any): string | undefined => {
  const id = refsIn(v).find((r) => ['AWS::Lambda::Function', 'AWS::Lambda::Alias'].includes(resources[r]?.Type));
  return id && resources[id].Type === 'AWS::Lambda::Alias' ? refId(resources[id].Properties.FunctionName) : id;
};

describe.each(['aws', 'localstack', 'offline'])('target %s', (target) => {
  let resources: Resources;
  let template: Template;
  beforeAll(() => ({ template, resources } = synth(target)));

  it('gives every rule-fed queue a DLQ with a bounded receive count, and every DLQ an alarm', () => {
    const queues = ofType(resources, 'AWS::SQS::Queue');
    const ruleTargets = ofType(resources, 'AWS::Events::Rule').flatMap(([, r]) => r.Properties.Targets ?? []);
    const consumerQueues = queues.filter(([id]) => ruleTargets.some((t: any) => refId(t.Arn) === id));
    expect(consumerQueues.length).toBeGreaterThanOrEqual(10);
    const deadLetterIds = new Set<string>();
    for (const [id, q] of consumerQueues) {
      expect(q.Properties.RedrivePolicy, id).toMatchObject({ maxReceiveCount: MAX_RECEIVE_COUNT });
      deadLetterIds.add(refId(q.Properties.RedrivePolicy.deadLetterTargetArn));
    }
    const alarmed = new Set(
      ofType(resources, 'AWS::CloudWatch::Alarm').flatMap(([, a]) => (a.Properties.Dimensions ?? []).map((d: any) => refId(d.Value))),
    );
    for (const dlq of deadLetterIds) expect(alarmed.has(dlq), `alarm on ${dlq}`).toBe(true);
  });

  it('bounds every function and runs it on nodejs22.x with an ESM bundle', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(16);
    for (const [id, fn] of functions) {
      expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
      expect(fn.Properties.Timeout, id).toBeGreaterThan(0);
      expect(fn.Properties.Timeout, id).toBeLessThanOrEqual(60);
      expect(fn.Properties.MemorySize, id).toBeGreaterThanOrEqual(128);
      expect(fn.Properties.MemorySize, id).toBeLessThanOrEqual(1024);
    }
  });

  it('keeps queue visibility at six times the consuming function timeout and reports partial batch failures', () => {
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) =>
        refId(m.Properties.EventSourceArn) in resources && resources[refId(m.Properties.EventSourceArn)].Type === 'AWS::SQS::Queue',
    );
    expect(mappings.length).toBeGreaterThanOrEqual(10);
    for (const [id, m] of mappings) {
      expect(m.Properties.FunctionResponseTypes, id).toEqual(['ReportBatchItemFailures']);
      const queue = resources[refId(m.Properties.EventSourceArn)];
      const fn = resources[invokedFunction(resources, m.Properties.FunctionName)!];
      expect(queue.Properties.VisibilityTimeout, id).toBe(fn.Properties.Timeout * 6);
    }
  });

  it('lets every queue-fed consumer set the visibility of its own records (retry backoff), and nothing else', () => {
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => resources[refId(m.Properties.EventSourceArn)]?.Type === 'AWS::SQS::Queue',
    );
    const policies = ofType(resources, 'AWS::IAM::Policy');
    for (const [id, m] of mappings) {
      const queueId = refId(m.Properties.EventSourceArn);
      const fn = resources[invokedFunction(resources, m.Properties.FunctionName)!];
      expect(refId(fn.Properties.Environment.Variables.CONSUMER_QUEUE_URL), id).toBe(queueId);
      const statements = policies
        .filter(([, p]) => p.Properties.Roles.some((r: any) => refId(r) === refId(fn.Properties.Role)))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      const grants = statements.filter((st: any) => [st.Action].flat().includes('sqs:ChangeMessageVisibility'));
      expect([...new Set(grants.flatMap((st: any) => [st.Resource].flat().map(refId)))], id).toEqual([queueId]);
    }
  });

  it('routes only events of the contract, each from its own source', () => {
    for (const [id, rule] of ofType(resources, 'AWS::Events::Rule')) {
      const pattern = rule.Properties.EventPattern;
      if (!pattern) {
        // The scheduled checks every minute; on aws also the daily table export (lib/constructs/table-backups.ts).
        const daily = target === 'aws' && id.startsWith('BackupsSchedule');
        expect(rule.Properties.ScheduleExpression, id).toBe(daily ? 'cron(0 3 * * ? *)' : 'rate(1 minute)');
        continue;
      }
      if (!pattern['detail-type']) {
        expect(pattern.source, id).toEqual([{ prefix: 'shopwave.' }]); // analytics: every ShopWave event
        continue;
      }
      for (const type of pattern['detail-type']) {
        expect(DETAIL_TYPES, id).toContain(type);
        expect(pattern.source, id).toContain(EventCatalog[type as keyof typeof EventCatalog].source);
      }
    }
  });

  it('delays the ack-timeout copy of order.paid by the restaurant deadline', () => {
    const [, fn] = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('RestaurantAckTimeout'))!;
    const deadline = Number(fn.Properties.Environment.Variables.RESTAURANT_ACK_DEADLINE_SECONDS);
    expect(deadline).toBe(300);
    template.hasResourceProperties('AWS::SQS::Queue', { DelaySeconds: deadline });
  });

  it('publishes only from the outbox relay, fed by new outbox rows', () => {
    const publishers = ofType(resources, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('events:PutEvents'),
    );
    expect(publishers.map(([id]) => id)).toEqual([expect.stringMatching(/^OutboxRelayHandler/)]);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('serves the public routes through a REST API (v1) with stage and per-route throttling', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    const methods = ofType(resources, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties.HttpMethod);
    expect(methods.sort()).toEqual(['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'POST']);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
        Match.objectLike({ ResourcePath: '/~1orders', HttpMethod: 'POST', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
      ]),
    });
  });

  it("sends the security headers on API Gateway's own 4xx and 5xx answers, on aws (LocalStack cannot update them)", () => {
    const responses = ofType(resources, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
    if (target !== 'aws') return expect(responses).toEqual([]);
    expect(responses.map((r) => r.ResponseType).sort()).toEqual(['DEFAULT_4XX', 'DEFAULT_5XX']);
    for (const r of responses) {
      expect(r.ResponseParameters, r.ResponseType).toEqual({
        'gatewayresponse.header.X-Content-Type-Options': "'nosniff'",
        'gatewayresponse.header.Cache-Control': "'no-store'",
        'gatewayresponse.header.Strict-Transport-Security': "'max-age=31536000; includeSubDomains'",
      });
    }
  });

  it('has the customer routes trust one issuer: the Cognito user pool on aws, the development issuer elsewhere', () => {
    const verifying = ofType(resources, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment?.Variables?.AUTH_ISSUER);
    expect(verifying.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['CustomersApi', 'OrdersApi', 'TrackingApi']);
    const parameters = ofType(resources, 'AWS::SSM::Parameter').filter(([, p]) =>
      JSON.stringify(p.Properties.Name).includes('dev-issuer-jwks'),
    );
    // The readiness check looks at the same keys the customer APIs verify with, and at nothing else of the issuer.
    const [, ready] = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ReadyApi'))!;
    const keysAt = (env: Record<string, unknown>) => env.AUTH_JWKS_URL ?? env.AUTH_JWKS_PARAMETER;
    expect(keysAt(ready.Properties.Environment.Variables)).toEqual(keysAt(verifying[0][1].Properties.Environment.Variables));
    expect(ready.Properties.Environment.Variables.AUTH_ISSUER).toBeUndefined();
    if (target === 'aws') {
      const [[poolId, pool]] = ofType(resources, 'AWS::Cognito::UserPool');
      const [[clientId, client]] = ofType(resources, 'AWS::Cognito::UserPoolClient');
      expect(pool.Properties.AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: true });
      expect(pool.Properties.Schema).toEqual([expect.objectContaining({ Name: 'customerId', Mutable: false })]);
      expect(client.Properties.GenerateSecret).toBe(false);
      // Whoever could write the customer id could read another customer's orders.
      expect(client.Properties.WriteAttributes).not.toContain('custom:customerId');
      expect(client.Properties.ReadAttributes).toContain('custom:customerId');
      expect(parameters).toEqual([]);
      for (const [id, fn] of verifying) {
        const env = fn.Properties.Environment.Variables;
        expect(env, id).toMatchObject({ AUTH_TOKEN_USE: 'id', AUTH_CUSTOMER_CLAIM: 'custom:customerId', AUTH_AUDIENCE: { Ref: clientId } });
        expect(env.AUTH_JWKS_PARAMETER, id).toBeUndefined();
        const issuer = JSON.stringify(env.AUTH_ISSUER);
        expect(issuer, id).toMatch(/https:\/\/cognito-idp\./);
        expect(issuer, id).toContain(`{"Ref":"${poolId}"}`);
        expect(env.AUTH_JWKS_URL['Fn::Join'][1], id).toEqual([...env.AUTH_ISSUER['Fn::Join'][1], '/.well-known/jwks.json']);
      }
    } else {
      expect(parameters).toHaveLength(1);
      for (const [id, fn] of verifying) {
        expect(fn.Properties.Environment.Variables, id).toMatchObject({
          AUTH_ISSUER: 'shopwave-dev-issuer',
          AUTH_AUDIENCE: 'shopwave-api',
          AUTH_CUSTOMER_CLAIM: 'sub',
        });
        expect(fn.Properties.Environment.Variables.AUTH_JWKS_URL, id).toBeUndefined();
      }
    }
  });

  it('names an existing runbook in every alarm description', () => {
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(11);
    for (const [id, alarm] of alarms) {
      const runbook = /Runbook: (docs\/runbooks\/[\w-]+\.md)/.exec(alarm.Properties.AlarmDescription)?.[1];
      expect(runbook, id).toBeDefined();
      expect(existsSync(path.join(import.meta.dirname, '..', runbook!)), runbook).toBe(true);
    }
  });

  it('alarms on every queue (DLQ depth, age of oldest message) and every function (errors, throttles), all to the one topic', () => {
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const watching = (metricName: string, dimension: string, logicalId: string) =>
      alarms.filter(
        (a) => a.MetricName === metricName && (a.Dimensions ?? []).some((d: any) => d.Name === dimension && refId(d.Value) === logicalId),
      );
    const queues = ofType(resources, 'AWS::SQS::Queue');
    const dlqIds = new Set(
      queues.flatMap(([, q]) => (q.Properties.RedrivePolicy ? [refId(q.Properties.RedrivePolicy.deadLetterTargetArn)] : [])),
    );
    for (const [id, q] of queues) {
      if (dlqIds.has(id) || !q.Properties.RedrivePolicy) continue;
      // LocalStack publishes no message age: the alarm is not deployed there (docs/alarms-per-target.md).
      expect(watching('ApproximateAgeOfOldestMessage', 'QueueName', id), `${id} age alarm`).toHaveLength(target === 'localstack' ? 0 : 1);
      const dlq = refId(q.Properties.RedrivePolicy.deadLetterTargetArn);
      expect(watching('ApproximateNumberOfMessagesVisible', 'QueueName', dlq), `${dlq} depth alarm`).toHaveLength(1);
    }
    const functions = ofType(resources, 'AWS::Lambda::Function').filter(
      ([, f]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    );
    expect(functions.length).toBeGreaterThanOrEqual(17);
    for (const [id] of functions) {
      expect(watching('Errors', 'FunctionName', id), `${id} errors alarm`).toHaveLength(1);
      // Nor Lambda Throttles, and the offline runtime never throttles (it queues invocations).
      expect(watching('Throttles', 'FunctionName', id), `${id} throttles alarm`).toHaveLength(target === 'aws' ? 1 : 0);
    }
    const [topicId] = ofType(resources, 'AWS::SNS::Topic').map(([tid]) => tid);
    for (const a of alarms) expect(a.AlarmActions?.map(refId), a.AlarmName ?? a.AlarmDescription).toEqual([topicId]);
  });

  it('watches the delivery SLI: lost orders, oldest wait, the flow gap (with a plain companion) and two burn rates', () => {
    const byName = (suffix: string) =>
      ofType(resources, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === `ShopWave-${suffix}`)?.[1].Properties;
    expect(byName('LostOrders')).toMatchObject({
      MetricName: 'LostOrders',
      Namespace: 'ShopWave',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(byName('OldestAwaitingOrder')).toMatchObject({ MetricName: 'OldestAwaitingRestaurantSeconds', Threshold: 120 });
    expect(byName('OrdersPilingUp')).toMatchObject({ MetricName: 'OrdersAwaitingRestaurant' }); // plain threshold, for LocalStack
    // The reconciler sends its gauges with PutMetricData, in the ShopWave namespace only: the path LocalStack has.
    const [reconcilerId, reconciler] = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('DeliveryReconciler'))!;
    expect(reconciler.Properties.Environment.Variables.SHOPWAVE_GAUGES.split(',')).toEqual(
      expect.arrayContaining(['LostOrders', 'OrdersAwaitingRestaurant', 'OldestAwaitingRestaurantSeconds']),
    );
    const statements = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: any) => refId(r) === refId(reconciler.Properties.Role)))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.find((st: any) => st.Action === 'cloudwatch:PutMetricData')).toMatchObject({
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'ShopWave' } },
    });
    // Two scheduled rules now (the delivery and the payment reconciler): the delivery one must target its function.
    const schedule = ofType(resources, 'AWS::Events::Rule').find(
      ([, r]) => r.Properties.ScheduleExpression && invokedFunction(resources, r.Properties.Targets[0].Arn) === reconcilerId,
    );
    expect(schedule?.[1].Properties.ScheduleExpression).toBe('rate(1 minute)');
    // Metric math is never evaluated on LocalStack: not deployed there; OrdersPilingUp is the plain companion.
    if (target === 'localstack') {
      for (const name of ['FlowGap', 'DeliverySloFastBurn', 'DeliverySloSlowBurn']) expect(byName(name), name).toBeUndefined();
      return;
    }
    const gap = byName('FlowGap')!;
    expect(gap.Metrics.find((m: any) => m.ReturnData !== false).Expression).toBe('FILL(charged, 0) - FILL(received, 0)');
    expect(
      gap.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName)
        .filter(Boolean)
        .sort(),
    ).toEqual(['OrdersReceivedByRestaurant', 'PaymentsCharged']);
    expect(byName('DeliverySloFastBurn')).toMatchObject({ Threshold: 14.4 });
    expect(byName('DeliverySloSlowBurn')).toMatchObject({ Threshold: 6 });
  });

  it('watches demand (flash-sale, dinner-rush): stock rejections and orders placed above capacity, plain thresholds', () => {
    const byName = (suffix: string) =>
      ofType(resources, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === `ShopWave-${suffix}`)?.[1].Properties;
    // EMF metrics: not deployed on LocalStack, which never parses EMF (docs/alarms-per-target.md).
    if (target === 'localstack') {
      expect(byName('StockRejectionSurge')).toBeUndefined();
      expect(byName('OrderDemandAboveCapacity')).toBeUndefined();
      return;
    }
    const plain = { Namespace: 'ShopWave', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold' };
    expect(byName('StockRejectionSurge')).toMatchObject({
      ...plain,
      MetricName: 'StockRejected',
      Dimensions: [{ Name: 'service', Value: 'inventory' }],
      Threshold: 10,
    });
    expect(byName('OrderDemandAboveCapacity')).toMatchObject({
      ...plain,
      MetricName: 'OrdersPlaced',
      Dimensions: [{ Name: 'service', Value: 'orders' }],
      Threshold: 15, // orderCapacityPerMinute's default
    });
  });

  it('watches payments (seeds 002, 003): the provider breaker, its latency and errors, and the reconciler, on plain thresholds, the reconciler read-only', () => {
    const byName = (suffix: string) =>
      ofType(resources, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === `ShopWave-${suffix}`)?.[1].Properties;
    for (const [alarm, metric] of [
      ['PaymentBreakerOpen', 'PaymentBreakerOpen'],
      ['PaymentMismatch', 'PaymentMismatches'],
    ]) {
      expect(byName(alarm)).toMatchObject({
        MetricName: metric, // a plain single-metric alarm: what LocalStack evaluates (when the metric arrives)
        Namespace: 'ShopWave',
        Dimensions: [{ Name: 'service', Value: 'payments' }],
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    // Seed 003: the provider slow or failing, in 2 of 3 minutes, on statistics LocalStack evaluates (no percentile);
    // their metrics are EMF, which LocalStack never parses, so they are not deployed there (docs/alarms-per-target.md).
    if (target === 'localstack') {
      expect(byName('PaymentProviderLatency')).toBeUndefined();
      expect(byName('PaymentProviderFailures')).toBeUndefined();
    } else {
      expect(byName('PaymentProviderLatency')).toMatchObject({
        MetricName: 'PaymentProviderCallMs',
        Dimensions: [{ Name: 'service', Value: 'payments' }],
        Statistic: 'Maximum',
        Threshold: 2000,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
      expect(byName('PaymentProviderLatency')).not.toHaveProperty('ExtendedStatistic');
      expect(byName('PaymentProviderFailures')).toMatchObject({
        MetricName: 'PaymentProviderErrors',
        Dimensions: [{ Name: 'service', Value: 'payments' }],
        Statistic: 'Sum',
        Threshold: 0,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
    }
    const [reconcilerId, reconciler] = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('PaymentReconciler'))!;
    const schedule = ofType(resources, 'AWS::Events::Rule').find(
      ([, r]) => r.Properties.ScheduleExpression && invokedFunction(resources, r.Properties.Targets[0].Arn) === reconcilerId,
    );
    expect(schedule?.[1].Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(Object.keys(reconciler.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(['PROVIDER_LEDGER_TABLE_NAME', 'PAYMENTS_TABLE_NAME', 'ORDERS_TABLE_NAME', 'LEDGER_BY_HOUR_INDEX']),
    );
    // Least privilege: the reconciler only reads (no Put/Update/Delete on any table, no outbox).
    const roleId = refId(reconciler.Properties.Role);
    const actions = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: any) => refId(r) === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement.flatMap((st: any) => [st.Action].flat()));
    expect(actions.filter((a: string) => a.startsWith('dynamodb:'))).not.toHaveLength(0);
    expect(actions.filter((a: string) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
  });

  it('has one dashboard with the three audience sections (none on LocalStack: no provider there)', () => {
    if (target === 'localstack') return expect(ofType(resources, 'AWS::CloudWatch::Dashboard')).toEqual([]);
    const [[, dashboard]] = ofType(resources, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const section of ['# Customer experience', '# Business', '# Technical']) expect(body).toContain(section);
  });

  it('uses only what LocalStack community deploys unless the target is aws', () => {
    const types = new Set(Object.values(resources).map((r) => r.Type));
    const neverUsed = [
      'AWS::AppConfig::Application',
      'AWS::Pipes::Pipe',
      'AWS::Scheduler::Schedule',
      'AWS::FIS::ExperimentTemplate',
      'AWS::Lambda::LayerVersion',
      'AWS::ApiGatewayV2::Api',
    ];
    for (const t of neverUsed) expect(types.has(t), t).toBe(false);
    // Canary deployments (lib/constructs/canary-deployments.ts): LocalStack community has no CodeDeploy.
    for (const t of ['AWS::CodeDeploy::Application', 'AWS::CodeDeploy::DeploymentGroup', 'AWS::Lambda::Alias'])
      expect(types.has(t), t).toBe(target === 'aws');
    for (const t of ['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient']) expect(types.has(t), t).toBe(target === 'aws');
    const tracing = ofType(resources, 'AWS::Lambda::Function').map(([, f]) => f.Properties.TracingConfig?.Mode);
    expect(new Set(tracing)).toEqual(new Set([target === 'aws' ? 'Active' : undefined]));
  });
});

describe('cdk-nag', () => {
  it('passes AwsSolutions with no unacknowledged finding', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'shopwave-nag-'));
    const { app } = buildApp({ outdir, context: { target: 'aws', 'aws:cdk:bundling-stacks': [] } });
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.filter((r: any) => r.conclusion !== 'success')).toEqual([]);
  });

  it('is live in the same app: one unacknowledged violation fails synthesis', () => {
    const { app, stack } = buildApp({
      outdir: mkdtempSync(path.join(tmpdir(), 'shopwave-nag-neg-')),
      context: { target: 'aws', 'aws:cdk:bundling-stacks': [] },
    });
    new Queue(stack, 'NoDlqNoTls');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3[\s\S]*ShopWave\/NoDlqNoTls/);
  });
});
