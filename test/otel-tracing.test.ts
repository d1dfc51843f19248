/**
 * `-c tracing=xray|otel` (lib/config.ts, lib/constructs/otel-tracing.ts): with otel every function carries the ADOT
 * layer and its wrapper, exports OTLP to the collector, and is traced by nothing else (no X-Ray active tracing, no
 * X-Ray permissions, Powertools Tracer off, no X-Ray on the API stage); the default keeps X-Ray; bad values fail
 * synth naming their key; LocalStack and offline refuse otel and their templates do not move.
 */
import { App, Stack } from 'aws-cdk-lib';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { readConfig } from '../lib/config';
import { DEFAULT_OTEL_LAYER_ARN, otelLayerWrapper } from '../lib/constructs/otel-tracing';
import { ServiceFunction } from '../lib/constructs/service-function';
import { checkRegistrySchemas } from '../tools/template-check/registry';
import { checkSchemas, type Resources as CheckedResources } from '../tools/template-check/schema';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

const ENDPOINT = 'https://otel.example.com:4318';
const LEGACY_LAYER = 'arn:aws:lambda:us-east-1:901920570463:layer:aws-otel-nodejs-arm64-ver-1-30-2:1';

function template(context: Record<string, string>): { Resources: Resources } {
  const { app, stack } = buildApp({
    outdir: mkdtempSync(path.join(tmpdir(), 'shopwave-otel-')),
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });
  return app.synth().getStackByName(stack.stackName).template;
}
const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const functions = (t: { Resources: Resources }) => ofType(t.Resources, 'AWS::Lambda::Function');
const env = (fn: { Properties: Record<string, any> }): Record<string, unknown> => fn.Properties.Environment?.Variables ?? {};
/** Every IAM action the template's policies grant, flattened. */
const actions = (t: { Resources: Resources }) =>
  ofType(t.Resources, 'AWS::IAM::Policy').flatMap(([, p]) =>
    (p.Properties.PolicyDocument.Statement as any[]).flatMap((s) => [s.Action].flat()),
  );
const config = (context: Record<string, string>) => readConfig(new App({ context }).node);

describe('tracing=otel on the aws target', () => {
  let otel: { Resources: Resources };
  let xray: { Resources: Resources };
  beforeAll(() => {
    otel = template({ target: 'aws', tracing: 'otel', otelEndpoint: ENDPOINT });
    xray = template({ target: 'aws' });
  });

  it('gives every function the ADOT layer, its wrapper and the OTLP exporter settings, named after its Powertools service', () => {
    const fns = functions(otel);
    expect(fns.length).toBeGreaterThanOrEqual(16);
    for (const [id, fn] of fns) {
      const vars = env(fn);
      expect(fn.Properties.Layers, id).toEqual([DEFAULT_OTEL_LAYER_ARN]);
      expect(vars.AWS_LAMBDA_EXEC_WRAPPER, id).toBe('/opt/otel-instrument');
      expect(vars.OTEL_SERVICE_NAME, id).toBe(vars.POWERTOOLS_SERVICE_NAME);
      expect(vars.OTEL_RESOURCE_ATTRIBUTES, id).toBe(`service.name=${vars.POWERTOOLS_SERVICE_NAME},service.namespace=ShopWave`);
      expect(vars.OTEL_EXPORTER_OTLP_ENDPOINT, id).toBe(ENDPOINT);
      expect(vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, id).toBe(`${ENDPOINT}/v1/traces`);
      expect(vars.OTEL_EXPORTER_OTLP_PROTOCOL, id).toBe('http/protobuf');
      expect([vars.OTEL_METRICS_EXPORTER, vars.OTEL_LOGS_EXPORTER, vars.OTEL_AWS_APPLICATION_SIGNALS_ENABLED], id).toEqual([
        'none',
        'none',
        'false',
      ]);
    }
  });

  it('traces nothing twice: no X-Ray active tracing or permissions, Powertools Tracer off, no X-Ray on the API stage', () => {
    for (const [id, fn] of functions(otel)) {
      expect(fn.Properties.TracingConfig, id).toBeUndefined();
      expect(env(fn).POWERTOOLS_TRACE_ENABLED, id).toBe('false');
    }
    expect(actions(otel).filter((a) => String(a).startsWith('xray:'))).toEqual([]);
    const stages = ofType(otel.Resources, 'AWS::ApiGateway::Stage');
    expect(stages.length).toBeGreaterThan(0);
    for (const [id, stage] of stages) expect(stage.Properties.TracingEnabled ?? false, id).toBe(false);
  });

  it('adds no resource (the layer is imported) and removes only policies that granted nothing but X-Ray', () => {
    const ids = (t: { Resources: Resources }) =>
      Object.entries(t.Resources).map(([id, r]) => (r.Type === 'AWS::Lambda::Version' ? id.replace(/[0-9a-f]{32}$/, '') : id));
    const before = ids(xray);
    const after = ids(otel);
    expect(after.filter((id) => !before.includes(id))).toEqual([]);
    const removed = Object.keys(xray.Resources).filter(
      (id) => !(id in otel.Resources) && xray.Resources[id].Type !== 'AWS::Lambda::Version',
    );
    for (const id of removed) {
      expect(xray.Resources[id].Type, id).toBe('AWS::IAM::Policy');
      const granted = (xray.Resources[id].Properties.PolicyDocument.Statement as any[]).flatMap((s) => [s.Action].flat());
      expect(
        granted.every((a) => String(a).startsWith('xray:')),
        id,
      ).toBe(true);
    }
  });

  it('fits the CloudFormation resource and registry schemas (Layers, environment variable names)', () => {
    const resources = otel.Resources as CheckedResources;
    const schemas = checkSchemas(resources);
    expect(schemas.findings).toEqual([]);
    expect(schemas.resources).toBeGreaterThan(250);
    const registry = checkRegistrySchemas(resources);
    expect(registry.findings).toEqual([]);
    expect(registry.schemas).toBeGreaterThan(1000);
  });

  it('by default keeps X-Ray: active tracing on every function and the stage, no layer, no wrapper', () => {
    for (const [id, fn] of functions(xray)) {
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(fn.Properties.Layers, id).toBeUndefined();
      const vars = env(fn);
      expect(
        Object.keys(vars).filter((k) => k.startsWith('OTEL_') || k === 'AWS_LAMBDA_EXEC_WRAPPER'),
        id,
      ).toEqual([]);
      expect(vars.POWERTOOLS_TRACE_ENABLED, id).toBeUndefined();
    }
    expect(actions(xray)).toContain('xray:PutTraceSegments');
    for (const [id, stage] of ofType(xray.Resources, 'AWS::ApiGateway::Stage')) expect(stage.Properties.TracingEnabled, id).toBe(true);
  });
});

describe('the layer', () => {
  /** One ServiceFunction in a bare stack: the layer's wiring without synthesizing the platform. */
  function oneFunction(context: Record<string, string>, region?: string) {
    const app = new App({ context: { target: 'aws', tracing: 'otel', otelEndpoint: ENDPOINT, 'aws:cdk:bundling-stacks': [], ...context } });
    const stack = new Stack(app, 'Probe', region ? { env: { region, account: '111111111111' } } : undefined);
    const fn = new ServiceFunction(stack, 'Fn', { config: readConfig(app.node), service: 'orders', entry: 'api' });
    const props = (app.synth().getStackByName('Probe').template.Resources as Resources)[stack.getLogicalId(fn.node.defaultChild as any)]
      .Properties;
    return props;
  }

  it('runs the legacy ADOT layer and the upstream layer through /opt/otel-handler', () => {
    const props = oneFunction({ otelLayerArn: LEGACY_LAYER });
    expect(props.Layers).toEqual([LEGACY_LAYER]);
    expect(props.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER).toBe('/opt/otel-handler');
    expect(otelLayerWrapper('arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-nodejs-0_19_0:1')).toEqual({
      wrapper: '/opt/otel-handler',
    });
  });

  it('must be in the region the stack deploys to', () => {
    expect(oneFunction({}, 'us-east-1').Layers).toEqual([DEFAULT_OTEL_LAYER_ARN]);
    expect(() => oneFunction({}, 'eu-west-1')).toThrow("context 'otelLayerArn' is a layer in us-east-1 but the stack deploys to eu-west-1");
    const own = 'arn:aws:lambda:eu-west-1:615299751070:layer:AWSOpenTelemetryDistroJs:15';
    expect(oneFunction({ otelLayerArn: own }, 'eu-west-1').Layers).toEqual([own]);
  });
});

describe('bad values fail synth naming the key', () => {
  const aws = { target: 'aws', tracing: 'otel', otelEndpoint: ENDPOINT };
  it.each([
    [{ target: 'aws', tracing: 'zipkin' }, "context 'tracing' must be one of xray, otel, got 'zipkin'"],
    [{ target: 'aws', tracing: 'otel' }, "context 'otelEndpoint' is required with tracing=otel"],
    [{ ...aws, otelEndpoint: 'otel.example.com' }, "context 'otelEndpoint' is not a URL"],
    [{ ...aws, otelEndpoint: 'http://otel.example.com:4318' }, "context 'otelEndpoint' must be an https:// URL"],
    [{ ...aws, otelEndpoint: `${ENDPOINT}/v1/traces` }, "context 'otelEndpoint' is the collector's base URL without a path"],
    [{ ...aws, otelEndpoint: `${ENDPOINT}/` }, "context 'otelEndpoint' is the collector's base URL without a path"],
    [{ ...aws, otelEndpoint: 'https://user:secret@otel.example.com' }, "context 'otelEndpoint' must not carry credentials"],
    [{ ...aws, otelLayerArn: 'AWSOpenTelemetryDistroJs:15' }, "context 'otelLayerArn' is not a Lambda layer version ARN"],
    [
      { ...aws, otelLayerArn: 'arn:aws:lambda:us-east-1:901920570463:layer:aws-otel-nodejs-amd64-ver-1-30-2:1' },
      "context 'otelLayerArn' is the x86_64 (amd64) build",
    ],
    [
      { ...aws, otelLayerArn: 'arn:aws:lambda:us-east-1:111111111111:layer:my-tracer:3' },
      "context 'otelLayerArn' names a layer this platform has no wrapper for",
    ],
    [{ target: 'aws', otelEndpoint: ENDPOINT }, "context 'otelEndpoint' is only read with -c tracing=otel"],
    [{ target: 'aws', tracing: 'xray', otelLayerArn: DEFAULT_OTEL_LAYER_ARN }, "context 'otelLayerArn' is only read with -c tracing=otel"],
    [{ ...aws, target: 'localstack' }, "context 'tracing=otel' is for target=aws"],
    [{ ...aws, target: 'offline' }, "context 'tracing=otel' is for target=aws"],
  ])('%o', (context, message) => {
    expect(() => config(context)).toThrow(message);
  });

  it('accepts the defaults', () => {
    expect(config({ target: 'aws' })).toMatchObject({ tracing: 'xray', otel: undefined });
    expect(config(aws)).toMatchObject({ tracing: 'otel', otel: { endpoint: ENDPOINT, layerArn: DEFAULT_OTEL_LAYER_ARN } });
  });
});

describe.each(['localstack', 'offline'])('target %s', (target) => {
  it('synthesizes the same template with -c tracing=xray as without (and refuses otel, above)', () => {
    expect(template({ target, tracing: 'xray' })).toEqual(template({ target }));
  });
});
