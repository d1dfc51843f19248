/**
 * The circuit breaker around the payment provider (seed 002, Black Friday: "circuit breaker state must be shared,
 * not in memory"). Its state is one item of the payments table, so every Lambda environment sees the same breaker,
 * and every transition is a conditional write, so concurrent environments agree on who moved it:
 *
 *   CLOSED ── N consecutive failures ──▶ OPEN ── cool-down over, one caller wins the probe lease ──▶ HALF_OPEN
 *     ▲                                   ▲                                                           │
 *     └────────── the probe succeeds ─────┼───────────────────────────────────────────────────────────┤
 *                                         └─────────── the probe fails (or its lease runs out: retaken) ┘
 *
 * Consecutive failures rather than a failure rate over a window: one atomic counter (ADD) needs no time buckets,
 * a success anywhere resets it, and a provider that answers most calls (seed 003's gremlin, one slow call in three)
 * never trips it — that is a latency problem the retries absorb, not an outage. A rate would also trip on a
 * handful of calls at night; N in a row across all environments is only reached when the provider is really down.
 *
 * While OPEN no call is made: `call` throws BreakerOpenError (transient) at once. HALF_OPEN admits exactly one
 * call at a time — the holder of the probe lease, a conditional write that only one environment can win; the lease
 * expires, so a probe whose environment died is retaken by the next caller instead of wedging the breaker.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { ddb } from '../shared/aws-clients';
import { numberEnv, requireEnv } from '../shared/env';
import { isConditionFailure } from '../shared/outbox';
import { logger, metrics, MetricUnit } from '../shared/powertools';
import { ProviderUnavailableError } from './provider/types';

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface BreakerItem {
  state: BreakerState;
  consecutiveFailures: number;
  /** Epoch ms; OPEN until then, then a probe may be tried. */
  openUntil?: number;
  /** The probe lease of HALF_OPEN: its holder and until when (epoch ms). */
  probeId?: string;
  probeLeaseUntil?: number;
  /** Why it last changed state, and when (ISO). */
  reason?: string;
  changedAt?: string;
}

export interface BreakerOptions {
  tableName: string;
  /** Which breaker (one per dependency); the item is `BREAKER#<name>`/`STATE`. */
  name: string;
  failureThreshold: number;
  cooldownMs: number;
  /** How long a probe may hold HALF_OPEN before another caller may take over (longer than one provider call). */
  probeLeaseMs: number;
  now?: () => number;
}

/** The breaker refused the call: nothing was sent to the provider. Transient: the record comes back later. */
export class BreakerOpenError extends ProviderUnavailableError {
  /** When a call may be tried again (the cool-down's end): the hint for a retry-later policy. */
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = 'BreakerOpenError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Lets a caller through, as an ordinary call (`probe: undefined`) or as the one half-open probe. */
interface Permit {
  probeId?: string;
  /** The consecutive-failure count seen before the call: a success only writes when it has something to reset. */
  failuresBefore: number;
}

export class CircuitBreaker {
  private readonly key: { pk: string; sk: string };
  private readonly now: () => number;

  constructor(private readonly o: BreakerOptions) {
    this.key = { pk: `BREAKER#${o.name}`, sk: 'STATE' };
    this.now = o.now ?? Date.now;
  }

  async read(): Promise<BreakerItem> {
    const res = await ddb.send(new GetCommand({ TableName: this.o.tableName, Key: this.key, ConsistentRead: true }));
    return (res.Item as BreakerItem | undefined) ?? { state: 'CLOSED', consecutiveFailures: 0 };
  }

  /** Runs `fn` if the breaker lets it, and records its outcome; throws BreakerOpenError without calling it otherwise. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    const permit = await this.admit();
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      await this.onFailure(permit, err);
      throw err;
    }
    await this.onSuccess(permit);
    return result;
  }

  /** Decides whether a call may go: closed → yes; open past its cool-down or an expired probe → try to take the lease. */
  async admit(): Promise<Permit> {
    const item = await this.read();
    const now = this.now();
    if (item.state === 'CLOSED') {
      gauge(0);
      return { failuresBefore: item.consecutiveFailures ?? 0 };
    }
    const probeDue = item.state === 'OPEN' ? (item.openUntil ?? 0) <= now : (item.probeLeaseUntil ?? 0) <= now;
    if (probeDue) {
      const probeId = randomUUID();
      if (await this.takeProbeLease(probeId, now)) return { probeId, failuresBefore: item.consecutiveFailures ?? 0 };
    }
    gauge(1);
    const retryAt = item.state === 'OPEN' ? (item.openUntil ?? now) : (item.probeLeaseUntil ?? now);
    throw new BreakerOpenError(
      `payment provider circuit breaker is ${item.state}: call not made`,
      Math.max(1, Math.ceil((retryAt - now) / 1000)),
    );
  }

  /** OPEN (cool-down over) or HALF_OPEN (lease expired) → HALF_OPEN with this caller's lease; only one caller wins. */
  private async takeProbeLease(probeId: string, now: number): Promise<boolean> {
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: this.o.tableName,
          Key: this.key,
          UpdateExpression: 'SET #s = :half, probeId = :id, probeLeaseUntil = :lease, changedAt = :at, reason = :why',
          ConditionExpression: '(#s = :open AND openUntil <= :now) OR (#s = :half AND probeLeaseUntil <= :now)',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: {
            ':half': 'HALF_OPEN',
            ':open': 'OPEN',
            ':id': probeId,
            ':lease': now + this.o.probeLeaseMs,
            ':now': now,
            ':at': new Date(now).toISOString(),
            ':why': 'cool-down over: one probe call',
          },
        }),
      );
      logger.info('payment breaker transition', { breaker: this.o.name, to: 'HALF_OPEN', reason: 'cool-down over: one probe call' });
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false; // another environment took the probe first
      throw err;
    }
  }

  private async onSuccess(permit: Permit): Promise<void> {
    if (permit.probeId) {
      // Only the lease holder closes it; a probe whose lease was retaken by someone else leaves it to them.
      if (await this.transition('CLOSED', 'the half-open probe succeeded', '#s = :half AND probeId = :id', permit.probeId)) gauge(0);
      return;
    }
    if (permit.failuresBefore === 0) return; // nothing to reset: no write on the hot path
    await this.update('SET consecutiveFailures = :zero', '#s = :closed', { ':zero': 0, ':closed': 'CLOSED' });
  }

  private async onFailure(permit: Permit, err: unknown): Promise<void> {
    const cause = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (permit.probeId) {
      if (await this.transition('OPEN', `the half-open probe failed (${cause})`, '#s = :half AND probeId = :id', permit.probeId)) gauge(1);
      return;
    }
    // Count only while CLOSED: failures of calls that were in flight when it opened change nothing.
    let failures: number;
    try {
      const res = await ddb.send(
        new UpdateCommand({
          TableName: this.o.tableName,
          Key: this.key,
          UpdateExpression: 'SET #s = if_not_exists(#s, :closed) ADD consecutiveFailures :one',
          ConditionExpression: 'attribute_not_exists(#s) OR #s = :closed',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':closed': 'CLOSED', ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      failures = Number(res.Attributes?.consecutiveFailures ?? 0);
    } catch (e) {
      if (isConditionFailure(e)) return;
      throw e;
    }
    if (failures < this.o.failureThreshold) return;
    // Many environments may see the threshold at once; the condition lets exactly one of them open it (and log it).
    const reason = `${failures} consecutive provider failures (threshold ${this.o.failureThreshold}); last: ${cause}`;
    if (await this.transition('OPEN', reason, '#s = :closed AND consecutiveFailures >= :n')) gauge(1);
  }

  /** Moves to CLOSED or OPEN under `condition`; true if this caller made the move. */
  private async transition(to: 'CLOSED' | 'OPEN', reason: string, condition: string, probeId?: string): Promise<boolean> {
    const now = this.now();
    const values: Record<string, unknown> = {
      ':to': to,
      ':why': reason.slice(0, 500),
      ':at': new Date(now).toISOString(),
      ':zero': 0,
      ...(condition.includes(':half') ? { ':half': 'HALF_OPEN' } : {}),
      ...(condition.includes(':closed') ? { ':closed': 'CLOSED' } : {}),
      ...(condition.includes(':n') ? { ':n': this.o.failureThreshold } : {}),
      ...(probeId ? { ':id': probeId } : {}),
    };
    const set =
      to === 'OPEN'
        ? 'SET #s = :to, openUntil = :until, reason = :why, changedAt = :at, consecutiveFailures = :zero REMOVE probeId, probeLeaseUntil'
        : 'SET #s = :to, reason = :why, changedAt = :at, consecutiveFailures = :zero REMOVE probeId, probeLeaseUntil, openUntil';
    if (to === 'OPEN') values[':until'] = now + this.o.cooldownMs;
    const moved = await this.update(set, condition, values);
    if (moved) {
      const log = to === 'OPEN' ? logger.warn.bind(logger) : logger.info.bind(logger);
      log('payment breaker transition', { breaker: this.o.name, to, reason, ...(to === 'OPEN' ? { cooldownMs: this.o.cooldownMs } : {}) });
    }
    return moved;
  }

  private async update(expression: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: this.o.tableName,
          Key: this.key,
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}

/** PaymentBreakerOpen: 1 while calls are refused, 0 while they go through (Maximum per minute is the alarm's). */
function gauge(open: 0 | 1): void {
  metrics.addMetric('PaymentBreakerOpen', MetricUnit.Count, open);
}

/** The payments service's breaker around its provider, configured by the stack (lib/services/payments.ts). */
export function providerBreaker(): CircuitBreaker {
  return new CircuitBreaker({
    tableName: requireEnv('PAYMENTS_TABLE_NAME'),
    name: 'payment-provider',
    failureThreshold: numberEnv('PAYMENT_BREAKER_FAILURES', 5),
    cooldownMs: numberEnv('PAYMENT_BREAKER_COOLDOWN_MS', 30_000),
    // One provider call is bounded by its timeout; the lease outlives it so a live probe is never overtaken.
    probeLeaseMs: numberEnv('PAYMENT_PROVIDER_TIMEOUT_MS', 3000) + 2000,
  });
}
