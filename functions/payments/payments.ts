/**
 * Charges and refunds. The payment row is written PENDING before the provider is called, so a run that dies
 * between the provider's answer and our commit is re-run with the same provider idempotency key
 * (`charge-<orderId>`): the provider returns the first outcome and the customer is charged once. The outcome and
 * its event commit together, conditional on the row still being PENDING, so only one run ever emits it.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { causedBy, newEvent, type EventEnvelope } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import type { Money } from '../shared/money';
import { commitWithEvents, isConditionFailure, statusChange } from '../shared/outbox';
import { LOG_MESSAGES } from '../shared/log-messages';
import { logger, metrics, MetricUnit } from '../shared/powertools';
import { RetryLaterError } from '../shared/retry-policy';
import { BreakerOpenError, providerBreaker } from './breaker';
import { createPaymentProvider } from './provider';

export type PaymentStatus = 'PENDING' | 'CHARGED' | 'FAILED' | 'REFUNDED';
export interface Payment {
  orderId: string;
  paymentId: string;
  customerId: string;
  amount: Money;
  status: PaymentStatus;
  createdAt: string;
  /** The order's correlation id, so the payment reconciler can log a mismatch with it. */
  correlationId?: string;
  providerChargeId?: string;
  failureReason?: string;
  refundId?: string;
}

const table = () => requireEnv('PAYMENTS_TABLE_NAME');
const paymentKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'PAYMENT' });

export async function getPayment(orderId: string): Promise<Payment | undefined> {
  return (await ddb.send(new GetCommand({ TableName: table(), Key: paymentKey(orderId), ConsistentRead: true }))).Item as
    | Payment
    | undefined;
}

async function paymentMethodOf(customerId: string): Promise<string | undefined> {
  const res = await ddb.send(
    new GetCommand({
      TableName: requireEnv('CUSTOMERS_TABLE_NAME'),
      Key: { pk: `CUSTOMER#${customerId}`, sk: 'PROFILE' },
      ProjectionExpression: 'paymentMethod',
    }),
  );
  return res.Item?.paymentMethod as string | undefined;
}

/**
 * Every provider call goes through here, inside the shared circuit breaker (./breaker.ts), so errors (timeouts
 * included) are counted once. While the breaker is open the call is not made and BreakerOpenError (transient)
 * holds the order: its PENDING row stays, the record comes back and is charged with the same idempotency key once
 * the provider is back (docs/architecture.md, "Payment provider circuit breaker", says why held and not failed).
 */
async function provider<T>(call: (p: ReturnType<typeof createPaymentProvider>) => Promise<T>): Promise<T> {
  try {
    return await providerBreaker().call(() => timed(() => call(createPaymentProvider())));
  } catch (err) {
    if (err instanceof BreakerOpenError) {
      metrics.addMetric('PaymentsHeldByBreaker', MetricUnit.Count, 1);
      // The held record comes back when the cool-down ends (the next probe), not on the seconds-long backoff,
      // which would spend its receives while the breaker is still open.
      throw new RetryLaterError(err.message, err.retryAfterSeconds);
    }
    metrics.addMetric('PaymentProviderErrors', MetricUnit.Count, 1);
    throw err; // the record is retried with the same key; after maxReceiveCount it parks in the DLQ (alarmed)
  }
}

/**
 * PaymentProviderCallMs: how long each provider call took, answered or not (a timeout counts at the timeout), so
 * the latency alarm sees a slow provider even when every slow call ends as an error. Calls the breaker refused are
 * not provider calls and are not timed.
 */
async function timed<T>(fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    metrics.addMetric('PaymentProviderCallMs', MetricUnit.Milliseconds, Math.round(performance.now() - started));
  }
}

/** Creates the PENDING row; returns the existing status when a previous run already created it. */
async function startPayment(p: Payment): Promise<PaymentStatus | 'NEW'> {
  try {
    await ddb.send(
      new PutCommand({ TableName: table(), Item: { ...paymentKey(p.orderId), ...p }, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
    return 'NEW';
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    return (await getPayment(p.orderId))!.status;
  }
}

export async function charge(envelope: EventEnvelope<'inventory.reserved'>): Promise<'CHARGED' | 'DECLINED' | 'ALREADY_SETTLED'> {
  const { orderId, customerId, total } = envelope.data;
  const paymentId = `pay_${orderId}`;
  const started = await startPayment({
    orderId,
    paymentId,
    customerId,
    amount: total,
    status: 'PENDING',
    createdAt: new Date().toISOString(),
    correlationId: envelope.metadata.correlationId,
  });
  // PENDING: an earlier run died mid-way (or is running now); carrying on with the same key is safe.
  if (started !== 'NEW' && started !== 'PENDING') return 'ALREADY_SETTLED';

  // No payment method on file is a decline we can decide without asking the provider.
  const paymentMethod = await paymentMethodOf(customerId);
  const result = paymentMethod
    ? await provider((p) => p.charge({ idempotencyKey: `charge-${orderId}`, amount: total, customerId, paymentMethod, reference: orderId }))
    : ({ outcome: 'DECLINED', reason: 'no payment method on file' } as const);

  const at = new Date().toISOString();
  const key = paymentKey(orderId);
  try {
    if (result.outcome === 'CHARGED') {
      await commitWithEvents(
        [statusChange(table(), key, 'PENDING', 'CHARGED', { providerChargeId: result.chargeId, chargedAt: at })],
        [
          newEvent(
            'payment.processed',
            { orderId, customerId, paymentId, amount: total, providerChargeId: result.chargeId },
            causedBy(envelope),
          ),
        ],
      );
      metrics.addMetric('PaymentsCharged', MetricUnit.Count, 1);
      metrics.addMetric('ChargedAmount', MetricUnit.NoUnit, total.amount); // minor units
      // Read by CloudWatch Logs metric filters (lib/constructs/log-business-metrics.ts): keep message and fields stable.
      logger.info(LOG_MESSAGES.paymentCharged, { orderId, paymentId, amount: total.amount, currency: total.currency });
    } else {
      await commitWithEvents(
        [statusChange(table(), key, 'PENDING', 'FAILED', { failureReason: result.reason, failedAt: at })],
        [newEvent('payment.failed', { orderId, customerId, amount: total, reason: result.reason }, causedBy(envelope))],
      );
      metrics.addMetric('PaymentsDeclined', MetricUnit.Count, 1);
    }
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    return 'ALREADY_SETTLED'; // a concurrent run with the same provider outcome committed first
  }
  return result.outcome;
}

export async function refund(envelope: EventEnvelope<'restaurant.order-rejected'>): Promise<'REFUNDED' | 'NOTHING_TO_REFUND'> {
  const { orderId, customerId, reason } = envelope.data;
  const payment = await getPayment(orderId);
  if (payment?.status !== 'CHARGED') {
    // PENDING cannot be decided yet (a charge may still land): retry later rather than skip a refund.
    if (payment?.status === 'PENDING') throw new Error(`payment of order ${orderId} is still PENDING; retrying the refund later`);
    return 'NOTHING_TO_REFUND'; // never charged (absent, FAILED) or already REFUNDED
  }
  const result = await provider((p) =>
    p.refund({ idempotencyKey: `refund-${orderId}`, chargeId: payment.providerChargeId!, amount: payment.amount, reference: orderId }),
  );
  try {
    await commitWithEvents(
      [
        statusChange(table(), paymentKey(orderId), 'CHARGED', 'REFUNDED', {
          refundId: result.refundId,
          refundedAt: new Date().toISOString(),
          refundReason: reason,
        }),
      ],
      [
        newEvent(
          'payment.refunded',
          { orderId, customerId, paymentId: payment.paymentId, amount: payment.amount, reason },
          causedBy(envelope),
        ),
      ],
    );
  } catch (err) {
    if (isConditionFailure(err)) return 'NOTHING_TO_REFUND'; // a concurrent run refunded first (same refund id)
    throw err;
  }
  metrics.addMetric('PaymentsRefunded', MetricUnit.Count, 1);
  metrics.addMetric('RefundedAmount', MetricUnit.NoUnit, payment.amount.amount);
  return 'REFUNDED';
}
