/**
 * The load profiles' pure parts (bench/hops.ts, tools/game-day/load.ts's ramp): hops read from an order's history,
 * their percentiles, the throughput steps and their stop rule, and the dinner rush's shape.
 */
import { describe, expect, it } from 'vitest';
import {
  dominantHop,
  hopDurations,
  hopTable,
  highestSustained,
  judgeStep,
  rushPhase,
  throughputSteps,
  type StepOutcome,
} from '../bench/hops';
import { rampSchedule, rushShare } from '../tools/game-day/load';

const t0 = Date.parse('2026-12-01T21:00:00.000Z');
const iso = (ms: number) => new Date(t0 + ms).toISOString();
/** A history as GET /orders/{id} returns it, from ms offsets of each status. */
const history = (offsets: Record<string, number>) => Object.entries(offsets).map(([status, ms]) => ({ status, at: iso(ms) }));

describe('hops from history', () => {
  it('measures each consecutive hop and the spans, and leaves out what is missing or out of order', () => {
    const d = hopDurations(
      history({ PLACED: 0, RESERVED: 40, CHARGED: 100, RECEIVED_BY_RESTAURANT: 350, OUT_FOR_DELIVERY: 420, DELIVERED: 900 }),
    );
    expect(d).toEqual({
      'placed → reserved': 40,
      'reserved → charged': 60,
      'charged → received by restaurant': 250,
      'received → out for delivery': 70,
      'out for delivery → delivered': 480,
      'placed → received by restaurant': 350,
      'placed → delivered': 900,
    });
    // Rejected at inventory: only the statuses it has; a side milestone changes nothing; a later end before its start is dropped.
    expect(hopDurations(history({ PLACED: 0, RESERVED: 30, STOCK_RELEASED: 5, REJECTED: 50 }))).toEqual({ 'placed → reserved': 30 });
    expect(hopDurations(history({ PLACED: 100, RESERVED: 50 }))).toEqual({});
  });

  it('tabulates percentiles per hop over orders and names the hop that dominates', () => {
    const histories = Array.from({ length: 100 }, (_, i) =>
      history({
        PLACED: 0,
        RESERVED: 10 + i,
        CHARGED: 20 + i,
        RECEIVED_BY_RESTAURANT: 520 + i,
        OUT_FOR_DELIVERY: 530 + i,
        DELIVERED: 540 + i,
      }),
    );
    const rows = hopTable(histories);
    const reserved = rows.find((r) => r.hop === 'placed → reserved')!;
    expect(reserved).toEqual({ hop: 'placed → reserved', orders: 100, p50Ms: 60, p95Ms: 104, p99Ms: 108, maxMs: 109 });
    expect(rows.find((r) => r.hop === 'reserved → charged')).toMatchObject({ p50Ms: 10, p99Ms: 10 });
    expect(dominantHop(rows)).toEqual({ hop: 'charged → received by restaurant', p50Ms: 500, share: 0.85 });
    expect(hopTable([]).every((r) => r.orders === 0 && r.p99Ms === null)).toBe(true);
  });
});

describe('throughput steps', () => {
  const ok: StepOutcome = {
    perSecond: 5,
    sent: 100,
    accepted: 100,
    statuses: { 202: 100 },
    unfinished: 0,
    failed: 0,
    placedToReceivedP99Ms: 800,
  };

  it('bounds every step in time and count', () => {
    expect(throughputSteps([1, 5, 50], 20, 500)).toEqual([
      { perSecond: 1, seconds: 20, orders: 20 },
      { perSecond: 5, seconds: 20, orders: 100 },
      { perSecond: 50, seconds: 20, orders: 500 },
    ]);
    expect(() => throughputSteps([0], 20, 10)).toThrow(RangeError);
    expect(() => throughputSteps([1], 0, 10)).toThrow(RangeError);
  });

  it('stops at a p99 over the limit, a refused POST, an unfinished or failed order', () => {
    expect(judgeStep(ok)).toEqual({ sustained: true, reasons: [] });
    expect(judgeStep({ ...ok, placedToReceivedP99Ms: 2001 }).reasons).toEqual(['placed → received p99 2001 ms > 2000 ms']);
    expect(judgeStep({ ...ok, accepted: 90, statuses: { 202: 90, 429: 10 } }).reasons).toEqual(['10 of 100 POSTs not accepted (10× 429)']);
    expect(judgeStep({ ...ok, unfinished: 1 }).sustained).toBe(false);
    expect(judgeStep({ ...ok, failed: 2 }).reasons).toEqual(['2 orders ended otherwise than DELIVERED']);
    expect(judgeStep({ ...ok, placedToReceivedP99Ms: null }).sustained).toBe(false);
    const sustained = { sustained: true, reasons: [] };
    const not = { sustained: false, reasons: ['x'] };
    expect(
      highestSustained([
        { perSecond: 1, verdict: sustained },
        { perSecond: 5, verdict: sustained },
        { perSecond: 10, verdict: not },
        { perSecond: 20, verdict: sustained },
      ]),
    ).toBe(5);
    expect(highestSustained([{ perSecond: 1, verdict: not }])).toBeNull();
  });
});

describe('dinner-rush shape', () => {
  const rush = {
    kind: 'ramp',
    multiple: 10,
    rampMetricMinutes: 1,
    holdMetricMinutes: 2,
    rampDownMetricMinutes: 1,
    withNormal: true,
  } as const;

  it('ramps up, holds the peak and ramps down to nothing', () => {
    expect([0, 0.5, 1, 2.9, 3.5, 4, 5].map((t) => rushShare(rush, t))).toEqual([0, 0.5, 1, 1, 0.5, 0, 0]);
    expect([0.5, 1.5, 3.5].map((t) => rushPhase(rush, t))).toEqual(['ramp up', 'peak', 'ramp down']);
  });

  it('sends the whole rate with withNormal: normal throughout, ten times it at the peak', () => {
    // 60 a minute normal: 240 over 4 minutes, plus 540 a minute of rush × (0.5 + 2 + 0.5) minutes = 1620.
    const at = rampSchedule(rush, 60, 60_000);
    expect(at.length).toBeGreaterThanOrEqual(1859);
    expect(at.length).toBeLessThanOrEqual(1860);
    const perMinute = (m: number) => at.filter((t) => t >= m * 60_000 && t < (m + 1) * 60_000).length;
    expect(perMinute(1)).toBe(600);
    expect(perMinute(2)).toBe(600);
    expect(perMinute(0)).toBeGreaterThan(320);
    expect(perMinute(0)).toBeLessThan(340);
    expect(Math.max(...at)).toBeLessThanOrEqual(240_000);
    // Without withNormal (a game day, whose steady traffic sends the normal): only the part above it.
    expect(rampSchedule({ ...rush, withNormal: false }, 60, 60_000).length).toBe(1620);
    // A throughput step: a fixed rate is a ramp of multiple 1, and sends exactly rate × seconds.
    const step = { kind: 'ramp', multiple: 1, rampMetricMinutes: 0, holdMetricMinutes: 15 / 60, withNormal: true } as const;
    expect(rampSchedule(step, 60, 60_000)).toHaveLength(15);
    expect(rampSchedule(step, 7 * 60, 60_000)).toHaveLength(105);
    expect(rampSchedule({ ...step, holdMetricMinutes: 4 / 60 }, 50 * 60, 60_000)).toHaveLength(200);
  });
});
