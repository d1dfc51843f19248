/**
 * provider-latency, provider-errors, provider-lost-response (seeds 002 and 003): the payment provider is slow on
 * every Nth call, fails, or charges and loses the answer. Applied by functions/payments/provider/index.ts's wrapper,
 * inside its timeout, so the timeout, the retries with the same idempotency key and the alarms are the real ones.
 */
import { faultsOf } from './config';

export interface ProviderFaultHooks {
  /** A ProviderUnavailableError-like error the payments code treats as transient. */
  unavailable(message: string): Error;
}

/** Counts calls per execution environment, as "every third call" counts on one Lambda environment. */
let calls = 0;
export function resetProviderFaultCounter(): void {
  calls = 0;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/** Runs one provider call under the provider faults that are on. */
export async function withProviderFaults<T>(
  call: () => Promise<T>,
  signal: AbortSignal | undefined,
  hooks: ProviderFaultHooks,
  random: () => number = Math.random,
): Promise<T> {
  const latency = faultsOf('provider-latency');
  const errors = faultsOf('provider-errors');
  const lost = faultsOf('provider-lost-response');
  if (!latency.length && !errors.length && !lost.length) return call();
  const n = ++calls;
  const slow = (phase: 'before' | 'after') => latency.filter((f) => f.phase === phase && n % f.everyNth === 0);
  for (const f of slow('before')) await sleep(f.delayMs, signal);
  if (errors.some((f) => random() < f.share)) throw hooks.unavailable('payment provider error (game-day fault provider-errors)');
  const result = await call();
  // The call has been processed; a late answer past the caller's timeout is aborted here, its effect stays.
  for (const f of slow('after')) await sleep(f.delayMs, signal);
  if (lost.some((f) => n % f.everyNth === 0))
    throw hooks.unavailable('payment provider answer lost after the call (game-day fault provider-lost-response)');
  return result;
}
