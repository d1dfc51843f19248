/**
 * Issue 10, part 4: everything the localstack template asks for is something LocalStack community 4.14 deploys —
 * every resource type has a provider there and every property is in that provider's schema
 * (lib/targets/localstack-4.14.json, generated from LocalStack's source by scripts/localstack-resource-facts.mjs).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { localstackCompatibility } from '../lib/targets/compat';
import { LOCALSTACK_FACTS } from '../lib/targets/reach';
import { synthResources } from '../tools/alarms-per-target';

let resources: ReturnType<typeof synthResources>;
beforeAll(() => {
  resources = synthResources('localstack');
}, 120_000);

describe('the localstack template on LocalStack community 4.14', () => {
  it('uses only resource types and properties LocalStack 4.14 implements', () => {
    expect(localstackCompatibility(resources).unsupported).toEqual([]);
  });

  it('says which properties LocalStack accepts and ignores (deployed, not in effect)', () => {
    // What docs/alarms-per-target.md and the README promise not to rely on there; a new one shows up here.
    expect(localstackCompatibility(resources).ignored).toEqual([
      'AWS::ApiGateway::Stage.AccessLogSetting',
      'AWS::ApiGateway::Stage.MethodSettings',
      'AWS::DynamoDB::Table.PointInTimeRecoverySpecification',
      'AWS::Lambda::EventSourceMapping.BisectBatchOnFunctionError',
      'AWS::Lambda::EventSourceMapping.ScalingConfig',
      'AWS::Lambda::Function.LoggingConfig',
      'AWS::Logs::LogGroup.RetentionInDays',
    ]);
  });

  it('emits no dashboard and no metric filter there (no provider: the exported dashboard JSON serves)', () => {
    const types = new Set(Object.values(resources).map((r) => r.Type));
    expect(types.has('AWS::CloudWatch::Dashboard')).toBe(false);
    expect(types.has('AWS::Logs::MetricFilter')).toBe(false);
  });

  it('names what it cannot deploy: a type without a provider, a property outside the schema', () => {
    const broken = {
      ...resources,
      Board: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: '{}' } },
      Filter: { Type: 'AWS::Logs::MetricFilter', Properties: { LogGroupName: 'g', FilterPattern: '', MetricTransformations: [] } },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q', NotAQueueProperty: true } },
    };
    expect(localstackCompatibility(broken).unsupported).toEqual([
      'Board (AWS::CloudWatch::Dashboard): no resource provider',
      'Filter (AWS::Logs::MetricFilter): no resource provider',
      "Queue (AWS::SQS::Queue).NotAQueueProperty: not in the provider's schema",
    ]);
  });

  it('reads its list from LocalStack 4.14 itself', () => {
    expect(LOCALSTACK_FACTS.resourceProviders?.from).toMatch(/^localstack\/localstack v4\.14\.0 \(3d5a0c70e\)/);
    expect(Object.keys(LOCALSTACK_FACTS.resourceProviders!.types).length).toBeGreaterThan(50);
  });
});
