import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnMetricStream } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { AccountPrincipal, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { CrossAccountDestination, LogGroup, LogStream, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSink } from 'aws-cdk-lib/aws-oam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import type { Construct, Node } from 'constructs';
import type { Target } from './config';
import { HUB_FILTER_PREFIX, HUB_RESOURCE_TYPES } from './constructs/hub-link';

/** The metric namespaces the hub's metric stream carries: the platform's own and the AWS services it runs on. */
export const HUB_METRIC_NAMESPACES = ['ShopWave', 'AWS/Lambda', 'AWS/SQS', 'AWS/DynamoDB', 'AWS/ApiGateway', 'AWS/Events'] as const;
/** Days in S3 Standard before Glacier Instant Retrieval, and days before an object is deleted (seed 001: a year). */
export const ARCHIVE_TRANSITION_DAYS = 30;
export const ARCHIVE_RETENTION_DAYS = 365;
/** The log destination's name: workloads subscribe to `arn:aws:logs:<region>:<hub account>:destination:<this>`. */
export const HUB_LOG_DESTINATION_NAME = 'ShopWaveHubLogs';
export const HUB_DATABASE = 'shopwave_hub';
/** The service partition of a record that came from no hub subscription filter (CloudWatch Logs' control messages). */
export const NO_SERVICE = 'none';

/** Where each kind of object lands in the archive bucket (Firehose prefixes; Glue tables read the same keys). */
export const ARCHIVE_PREFIXES = {
  logs: 'logs/account=!{partitionKeyFromQuery:account}/service=!{partitionKeyFromQuery:service}/dt=!{timestamp:yyyy-MM-dd}/',
  logErrors: 'errors/logs/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
  metrics: 'metrics/dt=!{timestamp:yyyy-MM-dd}/',
  metricErrors: 'errors/metrics/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
} as const;

/**
 * The jq 1.6 query Firehose runs on each record to find its partition. A record is one CloudWatch Logs envelope
 * (decompressed): the events of one log group, `owner` the account that sent them, `subscriptionFilters` the name of
 * the filter, which the workload names after the service (HUB_FILTER_PREFIX + service, lib/constructs/hub-link.ts).
 */
export const LOG_PARTITION_QUERY = `{account: .owner, service: (.subscriptionFilters[0] // "${HUB_FILTER_PREFIX}${NO_SERVICE}" | ltrimstr("${HUB_FILTER_PREFIX}"))}`;

/**
 * Every wildcard the hub's policies hold, with the reason: the cdk-nag acknowledgements below are made from this
 * list, and test/observability-hub.test.ts fails on a wildcard that is not in it. Keys: `<policy type>:<action or
 * resource>`, a bucket's ARN written `<Archive>`, `<AccessLogs>`.
 */
export const HUB_WILDCARDS: Record<string, string> = {
  'AWS::IAM::Policy:<Archive>/logs/*':
    'Firehose names the log objects itself (partition prefix, then stream name, time and a random id): this prefix only.',
  'AWS::IAM::Policy:<Archive>/errors/logs/*':
    'Log records Firehose could not process or partition, under their error type: this prefix only.',
  'AWS::IAM::Policy:<Archive>/metrics/*': 'Firehose names the metric objects itself (date prefix, then stream name, time, random id).',
  'AWS::IAM::Policy:<Archive>/errors/metrics/*': 'Metric records Firehose could not deliver, under their error type: this prefix only.',
  'AWS::OAM::Sink:*':
    "An OAM sink policy's Resource is the sink it is attached to, which has no ARN before it exists; the accounts and resource types are named exactly.",
  'AWS::S3::BucketPolicy:<AccessLogs>/archive/*': "S3 server access logging writes the archive bucket's access logs under this prefix.",
  'AWS::S3::BucketPolicy:<AccessLogs>/query-results/*': "S3 server access logging writes the query-result bucket's access logs here.",
};

export interface HubContext {
  /** The workload accounts allowed to link and to subscribe (`-c hubWorkloadAccounts=111111111111,222222222222`). */
  workloadAccounts: string[];
  /** `-c hubMetricStream=true|false` (default true): the full-resolution metric archive (docs/observability-hub.md). */
  metricStream: boolean;
}

/**
 * `-c hubWorkloadAccounts=…` (12-digit account ids, comma separated, no repeats) and `-c hubMetricStream=true|false`;
 * undefined without the first: no hub stack. aws only. Anything invalid fails synth, naming the key.
 */
export function readHubContext(node: Node, target: Target): HubContext | undefined {
  const accounts = node.tryGetContext('hubWorkloadAccounts') as unknown;
  const stream = node.tryGetContext('hubMetricStream') as unknown;
  if (accounts === undefined) {
    if (stream !== undefined) throw new Error("context 'hubMetricStream' needs 'hubWorkloadAccounts': it configures the hub stack");
    return undefined;
  }
  const workloadAccounts = String(accounts)
    .split(',')
    .map((a) => a.trim());
  const bad = workloadAccounts.filter((a) => !/^\d{12}$/.test(a));
  if (bad.length > 0 || workloadAccounts.length === 0)
    throw new Error(`context 'hubWorkloadAccounts' must be 12-digit AWS account ids, comma separated, got '${String(accounts)}'`);
  if (new Set(workloadAccounts).size !== workloadAccounts.length)
    throw new Error(`context 'hubWorkloadAccounts' names an account twice: '${String(accounts)}'`);
  if (target !== 'aws')
    throw new Error(
      `context 'hubWorkloadAccounts' is for target=aws: the hub is CloudWatch cross-account observability, ${target} has none`,
    );
  const metricStream = String(stream ?? 'true');
  if (!['true', 'false'].includes(metricStream)) throw new Error(`context 'hubMetricStream' must be true or false, got '${metricStream}'`);
  return { workloadAccounts, metricStream: metricStream === 'true' };
}

export interface ObservabilityHubStackProps extends StackProps, HubContext {
  /** The services whose logs are archived (the `service` partition's values), from the ShopWave stack's functions. */
  services: string[];
}

/**
 * The central observability hub, a stack for a monitoring account (issue 14, seed 001's second task;
 * docs/observability-hub.md), aws only:
 * - a CloudWatch cross-account observability (OAM) sink that exactly the workload accounts may link to, for metrics,
 *   log groups and X-Ray traces: the hub's CloudWatch shows every workload's data where it lives;
 * - the log archive: a CloudWatch Logs destination the workloads' subscription filters send to → Firehose
 *   (decompressed, partitioned by account, service and day with jq, GZIP) → S3, Glacier Instant Retrieval after
 *   30 days, deleted after 365;
 * - a Glue database with partition-projected tables over it and an Athena workgroup, so it is queried without a
 *   crawler;
 * - optionally (`-c hubMetricStream`, on by default) a metric stream of the linked accounts' metrics in the
 *   platform's namespaces → Firehose → the same bucket: a year at one-minute resolution.
 */
export class ObservabilityHubStack extends Stack {
  readonly sink: CfnSink;
  readonly archive: Bucket;
  readonly accessLogs: Bucket;
  readonly queryResults: Bucket;
  readonly logDelivery: CfnDeliveryStream;
  readonly logDestination: CrossAccountDestination;
  readonly metricDelivery?: CfnDeliveryStream;
  readonly metricStream?: CfnMetricStream;

  constructor(scope: Construct, id: string, props: ObservabilityHubStackProps) {
    super(scope, id, props);
    // Access logs are delivered under a bucket policy, not the legacy log-delivery ACL (this stack only).
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const accounts = props.workloadAccounts;

    // --- Cross-account observability: the sink ----------------------------------------------------------------
    this.sink = new CfnSink(this, 'Sink', {
      name: 'ShopWaveObservabilityHub',
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: accounts },
            Action: ['oam:CreateLink', 'oam:UpdateLink'],
            Resource: '*', // HUB_WILDCARDS['AWS::OAM::Sink:*']
            // A link may share these types and nothing else.
            Condition: { 'ForAllValues:StringEquals': { 'oam:ResourceTypes': [...HUB_RESOURCE_TYPES] } },
          },
        ],
      },
    });

    // --- Buckets ------------------------------------------------------------------------------------------------
    const privateBucket = {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    };
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...privateBucket,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'AccessLogsAgeOut', expiration: Duration.days(ARCHIVE_RETENTION_DAYS) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the archive and query-result buckets; logging its own access would log the logging.',
    });
    this.archive = new Bucket(this, 'Archive', {
      ...privateBucket,
      removalPolicy: RemovalPolicy.RETAIN, // a compliance archive outlives a `cdk destroy`
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'archive/',
      lifecycleRules: [
        {
          id: 'ArchiveAgeOut',
          // Every prefix: logs, metrics and the error records (kept as long as what they failed to be).
          transitions: [{ storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(ARCHIVE_TRANSITION_DAYS) }],
          expiration: Duration.days(ARCHIVE_RETENTION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    this.queryResults = new Bucket(this, 'QueryResults', {
      ...privateBucket,
      removalPolicy: RemovalPolicy.DESTROY,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'query-results/',
      lifecycleRules: [{ id: 'ResultsAgeOut', expiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });

    // Firehose's own delivery errors (a denied write, a failed partition) go to one log group, a stream per stream.
    const deliveryErrors = new LogGroup(this, 'DeliveryErrors', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // --- The log archive: destination → Firehose → S3 ------------------------------------------------------------
    const logsErrorStream = new LogStream(this, 'LogDeliveryErrors', { logGroup: deliveryErrors, removalPolicy: RemovalPolicy.DESTROY });
    const logsRole = this.deliveryRole('LogDeliveryRole', ['logs/', 'errors/logs/'], deliveryErrors, logsErrorStream);
    this.logDelivery = new CfnDeliveryStream(this, 'LogDelivery', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.archive.bucketArn,
        roleArn: logsRole.roleArn,
        prefix: ARCHIVE_PREFIXES.logs,
        errorOutputPrefix: ARCHIVE_PREFIXES.logErrors,
        compressionFormat: 'GZIP',
        // Dynamic partitioning's minimum is 64 MiB; 15 minutes (the most) keeps objects few at a small volume.
        bufferingHints: { intervalInSeconds: 900, sizeInMBs: 64 },
        // Retries of a failed S3 delivery for 2 hours (the most), then the records go under the error prefix.
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 7200 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            // CloudWatch Logs sends gzip'd envelopes; jq needs the JSON.
            { type: 'Decompression', parameters: [{ parameterName: 'CompressionFormat', parameterValue: 'GZIP' }] },
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: LOG_PARTITION_QUERY },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
            // One envelope per line: the Glue table reads JSON lines.
            { type: 'AppendDelimiterToRecord' },
          ],
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: deliveryErrors.logGroupName,
          logStreamName: logsErrorStream.logStreamName,
        },
      },
    });
    this.logDelivery.node.addDependency(logsRole); // Firehose checks its role's rights when it creates the stream

    // CloudWatch Logs puts the workloads' events into the stream with this role, for the workloads' log groups only.
    const destinationRole = new Role(this, 'LogDestinationRole', {
      description: 'Assumed by CloudWatch Logs to put the workload accounts subscribed events into the log archive stream',
      assumedBy: new ServicePrincipal('logs.amazonaws.com', {
        conditions: {
          StringLike: {
            'aws:SourceArn': [...accounts, this.account].map((account) =>
              this.formatArn({ service: 'logs', account, resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }),
            ),
          },
        },
      }),
    });
    destinationRole.addToPolicy(
      new PolicyStatement({ actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [this.logDelivery.attrArn] }),
    );
    this.logDestination = new CrossAccountDestination(this, 'LogDestination', {
      destinationName: HUB_LOG_DESTINATION_NAME,
      role: destinationRole,
      targetArn: this.logDelivery.attrArn,
    });
    // The policy names the destination by its ARN, built from its fixed name: its own Arn attribute would be a cycle.
    const destinationArn = this.formatArn({
      service: 'logs',
      resource: 'destination',
      resourceName: HUB_LOG_DESTINATION_NAME,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.logDestination.addToPolicy(
      new PolicyStatement({
        principals: accounts.map((a) => new AccountPrincipal(a)),
        actions: ['logs:PutSubscriptionFilter'],
        resources: [destinationArn],
      }),
    );
    this.logDestination.node.addDependency(destinationRole);

    // --- The metric archive: metric stream → Firehose → S3 -------------------------------------------------------
    if (props.metricStream) {
      const metricsErrorStream = new LogStream(this, 'MetricDeliveryErrors', {
        logGroup: deliveryErrors,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const metricsRole = this.deliveryRole('MetricDeliveryRole', ['metrics/', 'errors/metrics/'], deliveryErrors, metricsErrorStream);
      const metricDelivery = new CfnDeliveryStream(this, 'MetricDelivery', {
        deliveryStreamType: 'DirectPut',
        deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
        extendedS3DestinationConfiguration: {
          bucketArn: this.archive.bucketArn,
          roleArn: metricsRole.roleArn,
          prefix: ARCHIVE_PREFIXES.metrics,
          errorOutputPrefix: ARCHIVE_PREFIXES.metricErrors,
          compressionFormat: 'GZIP',
          bufferingHints: { intervalInSeconds: 900, sizeInMBs: 128 },
          cloudWatchLoggingOptions: {
            enabled: true,
            logGroupName: deliveryErrors.logGroupName,
            logStreamName: metricsErrorStream.logStreamName,
          },
        },
      });
      metricDelivery.node.addDependency(metricsRole);
      this.metricDelivery = metricDelivery;
      const streamRole = new Role(this, 'MetricStreamRole', {
        description: 'Assumed by CloudWatch metric streams to put metric updates into the metric archive stream',
        assumedBy: new ServicePrincipal('streams.metrics.cloudwatch.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      });
      streamRole.addToPolicy(
        new PolicyStatement({ actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [metricDelivery.attrArn] }),
      );
      this.metricStream = new CfnMetricStream(this, 'MetricStream', {
        firehoseArn: metricDelivery.attrArn,
        roleArn: streamRole.roleArn,
        outputFormat: 'json', // queried with Athena (docs/observability-hub.md, "Metrics": why not opentelemetry1.0)
        includeFilters: HUB_METRIC_NAMESPACES.map((namespace) => ({ namespace })),
        includeLinkedAccountsMetrics: true, // the linked workloads' metrics, not only the hub account's
      });
      this.metricStream.node.addDependency(streamRole, this.sink);
    }

    // --- Query: Glue tables with partition projection, an Athena workgroup ---------------------------------------
    const database = new CfnDatabase(this, 'Catalog', {
      catalogId: this.account,
      databaseInput: { name: HUB_DATABASE, description: 'ShopWave central log and metric archive (docs/observability-hub.md)' },
    });
    const services = [...new Set([...props.services, NO_SERVICE])].sort();
    this.table('LogsTable', {
      name: 'logs',
      description: 'CloudWatch Logs envelopes of the workload accounts: one log group, many events per row',
      prefix: 'logs/',
      partitions: { account: accounts, service: services },
      columns: [
        { name: 'messagetype', type: 'string' },
        { name: 'owner', type: 'string' },
        { name: 'loggroup', type: 'string' },
        { name: 'logstream', type: 'string' },
        { name: 'subscriptionfilters', type: 'array<string>' },
        { name: 'logevents', type: 'array<struct<id:string,timestamp:bigint,message:string>>' },
      ],
    }).node.addDependency(database);
    if (props.metricStream)
      this.table('MetricsTable', {
        name: 'metrics',
        description: 'CloudWatch metric stream updates (JSON): one metric, one minute per row',
        prefix: 'metrics/',
        partitions: {},
        columns: [
          { name: 'metric_stream_name', type: 'string' },
          { name: 'account_id', type: 'string' },
          { name: 'region', type: 'string' },
          { name: 'namespace', type: 'string' },
          { name: 'metric_name', type: 'string' },
          { name: 'dimensions', type: 'map<string,string>' },
          { name: 'timestamp', type: 'bigint' },
          { name: 'value', type: 'struct<max:double,min:double,sum:double,count:double>' },
          { name: 'unit', type: 'string' },
        ],
      }).node.addDependency(database);
    const workgroup = new CfnWorkGroup(this, 'Queries', {
      name: 'ShopWaveHub',
      description: 'Queries over the ShopWave archive; results encrypted, kept 30 days',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: 100 * 1024 ** 3, // 100 GiB, about $0.50: a runaway query stops there
        resultConfiguration: {
          outputLocation: this.queryResults.s3UrlForObject('results/'),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    // --- What the workload stacks need, and what the docs' commands read ----------------------------------------
    new CfnOutput(this, 'SinkArn', { value: this.sink.attrArn, description: 'Workload stacks: -c hubSinkArn=<this>' });
    new CfnOutput(this, 'LogDestinationArn', {
      value: this.logDestination.destinationArn,
      description: 'Workload stacks: -c hubLogDestinationArn=<this>',
    });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archive.bucketName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: workgroup.name });
    new CfnOutput(this, 'GlueDatabase', { value: HUB_DATABASE });
  }

  /**
   * A role Firehose assumes to write under `prefixes` of the archive and report its errors: the actions of AWS's
   * documented Firehose-to-S3 policy, the objects of these prefixes only, nothing deleted.
   */
  private deliveryRole(id: string, prefixes: string[], errors: LogGroup, errorStream: LogStream): Role {
    const role = new Role(this, id, {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': this.account } } }),
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [this.archive.bucketArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: prefixes.map((p) => this.archive.arnForObjects(`${p}*`)),
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [
          this.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${errors.logGroupName}:log-stream:${errorStream.logStreamName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    const archiveId = this.getLogicalId(this.archive.node.defaultChild as never);
    Validations.of(role).acknowledge(
      ...prefixes.map((p) => ({
        id: `AwsSolutions-IAM5[Resource::<${archiveId}.Arn>/${p}*]`,
        reason: HUB_WILDCARDS[`AWS::IAM::Policy:<Archive>/${p}*`],
      })),
    );
    return role;
  }

  /** A Glue table of JSON lines (gzip) under `prefix`, partitions projected: no crawler, no MSCK REPAIR. */
  private table(
    id: string,
    spec: {
      name: string;
      description: string;
      prefix: string;
      partitions: Record<string, string[]>;
      columns: { name: string; type: string }[];
    },
  ): CfnTable {
    const location = `s3://${this.archive.bucketName}/${spec.prefix}`;
    const enums = Object.entries(spec.partitions);
    const projection: Record<string, string> = {
      'projection.enabled': 'true',
      // The day Firehose received the records (UTC), a year back: what the lifecycle keeps.
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': 'NOW-1YEARS,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      ...Object.fromEntries(
        enums.flatMap(([key, values]) => [
          [`projection.${key}.type`, 'enum'],
          [`projection.${key}.values`, values.join(',')],
        ]),
      ),
      'storage.location.template': `${location}${[...enums.map(([key]) => key), 'dt'].map((key) => `${key}=\${${key}}`).join('/')}/`,
    };
    return new CfnTable(this, id, {
      catalogId: this.account,
      databaseName: HUB_DATABASE,
      tableInput: {
        name: spec.name,
        description: spec.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'json', compressionType: 'gzip', ...projection },
        partitionKeys: [...enums.map(([name]) => ({ name, type: 'string' })), { name: 'dt', type: 'string' }],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
          columns: spec.columns,
        },
      },
    });
  }
}
