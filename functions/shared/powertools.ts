/**
 * One Logger, Metrics and Tracer per function. The service name comes from POWERTOOLS_SERVICE_NAME (set by CDK),
 * the namespace from POWERTOOLS_METRICS_NAMESPACE, so every service's metrics land in one namespace.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

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
export const tracer = new Tracer();
export { MetricUnit } from '@aws-lambda-powertools/metrics';
