import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, type EventPattern, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventCatalog, type DetailType } from '../../functions/shared/contracts/events';
import { MAX_RECEIVE_COUNT } from '../../functions/shared/retry-policy';
import { ServiceFunction, type ServiceFunctionProps } from './service-function';

/**
 * Receives before a message is parked in the DLQ. The consumer (functions/shared/retry-policy.ts) spaces the
 * retries of a transient failure by a backoff of seconds and parks a permanent one at once.
 */
export { MAX_RECEIVE_COUNT };

export interface EventConsumerProps extends ServiceFunctionProps {
  bus: IEventBus;
  /** The detail-types this consumer handles; the rule's pattern is derived from the event contract. */
  events?: readonly DetailType[];
  /** A raw pattern instead of `events` (e.g. analytics: every ShopWave source). */
  eventPattern?: EventPattern;
  /** Delay before a message becomes visible (the restaurant ack deadline is one). Max 15 minutes. */
  deliveryDelay?: Duration;
  batchSize?: number;
}

/**
 * One consumer of bus events: Rule → its own SQS queue (+ DLQ after MAX_RECEIVE_COUNT receives) → Lambda with
 * partial batch failure reporting, and an alarm on anything in the DLQ. One per subscribing handler (lib/services/).
 * The queue decouples the consumer: a slow or failing consumer never blocks another, and nothing is lost while it
 * is down (EventBridge → Lambda directly would retry for at most 24 h and then drop).
 */
export class EventConsumer extends Construct {
  readonly fn: ServiceFunction;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly rule: Rule;
  readonly dlqAlarm: Alarm;
  readonly deliveryDelay?: Duration;

  constructor(scope: Construct, id: string, props: EventConsumerProps) {
    super(scope, id);
    this.deliveryDelay = props.deliveryDelay;
    const timeout = props.timeout ?? Duration.seconds(30);
    this.fn = new ServiceFunction(this, 'Handler', { ...props, timeout });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Queue', {
      // AWS's guidance: at least six times the function timeout, so a batch in flight is never handed out twice.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deliveryDelay: props.deliveryDelay,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.rule = new Rule(this, 'Rule', {
      eventBus: props.bus,
      eventPattern: props.eventPattern ?? patternFor(props.events ?? []),
      // Events the bus could not deliver to the queue park in the same DLQ as those the function could not handle.
      targets: [new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 185 })],
    });

    this.fn.invoked.addEventSource(
      new SqsEventSource(this.queue, { batchSize: props.batchSize ?? 10, reportBatchItemFailures: true, maxConcurrency: 5 }),
    );
    // The consumer sets the visibility of the records it failed (backoff, or 0 to park: functions/shared/
    // retry-policy.ts), on its own queue only. The event source's consume grant already allows
    // sqs:ChangeMessageVisibility on this queue (a second grant would only duplicate the statement); the
    // infrastructure test keeps that true.
    this.fn.addEnvironment('CONSUMER_QUEUE_URL', this.queue.queueUrl);

    this.dlqAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmName: `${Stack.of(this).stackName}-${id}DeadLetters`,
      alarmDescription: `Messages in the DLQ of ${id}: events this consumer could not process. Runbook: docs/runbooks/dlq-messages.md`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

/** `{ source: [...], detail-type: [...] }` from the event contract, so a rule can only name events that exist. */
export function patternFor(events: readonly DetailType[]): EventPattern {
  if (events.length === 0) throw new Error('an EventConsumer needs events or an eventPattern');
  const sources = [...new Set(events.map((e) => EventCatalog[e].source))].sort();
  return { source: sources, detailType: [...events] };
}
