/**
 * The `message` of the structured log lines that CloudWatch Logs metric filters count
 * (lib/constructs/log-business-metrics.ts): one list, imported by the handlers that write them and by the filters
 * that match them, so a renamed message cannot silently stop a metric. Changing one changes a metric's history.
 */
export const LOG_MESSAGES = {
  /** functions/orders/api.ts, once per accepted order (with OrdersPlaced): orderId, merchantId, amount, currency. */
  orderPlaced: 'order placed',
  /** functions/payments/payments.ts, once per charge (with PaymentsCharged): orderId, paymentId, amount, currency. */
  paymentCharged: 'payment charged',
  /** functions/orders/saga-consumer.ts, once per status transition (with its Orders<Status> metric): orderId, status. */
  orderStatusChanged: 'order status changed',
} as const;
