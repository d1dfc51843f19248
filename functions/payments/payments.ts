/**
 * Charges and refunds. The payment row is written PENDING before the provider is called, so a crash between the
 * provider's answer and our commit is re-run with the same provider idempotency key (`charge-<orderId>`): the
 * provider returns the first outcome and the customer is charged once. Outcome and event commit together.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { causedBy, newEvent, type EventEnvelope } from '../shared/contracts/events';
import { requireEnv } from '../shared/env';
import { commitWithEvents, isConditionFailure, statusChange } from '../shared/outbox';
import { metrics, MetricUnit } from '../shared/powertools';
import { createPaymentProvider, withTimeout, type PaymentProvider } from './provider';

const table = () => requireEnv('PAYMENTS_TABLE_NAME');
const paymentKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'PAYMENT' });

// Chosen per call (it is cheap): configuration is read where it is used.
const getProvider = (): PaymentProvider => createPaymentProvider();

export async function getPayment(orderId: string): Promise<Record<string, any> | undefined> {
  return (await ddb.send(new GetCommand({ TableName: table(), Key: paymentKey(orderId), ConsistentRead: true }))).Item;
}

async function paymentMethodOf(customerId: string): Promise<string> {
  const res = await ddb.send(new GetCommand({ TableName: requireEnv('CUSTOMERS_TABLE_NAME'), Key: { pk: `CUSTOMER#${customerId}`, sk: 'PROFILE' } }));
  if (!res.Item?.paymentMethod) throw new Error(`customer ${customerId} has no payment method`);
  return res.Item.paymentMethod as string;
}

/** Moves PENDING → `status` (with the event it implies), once. */
const settle = (orderId: string, status: 'CHARGED' | 'FAILED', fields: Record<string, unknown>) =>
  statusChange(table(), paymentKey(orderId), 'PENDING', status, fields);

export async function charge(envelope: EventEnvelope<'inventory.reserved'>): Promise<string> {
  const { orderId, customerId, total } = envelope.data;
  const paymentId = `pay_${orderId}`;
  try {
    await ddb.send(
      new PutCommand({
        TableName: table(),
        Item: { ...paymentKey(orderId), orderId, paymentId, customerId, amount: total, status: 'PENDING', createdAt: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const existing = await getPayment(orderId);
    if (existing?.status !== 'PENDING') return existing?.status ?? 'UNKNOWN'; // already decided: nothing to do
  }

  const paymentMethod = await paymentMethodOf(customerId);
  const result = await withTimeout((signal) =>
    getProvider()
      .charge({ idempotencyKey: `charge-${orderId}`, amount: total, customerId, paymentMethod }, signal)
      .catch((err) => {
        metrics.addMetric('PaymentProviderErrors', MetricUnit.Count, 1);
        throw err;
      }),
  );
  const at = new Date().toISOString();
  try {
    if (result.outcome === 'CHARGED') {
      await commitWithEvents(
        [settle(orderId, 'CHARGED', { providerChargeId: result.chargeId, chargedAt: at })],
        [newEvent('payment.processed', { orderId, customerId, paymentId, amount: total, providerChargeId: result.chargeId }, causedBy(envelope))],
      );
      metrics.addMetric('PaymentsCharged', MetricUnit.Count, 1);
      metrics.addMetric('ChargedAmount', MetricUnit.NoUnit, total.amount);
    } else {
      await commitWithEvents(
        [settle(orderId, 'FAILED', { failureReason: result.reason, failedAt: at })],
        [newEvent('payment.failed', { orderId, customerId, amount: total, reason: result.reason }, causedBy(envelope))],
      );
      metrics.addMetric('PaymentsDeclined', MetricUnit.Count, 1);
    }
  } catch (err) {
    if (!isConditionFailure(err)) throw err; // a concurrent run settled it first
  }
  return result.outcome;
}

export async function refund(envelope: EventEnvelope<'restaurant.order-rejected'>): Promise<string> {
  const { orderId, customerId, reason } = envelope.data;
  const payment = await getPayment(orderId);
  if (!payment || payment.status === 'FAILED' || payment.status === 'REFUNDED') return 'NOTHING_TO_REFUND';
  if (payment.status === 'PENDING') throw new Error(`payment of ${orderId} is still pending; retrying the refund later`);
  const result = await withTimeout((signal) =>
    getProvider().refund({ idempotencyKey: `refund-${orderId}`, chargeId: payment.providerChargeId, amount: payment.amount }, signal),
  );
  try {
    await commitWithEvents(
      [
        statusChange(table(), paymentKey(orderId), 'CHARGED', 'REFUNDED', { refundId: result.refundId, refundedAt: new Date().toISOString() }),
      ],
      [newEvent('payment.refunded', { orderId, customerId, paymentId: payment.paymentId, amount: payment.amount, reason }, causedBy(envelope))],
    );
  } catch (err) {
    if (isConditionFailure(err)) return 'NOTHING_TO_REFUND';
    throw err;
  }
  metrics.addMetric('PaymentsRefunded', MetricUnit.Count, 1);
  metrics.addMetric('RefundedAmount', MetricUnit.NoUnit, payment.amount.amount);
  return 'REFUNDED';
}
