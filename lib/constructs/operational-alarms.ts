import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CfnMetricFilter } from 'aws-cdk-lib/aws-logs';
import type { PlatformConfig } from '../config';
import { alarmReach, FACTS, type AlarmSignal, type MetricRef, type TemplateSources } from '../targets/reach';
import { auth, backups, deliveryBurnRate, flow, flowGap, stockRejected } from './business-metrics';
import { ServiceFunction } from './service-function';
import type { Watched } from './watch';

/** Every alarm points at one of these; test/infrastructure.test.ts checks that the file exists. */
export const RUNBOOKS = {
  lostOrders: 'docs/runbooks/lost-orders.md',
  oldestAwaiting: 'docs/runbooks/oldest-awaiting-order.md',
  flowGap: 'docs/runbooks/flow-gap.md',
  sloBurn: 'docs/runbooks/slo-burn.md',
  dlq: 'docs/runbooks/dlq-messages.md',
  queueBacklog: 'docs/runbooks/queue-backlog.md',
  outboxRelay: 'docs/runbooks/outbox-relay.md',
  lambdaErrors: 'docs/runbooks/lambda-errors.md',
  lambdaThrottles: 'docs/runbooks/lambda-throttles.md',
  apiErrors: 'docs/runbooks/api-5xx.md',
  apiLatency: 'docs/runbooks/api-latency.md',
  paymentBreakerOpen: 'docs/runbooks/payment-breaker-open.md',
  paymentMismatch: 'docs/runbooks/payment-mismatch.md',
  paymentProviderLatency: 'docs/runbooks/payment-provider-latency.md',
  paymentProviderFailures: 'docs/runbooks/payment-provider-failures.md',
  trackingNotIngested: 'docs/runbooks/tracking-not-ingested.md',
  authFailureSurge: 'docs/runbooks/auth-failure-surge.md',
  stockRejectionSurge: 'docs/runbooks/stock-rejection-surge.md',
  demandAboveCapacity: 'docs/runbooks/demand-above-capacity.md',
  backups: 'docs/runbooks/restore.md',
  deployAndRollback: 'docs/runbooks/deploy-and-rollback.md',
} as const;
export type Runbook = keyof typeof RUNBOOKS;

export interface RunbookAlarm {
  metric: IMetric;
  threshold: number;
  /** Default: greater than the threshold. */
  comparison?: ComparisonOperator;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  treatMissingData?: TreatMissingData;
  /** One sentence: what is wrong, for whom. The runbook sentence is appended. */
  summary: string;
  runbook: Runbook;
}

/**
 * A labelled metric makes CDK render the alarm in the `Metrics` (math) form to keep the label; LocalStack
 * community evaluates only the plain form, so single-metric alarms drop the label (the dashboard keeps it).
 */
function plain(metric: IMetric): IMetric {
  if (!(metric instanceof Metric) || !metric.label) return metric;
  const { namespace, metricName, dimensions, statistic, period, unit } = metric;
  return new Metric({ namespace, metricName, dimensionsMap: dimensions, statistic, period, unit });
}

/** What an alarm on `metric` reads, in the terms of lib/targets/reach.ts. */
function signalOf(metric: IMetric): AlarmSignal {
  const metrics: MetricRef[] = [];
  let math = false;
  let extendedStatistic = false;
  const visit = (m: IMetric): void => {
    const config = m.toMetricConfig();
    if (config.metricStat) {
      const { namespace, metricName, dimensions, statistic } = config.metricStat;
      if (/^(p|tm|tc|ts|wm|pr)\d/i.test(statistic)) extendedStatistic = true;
      metrics.push({ namespace, metricName, dimensions: Object.fromEntries((dimensions ?? []).map((d) => [d.name, String(d.value)])) });
    }
    if (config.mathExpression) {
      math = true;
      for (const used of Object.values(config.mathExpression.usingMetrics)) visit(used);
    }
  };
  visit(metric);
  return { metrics, math, extendedStatistic };
}

/** What the stack publishes itself (gauges of its functions, metric filters), found in the construct tree. */
function sourcesIn(stack: Stack): TemplateSources {
  const sources: TemplateSources = { gauges: [], metricFilters: [] };
  for (const node of stack.node.findAll()) {
    if (node instanceof ServiceFunction)
      for (const metricName of node.gauges) sources.gauges.push({ service: node.service, metricName, functionId: node.node.path });
    if (node instanceof CfnMetricFilter)
      for (const t of node.metricTransformations as CfnMetricFilter.MetricTransformationProperty[])
        sources.metricFilters.push({ namespace: t.metricNamespace, metricName: t.metricName, id: node.node.path });
  }
  return sources;
}

/** The text every alarm description carries, so a page always says where to start. */
export const runbookSentence = (runbook: Runbook) => `Runbook: ${RUNBOOKS[runbook]}`;

/**
 * The alarms of the platform and the one SNS topic they notify (an email subscription from `-c alarmEmail=…`).
 * Every alarm is a plain threshold on one metric unless it says otherwise: LocalStack community does not evaluate
 * metric math, so each math alarm (flow gap, burn rates) has a plain-threshold companion that LocalStack can.
 */
export class OperationalAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  /** Alarms left out on this target because they could never receive data there. */
  readonly notDeployed: { id: string; why: string }[] = [];
  private readonly action: SnsAction;
  private readonly target: PlatformConfig['target'];

  constructor(scope: Construct, id: string, props: { config: PlatformConfig }) {
    super(scope, id);
    this.target = props.config.target;
    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key: use our own, and let it in.
    const key = new Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Encrypts the ShopWave alarm topic' });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, '*' means this key
      }),
    );
    this.topic = new Topic(this, 'Topic', { displayName: 'ShopWave alarms', masterKey: key, enforceSSL: true });
    if (props.config.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.config.alarmEmail));
    this.action = new SnsAction(this.topic);
  }

  /**
   * An alarm that names its runbook and notifies the topic; its name is `<stack>-<id>`, readable in any console.
   * An alarm that can never receive data on the target (lib/targets/reach.ts: Throttles on LocalStack and offline,
   * metric math on LocalStack, ...) is not deployed there: it would sit in OK whatever happens. It is listed in
   * `notDeployed` (docs/alarms-per-target.md says why).
   */
  add(id: string, p: RunbookAlarm): Alarm | undefined {
    if (this.target !== 'aws') {
      const reach = alarmReach(FACTS[this.target], signalOf(plain(p.metric)), sourcesIn(Stack.of(this)));
      if (!reach.receives) {
        this.notDeployed.push({ id, why: reach.why });
        return undefined;
      }
    }
    const alarm = new Alarm(this, id, {
      alarmName: `${Stack.of(this).stackName}-${id}`,
      alarmDescription: `${p.summary} ${runbookSentence(p.runbook)}`,
      metric: plain(p.metric),
      threshold: p.threshold,
      comparisonOperator: p.comparison ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: p.evaluationPeriods ?? 1,
      datapointsToAlarm: p.datapointsToAlarm,
      treatMissingData: p.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    return this.notify(alarm);
  }

  /** A deployed alarm by its id (`LostOrders`, `<watch name>Errors`, …); undefined when not deployed on this target. */
  alarm(id: string): Alarm | undefined {
    return this.alarms.find((a) => a.node.id === id && a.node.scope === this);
  }

  /** Sends an alarm created elsewhere (a construct's own DLQ alarm) to the topic too. */
  notify(alarm: Alarm): Alarm {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** Seed 001's SLI: charged orders the restaurant never received, seen three independent ways. */
  addDeliverySli(deliverySliSeconds: number): void {
    this.add('LostOrders', {
      metric: flow.lostOrders(),
      threshold: 0,
      summary: 'Customers were charged for orders the restaurant has not received within the delivery deadline.',
      runbook: 'lostOrders',
    });
    this.add('OldestAwaitingOrder', {
      metric: flow.oldestAwaitingSeconds(),
      threshold: deliverySliSeconds,
      summary: `A charged order has waited for the restaurant longer than the ${deliverySliSeconds} s delivery deadline.`,
      runbook: 'oldestAwaiting',
    });
    this.add('FlowGap', {
      metric: flowGap(),
      threshold: 3,
      comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      summary:
        'Orders are being charged but not received by restaurants (charged − received ≥ 3 a minute in 2 of 3 minutes). Metric math: not evaluated on LocalStack.',
      runbook: 'flowGap',
    });
    // The plain-threshold companion of FlowGap (LocalStack community evaluates no metric math).
    this.add('OrdersPilingUp', {
      metric: flow.awaitingRestaurant(),
      threshold: 10,
      comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      summary: 'Ten or more charged orders are waiting for their restaurant at once, in 2 of 3 minutes.',
      runbook: 'flowGap',
    });
    // Multi-window burn-rate pair on the delivery SLO (Google SRE workbook, ch. 5): fast pages, slow tickets.
    this.add('DeliverySloFastBurn', {
      metric: deliveryBurnRate(Duration.hours(1)),
      threshold: 14.4,
      summary: 'The delivery SLO is burning its 30-day error budget 14.4× too fast over the last hour. Metric math.',
      runbook: 'sloBurn',
    });
    this.add('DeliverySloSlowBurn', {
      metric: deliveryBurnRate(Duration.hours(6)),
      threshold: 6,
      summary: 'The delivery SLO is burning its 30-day error budget 6× too fast over the last 6 hours. Metric math.',
      runbook: 'sloBurn',
    });
  }

  /**
   * What discovery found (lib/constructs/watch.ts): every DLQ's alarm to the topic and every consumer queue's
   * backlog, then errors and throttles of every function.
   */
  watch(watched: Watched): void {
    for (const q of watched.queues) {
      this.notify(q.dlqAlarm);
      if (q.queue) this.addQueueBacklog(q.name, q.queue, q.deliveryDelay);
    }
    for (const { name, fn } of watched.functions) this.addFunction(name, fn);
  }

  /**
   * Lambda errors and throttles: one pair per function. The Errors alarm's summary and runbook can be a function's
   * own (the pre-traffic hook's point at the deploy runbook).
   */
  addFunction(id: string, fn: IFunction, options: { errorsRunbook?: Runbook; errorsSummary?: string } = {}): void {
    this.add(`${id}Errors`, {
      metric: fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      summary: options.errorsSummary ?? `${id} failed invocations (thrown errors or timeouts).`,
      runbook: options.errorsRunbook ?? 'lambdaErrors',
    });
    this.add(`${id}Throttles`, {
      metric: fn.metricThrottles({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      summary: `${id} invocations were throttled (concurrency limit).`,
      runbook: 'lambdaThrottles',
    });
  }

  /** A consumer queue whose oldest message waits too long: the consumer is down, slow or stuck. */
  addQueueBacklog(id: string, queue: Queue, deliveryDelay: Duration = Duration.seconds(0)): void {
    // A delayed queue (the ack deadline) holds every message for the delay on purpose.
    const threshold = deliveryDelay.toSeconds() + 300;
    this.add(`${id}Backlog`, {
      metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold,
      evaluationPeriods: 2,
      summary: `The oldest message in ${id}'s queue is older than ${threshold} s: the consumer is not keeping up.`,
      runbook: 'queueBacklog',
    });
  }

  addOutboxRelay(): void {
    this.add('OutboxRelayLag', {
      metric: flow.outboxLagMs(),
      threshold: 30_000,
      evaluationPeriods: 2,
      summary: 'Events take more than 30 s from commit to the bus: every saga step is late.',
      runbook: 'outboxRelay',
    });
    this.add('OutboxRelayFailures', {
      metric: flow.relayFailures(),
      threshold: 0,
      summary: 'The outbox relay could not publish some events to the bus (they are retried, then dead-lettered).',
      runbook: 'outboxRelay',
    });
  }

  /**
   * Seed 002: the payment provider's breaker, and the reconciler's ledger-against-records mismatches. Seed 003: the
   * provider itself, slow or failing, before the breaker opens (or when it never does: one bad call in three).
   */
  addPayments(providerTimeoutMs: number): void {
    // Maximum, not a percentile: LocalStack community does not evaluate ExtendedStatistic alarms, and a call near the
    // timeout is worth a look however rare. Two of three minutes keeps one slow call (a cold connection) from paging.
    const slowMs = Math.round((2 / 3) * providerTimeoutMs);
    this.add('PaymentProviderLatency', {
      metric: flow.providerCallMs('Maximum'),
      threshold: slowMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      summary: `Payment provider calls took longer than ${slowMs} ms (two thirds of the ${providerTimeoutMs} ms timeout) in 2 of 3 minutes: charges time out and are retried, checkouts wait.`,
      runbook: 'paymentProviderLatency',
    });
    // Any failed call in 2 of 3 minutes: each is retried with the same idempotency key, so one is noise, a stream
    // is an incident (customers wait; five in a row open the breaker). "Failures", not "Errors": `<name>Errors` is
    // a function's Lambda Errors alarm (addFunction), and a responder reads it as one.
    this.add('PaymentProviderFailures', {
      metric: flow.providerErrors(),
      threshold: 0,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      summary:
        'Payment provider calls failed (timeouts, 5xx, lost answers) in 2 of 3 minutes: charges and refunds are being retried with the same idempotency key.',
      runbook: 'paymentProviderFailures',
    });
    this.add('PaymentBreakerOpen', {
      metric: flow.breakerOpen(),
      threshold: 0,
      summary: 'The payment provider circuit breaker is open: no charge or refund is attempted, orders are held (RESERVED).',
      runbook: 'paymentBreakerOpen',
    });
    this.add('PaymentMismatch', {
      metric: flow.paymentMismatches(),
      threshold: 0,
      summary:
        "The provider's ledger disagrees with our payments or orders (a double charge, a charge without payment or order, a missing refund, or different amounts).",
      runbook: 'paymentMismatch',
    });
  }

  /**
   * Seed 000 challenge 2: analytics expects tracking (it saw orders received, shipped or delivered) and has
   * ingested none for longer than the threshold — whether the tracking event was renamed past its rule or
   * rejected by its contract. Written every minute, zero included; missing data (the check itself not running)
   * is its Errors alarm's business, so it is not breaching here.
   */
  addTrackingFreshness(thresholdSeconds: number): void {
    this.add('TrackingNotIngested', {
      metric: flow.trackingStalenessSeconds(),
      threshold: thresholdSeconds,
      summary: `Analytics has ingested no tracking for more than ${thresholdSeconds} s while it expects some: the Analytics team is missing tracking data.`,
      runbook: 'trackingNotIngested',
    });
  }

  /**
   * The daily table exports (lib/constructs/table-backups.ts): a day whose export did not happen (the function did
   * not run, or could not start every table: no datapoint counts as missing) and a day whose exports did not all
   * complete (read the next day, when DynamoDB has finished them). Seed 003: the one upload a day must not be lost
   * without anyone knowing.
   */
  addBackups(tableCount: number): void {
    this.add('BackupExportMissing', {
      metric: backups.exportsStarted(),
      threshold: tableCount,
      comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
      summary: `Fewer than ${tableCount} table exports started today, or the daily export did not run: today's backup upload is missing.`,
      runbook: 'backups',
    });
    this.add('BackupExportFailed', {
      metric: backups.exportsIncomplete(),
      threshold: 0,
      summary: "Some of yesterday's table exports failed or never finished: that day's backup is incomplete.",
      runbook: 'backups',
    });
  }

  /**
   * Hostile clients (seed 002's pentest): rejected tokens and keys across the API. More than 20 a minute: a
   * client with an expired token is refused once and refreshes, so even hundreds of customers whose tokens expire
   * within the hour stay below it; probing tools send hundreds a minute.
   */
  addAuthFailures(): void {
    this.add('AuthFailureSurge', {
      metric: auth.failures(),
      threshold: 20,
      summary: 'More than 20 requests a minute were refused for missing, invalid or foreign credentials: a client is probing the API.',
      runbook: 'authFailureSurge',
    });
  }

  /**
   * Demand (flash-sale, dinner-rush): neither is a fault, and a platform that absorbs it raises no operational alarm,
   * so these two say what is happening to the business. StockRejectionSurge: more than 10 orders a minute refused for
   * stock, a product selling out under demand (a scarce special refuses a few a night). OrderDemandAboveCapacity:
   * more orders placed in a minute than the restaurants and couriers are sized for (`orderCapacityPerMinute`).
   */
  addDemand(capacityPerMinute: number): void {
    this.add('StockRejectionSurge', {
      metric: stockRejected(),
      threshold: 10,
      summary: 'More than 10 orders a minute were refused out of stock: a product is selling out under demand (a flash sale?).',
      runbook: 'stockRejectionSurge',
    });
    this.add('OrderDemandAboveCapacity', {
      metric: flow.placed(),
      threshold: capacityPerMinute,
      summary: `More than ${capacityPerMinute} orders were placed in a minute, above the capacity restaurants and couriers are planned for.`,
      runbook: 'demandAboveCapacity',
    });
  }

  addApi(api: RestApi): void {
    this.add('Api5xxRate', {
      // Average of 5XXError (0 or 1 per request) is the share of requests answered 5xx: a rate, without math.
      metric: api.metricServerError({ period: Duration.minutes(1), statistic: 'Average' }),
      threshold: 0.05,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      summary: 'More than 5 % of API requests answered 5xx in 2 of 3 minutes.',
      runbook: 'apiErrors',
    });
    this.add('ApiLatencyP99', {
      metric: api.metricLatency({ period: Duration.minutes(1), statistic: 'p99' }),
      threshold: 3000,
      evaluationPeriods: 3,
      summary: 'API p99 latency above 3 s for 3 minutes.',
      runbook: 'apiLatency',
    });
  }
}
