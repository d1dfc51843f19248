/**
 * Issue 14, the central observability hub (docs/observability-hub.md): the hub stack for a monitoring account
 * (`-c hubWorkloadAccounts=…`: OAM sink, log archive through a CloudWatch Logs destination and Firehose to S3, Glue
 * and Athena over it, a metric stream) and the workload side in the ShopWave stack (`-c hubSinkArn=…`,
 * `-c hubLogDestinationArn=…`: an OAM link, a subscription filter per function log group), aws only.
 */
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, OBSERVABILITY_HUB_STACK_NAME } from '../lib/app';
import { HUB_FILTER_PREFIX } from '../lib/constructs/hub-link';
import { discover } from '../lib/constructs/watch';
import { ARCHIVE_PREFIXES, HUB_WILDCARDS, type ObservabilityHubStack } from '../lib/observability-hub-stack';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
type Resources = Record<string, Resource>;

const ACCOUNTS = ['111111111111', '222222222222'];
const SINK = 'arn:aws:oam:us-east-1:999999999999:sink/a1b2c3d4-5678-90ab-cdef-111111111111';
const DESTINATION = 'arn:aws:logs:us-east-1:999999999999:destination:ShopWaveHubLogs';
/** The list, not read from the code. */
const NAMESPACES = ['ShopWave', 'AWS/Lambda', 'AWS/SQS', 'AWS/DynamoDB', 'AWS/ApiGateway', 'AWS/Events'];
const RESOURCE_TYPES = ['AWS::CloudWatch::Metric', 'AWS::Logs::LogGroup', 'AWS::XRay::Trace'];

function build(context: Record<string, string>) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'shopwave-hub-'));
  const built = buildApp({ outdir, context: { target: 'aws', ...context, 'aws:cdk:bundling-stacks': [] } });
  return { ...built, outdir };
}

function synth(context: Record<string, string>) {
  const built = build(context);
  const assembly = built.app.synth(); // cdk-nag runs here on every stack: an unacknowledged finding throws
  const resourcesOf = (name: string) => assembly.getStackByName(name).template.Resources as Resources;
  return { ...built, assembly, resourcesOf };
}

const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const only = (resources: Resources, type: string) => {
  const found = ofType(resources, type);
  expect(found, type).toHaveLength(1);
  return found[0][1];
};
const refId = (v: any): string | undefined => v?.Ref ?? v?.['Fn::GetAtt']?.[0];
/** A Fn::Join of literals and references, written out with `<LogicalId>` for each reference. */
const joined = (v: any): string =>
  typeof v === 'string'
    ? v
    : v?.['Fn::Join']
      ? v['Fn::Join'][1].map(joined).join(v['Fn::Join'][0])
      : refId(v)
        ? `<${refId(v)}>`
        : JSON.stringify(v);

describe('the hub stack (-c hubWorkloadAccounts=111111111111,222222222222)', () => {
  let hub: ObservabilityHubStack;
  let resources: Resources;
  let outdir: string;
  let services: string[];
  beforeAll(() => {
    const out = synth({ hubWorkloadAccounts: ACCOUNTS.join(',') });
    hub = out.observabilityHub!;
    resources = out.resourcesOf(OBSERVABILITY_HUB_STACK_NAME);
    outdir = out.outdir;
    // The ServiceFunctions' services and the pre-traffic hook's ('deploy', not a ServiceFunction).
    services = [...new Set([...discover(out.stack).functions.map((f) => f.fn.service), 'deploy'])].sort();
  });
  const archiveId = () => hub.getLogicalId(hub.archive.node.defaultChild as never);
  const streams = () => Object.fromEntries(ofType(resources, 'AWS::KinesisFirehose::DeliveryStream'));

  it('is its own stack, named ShopWaveObservabilityHub', () => {
    expect(hub.stackName).toBe('ShopWaveObservabilityHub');
    expect(ofType(resources, 'AWS::Lambda::Function')).toEqual([]);
  });

  it('has an OAM sink whose policy lets exactly the workload accounts link metrics, logs and traces', () => {
    const sink = only(resources, 'AWS::Oam::Sink');
    const [statement, ...others] = sink.Properties.Policy.Statement;
    expect(others).toEqual([]);
    expect(statement.Effect).toBe('Allow');
    expect([...statement.Principal.AWS].sort()).toEqual(ACCOUNTS);
    expect([...statement.Action].sort()).toEqual(['oam:CreateLink', 'oam:UpdateLink']);
    expect(statement.Condition).toEqual({ 'ForAllValues:StringEquals': { 'oam:ResourceTypes': RESOURCE_TYPES } });
  });

  it('lets exactly the workload accounts subscribe to the log destination, which feeds the log archive stream', () => {
    const destination = only(resources, 'AWS::Logs::Destination');
    const policy = JSON.parse(joined(destination.Properties.DestinationPolicy));
    const [statement, ...others] = policy.Statement;
    expect(others).toEqual([]);
    expect(statement.Action).toBe('logs:PutSubscriptionFilter');
    expect(statement.Principal.AWS.map((p: string) => p.match(/iam::(\d{12}):root$/)?.[1]).sort()).toEqual(ACCOUNTS);
    expect(statement.Resource).toBe(`arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:destination:ShopWaveHubLogs`);
    expect(destination.Properties.DestinationName).toBe('ShopWaveHubLogs');
    const target = streams()[refId(destination.Properties.TargetArn)!];
    expect(target.Properties.ExtendedS3DestinationConfiguration.Prefix).toBe(ARCHIVE_PREFIXES.logs);
    // CloudWatch Logs may use the role for those accounts' log groups (and the hub's own), and only put records.
    const role = resources[refId(destination.Properties.RoleArn)!];
    const [trust] = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust.Principal).toEqual({ Service: 'logs.amazonaws.com' });
    const sources = trust.Condition.StringLike['aws:SourceArn'].map(joined);
    expect(sources).toEqual([...ACCOUNTS, '<AWS::AccountId>'].map((a) => `arn:<AWS::Partition>:logs:<AWS::Region>:${a}:*`));
    const grants = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: any) => refId(r) === refId(destination.Properties.RoleArn)))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(grants).toEqual([
      { Effect: 'Allow', Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Resource: destination.Properties.TargetArn },
    ]);
  });

  it('archives the logs GZIP-compressed, partitioned by account, service and day, retried, with an error prefix', () => {
    const [, logs] = ofType(resources, 'AWS::Logs::Destination')[0];
    const s3 = streams()[refId(logs.Properties.TargetArn)!].Properties.ExtendedS3DestinationConfiguration;
    expect(refId(s3.BucketARN)).toBe(archiveId());
    expect(s3.CompressionFormat).toBe('GZIP');
    expect(s3.Prefix).toBe(
      'logs/account=!{partitionKeyFromQuery:account}/service=!{partitionKeyFromQuery:service}/dt=!{timestamp:yyyy-MM-dd}/',
    );
    expect(s3.ErrorOutputPrefix).toMatch(/^errors\/logs\/!\{firehose:error-output-type\}\//);
    expect(s3.DynamicPartitioningConfiguration).toEqual({ Enabled: true, RetryOptions: { DurationInSeconds: 7200 } });
    expect(s3.BufferingHints.SizeInMBs).toBeGreaterThanOrEqual(64); // dynamic partitioning's minimum
    const processors = s3.ProcessingConfiguration.Processors;
    expect(processors.map((p: any) => p.Type)).toEqual(['Decompression', 'MetadataExtraction', 'AppendDelimiterToRecord']);
    expect(processors[0].Parameters).toEqual([{ ParameterName: 'CompressionFormat', ParameterValue: 'GZIP' }]);
    const query = processors[1].Parameters.find((p: any) => p.ParameterName === 'MetadataExtractionQuery').ParameterValue;
    // Account from the envelope's owner; service from the subscription filter's name the workload gives it.
    expect(query).toContain('account: .owner');
    expect(query).toContain(`ltrimstr("${HUB_FILTER_PREFIX}")`);
    expect(s3.CloudWatchLoggingOptions.Enabled).toBe(true);
  });

  it('keeps the archive a year: Glacier Instant Retrieval after 30 days, deleted after 365; encrypted, TLS only, access logged', () => {
    const archive = resources[archiveId()].Properties;
    expect(archive.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
        ExpirationInDays: 365,
      }),
    ]);
    expect(archive.LifecycleConfiguration.Rules[0].Prefix).toBeUndefined(); // logs, metrics and error records alike
    expect(archive.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(archive.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(refId(archive.LoggingConfiguration.DestinationBucketName)).toBe(hub.getLogicalId(hub.accessLogs.node.defaultChild as never));
    const policy = ofType(resources, 'AWS::S3::BucketPolicy').find(([, p]) => refId(p.Properties.Bucket) === archiveId())![1];
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    for (const [id, bucket] of ofType(resources, 'AWS::S3::Bucket')) expect(bucket.Properties.BucketEncryption, id).toBeDefined();
  });

  it('lets each Firehose role write its own prefixes only, and delete nothing', () => {
    const delivery = Object.values(streams()).map((s) => refId(s.Properties.ExtendedS3DestinationConfiguration.RoleARN));
    expect(delivery).toHaveLength(2);
    for (const role of delivery) expect(resources[role!]?.Type).toBe('AWS::IAM::Role');
    const statements = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: any) => delivery.includes(refId(r))))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: any) => [s.Action].flat());
    expect(actions.some((a: string) => /Delete|\*/.test(a))).toBe(false);
    const objects = statements.flatMap((s: any) => [s.Resource].flat().map(joined)).filter((r: string) => r.includes('/'));
    expect(objects.sort()).toEqual(['logs/*', 'errors/logs/*', 'metrics/*', 'errors/metrics/*'].map((p) => `<${archiveId()}>/${p}`).sort());
  });

  it('projects the partitions of the logs table onto the keys Firehose writes: no crawler', () => {
    const table = ofType(resources, 'AWS::Glue::Table').find(([, t]) => t.Properties.TableInput.Name === 'logs')![1];
    const input = table.Properties.TableInput;
    expect(input.PartitionKeys).toEqual([
      { Name: 'account', Type: 'string' },
      { Name: 'service', Type: 'string' },
      { Name: 'dt', Type: 'string' },
    ]);
    const p = input.Parameters;
    expect(p['projection.enabled']).toBe('true');
    expect(p['projection.dt.type']).toBe('date');
    expect(p['projection.dt.format']).toBe('yyyy-MM-dd'); // the format of !{timestamp:yyyy-MM-dd}
    expect(p['projection.dt.range']).toBe('NOW-1YEARS,NOW');
    expect(p['projection.account.type']).toBe('enum');
    expect(p['projection.account.values'].split(',')).toEqual(ACCOUNTS);
    expect(p['projection.service.type']).toBe('enum');
    // Every service of the ShopWave stack's functions, and `none` for CloudWatch Logs' control messages.
    expect(p['projection.service.values'].split(',').sort()).toEqual([...services, 'none'].sort());
    expect(services).toEqual(expect.arrayContaining(['orders', 'payments', 'restaurant', 'outbox']));
    // The location template is the Firehose prefix with each expression replaced by its partition.
    const expected = ARCHIVE_PREFIXES.logs.replace(/!\{partitionKeyFromQuery:(\w+)\}/g, '${$1}').replace(/!\{timestamp:[^}]+\}/, '${dt}');
    expect(joined(p['storage.location.template'])).toBe(`s3://<${archiveId()}>/${expected}`);
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(input.StorageDescriptor.Columns.map((c: any) => c.Name)).toContain('logevents');
  });

  it('queries through an Athena workgroup whose results are encrypted and stay in their own bucket', () => {
    const config = only(resources, 'AWS::Athena::WorkGroup').Properties.WorkGroupConfiguration;
    expect(config.EnforceWorkGroupConfiguration).toBe(true);
    expect(config.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(joined(config.ResultConfiguration.OutputLocation)).toBe(
      `s3://<${hub.getLogicalId(hub.queryResults.node.defaultChild as never)}>/results/`,
    );
    expect(only(resources, 'AWS::Glue::Database').Properties.DatabaseInput.Name).toBe('shopwave_hub');
  });

  it("streams the linked accounts' metrics of the platform's namespaces, through Firehose, to the archive's metrics prefix", () => {
    const stream = only(resources, 'AWS::CloudWatch::MetricStream').Properties;
    expect(stream.IncludeFilters.map((f: any) => f.Namespace).sort()).toEqual([...NAMESPACES].sort());
    expect(stream.IncludeLinkedAccountsMetrics).toBe(true);
    expect(stream.OutputFormat).toBe('json');
    const s3 = streams()[refId(stream.FirehoseArn)!].Properties.ExtendedS3DestinationConfiguration;
    expect(refId(s3.BucketARN)).toBe(archiveId());
    expect(s3.Prefix).toBe('metrics/dt=!{timestamp:yyyy-MM-dd}/');
    expect(s3.ErrorOutputPrefix).toMatch(/^errors\/metrics\/!\{firehose:error-output-type\}\//);
    expect(s3.CompressionFormat).toBe('GZIP');
    const metrics = ofType(resources, 'AWS::Glue::Table').find(([, t]) => t.Properties.TableInput.Name === 'metrics')![1];
    expect(metrics.Properties.TableInput.Parameters['projection.dt.format']).toBe('yyyy-MM-dd');
  });

  it('encrypts both delivery streams', () => {
    for (const [id, s] of Object.entries(streams()))
      expect(s.Properties.DeliveryStreamEncryptionConfigurationInput, id).toEqual({ KeyType: 'AWS_OWNED_CMK' });
  });

  it('names in its outputs what the workload stacks need', () => {
    const outputs = hub.node
      .findAll()
      .filter((c) => c.constructor.name === 'CfnOutput')
      .map((c) => c.node.id);
    expect(outputs).toEqual(expect.arrayContaining(['SinkArn', 'LogDestinationArn']));
    const template = JSON.parse(readFileSync(path.join(outdir, `${OBSERVABILITY_HUB_STACK_NAME}.template.json`), 'utf8'));
    expect(refId(template.Outputs.SinkArn.Value)).toBe(ofType(resources, 'AWS::Oam::Sink')[0][0]);
    expect(refId(template.Outputs.LogDestinationArn.Value)).toBe(ofType(resources, 'AWS::Logs::Destination')[0][0]);
  });

  it('holds no wildcard in an Allow statement without a written reason (HUB_WILDCARDS), and no stale reason', () => {
    const names: Record<string, string> = {
      [archiveId()]: 'Archive',
      [hub.getLogicalId(hub.accessLogs.node.defaultChild as never)]: 'AccessLogs',
    };
    const found = new Set<string>();
    const visit = (type: string, doc: any) => {
      for (const s of [doc?.Statement ?? []].flat()) {
        if (s.Effect !== 'Allow') continue; // CDK's TLS-only Deny of s3:* restricts, it grants nothing
        for (const key of ['Action', 'Resource'])
          for (const v of [s[key] ?? []].flat()) {
            const text = joined(v).replace(/<(\w+)>/g, (m, id) => (names[id] ? `<${names[id]}>` : m));
            if (text.includes('*')) found.add(`${type}:${text}`);
          }
      }
    };
    for (const r of Object.values(resources)) {
      if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::S3::BucketPolicy') visit(r.Type, r.Properties.PolicyDocument);
      if (r.Type === 'AWS::IAM::Role') visit(r.Type, r.Properties.AssumeRolePolicyDocument);
      if (r.Type === 'AWS::Oam::Sink') visit('AWS::OAM::Sink', r.Properties.Policy);
      if (r.Type === 'AWS::Logs::Destination') visit(r.Type, JSON.parse(joined(r.Properties.DestinationPolicy)));
    }
    const unexplained = [...found].filter((w) => !HUB_WILDCARDS[w]?.trim());
    expect(unexplained).toEqual([]);
    expect(Object.keys(HUB_WILDCARDS).filter((w) => !found.has(w))).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.filter((r: any) => r.conclusion !== 'success')).toEqual([]);
  });
});

describe('the hub stack, checked by cdk-nag and switched', () => {
  it('fails synthesis on an unacknowledged finding inside the hub stack (the checks cover it)', () => {
    const { app, observabilityHub } = build({ hubWorkloadAccounts: ACCOUNTS[0] });
    new Queue(observabilityHub!, 'NoDlqNoTls');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3[\s\S]*ShopWaveObservabilityHub\/NoDlqNoTls/);
  });

  it('-c hubMetricStream=false: no metric stream, one delivery stream (logs), no metrics table', () => {
    const { resourcesOf } = synth({ hubWorkloadAccounts: ACCOUNTS[0], hubMetricStream: 'false' });
    const resources = resourcesOf(OBSERVABILITY_HUB_STACK_NAME);
    expect(ofType(resources, 'AWS::CloudWatch::MetricStream')).toEqual([]);
    expect(ofType(resources, 'AWS::KinesisFirehose::DeliveryStream')).toHaveLength(1);
    expect(ofType(resources, 'AWS::Glue::Table').map(([, t]) => t.Properties.TableInput.Name)).toEqual(['logs']);
    expect(only(resources, 'AWS::Oam::Sink').Properties.Policy.Statement[0].Principal.AWS).toEqual([ACCOUNTS[0]]);
  });

  it('exists only with -c hubWorkloadAccounts', () => {
    const { app, observabilityHub } = build({});
    expect(observabilityHub).toBeUndefined();
    expect(app.node.children.map((c) => c.node.id)).not.toContain(OBSERVABILITY_HUB_STACK_NAME);
  });
});

describe('the workload side (ShopWave stack, aws)', () => {
  let linked: Resources;
  let shipping: Resources;
  let plain: Resources;
  beforeAll(() => {
    const a = synth({ hubSinkArn: SINK });
    linked = a.resourcesOf(a.stack.stackName);
    const b = synth({ hubSinkArn: SINK, hubLogDestinationArn: DESTINATION });
    shipping = b.resourcesOf(b.stack.stackName);
    const c = synth({});
    plain = c.resourcesOf(c.stack.stackName);
  });

  it('links to the sink with -c hubSinkArn: metrics, logs and traces, labelled with the account name', () => {
    const link = only(linked, 'AWS::Oam::Link').Properties;
    expect(link.SinkIdentifier).toBe(SINK);
    expect(link.ResourceTypes).toEqual(RESOURCE_TYPES);
    expect(link.LabelTemplate).toBe('$AccountName');
    expect(ofType(linked, 'AWS::Logs::SubscriptionFilter')).toEqual([]); // no destination given
  });

  it('subscribes every function log group, once each, to the destination of -c hubLogDestinationArn, named by service', () => {
    const functions = ofType(shipping, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(20);
    const logGroupOf = Object.fromEntries(functions.map(([id, f]) => [refId(f.Properties.LoggingConfig?.LogGroup), id]));
    const filters = ofType(shipping, 'AWS::Logs::SubscriptionFilter');
    expect(filters).toHaveLength(functions.length);
    const subscribed = filters.map(([, f]) => refId(f.Properties.LogGroupName));
    expect(new Set(subscribed).size).toBe(filters.length);
    expect(subscribed.sort()).toEqual(Object.keys(logGroupOf).sort());
    for (const [id, f] of filters) {
      expect(f.Properties.DestinationArn, id).toBe(DESTINATION);
      expect(f.Properties.FilterPattern, id).toBe('');
      const fn = shipping[logGroupOf[refId(f.Properties.LogGroupName)!]];
      expect(f.Properties.FilterName, id).toBe(`${HUB_FILTER_PREFIX}${fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME}`);
    }
    expect(ofType(shipping, 'AWS::Oam::Link')).toHaveLength(1);
  });

  it('adds nothing without the context', () => {
    expect(ofType(plain, 'AWS::Oam::Link')).toEqual([]);
    expect(ofType(plain, 'AWS::Logs::SubscriptionFilter')).toEqual([]);
    expect(
      Object.keys(shipping)
        .filter((id) => !(id in plain))
        .every((id) => id.startsWith('Hub')),
    ).toBe(true);
  });
});

describe.each(['localstack', 'offline'])('target %s', (target) => {
  it('has no link and no subscription filter', () => {
    const { app, stack } = build({ target });
    const resources = app.synth().getStackByName(stack.stackName).template.Resources as Resources;
    expect(ofType(resources, 'AWS::Oam::Link')).toEqual([]);
    expect(ofType(resources, 'AWS::Logs::SubscriptionFilter')).toEqual([]);
  });

  it('refuses every hub context key: the hub is aws only', () => {
    expect(() => build({ target, hubSinkArn: SINK })).toThrow(/context 'hubSinkArn' is for target=aws/);
    expect(() => build({ target, hubLogDestinationArn: DESTINATION })).toThrow(/context 'hubLogDestinationArn' is for target=aws/);
    expect(() => build({ target, hubWorkloadAccounts: ACCOUNTS[0] })).toThrow(/context 'hubWorkloadAccounts' is for target=aws/);
  });
});

describe('bad context values throw, naming the key', () => {
  it.each([
    ['hubWorkloadAccounts', '12345'],
    ['hubWorkloadAccounts', '111111111111,'],
    ['hubWorkloadAccounts', '111111111111;222222222222'],
    ['hubWorkloadAccounts', '111111111111,111111111111'],
    ['hubWorkloadAccounts', ''],
    ['hubSinkArn', 'arn:aws:oam:us-east-1:999999999999:link/abc'],
    ['hubSinkArn', 'a1b2c3d4-5678-90ab-cdef-111111111111'],
    ['hubLogDestinationArn', 'arn:aws:firehose:us-east-1:999999999999:deliverystream/x'],
    ['hubLogDestinationArn', 'arn:aws:logs:us-east-1:99999999:destination:ShopWaveHubLogs'],
  ])('%s=%j', (key, value) => {
    expect(() => build({ [key]: value })).toThrow(new RegExp(`context '${key}'`));
  });

  it('hubMetricStream must be true or false, and needs hubWorkloadAccounts', () => {
    expect(() => build({ hubWorkloadAccounts: ACCOUNTS[0], hubMetricStream: 'yes' })).toThrow(
      /context 'hubMetricStream' must be true or false/,
    );
    expect(() => build({ hubMetricStream: 'true' })).toThrow(/context 'hubMetricStream' needs 'hubWorkloadAccounts'/);
  });
});
