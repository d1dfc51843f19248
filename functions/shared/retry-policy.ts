/**
 * How a consumer retries a record it could not process (the shared consumer, event-consumer.ts, applies it to
 * every consumer; lib/constructs/event-consumer.ts builds the queues from the same MAX_RECEIVE_COUNT).
 *
 * - Transient errors (a provider timeout or 5xx, throttling, a DynamoDB transaction conflict, a network error, an
 *   event another environment is still processing) come back after an exponential backoff with jitter, set on the
 *   failed record with ChangeMessageVisibility: receive n waits min(cap, base × 2^(n-1)) scaled into [½, 1]
 *   ("equal jitter"), 1, 2, 4, 8 s nominal for receives 1 to 4, so the four retries maxReceiveCount allows span
 *   8–15 s. The queue's visibility timeout (6 × the function timeout) still covers records in flight.
 * - The last receive, and any permanent error (a contract violation, a validation failure, a missing handler),
 *   becomes visible again at once (visibility 0): SQS itself moves it to the DLQ once its receive count passes
 *   maxReceiveCount, within seconds, with its body, attributes and message id intact (the DLQ alarm sees it, and
 *   a redrive, the console's or scripts/redrive.ts, puts it back unchanged).
 * - Anything not recognised is treated as transient: retried with backoff, then parked. Never dropped.
 * - A record that can only succeed after a known moment throws RetryLaterError: it comes back at that moment.
 */

/** Receives before SQS parks a message in the consumer's DLQ (the queue's RedrivePolicy). */
export const MAX_RECEIVE_COUNT = 5;

export const BACKOFF = {
  /** Nominal wait after the first failed receive. */
  baseSeconds: 1,
  /** No single wait is longer (well below the 6 × function timeout visibility of records in flight). */
  capSeconds: 16,
} as const;

/** A failure that no retry can mend: the record is parked in the DLQ at once. Throw it for validation failures. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Not yet: a record that can only succeed after a known moment (the restaurant ack deadline). It comes back then,
 * not on the backoff schedule, so a wait longer than the retry window does not park it.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

export type ErrorClass = { kind: 'transient' | 'permanent'; reason: string; retryAfterSeconds?: number };

/** SQS's longest visibility timeout (12 h). */
const MAX_VISIBILITY_SECONDS = 43_200;

/** Our own and Powertools' errors that say the record itself is wrong; SDK ValidationException is a bad request. */
const PERMANENT_NAMES = new Set([
  'ContractError',
  'PermanentError',
  'ZodError',
  'SyntaxError',
  'IdempotencyKeyError',
  'ValidationException',
]);
/** Throttling, capacity and conflicts (AWS error names), the provider's own transient error, and aborts. */
const TRANSIENT_NAMES = new Set([
  'ProviderUnavailableError',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  'IdempotencyAlreadyInProgressError',
  'IdempotencyPersistenceLayerError',
]);
/** DynamoDB cancellation reasons worth another try; ConditionalCheckFailed is an answer, not a blip. */
const TRANSIENT_CANCELLATIONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface ErrorLike {
  name?: string;
  code?: string;
  cause?: unknown;
  $retryable?: unknown;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  CancellationReasons?: { Code?: string }[];
}

/** Transient or permanent, and why: the error, then its causes (a wrapped SDK error decides for its wrapper). */
export function classifyError(err: unknown): ErrorClass {
  for (
    let e = err as ErrorLike | undefined, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = e.cause as ErrorLike | undefined, depth++
  ) {
    const name = e.name ?? '';
    if (e instanceof RetryLaterError) return { kind: 'transient', reason: name, retryAfterSeconds: e.retryAfterSeconds };
    if (PERMANENT_NAMES.has(name)) return { kind: 'permanent', reason: name };
    if (TRANSIENT_NAMES.has(name)) return { kind: 'transient', reason: name };
    // The SDK marks what it would retry itself (throttling, transient 5xx, clock skew) with $retryable.
    if (e.$retryable) return { kind: 'transient', reason: `${name} ($retryable)` };
    const status = e.$metadata?.httpStatusCode;
    if (status !== undefined && (status >= 500 || status === 429)) return { kind: 'transient', reason: `${name} (HTTP ${status})` };
    if (name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => TRANSIENT_CANCELLATIONS.has(r.Code ?? ''))) {
      return { kind: 'transient', reason: `${name} (${(e.CancellationReasons ?? []).map((r) => r.Code).join(',')})` };
    }
    if (e.code && NETWORK_CODES.has(e.code)) return { kind: 'transient', reason: e.code };
  }
  return { kind: 'transient', reason: `unclassified ${(err as ErrorLike | undefined)?.name ?? typeof err}` };
}

/**
 * Seconds until a failed record is received again. `receiveCount` is the record's ApproximateReceiveCount (1 on
 * the first delivery); `timeScale` shrinks the waits offline (the runtime's timeScale, for tests), 1 elsewhere.
 * 0 makes it visible at once: for a permanent error, and for the last receive, which SQS then moves to the DLQ.
 */
export function retryDelaySeconds(
  error: ErrorClass,
  receiveCount: number,
  options: { random?: () => number; timeScale?: number; maxReceiveCount?: number } = {},
): number {
  const { random = Math.random, timeScale = 1, maxReceiveCount = MAX_RECEIVE_COUNT } = options;
  if (error.kind === 'permanent' || receiveCount >= maxReceiveCount) return 0;
  // A known moment is real time (the ack deadline is a delivery delay, which offline does not scale either).
  if (error.retryAfterSeconds !== undefined) return Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(error.retryAfterSeconds)));
  const nominal = Math.min(BACKOFF.capSeconds, BACKOFF.baseSeconds * 2 ** (Math.max(1, receiveCount) - 1));
  const jittered = nominal / 2 + random() * (nominal / 2);
  // ChangeMessageVisibility takes whole seconds; unscaled, a retry never comes back in under a second.
  return timeScale === 1 ? Math.max(1, Math.round(jittered)) : Math.max(0, Math.round(jittered * timeScale));
}

/** The longest time retries can take before the last receive parks a transient failure (nominal, unscaled). */
export function maxRetryWindowSeconds(maxReceiveCount = MAX_RECEIVE_COUNT): number {
  let total = 0;
  for (let n = 1; n < maxReceiveCount; n++) total += Math.min(BACKOFF.capSeconds, BACKOFF.baseSeconds * 2 ** (n - 1));
  return total;
}
