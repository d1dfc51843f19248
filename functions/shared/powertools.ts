/**
 * One Logger, Metrics and Tracer per function. The service name comes from POWERTOOLS_SERVICE_NAME (set by CDK),
 * the namespace from POWERTOOLS_METRICS_NAMESPACE, so every service's metrics land in one namespace.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();
export { MetricUnit } from '@aws-lambda-powertools/metrics';
