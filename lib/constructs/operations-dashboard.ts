import { Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  MathExpression,
  type Metric,
  TextWidget,
  type Alarm,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUTH_FAILURE_REASONS } from '../../functions/shared/auth-failure-reasons';
import { apiThrottled, auth, DELIVERY_SLO, deliverySli, flow, flowGap } from './business-metrics';
import { fromLogs } from './log-business-metrics';

export interface OperationsDashboardProps {
  api: RestApi;
  functions: Record<string, IFunction>;
  queues: Record<string, Queue>;
  deadLetterQueues: Record<string, Queue>;
  tables: Record<string, Table>;
  alarms: Alarm[];
}

const MINUTE = Duration.minutes(1);
const graph = (title: string, left: IMetric[], extra: Partial<ConstructorParameters<typeof GraphWidget>[0]> = {}) =>
  new GraphWidget({ title, left, width: 8, height: 6, period: MINUTE, ...extra });
const heading = (markdown: string) => new TextWidget({ markdown, width: 24, height: 2 });

/**
 * One dashboard, three audiences, each a titled section: customer experience (is ordering working?), business
 * (orders and money, and the money at risk), technical (every function, queue, table and alarm). The same body
 * is exported to docs/dashboards/ and rendered by the offline mode's /ops page, both from the synthesized template.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const fns = Object.entries(props.functions);
    const perFunction = (metric: (fn: IFunction) => Metric) => fns.map(([name, fn]) => metric(fn).with({ label: name }));
    const perQueue = (queues: Record<string, Queue>, metric: (q: Queue) => Metric) =>
      Object.entries(queues).map(([name, q]) => metric(q).with({ label: name }));

    const customer: IWidget[] = [
      heading('# Customer experience\nIs ordering working for customers right now: success, speed, and why orders fail.'),
      graph(
        'Order success rate (%)',
        [
          new MathExpression({
            expression:
              '100 * FILL(delivered, 0) / (FILL(delivered, 0) + FILL(cancelled, 0) + FILL(outOfStock, 0) + FILL(paymentFailed, 0))',
            usingMetrics: {
              delivered: flow.delivered(),
              cancelled: flow.cancelled(),
              outOfStock: flow.outOfStock(),
              paymentFailed: flow.paymentFailed(),
            },
            label: 'orders delivered / orders finished',
            period: MINUTE,
          }),
        ],
        { leftYAxis: { min: 0, max: 100 } },
      ),
      graph(
        'API latency (ms)',
        ['p50', 'p90', 'p99'].map((stat) => props.api.metricLatency({ statistic: stat, period: MINUTE, label: stat })),
      ),
      graph('Time to restaurant and to delivery (ms, p90)', [flow.placedToCharged(), flow.chargedToReceived(), flow.placedToDelivered()]),
      graph('Failed orders by reason', [flow.outOfStock(), flow.paymentFailed(), flow.cancelled()], { stacked: true }),
      // API Gateway counts throttled requests in 4XXError; the 429 series comes from the access log (public-api.ts).
      // Throttled requests never reach a function, so they are not auth failures.
      graph('API 4xx, throttled (429) and 5xx', [
        props.api.metricClientError({ period: MINUTE, statistic: 'Sum', label: '4XXError (incl. 429)' }),
        apiThrottled(),
        props.api.metricServerError({ period: MINUTE, statistic: 'Sum', label: '5XXError' }),
      ]),
      graph('Authentication failures by reason', [...AUTH_FAILURE_REASONS.map((r) => auth.failuresByReason(r))], {
        stacked: true,
        right: [auth.failures()],
      }),
    ];

    const business: IWidget[] = [
      heading(
        '# Business\nOrders and revenue per minute, what was given back, what is at risk now (seed 001: charged, never received), and whether the money adds up (seed 002: ledger mismatches, the provider breaker).',
      ),
      graph('Orders per minute', [flow.placed(), flow.charged(), flow.receivedByRestaurant(), flow.delivered()]),
      graph('Revenue per minute (minor units)', [flow.revenue(), flow.orderValue(), flow.refundedAmount()]),
      // Beside them, the same figures derived from the log lines by metric filters (ShopWave/FromLogs): they must agree.
      graph('Orders per minute, derived from logs', [fromLogs('placed'), fromLogs('charged'), fromLogs('received')]),
      graph('Revenue per minute, derived from logs (minor units)', [fromLogs('revenue'), flow.revenue()]),
      graph('Cancellations and refunds', [flow.cancelled(), flow.refunded()]),
      graph('Charged but not received by the restaurant', [flow.lostOrders(), flow.awaitingRestaurant(), flowGap()]),
      graph('Revenue at risk (minor units)', [flow.revenueAtRisk()]),
      graph('Payment mismatches: ledger against payments and orders (seed 002)', [
        flow.paymentMismatches(),
        flow.paymentMismatches('DoubleCharges', 'double charges'),
        flow.paymentMismatches('ChargesWithoutPayment', 'charges without payment'),
        flow.paymentMismatches('ChargesWithoutOrder', 'charges without order'),
        flow.paymentMismatches('MissingRefunds', 'missing refunds'),
        flow.paymentMismatches('PaymentAmountMismatches', 'amounts differ'),
      ]),
      graph('Payment provider breaker (1 = open) and held payments', [flow.breakerOpen()], {
        leftYAxis: { min: 0, max: 1 },
        right: [flow.heldByBreaker(), flow.providerErrors()],
      }),
      // Seed 003's gremlin: the percentiles show how many calls are slow; the alarm reads the Maximum (LocalStack).
      graph('Payment provider call duration (ms; the timeout is 3 s)', [
        flow.providerCallMs('p50'),
        flow.providerCallMs('p99'),
        flow.providerCallMs('Maximum'),
      ]),
      graph('Delivery SLI (%)', [deliverySli()], {
        leftYAxis: { min: 90, max: 100 },
        leftAnnotations: [{ value: DELIVERY_SLO * 100, label: `SLO ${DELIVERY_SLO * 100} %` }],
      }),
    ];

    const technical: IWidget[] = [
      heading('# Technical\nPer function, queue and table: errors, throttles, latency, backlog, dead letters, outbox lag, alarm status.'),
      graph(
        'Lambda errors',
        perFunction((fn) => fn.metricErrors({ period: MINUTE, statistic: 'Sum' })),
      ),
      graph(
        'Lambda throttles',
        perFunction((fn) => fn.metricThrottles({ period: MINUTE, statistic: 'Sum' })),
      ),
      graph(
        'Lambda duration p99 (ms)',
        perFunction((fn) => fn.metricDuration({ period: MINUTE, statistic: 'p99' })),
      ),
      graph(
        'Queue depth (visible messages)',
        perQueue(props.queues, (q) => q.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum' })),
      ),
      graph(
        'Dead-letter queues (messages)',
        perQueue(props.deadLetterQueues, (q) => q.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum' })),
      ),
      graph(
        'Age of oldest message (s)',
        perQueue(props.queues, (q) => q.metricApproximateAgeOfOldestMessage({ period: MINUTE, statistic: 'Maximum' })),
      ),
      graph(
        'DynamoDB throttled requests',
        Object.entries(props.tables).flatMap(([name, t]) => [
          t.metric('ReadThrottleEvents', { period: MINUTE, statistic: 'Sum', label: `${name} read` }),
          t.metric('WriteThrottleEvents', { period: MINUTE, statistic: 'Sum', label: `${name} write` }),
        ]),
      ),
      graph('Analytics tracking freshness (s) and orders awaiting tracking', [flow.trackingStalenessSeconds()], {
        right: [flow.awaitingTracking()],
      }),
      graph('Outbox relay lag (ms) and failures', [flow.outboxLagMs('Maximum'), flow.outboxLagMs('p99')], {
        right: [flow.relayFailures()],
      }),
      new AlarmStatusWidget({
        title: 'Alarm status',
        alarms: props.alarms,
        width: 24,
        height: Math.min(12, 2 + Math.ceil(props.alarms.length / 4)),
      }),
    ];

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-Operations`,
      defaultInterval: Duration.hours(3),
      widgets: [customer, business, technical],
    });
  }
}
