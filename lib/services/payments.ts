import { CONSUMER_EVENTS } from '../../functions/payments/subscriptions';
import { consumer, type ServiceContext } from './context';

/**
 * Payments (functions/payments/): charges reserved orders through the simulated provider (its ledger is the
 * provider's side) and refunds orders the restaurant rejected. Its business metrics (PaymentsCharged, ChargedAmount,
 * PaymentsRefunded, RefundedAmount) are in lib/constructs/business-metrics.ts with the rest of the order flow.
 */
export function addPayments(ctx: ServiceContext) {
  const paymentsConsumer = consumer(ctx, 'PaymentsConsumer', {
    service: 'payments',
    entry: 'consumer',
    events: CONSUMER_EVENTS,
    environment: {
      PAYMENT_PROVIDER_TIMEOUT_MS: '3000',
      PAYMENT_SIMULATOR_CONFIG: JSON.stringify(ctx.config.paymentSimulator),
    },
  });
  paymentsConsumer.fn.bindTables(ctx.tables, {
    write: ['payments', 'providerLedger'],
    read: ['customers'],
    outbox: true,
    idempotency: true,
  });
  return { consumer: paymentsConsumer };
}
