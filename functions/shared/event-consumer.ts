/**
 * The one way a service consumes events: an SQS queue fed by an EventBridge rule (see lib/constructs/
 * event-consumer.ts). Per record it validates the event against the contract, runs the handler for its
 * detail-type once per event id (Powertools idempotency), and reports failures per record (Powertools batch) so
 * one poison message never replays, or loses, the rest of the batch. Errors are never swallowed: a failing record
 * is retried and, after maxReceiveCount, parked in the consumer's DLQ where an alarm sees it. When it is retried
 * is retry-policy.ts's: each failed record's visibility is set before the batch returns (ChangeMessageVisibility),
 * a backoff with jitter for a transient error, 0 for a permanent one (it reaches the DLQ within seconds).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { ChangeMessageVisibilityBatchCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamodb, sqsClient } from './aws-clients';
import { ContractError, parseEvent, type DetailType, type EventEnvelope } from './contracts/events';
import { numberEnv, requireEnv } from './env';
import { crashIfInjected, dropsEvent, poisonIfInjected, reorderIfInjected } from './faults';
import { logger, metrics, MetricUnit, tracing } from './powertools';
import { classifyError, retryDelaySeconds } from './retry-policy';

export interface ConsumedEvent<T extends DetailType> {
  detailType: T;
  source: string;
  /** EventBridge's own id for this delivery (differs per publish attempt; use metadata.eventId for identity). */
  busEventId: string;
  envelope: EventEnvelope<T>;
}

/** One handler per subscribed detail-type `E`: every one of them, and (for an object literal) nothing else. */
export type EventHandlers<E extends DetailType = DetailType> = {
  [T in E]: (event: ConsumedEvent<T>, context: Context) => Promise<void>;
};

/** The same handler for every event of `events` (a consumer that treats them alike: notifications, analytics). */
export function everyEvent<E extends DetailType>(
  events: readonly E[],
  handle: (event: ConsumedEvent<E>, context: Context) => Promise<void>,
): EventHandlers<E> {
  // Sound: a handler of ConsumedEvent<E> accepts each ConsumedEvent<T> with T in E; fromEntries only loses the keys.
  return Object.fromEntries(events.map((t) => [t, handle])) as unknown as EventHandlers<E>;
}

/** Idempotency records live long enough to cover SQS retention (4 days) of a redelivered message. */
const IDEMPOTENCY_TTL_SECONDS = 4 * 24 * 3600;

interface BusEvent {
  id: string;
  source: string;
  'detail-type': string;
  detail: unknown;
}

/**
 * `subscriptions` is the consumer's list in functions/<service>/subscriptions.ts, the same list its EventBridge rule
 * is built from; `handlers` must have exactly those keys. The compiler checks a literal map (a missing key, or one
 * not subscribed, is a type error); the check below also catches a map built at runtime, at cold start rather than
 * on the first event nobody handles.
 */
export function createEventConsumer<E extends DetailType>(subscriptions: readonly E[], handlers: NoInfer<EventHandlers<E>>) {
  const handled = Object.keys(handlers);
  const missing = subscriptions.filter((t) => !handled.includes(t));
  const unsubscribed = handled.filter((t) => !(subscriptions as readonly string[]).includes(t));
  if (missing.length || unsubscribed.length) {
    const mismatch = `missing ${JSON.stringify(missing)}, not subscribed ${JSON.stringify(unsubscribed)}`;
    throw new ContractError(`handlers do not match the subscriptions: ${mismatch}`);
  }
  // Game day (functions/shared/faults/): a consumer that fails at initialisation, as a crashlooping one does.
  crashIfInjected(`event consumer for ${subscriptions.join(', ')}`);
  const processor = new RetryingBatchProcessor();
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: 'detail.metadata.eventId',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: requireEnv('IDEMPOTENCY_TABLE_NAME'),
    awsSdkV3Client: dynamodb,
  });
  let currentContext: Context;

  // The idempotent unit is "this consumer handled this event": the key is the function name + event id.
  const handleOnce = makeIdempotent(
    async (busEvent: BusEvent): Promise<true> => {
      const parsed = parseEvent(busEvent);
      const handler = (handlers as Partial<Record<DetailType, (e: ConsumedEvent<DetailType>, c: Context) => Promise<void>>>)[
        parsed.detailType
      ];
      // A rule that routes an event this consumer does not handle is a wiring bug: fail, do not drop.
      if (!handler) throw new ContractError(`no handler for '${parsed.detailType}' in ${currentContext.functionName}`);
      await handler(
        { detailType: parsed.detailType, source: parsed.source, busEventId: busEvent.id, envelope: parsed.detail },
        currentContext,
      );
      return true;
    },
    { persistenceStore, config: idempotencyConfig },
  );

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    logger.appendKeys(recordKeys(record));
    try {
      // A body that is not JSON is a permanent failure (SyntaxError) like any other contract violation.
      const busEvent = JSON.parse(record.body) as BusEvent;
      // Game day (seed 001, theory A): acknowledged, never handled. Before the idempotency layer, so nothing records
      // the event as handled and a replay from the outbox after the fix is processed, not deduplicated.
      if (dropsEvent(busEvent['detail-type'])) {
        logger.info('event processed', { orderId: (busEvent.detail as { data?: { orderId?: string } })?.data?.orderId });
        return;
      }
      // Game day (seed 002, event chaos): a delivery held back so later ones overtake it, and events this consumer
      // cannot handle (parked in its DLQ). Before the idempotency layer: neither records the event as handled.
      const detailType = busEvent['detail-type'];
      reorderIfInjected(detailType, record.messageId, Number(record.attributes.ApproximateReceiveCount) || 1);
      poisonIfInjected(detailType, (busEvent.detail as { metadata?: { eventId?: string } })?.metadata?.eventId);
      await handleOnce(busEvent);
      metrics.addMetric('EventsConsumed', MetricUnit.Count, 1);
    } finally {
      logger.removeKeys(['correlationId', 'eventId', 'detailType', 'receiveCount']);
    }
  };

  return middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    currentContext = context;
    idempotencyConfig.registerLambdaContext(context);
    processor.retries = [];
    const response = await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    await setRetryVisibility(processor.retries);
    return response;
  })
    .use(tracing())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

interface Retry {
  record: SQSRecord;
  visibilityTimeout: number;
}

/** The record's log keys (correlation id, event id, detail-type, receive count), read without trusting the body. */
function recordKeys(record: SQSRecord): Record<string, string | number | undefined> {
  let busEvent: Partial<BusEvent> | undefined;
  try {
    busEvent = JSON.parse(record.body) as BusEvent;
  } catch {
    busEvent = undefined;
  }
  const metadata = (busEvent?.detail as { metadata?: { correlationId?: string; eventId?: string } } | undefined)?.metadata;
  return {
    correlationId: metadata?.correlationId,
    eventId: metadata?.eventId,
    detailType: busEvent?.['detail-type'],
    receiveCount: Number(record.attributes.ApproximateReceiveCount),
  };
}

/** Offline, the runtime's timeScale (tests run queues faster); unset on AWS and LocalStack. */
const timeScale = () => numberEnv('SHOPWAVE_OFFLINE_TIME_SCALE', 1);

/**
 * Powertools' batch processor with its failure hook (failureHandler, called for every record that failed, whatever
 * threw) deciding when the record comes back: classified, logged once with its keys, counted, and scheduled.
 */
class RetryingBatchProcessor extends BatchProcessor {
  retries: Retry[] = [];

  constructor() {
    super(EventType.SQS);
  }

  override failureHandler(record: SQSRecord, error: Error) {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
    const errorClass = classifyError(error);
    const visibilityTimeout = retryDelaySeconds(errorClass, receiveCount, { timeScale: timeScale() });
    this.retries.push({ record, visibilityTimeout });
    metrics.addMetric('EventsFailed', MetricUnit.Count, 1);
    if (errorClass.kind === 'permanent') metrics.addMetric('EventsFailedPermanently', MetricUnit.Count, 1);
    const what =
      errorClass.kind === 'permanent'
        ? 'a permanent error: the record is parked in the DLQ now (visible at once until its receives are spent)'
        : visibilityTimeout === 0
          ? 'a transient error on the last receive: the record is parked in the DLQ now'
          : `a transient error: the record is retried in ${visibilityTimeout} s`;
    logger.error(`event processing failed, ${what}`, {
      ...recordKeys(record),
      errorClass: errorClass.kind,
      errorReason: errorClass.reason,
      retryInSeconds: visibilityTimeout,
      error,
    });
    return super.failureHandler(record, error);
  }
}

/**
 * One ChangeMessageVisibilityBatch per ten failed records, before the batch returns (the receipt handles are
 * valid while the records are in flight). If it fails, the records still come back, after the queue's visibility
 * timeout: slower, never lost, so the error is logged and the batch response stands.
 */
let warnedNoQueueUrl = false;
async function setRetryVisibility(retries: Retry[]): Promise<void> {
  if (retries.length === 0) return;
  const queueUrl = process.env.CONSUMER_QUEUE_URL;
  if (!queueUrl) {
    // CDK always sets it (test/infrastructure.test.ts); a handler invoked outside its queue (handler tests) has none.
    if (!warnedNoQueueUrl) logger.warn('CONSUMER_QUEUE_URL is not set: failed records come back after the queue visibility timeout');
    warnedNoQueueUrl = true;
    return;
  }
  for (let i = 0; i < retries.length; i += 10) {
    const chunk = retries.slice(i, i + 10);
    try {
      const { Failed = [] } = await sqsClient().send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.record.receiptHandle, VisibilityTimeout: r.visibilityTimeout })),
        }),
      );
      for (const f of Failed) {
        const messageId = chunk[Number(f.Id)]?.record.messageId;
        logger.warn('could not set the retry visibility of a failed record', { messageId, code: f.Code, message: f.Message });
      }
    } catch (err) {
      logger.warn('could not set the retry visibility of failed records; they come back after the queue visibility timeout', err as Error);
    }
  }
}
