/**
 * tablet-simulator: plays the restaurant's tablet for restaurant.order-sent-to-tablet. After ackDelayMs it
 * acknowledges, rejects, or stays silent (so the ack deadline fires), through the same domain functions the
 * merchant API uses. TABLET_SIMULATOR_CONFIG: { ackDelayMs, rejectRate, silentRate, merchants: { id: behaviour } };
 * a per-merchant behaviour wins, otherwise the rates decide at random. A bad configuration fails at cold start,
 * not by quietly acknowledging everything.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { causedBy } from '../shared/contracts/events';
import { createEventConsumer } from '../shared/event-consumer';
import { jsonEnv } from '../shared/env';
import { logger } from '../shared/powertools';
import { acknowledgeOrder, rejectOrder } from '../restaurant/tablet';
import { boundedDelay } from './pace';
import { TABLET_EVENTS } from './subscriptions';

const Behaviour = z.enum(['ack', 'reject', 'silent']);
export type Behaviour = z.infer<typeof Behaviour>;
const Rate = z.number().min(0).max(1);

// Strict: a misspelt key ("rejectrate") is an error, not a silently ignored setting.
const TabletConfigSchema = z
  .strictObject({
    /** At most 20 s: well under the 30 s function timeout (and shortened further at run time if needed). */
    ackDelayMs: z.number().int().min(0).max(20_000).default(1000),
    rejectRate: Rate.default(0),
    silentRate: Rate.default(0),
    merchants: z.record(z.string().min(1), Behaviour).default({}),
  })
  .refine((c) => c.rejectRate + c.silentRate <= 1, { message: 'rejectRate + silentRate must be at most 1', path: ['rejectRate'] });
export type TabletConfig = z.infer<typeof TabletConfigSchema>;

export function parseTabletConfig(raw: unknown): TabletConfig {
  const parsed = TabletConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`TABLET_SIMULATOR_CONFIG is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export const tabletConfigFromEnv = () => parseTabletConfig(jsonEnv<unknown>('TABLET_SIMULATOR_CONFIG', {}));

/** `roll` in [0, 1): below silentRate → silent, then rejectRate → reject, else ack. */
export function behaviourFor(config: TabletConfig, merchantId: string, roll = Math.random()): Behaviour {
  const fixed = config.merchants[merchantId];
  if (fixed) return fixed;
  if (roll < config.silentRate) return 'silent';
  if (roll < config.silentRate + config.rejectRate) return 'reject';
  return 'ack';
}

const config = tabletConfigFromEnv();

export const handler = createEventConsumer(TABLET_EVENTS, {
  'restaurant.order-sent-to-tablet': async ({ envelope }, context) => {
    const { orderId, merchantId } = envelope.data;
    const behaviour = behaviourFor(config, merchantId);
    if (behaviour === 'silent') {
      logger.info('tablet stays silent: the ack deadline will decide', { orderId, merchantId });
      return;
    }
    await sleep(boundedDelay(config.ackDelayMs, context));
    const correlation = causedBy(envelope);
    const outcome =
      behaviour === 'ack'
        ? await acknowledgeOrder({ orderId, merchantId, correlation })
        : await rejectOrder({ orderId, merchantId, reason: 'kitchen cannot take the order (simulated tablet)', correlation });
    // The event only exists once the row does, for this merchant: anything else is a wiring bug worth a retry/DLQ.
    if (outcome === 'NOT_FOUND' || outcome === 'WRONG_MERCHANT')
      throw new Error(`tablet could not ${behaviour} order ${orderId}: ${outcome}`);
    // ALREADY_DECIDED: the deadline won, or this is a re-run. Either way the order's fate is settled.
    logger.info('tablet answered', { orderId, merchantId, behaviour, outcome });
  },
});
