/**
 * Tracking freshness (seed 000, challenge 2: "the Analytics team is not receiving any tracking data"). Analytics
 * notes, from the events it ingests and in its own table only, which orders it expects tracking for and when it
 * last ingested a tracking point; the scheduled check (freshness-check.ts) turns that into TrackingStalenessSeconds.
 *
 * An order is expected to be tracked once analytics has seen it received by the restaurant, shipped or delivered
 * (the first of the three that arrives): so a renamed or re-versioned `tracking.updated` is noticed even when
 * analytics misses `order.shipped` too, as long as the restaurant's event still arrives. It stops being expected at
 * its first tracking point, or when cancelled. Not at delivery: when only the tracking event is lost,
 * `order.delivered` still arrives, and it must not hide the missing points.
 *
 * Every write is a single-item update that commutes (if_not_exists / REMOVE), conditioned on the item's own state:
 * a duplicate changes nothing and any arrival order ends in the same item, so a replay (late, reordered, repeated)
 * is safe. Times are analytics' ingestion times, one clock: "how long has analytics waited", not the producers' clocks.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import type { DetailType, EventEnvelope } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import { isConditionFailure } from '../shared/outbox';

/** Sparse index of the orders awaiting their first tracking point, oldest first (lib/constructs/data-tables.ts). */
export const AWAITING_TRACKING_INDEX = 'awaitingTracking';
/** The index's one partition value: fine to ~1,000 shipments a second; shard it (AWAITING#0..n) beyond. */
const AWAITING = 'AWAITING';
/** What the check reads of the index: an order still untracked after an hour is given up on (bounded read, no alarm forever). */
export const AWAITING_HORIZON_SECONDS = 3600;

const EXPECTS: readonly DetailType[] = ['restaurant.order-received', 'order.shipped', 'order.delivered'];
const CLOSES: readonly DetailType[] = ['order.cancelled'];
const TRACKS: readonly DetailType[] = ['tracking.updated'];

const table = () => requireEnv('ANALYTICS_TABLE_NAME');
const trackingKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'TRACKING' });
const FRESHNESS_KEY = { pk: 'FRESHNESS', sk: 'tracking.updated' };

/** Records what `detailType` says about tracking; a no-op for the other detail-types. Safe to repeat. */
export async function noteTracking(detailType: DetailType, envelope: EventEnvelope, now = new Date()): Promise<void> {
  const { orderId } = envelope.data as { orderId: string };
  const at = now.toISOString();
  if (TRACKS.includes(detailType)) {
    await ddb.send(
      new UpdateCommand({
        TableName: table(),
        Key: trackingKey(orderId),
        UpdateExpression: 'SET orderId = :id, trackedAt = if_not_exists(trackedAt, :at) REMOVE awaitingTracking, awaitingSince',
        ExpressionAttributeValues: { ':id': orderId, ':at': at },
      }),
    );
    // Last writer wins: concurrent consumers write nearly the same instant, and a late one never makes it older
    // than what it ingested now.
    await ddb.send(
      new UpdateCommand({
        TableName: table(),
        Key: FRESHNESS_KEY,
        UpdateExpression: 'SET lastIngestedAt = :at, lastOrderId = :id',
        ExpressionAttributeValues: { ':at': at, ':id': orderId },
      }),
    );
  } else if (CLOSES.includes(detailType)) {
    await ddb.send(
      new UpdateCommand({
        TableName: table(),
        Key: trackingKey(orderId),
        UpdateExpression: 'SET orderId = :id, closedAt = if_not_exists(closedAt, :at) REMOVE awaitingTracking, awaitingSince',
        ExpressionAttributeValues: { ':id': orderId, ':at': at },
      }),
    );
  } else if (EXPECTS.includes(detailType)) {
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: table(),
          Key: trackingKey(orderId),
          UpdateExpression:
            'SET orderId = :id, correlationId = if_not_exists(correlationId, :corr), awaitingTracking = :aw, awaitingSince = if_not_exists(awaitingSince, :at)',
          // Tracked or cancelled already (the events came in another order): nothing to expect.
          ConditionExpression: 'attribute_not_exists(trackedAt) AND attribute_not_exists(closedAt)',
          ExpressionAttributeValues: { ':id': orderId, ':corr': envelope.metadata.correlationId, ':aw': AWAITING, ':at': at },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}

export interface TrackingFreshness {
  /** Orders analytics expects tracking for and has none for (within the horizon). */
  awaitingTracking: number;
  /** 0 when nothing is awaited; else now − the later of the last tracking ingested and the oldest awaiting order. */
  stalenessSeconds: number;
  lastIngestedAt?: string;
  oldestAwaiting?: { orderId: string; correlationId?: string; since: string };
}

/** Bounds the count's pages; a larger backlog still reports (the count is then a lower bound). */
const MAX_COUNT_PAGES = 20;

/**
 * The freshness of tracking, from analytics' own table. Counting from the later of the two instants means a quiet
 * night (last tracking hours ago, one new order now) reports the new order's wait, not the night, and one order's
 * lost tracking does not alarm while tracking keeps arriving for the others (that one is a DLQ matter).
 */
export async function trackingFreshness(now = new Date()): Promise<TrackingFreshness> {
  const since = new Date(now.getTime() - AWAITING_HORIZON_SECONDS * 1000).toISOString();
  const query = {
    TableName: table(),
    IndexName: AWAITING_TRACKING_INDEX,
    KeyConditionExpression: 'awaitingTracking = :aw AND awaitingSince BETWEEN :since AND :now',
    ExpressionAttributeValues: { ':aw': AWAITING, ':since': since, ':now': now.toISOString() },
  };
  const [oldestRes, freshness] = await Promise.all([
    ddb.send(new QueryCommand({ ...query, Limit: 1, ScanIndexForward: true })),
    ddb.send(new GetCommand({ TableName: table(), Key: FRESHNESS_KEY, ConsistentRead: true })),
  ]);
  let awaitingTracking = 0;
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_COUNT_PAGES; page++) {
    const res = await ddb.send(new QueryCommand({ ...query, Select: 'COUNT', ExclusiveStartKey: startKey }));
    awaitingTracking += res.Count ?? 0;
    startKey = res.LastEvaluatedKey;
    if (!startKey) break;
  }
  const oldest = oldestRes.Items?.[0];
  const lastIngestedAt = freshness.Item?.lastIngestedAt as string | undefined;
  let stalenessSeconds = 0;
  if (awaitingTracking > 0 && oldest) {
    const from = Math.max(Date.parse(oldest.awaitingSince), lastIngestedAt ? Date.parse(lastIngestedAt) : 0);
    stalenessSeconds = Math.max(0, Math.floor((now.getTime() - from) / 1000));
  }
  return {
    awaitingTracking,
    stalenessSeconds,
    lastIngestedAt,
    oldestAwaiting: oldest ? { orderId: oldest.orderId, correlationId: oldest.correlationId, since: oldest.awaitingSince } : undefined,
  };
}
