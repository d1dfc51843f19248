import type { Money } from '../../shared/money';

export interface ChargeRequest {
  /** Same key → same outcome, never a second charge (the provider's contract, as with Stripe's Idempotency-Key). */
  idempotencyKey: string;
  amount: Money;
  customerId: string;
  paymentMethod: string;
  /** Our order id, kept by the provider with the charge (Stripe's `metadata`): reconciliation groups by it. */
  reference?: string;
}
export interface RefundRequest {
  idempotencyKey: string;
  chargeId: string;
  amount: Money;
  reference?: string;
}
/** A decline is an answer, not an error: the card said no, and asking again with the same key says no again. */
export type ChargeResult = { outcome: 'CHARGED'; chargeId: string } | { outcome: 'DECLINED'; reason: string };
export interface RefundResult {
  refundId: string;
}

/** `signal` aborts the call; `createPaymentProvider` supplies one that fires at PAYMENT_PROVIDER_TIMEOUT_MS. */
export interface PaymentProvider {
  charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult>;
  refund(request: RefundRequest, signal?: AbortSignal): Promise<RefundResult>;
}

/** A transient provider problem (timeout, 5xx, throttling): the caller retries with the same idempotency key. */
export class ProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderUnavailableError';
  }
}
