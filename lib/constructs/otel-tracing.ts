/**
 * How a function is traced — the one place that decides it (ServiceFunction and PublicApi ask here):
 * - `-c tracing=xray` (default): X-Ray active tracing on every function and on the API stage, Powertools Tracer
 *   around each handler and SDK client (aws target only; LocalStack community and offline have no tracing).
 * - `-c tracing=otel` (aws target only): the AWS Distro for OpenTelemetry (ADOT) Lambda layer on every function,
 *   exporting OTLP/HTTP to the collector at `-c otelEndpoint=…`; X-Ray active tracing and the Powertools Tracer are
 *   off, so nothing is traced twice. docs/observability.md, "Tracing: X-Ray or OpenTelemetry", says what it costs
 *   and what it does not see (the bundles are ESM with the SDK inside).
 */
import { Stack, Token } from 'aws-cdk-lib';
import { type ILayerVersion, LayerVersion } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { OtelTracingConfig, PlatformConfig } from '../config';

/**
 * The default `-c otelLayerArn`: the AWS-managed ADOT Lambda layer for Node.js ("AWS Lambda Layer for
 * OpenTelemetry", ADOT JavaScript v0.12.0) in us-east-1, from the ARN table of
 * https://aws-otel.github.io/docs/getting-started/lambda (src/config/lambdaLayerArns.js, updated 2026-07-02).
 * One layer for both architectures (pure JavaScript, no collector extension). Layers are regional, and the
 * publishing account differs by region (615299751070 in most): any other region needs `-c otelLayerArn=…`.
 */
export const DEFAULT_OTEL_LAYER_ARN = 'arn:aws:lambda:us-east-1:615299751070:layer:AWSOpenTelemetryDistroJs:15';

/** A Lambda layer version ARN: region, account, layer name, version. */
export const LAYER_VERSION_ARN = /^arn:aws[a-z-]*:lambda:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):layer:([A-Za-z0-9_-]+):(\d+)$/;

/**
 * The layer families this platform knows, each with the wrapper script it ships (AWS_LAMBDA_EXEC_WRAPPER):
 * - AWSOpenTelemetryDistroJs — the current, recommended ADOT layer: no collector, OTLP straight from the function;
 *   detects an ESM handler (`/var/task/*.mjs`) and hooks it through `module.register` (aws-otel-js-instrumentation
 *   PRs #101 and #359);
 * - aws-otel-nodejs-arm64-ver-* — the legacy ADOT layer with an embedded collector extension (its docs: "legacy
 *   approach"; they ask esbuild users for CommonJS `module.exports`, which these ESM bundles are not);
 * - opentelemetry-nodejs-* — the upstream OpenTelemetry Lambda layer (open-telemetry/opentelemetry-lambda).
 */
const LAYER_FAMILIES: readonly { name: RegExp; wrapper: string }[] = [
  { name: /^AWSOpenTelemetryDistroJs$/, wrapper: '/opt/otel-instrument' },
  { name: /^aws-otel-nodejs-arm64-ver-[0-9-]+$/, wrapper: '/opt/otel-handler' },
  { name: /^opentelemetry-nodejs-[0-9_]+$/, wrapper: '/opt/otel-handler' },
];

/** The wrapper script of a layer ARN's family, or an error naming what is wrong (lib/config.ts reports it). */
export function otelLayerWrapper(layerArn: string): { wrapper: string } | { error: string } {
  const match = LAYER_VERSION_ARN.exec(layerArn);
  if (!match) return { error: `is not a Lambda layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)` };
  const name = match[3];
  if (/^aws-otel-nodejs-amd64-/.test(name)) return { error: 'is the x86_64 (amd64) build: the aws target runs arm64 functions' };
  const family = LAYER_FAMILIES.find((f) => f.name.test(name));
  if (!family)
    return {
      error:
        'names a layer this platform has no wrapper for: use AWSOpenTelemetryDistroJs (ADOT, recommended), aws-otel-nodejs-arm64-ver-* (legacy ADOT) or opentelemetry-nodejs-* (upstream)',
    };
  return { wrapper: family.wrapper };
}

/** X-Ray active tracing (functions and API stage) and the Powertools Tracer: the aws target with tracing=xray. */
export const xrayTracing = (config: PlatformConfig): boolean => config.awsOnly && config.tracing === 'xray';

/**
 * The environment a function gets with tracing=otel. Service name = the Powertools service (`service.name`, also
 * in OTEL_RESOURCE_ATTRIBUTES so the wrapper does not put the function name there); traces only, over OTLP/HTTP
 * (protobuf) to `<otelEndpoint>/v1/traces` — the signal-specific variable, because the ADOT layer sends to the
 * local X-Ray daemon over UDP unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; metrics stay Powertools EMF and
 * logs stay CloudWatch Logs, so the OTel metrics and logs exporters are off, and so is Application Signals (its
 * metrics would need CloudWatch permissions and cost per signal). Only the Lambda and HTTP instrumentations: the
 * AWS SDK is bundled into each function (BUNDLING), so the aws-sdk instrumentation has no module load to hook.
 * POWERTOOLS_TRACE_ENABLED=false turns the Powertools Tracer into a no-op, including its global HTTP capture.
 */
export function otelEnvironment(otel: OtelTracingConfig, service: string, wrapper: string): Record<string, string> {
  return {
    AWS_LAMBDA_EXEC_WRAPPER: wrapper,
    POWERTOOLS_TRACE_ENABLED: 'false',
    OTEL_SERVICE_NAME: service,
    OTEL_RESOURCE_ATTRIBUTES: `service.name=${service},service.namespace=ShopWave`,
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_ENDPOINT: otel.endpoint,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otel.endpoint}/v1/traces`,
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_AWS_APPLICATION_SIGNALS_ENABLED: 'false',
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'aws-lambda,http',
    OTEL_PROPAGATORS: 'tracecontext,baggage,xray',
  };
}

/** What ServiceFunction applies to one function. */
export interface FunctionTracing {
  /** X-Ray active tracing on the function. */
  xrayActive: boolean;
  /** Layers to add (the ADOT layer with tracing=otel). */
  layers: ILayerVersion[];
  /** Environment variables to add, after the function's own. */
  environment: Record<string, string>;
}

/**
 * The tracing of one function of `service`. With tracing=otel the layer is one shared reference per stack (no
 * resource: an imported layer version), and the layer's region is checked against the stack's at synth. `cdk deploy`
 * knows the region (CDK_DEFAULT_REGION, bin/shopwave.ts); an environment-agnostic synth (the tests) cannot check it,
 * and Lambda then refuses a layer of another region when the function is created.
 */
export function functionTracing(scope: IConstruct, config: PlatformConfig, service: string): FunctionTracing {
  if (!config.awsOnly || config.tracing !== 'otel' || !config.otel) {
    const xrayActive = xrayTracing(config);
    // Without X-Ray (LocalStack, offline) the Powertools Tracer is off, said here rather than left to Powertools'
    // guess from AWS_EXECUTION_ENV (LocalStack sets it): functions/shared/powertools.ts then never loads the X-Ray SDK.
    return { xrayActive, layers: [], environment: xrayActive ? {} : { POWERTOOLS_TRACE_ENABLED: 'false' } };
  }
  const { layerArn } = config.otel;
  const family = otelLayerWrapper(layerArn);
  if ('error' in family) throw new Error(`context 'otelLayerArn' ${family.error}: '${layerArn}'`);
  return {
    xrayActive: false,
    layers: [otelLayer(scope, layerArn)],
    environment: otelEnvironment(config.otel, service, family.wrapper),
  };
}

const LAYER_ID = 'OtelLayer';

function otelLayer(scope: IConstruct, layerArn: string): ILayerVersion {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(LAYER_ID) as ILayerVersion | undefined;
  if (existing) return existing;
  const layerRegion = LAYER_VERSION_ARN.exec(layerArn)?.[1] as string;
  if (!Token.isUnresolved(stack.region) && stack.region !== layerRegion) {
    throw new Error(
      `context 'otelLayerArn' is a layer in ${layerRegion} but the stack deploys to ${stack.region}: Lambda layers are regional; pass -c otelLayerArn=<the ADOT layer ARN for ${stack.region}>`,
    );
  }
  return LayerVersion.fromLayerVersionArn(stack, LAYER_ID, layerArn);
}
