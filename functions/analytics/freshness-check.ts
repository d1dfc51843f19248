/**
 * Tracking freshness check: every minute, publishes how long analytics has gone without tracking while it expects
 * some (tracking.ts), every run and zero included, so the TrackingNotIngested alarm always has data. It reads only
 * analytics' own table: analytics does not read shipping's data; what it knows is what reached it.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { publishGauges } from '../shared/gauges';
import { logger, metrics, tracing } from '../shared/powertools';
import { trackingFreshness, type TrackingFreshness } from './tracking';

export const handler = middy(async (): Promise<TrackingFreshness> => {
  const result = await trackingFreshness();
  // PutMetricData, not EMF: the path that reaches CloudWatch on every target, LocalStack included (shared/gauges.ts).
  await publishGauges({
    TrackingStalenessSeconds: { value: result.stalenessSeconds, unit: 'Seconds' },
    OrdersAwaitingTracking: { value: result.awaitingTracking, unit: 'Count' },
  });
  if (result.stalenessSeconds > 0) {
    logger.info('orders awaiting tracking', {
      ...result,
      correlationId: result.oldestAwaiting?.correlationId,
    });
  }
  return result;
})
  .use(tracing())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
