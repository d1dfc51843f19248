import type { Duration, IAspect, Stack } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { EventConsumer } from './event-consumer';
import { ServiceFunction } from './service-function';

/** A function to alarm on and chart, by its watch name (ServiceFunction.watchName). */
export interface WatchedFunction {
  name: string;
  fn: ServiceFunction;
}

/** A dead-letter queue with its alarm, by the id of the construct that owns it; a consumer's own queue too. */
export interface WatchedQueues {
  name: string;
  deadLetterQueue: Queue;
  dlqAlarm: Alarm;
  /** The consumer's queue (EventConsumer), whose backlog is watched; absent for a DLQ alone (the outbox relay's). */
  queue?: Queue;
  deliveryDelay?: Duration;
}

export interface Watched {
  functions: WatchedFunction[];
  queues: WatchedQueues[];
}

/** A construct that parks what it could not process in a DLQ and alarms on it (EventConsumer, OutboxRelay). */
function hasDeadLetters(node: IConstruct): node is IConstruct & { deadLetterQueue: Queue; dlqAlarm: Alarm } {
  const candidate = node as Partial<{ deadLetterQueue: unknown; dlqAlarm: unknown }>;
  return candidate.deadLetterQueue instanceof Queue && candidate.dlqAlarm instanceof Alarm;
}

/**
 * Everything under `scope` that alarms and the dashboard watch, found in the construct tree rather than listed:
 * every ServiceFunction, and every construct with a DLQ and its alarm. In tree order (the order of creation), so
 * the dashboard's series follow the stack's composition.
 */
export function discover(scope: IConstruct): Watched {
  const watched: Watched = { functions: [], queues: [] };
  for (const node of scope.node.findAll()) {
    if (node instanceof ServiceFunction) watched.functions.push({ name: node.watchName, fn: node });
    if (hasDeadLetters(node)) {
      const { deadLetterQueue, dlqAlarm } = node;
      const consumer = node instanceof EventConsumer ? { queue: node.queue, deliveryDelay: node.deliveryDelay } : {};
      watched.queues.push({ name: node.node.id, deadLetterQueue, dlqAlarm, ...consumer });
    }
  }
  return watched;
}

/**
 * Hands `watch` what `discover` finds in the stack, once, when synthesis reaches the stack (as cdk-monitoring-
 * constructs' MonitoringAspect does): by then every construct exists, including one added after the stack's
 * constructor returned, so a new function or consumer is watched without anyone editing a list.
 */
export class WatchAspect implements IAspect {
  private done = false;

  constructor(
    private readonly stack: Stack,
    private readonly watch: (watched: Watched) => void,
  ) {}

  visit(node: IConstruct): void {
    if (node !== this.stack || this.done) return;
    this.done = true;
    this.watch(discover(this.stack));
  }
}
