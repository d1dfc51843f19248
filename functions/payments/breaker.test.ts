/**
 * The provider circuit breaker on DynamoDB Local: its state is one item every instance (every Lambda environment)
 * reads and moves with conditional writes. Each test uses its own breaker name and a clock of its own, so the
 * cool-down and the probe lease are stepped, not waited for.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let mod: typeof import('./breaker');

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'payments';
  mod = await import('./breaker');
});

const THRESHOLD = 3;
const COOLDOWN = 30_000;
const LEASE = 5_000;

/** `n` breakers over the same item: n Lambda environments, sharing nothing but the table (and a test clock). */
function environments(n: number) {
  const name = `provider-${randomUUID()}`;
  const clock = { now: 1_000_000 };
  const make = () =>
    new mod.CircuitBreaker({
      tableName: t.names.payments,
      name,
      failureThreshold: THRESHOLD,
      cooldownMs: COOLDOWN,
      probeLeaseMs: LEASE,
      now: () => clock.now,
    });
  return { clock, envs: Array.from({ length: n }, make) };
}

const down = () => Promise.reject(new Error('provider answered 503'));
const up = () => Promise.resolve('ok');
/** Runs a call and says what happened, without throwing: 'ok', 'failed' (the call ran and threw) or 'refused'. */
async function attempt(b: import('./breaker').CircuitBreaker, fn: () => Promise<unknown>): Promise<'ok' | 'failed' | 'refused'> {
  try {
    await b.call(fn);
    return 'ok';
  } catch (err) {
    return err instanceof mod.BreakerOpenError ? 'refused' : 'failed';
  }
}

describe('payment provider circuit breaker (state in DynamoDB)', () => {
  it('counts failures across environments and opens for all of them at the threshold', async () => {
    const { envs } = environments(2);
    const [a, b] = envs;
    expect(await attempt(a, down)).toBe('failed');
    expect(await attempt(b, down)).toBe('failed');
    expect((await a.read()).state).toBe('CLOSED'); // 2 < 3
    expect(await attempt(a, down)).toBe('failed'); // the third, in the other environment than the second
    expect(await b.read()).toMatchObject({ state: 'OPEN', openUntil: 1_000_000 + COOLDOWN });
    expect((await b.read()).reason).toMatch(/3 consecutive provider failures .*503/);

    // Open: neither environment calls the provider.
    let calls = 0;
    const counted = () => {
      calls++;
      return up();
    };
    expect(await attempt(a, counted)).toBe('refused');
    expect(await attempt(b, counted)).toBe('refused');
    expect(calls).toBe(0);
  });

  it('resets the count on a success anywhere: failures must be consecutive', async () => {
    const { envs } = environments(2);
    const [a, b] = envs;
    await attempt(a, down);
    await attempt(a, down);
    expect(await attempt(b, up)).toBe('ok');
    expect((await a.read()).consecutiveFailures).toBe(0);
    await attempt(a, down);
    await attempt(b, down);
    expect((await a.read()).state).toBe('CLOSED');
  });

  it('opens once when many environments cross the threshold together', async () => {
    const { envs } = environments(8);
    const results = await Promise.all(envs.map((e) => attempt(e, down)));
    // Every call was already admitted (closed) before any failure was counted: all ran, all failed.
    expect(results.every((r) => r === 'failed')).toBe(true);
    const item = await envs[0].read();
    expect(item.state).toBe('OPEN');
    expect(item.consecutiveFailures).toBe(0); // reset by the one transition; later failures were not counted
  });

  it('after the cool-down lets exactly one probe through at a time, however many environments ask', async () => {
    const { clock, envs } = environments(10);
    for (let i = 0; i < THRESHOLD; i++) await attempt(envs[0], down);
    expect(await attempt(envs[1], up)).toBe('refused'); // still cooling down
    clock.now += COOLDOWN;

    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowUp = async () => {
      calls++;
      await gate; // the probe is still in flight while everyone else asks
      return 'ok';
    };
    const pending = envs.map((e) => attempt(e, slowUp));
    // Wait until the probe is in flight and the others have been answered.
    const early = await Promise.race([
      Promise.all(pending.map((p) => p.then((r) => r))),
      new Promise((r) => setTimeout(r, 2000, 'timeout')),
    ]);
    expect(early).toBe('timeout'); // one call is held by the gate
    expect(calls).toBe(1);
    expect(await envs[0].read()).toMatchObject({ state: 'HALF_OPEN' });
    release();
    const results = await Promise.all(pending);
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === 'refused')).toHaveLength(9);
    // The probe succeeded: closed for everyone.
    expect(await envs[3].read()).toMatchObject({ state: 'CLOSED', consecutiveFailures: 0 });
    expect(await attempt(envs[7], up)).toBe('ok');
  });

  it('re-opens for a new cool-down when the probe fails', async () => {
    const { clock, envs } = environments(2);
    const [a, b] = envs;
    for (let i = 0; i < THRESHOLD; i++) await attempt(a, down);
    clock.now += COOLDOWN;
    expect(await attempt(b, down)).toBe('failed'); // b was the probe
    const item = await a.read();
    expect(item).toMatchObject({ state: 'OPEN', openUntil: clock.now + COOLDOWN });
    expect(item.reason).toMatch(/half-open probe failed/);
    expect(await attempt(a, up)).toBe('refused');
    clock.now += COOLDOWN;
    expect(await attempt(a, up)).toBe('ok'); // the next probe succeeds
    expect((await b.read()).state).toBe('CLOSED');
  });

  it('lets another environment probe when the probe holder died, and ignores the stale probe afterwards', async () => {
    const { clock, envs } = environments(2);
    const [a, b] = envs;
    for (let i = 0; i < THRESHOLD; i++) await attempt(a, down);
    clock.now += COOLDOWN;
    let settleStale!: () => void;
    // a's probe hangs past its lease (its environment froze or died).
    const stale = attempt(a, () => new Promise<string>((_, reject) => (settleStale = () => reject(new Error('late 503')))));
    await new Promise((r) => setTimeout(r, 200));
    expect(await attempt(b, up)).toBe('refused'); // the lease is still a's
    clock.now += LEASE;
    expect(await attempt(b, up)).toBe('ok'); // lease expired: b probes and closes it
    settleStale();
    expect(await stale).toBe('failed');
    // a's late failure carries a's old probe id: it must not re-open what b closed.
    expect(await a.read()).toMatchObject({ state: 'CLOSED' });
  });

  it('does not count failures of calls that were in flight when it opened', async () => {
    const { envs } = environments(2);
    const [a, b] = envs;
    for (let i = 0; i < THRESHOLD; i++) await attempt(a, down);
    const opened = await b.read();
    // A call admitted before the breaker opened fails afterwards: nothing changes (no count, no new open).
    await (b as unknown as { onFailure(p: object, e: unknown): Promise<void> }).onFailure({ failuresBefore: 0 }, new Error('late'));
    expect(await b.read()).toEqual(opened);
  });
});
