/**
 * The outbox relay: new Outbox rows (stream INSERTs) → PutEvents on the bus, the detail exactly as committed.
 * A record whose entry EventBridge refuses fails on its own (Powertools batch reports its sequence number), and
 * the stream retries from there; consumers are idempotent on metadata.eventId, so a re-publish is harmless.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventBridgeClient } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';
import type { OutboxRow } from '../shared/outbox';
import { logger, metrics, MetricUnit, tracer } from '../shared/powertools';

const processor = new BatchProcessor(EventType.DynamoDBStreams);
const busName = requireEnv('EVENT_BUS_NAME');

async function relay(record: DynamoDBRecord): Promise<void> {
  // The event source filter passes only INSERTs; TTL deletions (REMOVE) must never re-publish.
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return;
  const row = unmarshall(record.dynamodb.NewImage as never) as OutboxRow;
  const res = await eventBridgeClient().send(
    new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: row.source, DetailType: row.detailType, Detail: row.detail, Time: new Date(row.createdAt) }] }),
  );
  if (res.FailedEntryCount) {
    metrics.addMetric('RelayFailures', MetricUnit.Count, 1);
    const entry = res.Entries?.[0];
    throw new Error(`PutEvents refused ${row.detailType} ${row.eventId}: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
  }
  metrics.addMetric('EventsRelayed', MetricUnit.Count, 1);
  metrics.addMetric('OutboxRelayLagMs', MetricUnit.Milliseconds, Date.now() - Date.parse(row.createdAt));
  logger.debug('relayed', { eventId: row.eventId, detailType: row.detailType, correlationId: row.correlationId });
}

export const handler = middy(async (event: DynamoDBStreamEvent, context: Context) => processPartialResponse(event, relay, processor, { context }))
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
