/**
 * The retry policy every consumer applies (retry-policy.ts): which errors are transient or permanent, with the
 * errors the SDK, Powertools, the payment provider and the contract really throw, and the backoff's bounds.
 */
import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyKeyError,
  IdempotencyPersistenceLayerError,
} from '@aws-lambda-powertools/idempotency';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ProviderUnavailableError } from '../payments/provider/types';
import { ContractError, parseEvent } from './contracts/events';
import {
  BACKOFF,
  classifyError,
  MAX_RECEIVE_COUNT,
  maxRetryWindowSeconds,
  PermanentError,
  RetryLaterError,
  retryDelaySeconds,
} from './retry-policy';

const meta = { $metadata: {} };
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

describe('classifyError', () => {
  const transient: [string, unknown][] = [
    ['provider timeout or 5xx (ProviderUnavailableError)', new ProviderUnavailableError('payment provider answered 503')],
    ['DynamoDB ProvisionedThroughputExceeded', new ProvisionedThroughputExceededException({ message: 'slow down', ...meta })],
    ['DynamoDB TransactionConflict', new TransactionConflictException({ message: 'conflict', ...meta })],
    [
      'a transaction cancelled by a conflict',
      new TransactionCanceledException({
        message: 'cancelled',
        ...meta,
        CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
      }),
    ],
    [
      'throttling marked $retryable by the SDK',
      Object.assign(new Error('Rate exceeded'), { name: 'SomeThrottle', $retryable: { throttling: true } }),
    ],
    ['an HTTP 503 from any AWS service', Object.assign(new Error('unavailable'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } })],
    ['HTTP 429', Object.assign(new Error('too many'), { name: 'Whatever', $metadata: { httpStatusCode: 429 } })],
    [
      'a network error (fetch failed, ECONNRESET)',
      new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }),
    ],
    ['an abort (timeout signal)', Object.assign(new Error('aborted'), { name: 'TimeoutError' })],
    ['the same event still in progress elsewhere', new IdempotencyAlreadyInProgressError('in progress')],
    [
      'the idempotency store throttled',
      new IdempotencyPersistenceLayerError('failed', { cause: new ProvisionedThroughputExceededException({ message: 'x', ...meta }) }),
    ],
    ['a refund waiting for a PENDING charge (plain Error)', new Error('payment of order o-1 is still PENDING; retrying the refund later')],
  ];
  it.each(transient)('retries %s', (_, err) => expect(classifyError(err).kind).toBe('transient'));

  const permanent: [string, unknown][] = [
    [
      'a contract violation',
      thrown(() => parseEvent({ source: 'shopwave.orders', 'detail-type': 'order.created', detail: { metadata: {}, data: {} } })),
    ],
    ['an unknown detail-type', thrown(() => parseEvent({ source: 'shopwave.orders', 'detail-type': 'order.exploded', detail: {} }))],
    ['a missing handler', new ContractError("no handler for 'order.paid' in payments")],
    ['a validation failure (zod)', thrown(() => z.object({ n: z.number() }).parse({ n: 'x' }))],
    ['a validation failure (PermanentError)', new PermanentError('quantity must be positive')],
    ['a body that is not JSON', thrown(() => JSON.parse('{not json'))],
    ['an event without an event id', new IdempotencyKeyError('No data found to create a hashed idempotency key')],
    [
      'a request DynamoDB refuses (ValidationException)',
      Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
        name: 'ValidationException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
  ];
  it.each(permanent)('parks %s at once', (_, err) => expect(classifyError(err).kind).toBe('permanent'));

  it('treats an error it does not know as transient: retried with backoff, then parked, never dropped', () => {
    expect(classifyError(new RangeError('surprise'))).toEqual({ kind: 'transient', reason: 'unclassified RangeError' });
    expect(classifyError('a string')).toMatchObject({ kind: 'transient' });
    // A condition failure that escaped its handler is a bug, not a blip, but retrying it is harmless (idempotent).
    expect(
      classifyError(new TransactionCanceledException({ message: 'x', ...meta, CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] }))
        .reason,
    ).toMatch(/unclassified/);
  });
});

describe('retryDelaySeconds', () => {
  const transient = { kind: 'transient', reason: 'test' } as const;
  const randoms = Array.from({ length: 101 }, (_, i) => i / 100);

  it('backs off exponentially with jitter inside [nominal/2, nominal], in whole seconds', () => {
    for (let n = 1; n < MAX_RECEIVE_COUNT; n++) {
      const nominal = Math.min(BACKOFF.capSeconds, BACKOFF.baseSeconds * 2 ** (n - 1));
      const delays = randoms.map((r) => retryDelaySeconds(transient, n, { random: () => r }));
      for (const d of delays) {
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(Math.max(1, Math.round(nominal / 2)));
        expect(d).toBeLessThanOrEqual(nominal);
      }
      if (nominal >= 2) expect(new Set(delays).size).toBeGreaterThan(1); // jitter spreads retries apart
    }
    expect(retryDelaySeconds(transient, 1, { random: () => 0.99 })).toBe(1);
    expect(retryDelaySeconds(transient, 4, { random: () => 0 })).toBe(4);
    expect(retryDelaySeconds(transient, 4, { random: () => 0.999 })).toBe(8);
  });

  it('fits every retry within maxReceiveCount: seconds in all, far below the in-flight visibility timeout', () => {
    expect(maxRetryWindowSeconds()).toBe(15); // 1 + 2 + 4 + 8
    const worst = Array.from({ length: MAX_RECEIVE_COUNT - 1 }, (_, i) => retryDelaySeconds(transient, i + 1, { random: () => 0.999 }));
    expect(worst.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxRetryWindowSeconds());
    expect(Math.max(...worst)).toBeLessThanOrEqual(BACKOFF.capSeconds);
    expect(BACKOFF.capSeconds).toBeLessThan(6 * 10); // 6 × the shortest consumer timeout (10 s): a retry never outlasts an in-flight batch
  });

  it('makes the last receive and every permanent error visible at once, so SQS parks them in the DLQ', () => {
    expect(retryDelaySeconds(transient, MAX_RECEIVE_COUNT)).toBe(0);
    expect(retryDelaySeconds(transient, MAX_RECEIVE_COUNT + 3)).toBe(0);
    for (let n = 1; n <= MAX_RECEIVE_COUNT; n++) expect(retryDelaySeconds({ kind: 'permanent', reason: 'ContractError' }, n)).toBe(0);
  });

  it('brings a RetryLaterError back at its moment (the ack deadline), unscaled, beyond the backoff window, within SQS limits', () => {
    const later = classifyError(new RetryLaterError('ack deadline not reached yet', 119.2));
    expect(later).toMatchObject({ kind: 'transient', retryAfterSeconds: 119.2 });
    expect(retryDelaySeconds(later, 1, { timeScale: 1 / 60 })).toBe(120);
    expect(retryDelaySeconds({ ...later, retryAfterSeconds: 0.01 }, 2)).toBe(1);
    expect(retryDelaySeconds({ ...later, retryAfterSeconds: 10 ** 6 }, 2)).toBe(43_200);
    expect(retryDelaySeconds(later, MAX_RECEIVE_COUNT)).toBe(0); // still parked on the last receive, never dropped
  });

  it('scales with the offline runtime: a 1/60 clock retries at once, a 1/2 clock in half the time', () => {
    expect(retryDelaySeconds(transient, 3, { random: () => 0.999, timeScale: 1 / 60 })).toBe(0);
    expect(retryDelaySeconds(transient, 4, { random: () => 0.999, timeScale: 0.5 })).toBe(4);
  });
});
