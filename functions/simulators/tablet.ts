/**
 * The restaurant's tablet, simulated: after a delay it acknowledges, rejects, or stays silent (so the ack deadline
 * fires). TABLET_SIMULATOR_CONFIG: { ackDelayMs, rejectRate, silentRate, merchants: { id: ack|reject|silent } }.
 * A bad configuration fails at cold start, not by quietly acknowledging everything.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { causedBy } from '../shared/contracts/events';
import { createEventConsumer } from '../shared/event-consumer';
import { jsonEnv } from '../shared/env';
import { logger } from '../shared/powertools';
import { acknowledgeOrder, rejectOrder } from '../restaurant/tablet';

type Behaviour = 'ack' | 'reject' | 'silent';
export interface TabletConfig {
  ackDelayMs: number;
  rejectRate: number;
  silentRate: number;
  merchants: Record<string, Behaviour>;
}

export function parseTabletConfig(raw: Partial<TabletConfig>): TabletConfig {
  const c = { ackDelayMs: raw.ackDelayMs ?? 1000, rejectRate: raw.rejectRate ?? 0, silentRate: raw.silentRate ?? 0, merchants: raw.merchants ?? {} };
  const rate = (r: number) => typeof r === 'number' && r >= 0 && r <= 1;
  if (!(c.ackDelayMs >= 0 && c.ackDelayMs <= 10_000) || !rate(c.rejectRate) || !rate(c.silentRate) || c.rejectRate + c.silentRate > 1) {
    throw new Error(`TABLET_SIMULATOR_CONFIG is invalid: ${JSON.stringify(raw)}`);
  }
  for (const [m, b] of Object.entries(c.merchants)) if (!['ack', 'reject', 'silent'].includes(b)) throw new Error(`TABLET_SIMULATOR_CONFIG: merchant ${m} has unknown behaviour '${b}'`);
  return c;
}

export function behaviourFor(config: TabletConfig, merchantId: string, roll = Math.random()): Behaviour {
  if (config.merchants[merchantId]) return config.merchants[merchantId];
  if (roll < config.silentRate) return 'silent';
  if (roll < config.silentRate + config.rejectRate) return 'reject';
  return 'ack';
}

const config = parseTabletConfig(jsonEnv('TABLET_SIMULATOR_CONFIG', {}));

export const handler = createEventConsumer({
  'restaurant.order-sent-to-tablet': async ({ envelope }) => {
    const { orderId, merchantId } = envelope.data;
    const behaviour = behaviourFor(config, merchantId);
    await sleep(config.ackDelayMs);
    const correlation = causedBy(envelope);
    const outcome =
      behaviour === 'ack'
        ? await acknowledgeOrder({ orderId, merchantId, correlation })
        : behaviour === 'reject'
          ? await rejectOrder({ orderId, merchantId, correlation })
          : 'SILENT';
    logger.info('tablet answered', { orderId, merchantId, behaviour, outcome });
  },
});
