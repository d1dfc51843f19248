/** The speeds of `-c speed=…` (lib/config.ts): zero has no deliberate delay, and an unknown speed fails synth. */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../lib/config';

const config = (context: Record<string, string>) => readConfig(new App({ context: { target: 'offline', ...context } }).node);

describe('speed', () => {
  it('zero: tablet, courier and provider answer at once, with fixed deadlines', () => {
    const c = config({ speed: 'zero', restaurantAckDeadlineSeconds: '300' });
    expect([c.tabletSimulator.ackDelayMs, c.courierSimulator.stepDelayMs, c.paymentSimulator.latencyMs]).toEqual([0, 0, 0]);
    expect([c.restaurantAckDeadlineSeconds, c.deliverySliSeconds]).toEqual([60, 30]);
    expect(config({ speed: 'demo' }).tabletSimulator.ackDelayMs).toBeGreaterThan(0);
  });

  it('an unknown speed names the known ones', () => {
    expect(() => config({ speed: 'warp' })).toThrow("context 'speed' must be one of demo, test, zero, got 'warp'");
  });
});
