/**
 * Authentication failures as a metric, for the AuthFailureSurge alarm and the dashboard (hostile clients: token
 * probing, stolen or forged keys). Emitted by the auth middlewares themselves (auth.ts, restaurant/merchant-auth.ts
 * and the merchant route's 403), once per rejected request, as two datapoints of `AuthFailures` under the service
 * `auth` whichever function rejected: without `reason` (the total, one plain-threshold alarm across every API
 * function) and with it (the breakdown). Reasons are a closed list, never caller input: the dimension stays
 * low-cardinality, and no token or key ever reaches a metric.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { AUTH_METRICS_SERVICE, type AuthFailureReason } from './auth-failure-reasons';

export { AUTH_FAILURE_REASONS, AUTH_METRICS_SERVICE, type AuthFailureReason } from './auth-failure-reasons';

// Its own instance: the service dimension is `auth`, not the function's, and the datapoints are flushed at once
// (single-metric documents), so they are never lost with a request's own metrics nor mixed into them.
const authMetrics = new Metrics({ serviceName: AUTH_METRICS_SERVICE });

export function countAuthFailure(reason: AuthFailureReason): void {
  authMetrics.singleMetric().addMetric('AuthFailures', MetricUnit.Count, 1);
  const byReason = authMetrics.singleMetric();
  byReason.addDimension('reason', reason);
  byReason.addMetric('AuthFailures', MetricUnit.Count, 1);
}
