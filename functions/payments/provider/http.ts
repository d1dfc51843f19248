/**
 * A real provider over HTTP (PAYMENT_PROVIDER_URL), Stripe-like:
 *   POST <url>/charges {amount, customerId, paymentMethod} → 2xx {chargeId} | 402 {reason} (declined)
 *   POST <url>/refunds {chargeId, amount}                  → 2xx {refundId}
 * with the idempotency key in the `Idempotency-Key` header. 5xx, 429 and 409 (same key still in flight) are
 * transient; any other answer is a bug on one side and fails loudly.
 */
import * as z from 'zod';
import { ProviderUnavailableError, type ChargeResult, type PaymentProvider, type RefundResult } from './types';

const Charged = z.object({ chargeId: z.string().min(1).max(128) });
const Declined = z.object({ reason: z.string().max(200).optional() });
const Refunded = z.object({ refundId: z.string().min(1).max(128) });

export function httpProvider(baseUrl: string): PaymentProvider {
  const base = baseUrl.replace(/\/+$/, '');
  const post = async (path: string, idempotencyKey: string, body: unknown, signal?: AbortSignal) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
      signal,
    });
    if (res.status >= 500 || res.status === 429 || res.status === 409)
      throw new ProviderUnavailableError(`payment provider answered ${res.status}`);
    const json: unknown = await res.json().catch(() => undefined);
    return { status: res.status, json };
  };
  const fail = (path: string, status: number, json: unknown) =>
    new Error(`payment provider answered ${status} to ${path}: ${JSON.stringify(json)?.slice(0, 200)}`);

  return {
    async charge({ idempotencyKey, amount, customerId, paymentMethod }, signal): Promise<ChargeResult> {
      const { status, json } = await post('/charges', idempotencyKey, { amount, customerId, paymentMethod }, signal);
      if (status === 402) return { outcome: 'DECLINED', reason: Declined.safeParse(json).data?.reason ?? 'declined' };
      const ok = Charged.safeParse(json);
      if (status < 200 || status > 299 || !ok.success) throw fail('/charges', status, json);
      return { outcome: 'CHARGED', chargeId: ok.data.chargeId };
    },
    async refund({ idempotencyKey, chargeId, amount }, signal): Promise<RefundResult> {
      const { status, json } = await post('/refunds', idempotencyKey, { chargeId, amount }, signal);
      const ok = Refunded.safeParse(json);
      if (status < 200 || status > 299 || !ok.success) throw fail('/refunds', status, json);
      return { refundId: ok.data.refundId };
    },
  };
}
