/**
 * Issue 10, part 5: the templates of all three targets checked beyond synth: against CloudFormation's resource
 * schemas, twice: the registry schemas whole by AWS's validator (tools/template-check/registry.ts: patterns, lengths,
 * minimum/maximum too) and cdklabs' service spec (tools/template-check/schema.ts: types, required properties, allowed
 * values, every nested value walked by this project's code), and every IAM action their
 * policies name against the IAM service reference (tools/template-check/iam-actions.ts). A finding names the
 * logical id, the resource type, the property path and the reason. The central observability hub's template
 * (`-c hubWorkloadAccounts=…`, lib/observability-hub-stack.ts) and the workload side it adds to the aws template
 * (`-c hubSinkArn=… -c hubLogDestinationArn=…`: the OAM link and the subscription filters) are checked the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, OBSERVABILITY_HUB_STACK_NAME } from '../lib/app';
import type { Target } from '../lib/config';
import { synthResources } from '../tools/alarms-per-target';
import { checkIamActions } from '../tools/template-check/iam-actions';
import { checkRegistrySchemas } from '../tools/template-check/registry';
import { checkSchemas, type Resources, serviceSpec } from '../tools/template-check/schema';

const TARGETS: Target[] = ['aws', 'localstack', 'offline'];
const templates = {} as Record<Target, Resources>;
/** The hub stack's template, and the resources the hub adds to the aws template (ids under the `Hub` construct). */
const hub = {} as { stack: Resources; workload: Resources };
beforeAll(() => {
  for (const t of TARGETS) templates[t] = synthResources(t) as Resources;
  const outdir = mkdtempSync(path.join(tmpdir(), 'shopwave-schema-hub-'));
  try {
    const { app, stack } = buildApp({
      outdir,
      context: {
        target: 'aws',
        hubWorkloadAccounts: '111111111111,222222222222',
        hubSinkArn: 'arn:aws:oam:us-east-1:999999999999:sink/a1b2c3d4-5678-90ab-cdef-111111111111',
        hubLogDestinationArn: 'arn:aws:logs:us-east-1:999999999999:destination:ShopWaveHubLogs',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const assembly = app.synth();
    hub.stack = assembly.getStackByName(OBSERVABILITY_HUB_STACK_NAME).template.Resources;
    const linked = assembly.getStackByName(stack.stackName).template.Resources as Resources;
    hub.workload = Object.fromEntries(Object.entries(linked).filter(([id]) => id.startsWith('Hub')));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  serviceSpec();
}, 240_000);

describe.each(TARGETS)('the %s template', (target) => {
  it('fits the CloudFormation resource schemas', () => {
    const report = checkSchemas(templates[target]);
    expect(report.findings).toEqual([]);
    // Every resource but CDK's metadata was looked up, and nested values were compared, not just the top level.
    expect(report.resources).toBeGreaterThan(250);
    expect(report.values).toBeGreaterThan(2500);
  });

  it('fits the CloudFormation registry schemas (patterns, lengths, bounds)', () => {
    const report = checkRegistrySchemas(templates[target]);
    expect(report.findings).toEqual([]);
    expect(report.schemas).toBeGreaterThan(1000);
  });

  it('names only IAM actions that exist', async () => {
    const report = await checkIamActions(templates[target]);
    expect(report.findings).toEqual([]);
    expect(report.distinct).toBeGreaterThan(30);
  });
});

describe('the observability hub template, and what the hub adds to the aws template', () => {
  it('fits the CloudFormation resource schemas', () => {
    const report = checkSchemas({ ...hub.stack, ...hub.workload });
    expect(report.findings).toEqual([]);
    // The sink, the destination, both streams, the tables and workgroup; a link and a filter per function.
    const types = new Set(Object.values({ ...hub.stack, ...hub.workload }).map((r) => r.Type));
    for (const t of ['AWS::Oam::Sink', 'AWS::Logs::Destination', 'AWS::KinesisFirehose::DeliveryStream', 'AWS::CloudWatch::MetricStream'])
      expect(types, t).toContain(t);
    for (const t of ['AWS::Glue::Table', 'AWS::Athena::WorkGroup', 'AWS::Oam::Link', 'AWS::Logs::SubscriptionFilter'])
      expect(types, t).toContain(t);
    expect(report.resources).toBeGreaterThan(40);
    expect(report.values).toBeGreaterThan(300);
  });

  it('fits the CloudFormation registry schemas (patterns, lengths, bounds)', () => {
    expect(checkRegistrySchemas({ ...hub.stack, ...hub.workload }).findings).toEqual([]);
  });

  it('names only IAM actions that exist (the sink policy among them)', async () => {
    const report = await checkIamActions(hub.stack);
    expect(report.findings).toEqual([]);
    expect(report.distinct).toBeGreaterThan(10);
  });
});

describe('the checks name what is wrong', () => {
  const broken: Resources = {
    NoName: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String' } },
    BadType: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'soon', FifoQueue: 'maybe' } },
    // Enums where the registry schema has them (DynamoDB's, for one, declares none).
    BadEnum: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 42, LogGroupClass: 'COLD' } },
    Nested: {
      Type: 'AWS::Lambda::Function',
      Properties: { Role: { 'Fn::GetAtt': ['R', 'Arn'] }, Code: { ZipFile: 'x' }, Environment: { Variables: [1] }, Bogus: 1 },
    },
    Invented: { Type: 'AWS::SQS::Queueue', Properties: {} },
    Intrinsics: {
      Type: 'AWS::SQS::Queue',
      Properties: { VisibilityTimeout: { Ref: 'T' }, QueueName: { 'Fn::Join': ['', ['a', { Ref: 'AWS::StackName' }]] } },
    },
    Policy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'p',
        Roles: ['r'],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['sqs:SendMesage', 'sqs:SendMessage', 's3:Get*', 'dynamodb:Frobnicate*'], Resource: '*' },
            { Effect: 'Allow', Action: 'sqss:SendMessage', Resource: '*' },
          ],
        },
      },
    },
    QueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: ['q'],
        PolicyDocument: {
          Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessages', Resource: '*' }],
        },
      },
    },
    Permission: {
      Type: 'AWS::Lambda::Permission',
      Properties: { Action: 'lambda:InvokeFunctions', FunctionName: 'f', Principal: 'apigateway.amazonaws.com' },
    },
  };

  it('schema: missing required property, wrong type, bad enum, unknown property, unknown type; intrinsics pass', () => {
    expect(checkSchemas(broken).findings).toEqual([
      'BadEnum (AWS::Logs::LogGroup).LogGroupClass: "COLD" is not one of STANDARD, INFREQUENT_ACCESS, DELIVERY',
      'BadEnum (AWS::Logs::LogGroup).RetentionInDays: 42 is not one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
      'BadType (AWS::SQS::Queue).FifoQueue: expected a boolean, got a string',
      'BadType (AWS::SQS::Queue).VisibilityTimeout: expected an integer, got a string',
      'Invented (AWS::SQS::Queueue): not a CloudFormation resource type',
      'Nested (AWS::Lambda::Function).Bogus: not a property of this type',
      'Nested (AWS::Lambda::Function).Environment.Variables: expected a map, got a list',
      'NoName (AWS::SSM::Parameter).Value: required, missing',
    ]);
  });

  it('registry schemas: also a pattern, a length and a maximum', () => {
    const more: Resources = {
      ...broken,
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: { Name: 'no spaces', ScheduleExpression: 'rate(1 minute)', Description: 'x'.repeat(600) },
      },
      Long: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 50_000 } },
    };
    const findings = checkRegistrySchemas(more).findings;
    for (const expected of [
      "NoName (AWS::SSM::Parameter): 'Value' is a required property [F3003]",
      "BadType (AWS::SQS::Queue).FifoQueue: 'maybe' is not of type 'boolean' [F3012]",
      'BadEnum (AWS::Logs::LogGroup).RetentionInDays: 42 is not one of',
      'Long (AWS::SQS::Queue).VisibilityTimeout: 50000 is greater than the maximum of 43200 [F3034]',
      'Rule (AWS::Events::Rule).Description: length 600 exceeds maximum 512 [F3033]',
      "Rule (AWS::Events::Rule).Name: 'no spaces' does not match pattern",
      'Nested (AWS::Lambda::Function).Bogus',
    ])
      expect(
        findings.some((f) => f.startsWith(expected)),
        `${expected}\nin\n${findings.join('\n')}`,
      ).toBe(true);
    expect(findings.some((f) => f.startsWith('Intrinsics '))).toBe(false);
  });

  it('IAM: a misspelt action, a wildcard matching nothing, an unknown service, in every kind of policy', async () => {
    expect((await checkIamActions(broken)).findings).toEqual([
      'Permission (AWS::Lambda::Permission).Action: lambda:InvokeFunctions: lambda has no such action',
      'Policy (AWS::IAM::Policy).PolicyDocument.Statement[0].Action[0]: sqs:SendMesage: sqs has no such action',
      'Policy (AWS::IAM::Policy).PolicyDocument.Statement[0].Action[3]: dynamodb:Frobnicate*: matches no dynamodb action',
      'Policy (AWS::IAM::Policy).PolicyDocument.Statement[1].Action: sqss:SendMessage: no IAM service sqss',
      'QueuePolicy (AWS::SQS::QueuePolicy).PolicyDocument.Statement[0].Action: sqs:SendMessages: sqs has no such action',
    ]);
  });
});
