import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { ServiceFunction } from './service-function';

/**
 * Publishes what services committed to the Outbox table: the table's stream (new rows only) → relay Lambda →
 * PutEvents on the bus. The only publisher on the bus. A record that keeps failing is retried with bisection, then
 * its stream coordinates go to a DLQ (the row itself stays in the table until its TTL, so it can be re-published).
 */
export class OutboxRelay extends Construct {
  readonly fn: ServiceFunction;
  readonly deadLetterQueue: Queue;
  readonly dlqAlarm: Alarm;

  constructor(scope: Construct, id: string, props: { config: PlatformConfig; outbox: ITable; bus: IEventBus }) {
    super(scope, id);
    this.fn = new ServiceFunction(this, 'Handler', {
      config: props.config,
      service: 'outbox',
      entry: 'relay',
      timeout: Duration.seconds(30),
      environment: { EVENT_BUS_NAME: props.bus.eventBusName },
    });
    props.bus.grantPutEventsTo(this.fn);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination (DLQ) of the outbox stream mapping.',
    });
    this.fn.invoked.addEventSource(
      new DynamoEventSource(props.outbox, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 25,
        maxBatchingWindow: Duration.seconds(0),
        bisectBatchOnError: true,
        retryAttempts: 10,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
      }),
    );

    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams (added by the stream event source) supports no resource-level permissions; every other action is scoped.',
    });

    this.dlqAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmName: `${Stack.of(this).stackName}-OutboxRelayDeadLetters`,
      alarmDescription: 'Outbox rows that could not be published: events committed but never sent. Runbook: docs/runbooks/outbox-relay.md',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
