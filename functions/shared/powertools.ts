/**
 * One Logger, Metrics and Tracer per function. The service name comes from POWERTOOLS_SERVICE_NAME (set by CDK),
 * the namespace from POWERTOOLS_METRICS_NAMESPACE, so every service's metrics land in one namespace.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';

export const logger = new Logger();
/**
 * Metrics' own messages go to the structured logger, less one: "No application metrics to publish" fires on every
 * invocation that records no metric (most GETs), in CloudWatch and in every test run, and hides real warnings.
 */
const EMPTY_FLUSH = 'No application metrics to publish';
const toLogger =
  (level: 'debug' | 'info' | 'warn' | 'error') =>
  (message: unknown, ...rest: unknown[]) => {
    if (level === 'warn' && String(message).startsWith(EMPTY_FLUSH)) return;
    logger[level](String(message), ...rest.map((detail) => ({ detail })));
  };
export const metrics = new Metrics({
  logger: { debug: toLogger('debug'), info: toLogger('info'), warn: toLogger('warn'), error: toLogger('error') },
});
/**
 * The Tracer only where it can trace. Where Powertools would make it a no-op (POWERTOOLS_TRACE_ENABLED=false, set by
 * CDK on LocalStack, offline and with tracing=otel; or outside a Lambda execution environment), it is not loaded at
 * all: loading it loads the X-Ray SDK, whose cls-hooked async hook then runs on every promise of the function
 * (3.3 % of the Lambda workers' CPU offline, docs/performance.md; aws/aws-xray-sdk-node#420). The bundle still
 * holds it (one bundle for every target); this import only runs when it is needed.
 */
const tracingOff = process.env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() === 'false' || (process.env.AWS_EXECUTION_ENV ?? '') === '';
export const tracer: Tracer | undefined = tracingOff ? undefined : new (await import('@aws-lambda-powertools/tracer')).Tracer();

/** An SDK client, captured by the Tracer when there is one (X-Ray subsegments per call). */
export const traced = <Client>(client: Client): Client =>
  tracer ? (tracer.captureAWSv3Client(client as Parameters<Tracer['captureAWSv3Client']>[0]) as Client) : client;

/**
 * The Tracer's middy middleware (a segment per invocation, cold start annotation), or none without a Tracer: a list,
 * because middy refuses a middleware object with no hook in it.
 */
export const tracing = (): MiddlewareObj[] => (tracer ? [captureLambdaHandler(tracer)] : []);
export { MetricUnit } from '@aws-lambda-powertools/metrics';
