import { CONSUMER_EVENTS } from '../../functions/payments/subscriptions';
import { PaymentReconciler } from '../constructs/payment-reconciler';
import { consumer, type ServiceContext } from './context';

/** How long one provider call may take before it is cut off and retried (the PaymentProviderLatency alarm's scale). */
export const PAYMENT_PROVIDER_TIMEOUT_MS = 3000;

/**
 * Payments (functions/payments/): charges reserved orders through the simulated provider (its ledger is the
 * provider's side) and refunds orders the restaurant rejected. Its business metrics (PaymentsCharged, ChargedAmount,
 * PaymentsRefunded, RefundedAmount) are in lib/constructs/business-metrics.ts with the rest of the order flow.
 * Its provider calls go through a circuit breaker whose state is an item of the payments table (breaker.ts), and
 * a reconciler compares the provider's ledger with payments and orders every minute (reconciler.ts).
 */
export function addPayments(ctx: ServiceContext) {
  const paymentsConsumer = consumer(ctx, 'PaymentsConsumer', {
    service: 'payments',
    entry: 'consumer',
    events: CONSUMER_EVENTS,
    environment: {
      PAYMENT_PROVIDER_TIMEOUT_MS: String(PAYMENT_PROVIDER_TIMEOUT_MS),
      PAYMENT_SIMULATOR_CONFIG: JSON.stringify(ctx.config.paymentSimulator),
      PAYMENT_BREAKER_FAILURES: String(ctx.config.paymentBreaker.failures),
      PAYMENT_BREAKER_COOLDOWN_MS: String(ctx.config.paymentBreaker.cooldownMs),
    },
  });
  paymentsConsumer.fn.bindTables(ctx.tables, {
    write: ['payments', 'providerLedger'],
    read: ['customers'],
    outbox: true,
    idempotency: true,
  });

  // Reads only: the ledger's time index, payment rows (and the breaker item), and the orders' outcome — a
  // read-only grant across the boundary on purpose (functions/payments/reconciler.ts says why).
  const reconciler = new PaymentReconciler(ctx.scope, 'PaymentReconciler', { config: ctx.config });
  reconciler.fn.bindTables(ctx.tables, { read: ['providerLedger', 'payments', 'orders'] });
  return { consumer: paymentsConsumer, reconciler };
}
