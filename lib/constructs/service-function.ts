import { Duration, RemovalPolicy, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  Alias,
  Architecture,
  EventSourceMapping,
  Runtime,
  Tracing,
  type EventSourceMappingOptions,
  type IFunction,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import path from 'node:path';
import type { PlatformConfig } from '../config';
import { NAMESPACE } from './business-metrics';
import { TABLE_ENV, type DataTables, type TableKey } from './data-tables';
import { functionTracing } from './otel-tracing';

const FUNCTIONS_DIR = path.join(import.meta.dirname, '..', '..', 'functions');

/**
 * How every function is bundled (`npm run bench -- --profile bundles` rebuilds each entry with these options to
 * attribute the bytes per package; figures in docs/performance.md):
 * - the SDK is bundled, not taken from the nodejs22.x runtime: it is ~350 KB of a ~675 KB bundle, but a cold init
 *   that loads an unbundled SDK from disk, as the runtime's is loaded, took twice as long or more (median 373 ms
 *   against 170 ms), and the version we test is the version we run;
 * - the source map is a separate, linked `index.mjs.map` without `sourcesContent` (positions and names only, ~1 MB
 *   instead of ~4 MB): NODE_OPTIONS=--enable-source-maps reads it (~30–60 ms of a cold init), so the stacks Powertools
 *   logs name functions/…/*.ts lines instead of `index.mjs:1:345678`.
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node20',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  externalModules: [],
  // Some CommonJS dependencies call require(); give ESM bundles one.
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
} as const satisfies BundlingOptions;

/**
 * The `live` alias, whose event source mappings stay where the function's own were in the construct tree (under the
 * function, not the alias): the same logical ids, so moving a deployed stack onto aliases updates each mapping's
 * FunctionName in place instead of replacing it — a replaced stream mapping would start again at TRIM_HORIZON and
 * relay the outbox's last 24 hours a second time.
 */
class LiveAlias extends Alias {
  override addEventSourceMapping(id: string, options: EventSourceMappingOptions): EventSourceMapping {
    return new EventSourceMapping(this.version.lambda, id, { target: this, ...options });
  }
}

/** Construct metadata (cdk.out/<stack>.metadata.json, not the template) naming a function's entry file. */
export const ENTRY_METADATA = 'shopwave:entry';

export interface ServiceFunctionProps {
  config: PlatformConfig;
  /** Folder under functions/, e.g. 'orders'; also the Powertools service name. */
  service: string;
  /** File in that folder without extension, e.g. 'api' or 'consumer'. */
  entry: string;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
}

/** What a function may do with which tables (ServiceFunction.bindTables). */
export interface TableAccess {
  /** Read and write the items (and query the indexes). */
  write?: TableKey[];
  /** Read the items (and query the indexes). */
  read?: TableKey[];
  /** PutItem on the outbox only: events are committed inside the service's own transactions, never read back. */
  outbox?: boolean;
  /** Read and write the Powertools idempotency table. */
  idempotency?: boolean;
}

/**
 * A Lambda function for one handler of one service, with the platform's defaults: Node.js 22 runtime, ESM bundle
 * built locally by esbuild for a node20 target (so the same bundle runs on Lambda and on the offline runtime's
 * Node 20), the SDK bundled in (BUNDLING says why), bounded timeout and memory,
 * Powertools settings, its own log group with retention, and its tracing (X-Ray, or with `-c tracing=otel` the ADOT
 * layer: lib/constructs/otel-tracing.ts decides). What it may touch is declared with `bindTables`, which both
 * grants IAM and sets the table-name variables, so a handler can only name tables it was granted.
 */
export class ServiceFunction extends NodejsFunction {
  /**
   * The name alarms and dashboard rows know the function by (`<name>Errors`, `<name>Throttles`): a construct's own
   * `Handler` goes by the construct's id (InventoryConsumer, OutboxRelay), any other function by its own id (OrdersApi).
   */
  get watchName(): string {
    return this.node.id === 'Handler' && this.node.scope ? this.node.scope.node.id : this.node.id;
  }

  /** The Powertools service name: the `service` dimension of its metrics. */
  readonly service: string;

  /** The function's own log group (retention one month): what metric filters on its log lines attach to. */
  readonly functionLogGroup: LogGroup;

  /**
   * On aws only: the `live` alias on the function's current version. Every trigger (queue, stream, schedule, API
   * route) invokes it, and CodeDeploy shifts it to each new version, canary first, rolling back on an alarm
   * (lib/constructs/canary-deployments.ts). LocalStack community has no CodeDeploy and the offline runtime reads the
   * unqualified function, so there the triggers invoke the function itself and the template does not change.
   */
  readonly live?: Alias;

  /** What triggers invoke: the `live` alias on aws, the function itself elsewhere. */
  get invoked(): IFunction {
    return this.live ?? this;
  }

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const { config } = props;
    const tracing = functionTracing(scope, config, props.service);
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: path.join(FUNCTIONS_DIR, props.service, `${props.entry}.ts`),
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      // LocalStack runs Lambda in containers of the host's architecture; arm64 is cheaper on AWS.
      architecture: config.target === 'aws' ? Architecture.ARM_64 : Architecture.X86_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: tracing.xrayActive ? Tracing.ACTIVE : Tracing.DISABLED,
      layers: tracing.layers,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.service,
        POWERTOOLS_METRICS_NAMESPACE: 'ShopWave',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
        ...tracing.environment,
      },
      bundling: { ...BUNDLING, mainFields: [...BUNDLING.mainFields], externalModules: [] },
      // Published versions are kept when a newer one replaces them, so an operator can point the alias back at the
      // previous one by hand (docs/runbooks/deploy-and-rollback.md). Read only where currentVersion is used (aws).
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
    });
    // The version's hash covers the code asset's hash and the configuration: no second bundling.
    if (config.target === 'aws') this.live = new LiveAlias(this, 'Live', { aliasName: 'live', version: this.currentVersion });
    this.node.addMetadata(ENTRY_METADATA, `functions/${props.service}/${props.entry}.ts`);
    this.service = props.service;
    this.functionLogGroup = logGroup;
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is the chosen runtime: bundles target node20 so the same file runs offline on Node 20; move to 24 with the toolchain.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The basic execution role only allows writing this function's logs (CreateLogStream/PutLogEvents).",
      },
    );
    if (tracing.xrayActive) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Active tracing adds xray:PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions.',
      });
    }
  }

  /**
   * Grants this function `use` on the platform's tables and passes each table's name (`*_TABLE_NAME`, TABLE_ENV).
   * `outbox` is write-only (PutItem inside transactions).
   */
  bindTables(tables: DataTables, use: TableAccess): this {
    for (const key of use.write ?? []) this.bindTable(tables, key, (t) => t.grantReadWriteData(this));
    for (const key of use.read ?? []) this.bindTable(tables, key, (t) => t.grantReadData(this));
    if (use.outbox) this.bindTable(tables, 'outbox', (t) => t.grant(this, 'dynamodb:PutItem'));
    if (use.idempotency) this.bindTable(tables, 'idempotency', (t) => t.grantReadWriteData(this));
    return this;
  }

  /** The gauges this function publishes with PutMetricData (functions/shared/gauges.ts), by metric name. */
  readonly gauges: string[] = [];

  /**
   * Lets the function publish `names` to CloudWatch with PutMetricData, in the platform's namespace only, and
   * declares them (SHOPWAVE_GAUGES): the handler refuses an undeclared name, and the per-target alarm table
   * (docs/alarms-per-target.md) reads the declaration from the template to know which metrics reach LocalStack.
   */
  publishGauges(...names: string[]): this {
    this.gauges.push(...names.filter((n) => !this.gauges.includes(n)));
    this.addEnvironment('SHOPWAVE_GAUGES', this.gauges.join(','));
    if (this.gauges.length === names.length) {
      this.addToRolePolicy(
        new PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': NAMESPACE } },
        }),
      );
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'cloudwatch:PutMetricData supports no resource-level permission; the policy is limited to the ShopWave namespace.',
      });
    }
    return this;
  }

  private bindTable(tables: DataTables, key: TableKey, grant: (table: Table) => void): void {
    const table = tables[key];
    grant(table);
    this.addEnvironment(TABLE_ENV[key], table.tableName);
    // Grants on a table with GSIs include `<table>/index/*`: acknowledge exactly that finding, nothing wider.
    const logicalId = Stack.of(this).getLogicalId(table.node.defaultChild as CfnResource);
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
      reason: `Queries on the indexes of the ${key} table; scoped to that table's own indexes.`,
    });
  }
}
