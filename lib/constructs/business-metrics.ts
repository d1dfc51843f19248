import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { AUTH_METRICS_SERVICE } from '../../functions/shared/auth-failure-reasons';

/** Every handler's Powertools metrics land here (POWERTOOLS_METRICS_NAMESPACE in service-function.ts). */
export const NAMESPACE = 'ShopWave';

/** The delivery SLO: this share of charged orders reaches the restaurant within the SLI deadline. */
export const DELIVERY_SLO = 0.995;

/**
 * One metric a handler emits with Powertools. Powertools adds one dimension, `service` (the function's
 * POWERTOOLS_SERVICE_NAME), so the service named here must be the one whose handler calls addMetric.
 */
export function shopwaveMetric(
  service: string,
  metricName: string,
  statistic = 'Sum',
  label?: string,
  period = Duration.minutes(1),
): Metric {
  return new Metric({ namespace: NAMESPACE, metricName, dimensionsMap: { service }, statistic, period, label: label ?? metricName });
}

/** The business flow, named once for the alarms and the dashboard. Emitters: see docs/observability.md. */
export const flow = {
  placed: (period?: Duration) => shopwaveMetric('orders', 'OrdersPlaced', 'Sum', 'placed', period),
  reserved: () => shopwaveMetric('orders', 'OrdersReserved', 'Sum', 'reserved'),
  outOfStock: () => shopwaveMetric('orders', 'OrdersRejected', 'Sum', 'out of stock'),
  charged: (period?: Duration) => shopwaveMetric('payments', 'PaymentsCharged', 'Sum', 'charged', period),
  paymentFailed: () => shopwaveMetric('orders', 'OrdersPaymentFailed', 'Sum', 'payment failed'),
  receivedByRestaurant: (period?: Duration) =>
    shopwaveMetric('orders', 'OrdersReceivedByRestaurant', 'Sum', 'received by restaurant', period),
  delivered: () => shopwaveMetric('orders', 'OrdersDelivered', 'Sum', 'delivered'),
  cancelled: () => shopwaveMetric('orders', 'OrdersCancelled', 'Sum', 'cancelled'),
  refunded: () => shopwaveMetric('payments', 'PaymentsRefunded', 'Sum', 'refunded'),
  orderValue: () => shopwaveMetric('orders', 'OrderValue', 'Sum', 'order value placed (minor units)'),
  revenue: () => shopwaveMetric('payments', 'ChargedAmount', 'Sum', 'charged (minor units)'),
  refundedAmount: () => shopwaveMetric('payments', 'RefundedAmount', 'Sum', 'refunded (minor units)'),
  // Written by the delivery reconciler every minute (functions/orders/reconciler.ts).
  lostOrders: () => shopwaveMetric('orders', 'LostOrders', 'Maximum', 'charged, not received (past deadline)'),
  awaitingRestaurant: () => shopwaveMetric('orders', 'OrdersAwaitingRestaurant', 'Maximum', 'charged, awaiting restaurant'),
  oldestAwaitingSeconds: () => shopwaveMetric('orders', 'OldestAwaitingRestaurantSeconds', 'Maximum', 'oldest awaiting (s)'),
  revenueAtRisk: () => shopwaveMetric('orders', 'RevenueAtRisk', 'Maximum', 'revenue at risk (minor units)'),
  overdue: (period?: Duration) => shopwaveMetric('orders', 'OrdersOverdue', 'Sum', 'newly overdue', period),
  // Latencies of the customer's order (functions/orders/saga-consumer.ts).
  placedToCharged: (stat = 'p90') => shopwaveMetric('orders', 'PlacedToChargedMs', stat, `placed → charged ${stat}`),
  chargedToReceived: (stat = 'p90') => shopwaveMetric('orders', 'ChargedToReceivedMs', stat, `charged → restaurant ${stat}`),
  placedToDelivered: (stat = 'p90') => shopwaveMetric('orders', 'PlacedToDeliveredMs', stat, `placed → delivered ${stat}`),
  // Payments' own health (functions/payments/): the provider breaker (consumer and reconciler) and the reconciler's
  // ledger-against-records mismatches, every minute, zeros included.
  breakerOpen: () => shopwaveMetric('payments', 'PaymentBreakerOpen', 'Maximum', 'provider breaker open (1)'),
  heldByBreaker: () => shopwaveMetric('payments', 'PaymentsHeldByBreaker', 'Sum', 'payments held by the breaker'),
  providerErrors: () => shopwaveMetric('payments', 'PaymentProviderErrors', 'Sum', 'provider errors'),
  // Every provider call the breaker let through, answered or not (a timed-out one counts at the timeout).
  providerCallMs: (stat = 'Maximum') => shopwaveMetric('payments', 'PaymentProviderCallMs', stat, `provider call ${stat} (ms)`),
  paymentMismatches: (metricName = 'PaymentMismatches', label = 'payment mismatches') =>
    shopwaveMetric('payments', metricName, 'Maximum', label),
  outboxLagMs: (stat = 'Maximum') => shopwaveMetric('outbox', 'OutboxRelayLagMs', stat, `outbox lag ${stat}`),
  relayFailures: () => shopwaveMetric('outbox', 'RelayFailures', 'Sum', 'relay failures'),
  // Written by analytics' tracking freshness check every minute (functions/analytics/freshness-check.ts).
  trackingStalenessSeconds: () => shopwaveMetric('analytics', 'TrackingStalenessSeconds', 'Maximum', 'no tracking ingested for (s)'),
  awaitingTracking: () => shopwaveMetric('analytics', 'OrdersAwaitingTracking', 'Maximum', 'orders awaiting tracking in analytics'),
};

/** The daily table exports (functions/backup/daily-export.ts), one datapoint a day. */
export const backups = {
  exportsStarted: () => shopwaveMetric('backup', 'BackupExportsStarted', 'Minimum', 'table exports started today', Duration.days(1)),
  exportsIncomplete: () =>
    shopwaveMetric('backup', 'BackupExportsIncomplete', 'Maximum', "yesterday's table exports not completed", Duration.days(1)),
};

/** Orders refused out of stock (or for an unknown product) by inventory (functions/inventory/stock.ts). */
export const stockRejected = () => shopwaveMetric('inventory', 'StockRejected', 'Sum', 'refused: out of stock');

/** Throttled API requests (429), from the access log by a metric filter (lib/constructs/public-api.ts); no dimension. */
export const API_THROTTLED_REQUESTS = 'ApiThrottledRequests';
export const apiThrottled = () =>
  new Metric({
    namespace: NAMESPACE,
    metricName: API_THROTTLED_REQUESTS,
    statistic: 'Sum',
    period: Duration.minutes(1),
    label: 'throttled (429)',
  });

/**
 * Rejected callers (functions/shared/auth-metrics.ts): every API function's auth middleware writes under the
 * service `auth`, so one metric is the total across the API and one per reason is its breakdown.
 */
export const auth = {
  failures: (period?: Duration) => shopwaveMetric(AUTH_METRICS_SERVICE, 'AuthFailures', 'Sum', 'auth failures', period),
  failuresByReason: (reason: string) =>
    new Metric({
      namespace: NAMESPACE,
      metricName: 'AuthFailures',
      dimensionsMap: { service: AUTH_METRICS_SERVICE, reason },
      statistic: 'Sum',
      period: Duration.minutes(1),
      label: reason,
    }),
};

/**
 * Charged minus received by the restaurant, per period: the independent "flow" signal of seed 001. It needs no
 * deadline, so a total drop shows within minutes. FILL makes a minute with charges and no receipts count as a gap.
 */
export function flowGap(period = Duration.minutes(1)): MathExpression {
  return new MathExpression({
    expression: 'FILL(charged, 0) - FILL(received, 0)',
    usingMetrics: { charged: flow.charged(period), received: flow.receivedByRestaurant(period) },
    period,
    label: 'charged − received',
  });
}

/**
 * How fast the delivery SLO's error budget burns over `period`: (overdue / charged) / (1 − SLO). 1 spends the
 * budget exactly over the SLO window; 14.4 over an hour spends 2 % of a 30-day budget (Google SRE workbook).
 */
export function deliveryBurnRate(period: Duration): MathExpression {
  return new MathExpression({
    expression: `FILL(overdue, 0) / charged / ${(1 - DELIVERY_SLO).toFixed(4)}`,
    usingMetrics: { overdue: flow.overdue(period), charged: flow.charged(period) },
    period,
    label: `burn rate (${period.toHumanString()})`,
  });
}

/** The delivery SLI in percent: charged orders that were not reported overdue. */
export function deliverySli(period = Duration.minutes(5)): IMetric {
  return new MathExpression({
    expression: '100 * (1 - FILL(overdue, 0) / charged)',
    usingMetrics: { overdue: flow.overdue(period), charged: flow.charged(period) },
    period,
    label: 'delivery SLI %',
  });
}
