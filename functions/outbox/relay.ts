/**
 * The outbox relay: new Outbox rows (stream INSERTs) → PutEvents on the bus, the detail exactly as committed.
 * A record whose entry EventBridge refuses fails on its own (Powertools batch reports its sequence number) and the
 * stream retries from there; consumers are idempotent on metadata.eventId, so a re-publish is harmless.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventBridgeClient } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';
import { extraCopies } from '../shared/faults';
import type { OutboxRow } from '../shared/outbox';
import { logger, metrics, MetricUnit, tracing } from '../shared/powertools';

const processor = new BatchProcessor(EventType.DynamoDBStreams);
const busName = requireEnv('EVENT_BUS_NAME');

async function publish(row: OutboxRow): Promise<void> {
  const entry = {
    EventBusName: busName,
    Source: row.source,
    DetailType: row.detailType,
    Detail: row.detail,
    Time: new Date(row.createdAt),
    TraceHeader: row.traceHeader,
  };
  // Game day (seed 002, event chaos): the same entry more than once, as an at-least-once bus delivers it.
  const copies = extraCopies(row.detailType, row.eventId);
  const res = await eventBridgeClient().send(new PutEventsCommand({ Entries: Array.from({ length: 1 + copies }, () => entry) }));
  if (res.FailedEntryCount) {
    const failed = res.Entries?.find((e) => e.ErrorCode);
    throw new Error(`PutEvents refused ${row.detailType} ${row.eventId}: ${failed?.ErrorCode} ${failed?.ErrorMessage ?? ''}`.trim());
  }
}

async function relay(record: DynamoDBRecord): Promise<void> {
  // The mapping's filter passes only INSERTs; MODIFY is not ours and REMOVE is a TTL deletion: never re-publish.
  if (record.eventName !== 'INSERT') {
    logger.debug('not a new outbox row; skipped', { eventName: record.eventName });
    return;
  }
  // An INSERT without its image means the stream view type is wrong: fail loudly rather than lose the event.
  if (!record.dynamodb?.NewImage)
    throw new Error(`stream record ${record.dynamodb?.SequenceNumber} has no NewImage (stream must be NEW_IMAGE)`);
  const row = unmarshall(record.dynamodb.NewImage as never) as OutboxRow;
  try {
    await publish(row);
  } catch (err) {
    metrics.addMetric('RelayFailures', MetricUnit.Count, 1);
    logger.error('could not publish outbox row; the stream will retry it', {
      eventId: row.eventId,
      detailType: row.detailType,
      correlationId: row.correlationId,
      error: err as Error,
    });
    throw err;
  }
  metrics.addMetric('EventsRelayed', MetricUnit.Count, 1);
  // Commit-to-bus delay: the early signal for "committed (e.g. charged) but never reached the consumers".
  metrics.addMetric('OutboxRelayLagMs', MetricUnit.Milliseconds, Math.max(0, Date.now() - Date.parse(row.createdAt)));
  logger.debug('relayed', { eventId: row.eventId, detailType: row.detailType, correlationId: row.correlationId });
}

export const handler = middy(async (event: DynamoDBStreamEvent, context: Context) =>
  // Always answer with batchItemFailures (never throw on a full failure) so the failing sequence numbers are reported.
  processPartialResponse(event, relay, processor, { context, throwOnFullBatchFailure: false }),
)
  .use(tracing())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
