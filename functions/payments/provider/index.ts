/**
 * The payment provider the payments service talks to: HTTP when PAYMENT_PROVIDER_URL is set, else the simulator.
 * Either one is wrapped with a timeout of PAYMENT_PROVIDER_TIMEOUT_MS (3 s): a hung provider fails the record,
 * which is retried with the same idempotency key, instead of holding the batch until the Lambda timeout.
 */
import { numberEnv } from '../../shared/env';
import { withProviderFaults } from '../../shared/faults';
import { httpProvider } from './http';
import { simulatedProvider } from './simulated';
import { ProviderUnavailableError, type PaymentProvider } from './types';

export * from './types';
export { httpProvider } from './http';
export { simulatedProvider } from './simulated';

/** Reads its configuration on every call, so a change of environment (or a test) takes effect at once. */
export function createPaymentProvider(): PaymentProvider {
  const url = process.env.PAYMENT_PROVIDER_URL;
  return withTimeout(withGameDayFaults(url ? httpProvider(url) : simulatedProvider()), numberEnv('PAYMENT_PROVIDER_TIMEOUT_MS', 3000));
}

/**
 * The hook for the provider's game-day faults (functions/shared/faults/provider.ts: provider-latency every Nth
 * call, provider-errors, provider-lost-response). Inside the timeout, so a slow answer is cut off as a real one is.
 */
export function withGameDayFaults(provider: PaymentProvider): PaymentProvider {
  const hooks = { unavailable: (message: string) => new ProviderUnavailableError(message) };
  return {
    charge: (request, signal) => withProviderFaults(() => provider.charge(request, signal), signal, hooks),
    refund: (request, signal) => withProviderFaults(() => provider.refund(request, signal), signal, hooks),
  };
}

/** Bounds every call with AbortSignal.timeout; an abort becomes ProviderUnavailableError (transient, retry). */
export function withTimeout(provider: PaymentProvider, timeoutMs: number): PaymentProvider {
  const bounded = async <T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await call(AbortSignal.timeout(timeoutMs));
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new ProviderUnavailableError(`payment provider did not answer within ${timeoutMs} ms`, { cause: err });
      throw err;
    }
  };
  return {
    charge: (request) => bounded((signal) => provider.charge(request, signal)),
    refund: (request) => bounded((signal) => provider.refund(request, signal)),
  };
}
