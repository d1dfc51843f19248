/**
 * courier-simulator: plays the courier for order.shipped. It records PICKED_UP, EN_ROUTE, NEARBY and DELIVERED
 * through shipping's recordTrackingUpdate, waiting stepDelayMs (COURIER_SIMULATOR_CONFIG: { stepDelayMs }) before
 * each. Every step is its own transaction; a re-run after a crash resumes after the last recorded step, and the
 * shipment's forward-only status means DELIVERED (and order.delivered) happens once.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { causedBy } from '../shared/contracts/events';
import { createEventConsumer } from '../shared/event-consumer';
import { jsonEnv } from '../shared/env';
import { logger } from '../shared/powertools';
import { getShipment, recordTrackingUpdate, statusRank, TRACKING_STATUSES, type TrackingStatus } from '../shipping/shipments';
import { boundedDelay } from './pace';
import { COURIER_EVENTS } from './subscriptions';

// Four waits of at most 10 s stay well under the 60 s function timeout (and are shortened at run time if needed).
const CourierConfigSchema = z.strictObject({ stepDelayMs: z.number().int().min(0).max(10_000).default(1000) });
export type CourierConfig = z.infer<typeof CourierConfigSchema>;

export function parseCourierConfig(raw: unknown): CourierConfig {
  const parsed = CourierConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`COURIER_SIMULATOR_CONFIG is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

type Point = { lat: number; lng: number };
/** A point in central Berlin, stable per id, so a merchant's kitchen and a customer's door stay put. */
function placeOf(id: string): Point {
  const h = createHash('sha256').update(id).digest();
  return { lat: 52.48 + (h.readUInt16BE(0) / 0xffff) * 0.08, lng: 13.3 + (h.readUInt16BE(2) / 0xffff) * 0.18 };
}
const FRACTION: Record<TrackingStatus, number> = { PICKED_UP: 0, EN_ROUTE: 0.45, NEARBY: 0.9, DELIVERED: 1 };

/** Where the courier is at each step: on the straight line from the kitchen to the customer's door. */
export function routeFor(merchantId: string, customerId: string): { status: TrackingStatus; location: Point }[] {
  const [from, to] = [placeOf(merchantId), placeOf(customerId)];
  const round = (n: number) => Math.round(n * 1e5) / 1e5;
  return TRACKING_STATUSES.map((status) => ({
    status,
    location: {
      lat: round(from.lat + (to.lat - from.lat) * FRACTION[status]),
      lng: round(from.lng + (to.lng - from.lng) * FRACTION[status]),
    },
  }));
}

const config = parseCourierConfig(jsonEnv<unknown>('COURIER_SIMULATOR_CONFIG', {}));

export const handler = createEventConsumer(COURIER_EVENTS, {
  'order.shipped': async ({ envelope }, context) => {
    const { orderId, merchantId, customerId } = envelope.data;
    const shipment = await getShipment(orderId);
    // order.shipped is committed with the shipment, so a missing one is a wiring bug: fail, retry, then DLQ.
    if (!shipment) throw new Error(`no shipment for order ${orderId}`);
    // Resume after the last step a previous (crashed) run recorded.
    const steps = routeFor(merchantId, customerId).filter((s) => statusRank(s.status) > shipment.statusRank);
    for (const [i, step] of steps.entries()) {
      await sleep(boundedDelay(config.stepDelayMs, context, steps.length - i));
      const outcome = await recordTrackingUpdate({ orderId, ...step, correlation: causedBy(envelope) });
      if (outcome === 'NO_SHIPMENT') throw new Error(`shipment of order ${orderId} vanished`);
      if (outcome === 'ALREADY_DELIVERED') break;
      // OUT_OF_ORDER: another run is ahead of this one; keep going, its later steps are refused the same way.
      logger.debug('courier step', { orderId, status: step.status, outcome });
    }
  },
});
