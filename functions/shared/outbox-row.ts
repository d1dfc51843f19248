/**
 * The outbox row: its shape and retention, apart from the write (outbox.ts), so the replay tool can read rows
 * inside the offline platform's own process without loading the SDK clients and Powertools Tracer (the X-Ray SDK
 * installs a process-wide async hook on every promise).
 */
import type { DomainEvent } from './contracts/events';

/**
 * Outbox rows outlive any relay retry (stream records live 24 h); TTL then removes them. This is also how far back
 * a replay (tools/replay.ts) can reach: raise it to replay older events (rows already written keep their expiry).
 */
export const OUTBOX_RETENTION_SECONDS = 3 * 24 * 3600;

export interface OutboxRow {
  pk: string;
  eventId: string;
  source: string;
  detailType: string;
  detail: string;
  correlationId: string;
  createdAt: string;
  /** The UTC day of createdAt (YYYY-MM-DD): the partition of the Outbox's byDay index (lib/constructs/data-tables.ts), so a time window is a few queries. */
  createdDay: string;
  /** The event's data.orderId when it has one (sparse byOrder index: every event of one order, in order). */
  orderId?: string;
  expiresAt: number;
  /**
   * The X-Ray trace header of the invocation that committed the event. The stream breaks the trace; the relay
   * hands this to PutEvents (`TraceHeader`), and EventBridge and SQS carry it on, so one order stays one trace.
   */
  traceHeader?: string;
}

export function outboxRow(event: DomainEvent): OutboxRow {
  const { metadata } = event.detail;
  const orderId = (event.detail.data as { orderId?: unknown } | undefined)?.orderId;
  return {
    pk: `EVENT#${metadata.eventId}`,
    eventId: metadata.eventId,
    source: event.source,
    detailType: event.detailType,
    detail: JSON.stringify(event.detail),
    correlationId: metadata.correlationId,
    createdAt: metadata.occurredAt,
    createdDay: metadata.occurredAt.slice(0, 10),
    ...(typeof orderId === 'string' ? { orderId } : {}),
    expiresAt: Math.floor(Date.now() / 1000) + OUTBOX_RETENTION_SECONDS,
    // Lambda sets _X_AMZN_TRACE_ID per invocation when tracing is active; absent offline and on LocalStack.
    ...(process.env._X_AMZN_TRACE_ID ? { traceHeader: process.env._X_AMZN_TRACE_ID } : {}),
  };
}
