import { Duration } from 'aws-cdk-lib';
import { Metric, Unit } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, type IFilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LOG_MESSAGES } from '../../functions/shared/log-messages';
import type { PlatformConfig } from '../config';
import type { ServiceFunction } from './service-function';

/**
 * The namespace of the business metrics derived from log lines. Not `ShopWave` (the handlers' EMF metrics): a metric
 * here never shares a name, namespace and dimensions with an EMF one, so no query, alarm or SEARCH over `ShopWave`
 * ever adds the two up.
 */
export const FROM_LOGS_NAMESPACE = 'ShopWave/FromLogs';

/** What each filter counts, and the EMF metric (namespace `ShopWave`) it must equal: docs/observability.md. */
export const FROM_LOGS = {
  placed: { metricName: 'OrdersPlaced', label: 'placed (from logs)', emf: { service: 'orders', metricName: 'OrdersPlaced' } },
  charged: { metricName: 'PaymentsCharged', label: 'charged (from logs)', emf: { service: 'payments', metricName: 'PaymentsCharged' } },
  received: {
    metricName: 'OrdersReceivedByRestaurant',
    label: 'received by restaurant (from logs)',
    emf: { service: 'orders', metricName: 'OrdersReceivedByRestaurant' },
  },
  revenue: {
    metricName: 'ChargedAmount',
    label: 'charged (minor units, from logs)',
    emf: { service: 'payments', metricName: 'ChargedAmount' },
  },
} as const;
export type FromLogsMetric = keyof typeof FROM_LOGS;

/** One of the log-derived metrics (no dimensions: the filters publish none), Sum per minute. */
export function fromLogs(which: FromLogsMetric, period = Duration.minutes(1)): Metric {
  const { metricName, label } = FROM_LOGS[which];
  return new Metric({ namespace: FROM_LOGS_NAMESPACE, metricName, statistic: 'Sum', period, label });
}

export interface LogBusinessMetricsProps {
  config: PlatformConfig;
  /** functions/orders/api.ts: writes `order placed`. */
  ordersApi: ServiceFunction;
  /** functions/payments/payments.ts (the payments consumer): writes `payment charged` with the amount. */
  payments: ServiceFunction;
  /** functions/orders/saga-consumer.ts: writes `order status changed` with the new status. */
  ordersSaga: ServiceFunction;
}

const message = (m: string) => FilterPattern.stringValue('$.message', '=', m);

/**
 * Business metrics derived from the structured (Powertools) log lines the handlers write, by CloudWatch Logs metric
 * filters on the functions' own log groups: the way to have business metrics from an application that exposes
 * none (seed 001, task 2), kept beside the EMF metrics so the two can be compared. Only JSON filter patterns on
 * stable `message` values (functions/shared/log-messages.ts); revenue takes its value from the line's `amount`.
 *
 * Not on LocalStack 4.14: AWS::Logs::MetricFilter has no provider there (lib/targets/localstack-4.14.json). Offline
 * the runtime evaluates the template's filters on the function log lines it produces (offline/runtime/log-metric-filters.ts).
 */
export class LogBusinessMetrics extends Construct {
  readonly filters: MetricFilter[] = [];

  constructor(scope: Construct, id: string, props: LogBusinessMetricsProps) {
    super(scope, id);
    if (props.config.target === 'localstack') return;
    const add = (which: FromLogsMetric, fn: ServiceFunction, filterPattern: IFilterPattern, metricValue: string, unit: Unit) =>
      this.filters.push(
        new MetricFilter(this, FROM_LOGS[which].metricName, {
          logGroup: fn.functionLogGroup,
          filterPattern,
          metricNamespace: FROM_LOGS_NAMESPACE,
          metricName: FROM_LOGS[which].metricName,
          metricValue,
          unit,
          // A minute with log lines and no orders reads 0 rather than missing (no dimensions, so a default is allowed).
          defaultValue: 0,
        }),
      );
    add('placed', props.ordersApi, message(LOG_MESSAGES.orderPlaced), '1', Unit.COUNT);
    add('charged', props.payments, message(LOG_MESSAGES.paymentCharged), '1', Unit.COUNT);
    add(
      'received',
      props.ordersSaga,
      FilterPattern.all(message(LOG_MESSAGES.orderStatusChanged), FilterPattern.stringValue('$.status', '=', 'RECEIVED_BY_RESTAURANT')),
      '1',
      Unit.COUNT,
    );
    // The value field must appear in the pattern; `>= 0` also keeps a line whose amount is not a number out.
    add(
      'revenue',
      props.payments,
      FilterPattern.all(message(LOG_MESSAGES.paymentCharged), FilterPattern.numberValue('$.amount', '>=', 0)),
      '$.amount',
      Unit.NONE,
    );
  }
}
