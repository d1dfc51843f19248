import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import path from 'node:path';
import type { PlatformConfig } from '../config';

const FUNCTIONS_DIR = path.join(import.meta.dirname, '..', '..', 'functions');

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

/**
 * A Lambda function for one handler of one service, with the platform's defaults: Node.js 22 runtime, ESM bundle
 * built locally by esbuild for a node20 target (so the same bundle runs on Lambda and on the offline runtime's
 * Node 20), the SDK bundled in (the version we test is the version we run), bounded timeout and memory,
 * Powertools settings, its own log group with retention.
 */
export class ServiceFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const { config } = props;
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
      tracing: config.awsOnly ? Tracing.ACTIVE : Tracing.DISABLED,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.service,
        POWERTOOLS_METRICS_NAMESPACE: 'ShopWave',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node20',
        platform: 'node',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        externalModules: [],
        // Some CommonJS dependencies call require(); give ESM bundles one.
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason: 'nodejs22.x is the chosen runtime: bundles target node20 so the same file runs offline on Node 20; move to 24 with the toolchain.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The basic execution role only allows writing this function\'s logs (CreateLogStream/PutLogEvents).',
      },
    );
    if (config.awsOnly) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Active tracing adds xray:PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions.',
      });
    }
  }
}
