/** A real provider over HTTP (PAYMENT_PROVIDER_URL): JSON, with the idempotency key as a header. */
import { ProviderUnavailableError, type ChargeResult, type PaymentProvider, type RefundResult } from './types';

export function httpProvider(baseUrl: string): PaymentProvider {
  const post = async <T>(path: string, key: string, body: unknown, signal: AbortSignal): Promise<T> => {
    const res = await fetch(new URL(path, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
      signal,
    });
    if (res.status >= 500 || res.status === 429) throw new ProviderUnavailableError(`provider answered ${res.status}`);
    const json = (await res.json()) as T & { error?: string };
    if (res.status === 402) return { outcome: 'DECLINED', reason: json.error ?? 'declined' } as T;
    if (!res.ok) throw new Error(`provider rejected the request (${res.status}): ${json.error ?? ''}`);
    return json;
  };
  return {
    charge: (req, signal) => post<ChargeResult>('/charges', req.idempotencyKey, req, signal),
    refund: (req, signal) => post<RefundResult>('/refunds', req.idempotencyKey, req, signal),
  };
}
