/**
 * The platform as the synthesized CloudFormation template describes it, with intrinsics resolved for the
 * offline runtime. `template-model.ts` builds it from `cdk.out/<stack>.template.json`; everything in `offline/runtime/`
 * runs from it, so a wrong rule, queue setting or environment variable in `lib/` breaks offline exactly as on AWS.
 */

/** How offline physical names and ARNs are made (account/region are fixed fakes). */
export interface OfflineNaming {
  region: string; // 'us-east-1'
  accountId: string; // '000000000000'
  /** Base URL of the SQS emulator, e.g. http://127.0.0.1:4566 ; queue URL = `${sqsEndpoint}/${accountId}/${queueName}` */
  sqsEndpoint: string;
  /**
   * Prepended to every physical name (tables, queues, functions, buses, rules) so several offline platforms can
   * share one DynamoDB Local and one SQS emulator (tests). '' for `npm start`.
   */
  resourcePrefix: string;
}

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N' | 'B';
}

export interface TableIndex {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  projectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  nonKeyAttributes?: string[];
}

export interface TableModel {
  logicalId: string;
  tableName: string; // physical name offline (TableName property if set, else logical id)
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  globalSecondaryIndexes: TableIndex[];
  /** NEW_IMAGE | NEW_AND_OLD_IMAGES | KEYS_ONLY | OLD_IMAGE, when a stream is enabled */
  streamViewType?: string;
  timeToLiveAttribute?: string;
  arn: string;
  streamArn?: string; // fake, stable; the runtime maps it to the emulator's real stream ARN
}

export interface QueueModel {
  logicalId: string;
  queueName: string;
  url: string;
  arn: string;
  fifo: boolean;
  visibilityTimeoutSeconds: number; // default 30
  messageRetentionSeconds: number; // default 345600
  delaySeconds: number; // default 0
  receiveWaitTimeSeconds: number; // default 0
  /** from RedrivePolicy */
  deadLetter?: { targetArn: string; maxReceiveCount: number };
}

export interface EventBusModel {
  logicalId: string;
  name: string;
  arn: string;
}

export interface RuleTarget {
  id: string;
  arn: string; // queue ARN or function ARN
  kind: 'sqs' | 'lambda' | 'other';
  /** SqsParameters.MessageGroupId, Input/InputPath/InputTransformer are kept raw (rarely used here) */
  input?: string;
  inputPath?: string;
  deadLetterArn?: string;
}

export interface RuleModel {
  logicalId: string;
  name: string;
  eventBusName: string; // 'default' when no EventBusName
  state: 'ENABLED' | 'DISABLED';
  eventPattern?: unknown; // the EventPattern object exactly as in the template
  scheduleExpression?: string; // e.g. 'rate(1 minute)' / 'cron(...)'
  targets: RuleTarget[];
}

export interface FunctionModel {
  logicalId: string;
  functionName: string;
  arn: string;
  handler: string; // e.g. 'index.handler'
  runtime: string;
  timeoutSeconds: number; // default 3
  memorySize: number; // default 128
  environment: Record<string, string>; // resolved
  /** Absolute path of the asset directory cdk synth produced (contains index.mjs / index.js) */
  codeDirectory?: string;
  reservedConcurrency?: number;
  /**
   * The log group its lines go to: the one LoggingConfig.LogGroup names (as `logGroupKey` resolves it), else
   * Lambda's default `/aws/lambda/<functionName>`. What metric filters on it read.
   */
  logGroup: string;
}

export interface EventSourceMappingModel {
  logicalId: string;
  functionLogicalId: string;
  sourceArn: string;
  kind: 'sqs' | 'dynamodb-stream';
  batchSize: number; // defaults: SQS 10, DynamoDB 100
  maximumBatchingWindowSeconds: number;
  enabled: boolean;
  reportBatchItemFailures: boolean; // FunctionResponseTypes contains ReportBatchItemFailures
  /** DynamoDB stream only */
  startingPosition?: string;
  maximumRetryAttempts?: number;
  bisectBatchOnFunctionError?: boolean;
  onFailureDestinationArn?: string;
  /** FilterCriteria.Filters[].Pattern, parsed from their JSON strings */
  filterPatterns: unknown[];
  /** SQS ScalingConfig.MaximumConcurrency */
  maximumConcurrency?: number;
}

export interface ApiRouteModel {
  /** HTTP method, upper case, or 'ANY' */
  method: string;
  /** Resource path with API Gateway placeholders, e.g. '/orders/{id}' or '/{proxy+}' */
  path: string;
  authorizationType: string; // NONE | AWS_IAM | COGNITO_USER_POOLS | CUSTOM
  apiKeyRequired: boolean;
  /** Lambda proxy integration target */
  functionLogicalId?: string;
  /** MOCK integrations (e.g. CORS OPTIONS) are kept but not routed to a function */
  integrationType: string;
}

export interface RestApiModel {
  logicalId: string;
  name: string;
  stageName: string;
  routes: ApiRouteModel[];
  /** Stage-level and per-method throttling from the Stage's MethodSettings */
  throttling: { path: string; method: string; rateLimit?: number; burstLimit?: number }[];
  /** The stage's AccessLogSetting: its log group (as FunctionModel.logGroup names one) and line format. */
  accessLog?: { logGroup: string; format: string };
}

export interface SsmParameterModel {
  logicalId: string;
  name: string;
  type: string;
  value: string;
}

/** One MetricTransformation of an AWS::Logs::MetricFilter. */
export interface MetricTransformationModel {
  namespace: string;
  metricName: string;
  /** '1' (any number literal) or `$.field` of the matching JSON event. */
  metricValue: string;
  /** Published for an event that does not match (CloudWatch refuses it together with dimensions). */
  defaultValue?: number;
  unit?: string;
  /** Dimension name → `$.field` of the matching event. */
  dimensions: Record<string, string>;
}

/** An AWS::Logs::MetricFilter: a pattern on one log group's events, and the metrics a match publishes. */
export interface MetricFilterModel {
  logicalId: string;
  /** The log group, in the same form as FunctionModel.logGroup. */
  logGroup: string;
  filterPattern: string;
  transformations: MetricTransformationModel[];
}

export type { AlarmModel } from './alarms';
import type { AlarmModel } from './alarms';

export interface DashboardModel {
  logicalId: string;
  name: string;
  /** The DashboardBody, resolved and parsed: `{ widgets: [{ type, x, y, width, height, properties }] }`. */
  body: any;
}

export interface PlatformModel {
  stackName: string;
  naming: OfflineNaming;
  tables: TableModel[];
  queues: QueueModel[];
  buses: EventBusModel[];
  rules: RuleModel[];
  functions: FunctionModel[];
  eventSourceMappings: EventSourceMappingModel[];
  restApis: RestApiModel[];
  parameters: SsmParameterModel[];
  alarms: AlarmModel[];
  metricFilters: MetricFilterModel[];
  dashboards: DashboardModel[];
  /** Stack outputs, resolved */
  outputs: Record<string, string>;
}
