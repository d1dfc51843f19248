/**
 * The courier, simulated: picks the order up and moves it to the customer, one tracking point per step
 * (COURIER_SIMULATOR_CONFIG: { stepDelayMs }). Each step is its own transaction; a re-run after a crash continues
 * and cannot deliver twice (recordTrackingUpdate refuses updates after DELIVERED).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { causedBy } from '../shared/contracts/events';
import { createEventConsumer } from '../shared/event-consumer';
import { jsonEnv } from '../shared/env';
import { recordTrackingUpdate, type TrackingStatus } from '../shipping/shipments';

const { stepDelayMs = 1000 } = jsonEnv<{ stepDelayMs?: number }>('COURIER_SIMULATOR_CONFIG', {});
if (!(stepDelayMs >= 0 && stepDelayMs <= 10_000)) throw new Error(`COURIER_SIMULATOR_CONFIG.stepDelayMs out of range: ${stepDelayMs}`);

// A short ride across town: restaurant → customer.
const ROUTE: [TrackingStatus, number, number][] = [
  ['PICKED_UP', 52.5200, 13.4050],
  ['EN_ROUTE', 52.5155, 13.3935],
  ['NEARBY', 52.5098, 13.3801],
  ['DELIVERED', 52.5076, 13.3772],
];

export const handler = createEventConsumer({
  'order.shipped': async ({ envelope }) => {
    for (const [status, lat, lng] of ROUTE) {
      await sleep(stepDelayMs);
      await recordTrackingUpdate({ orderId: envelope.data.orderId, status, location: { lat, lng }, correlation: causedBy(envelope) });
    }
  },
});
