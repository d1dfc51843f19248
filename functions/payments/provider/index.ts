/**
 * The payment provider the payments service talks to: HTTP when PAYMENT_PROVIDER_URL is set, else the simulator.
 * Every call is bounded by PAYMENT_PROVIDER_TIMEOUT_MS (3 s): a hung provider fails the record, which is retried
 * with the same idempotency key, instead of holding the batch until the Lambda timeout.
 */
import { numberEnv } from '../../shared/env';
import { httpProvider } from './http';
import { simulatedProvider } from './simulated';
import { ProviderUnavailableError, type PaymentProvider } from './types';

export * from './types';
export { httpProvider } from './http';
export { simulatedProvider } from './simulated';

export function createPaymentProvider(): PaymentProvider {
  return process.env.PAYMENT_PROVIDER_URL ? httpProvider(process.env.PAYMENT_PROVIDER_URL) : simulatedProvider();
}

export async function withTimeout<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeoutMs = numberEnv('PAYMENT_PROVIDER_TIMEOUT_MS', 3000);
  try {
    return await call(AbortSignal.timeout(timeoutMs));
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new ProviderUnavailableError(`provider did not answer within ${timeoutMs} ms`);
    throw err;
  }
}
