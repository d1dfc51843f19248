/**
 * Payment reconciler (seed 002, double charges): every minute, compares what the provider says it did (its
 * ledger) with what we recorded (payments) and how the order ended (orders), and reports every mismatch:
 *
 * - DOUBLE_CHARGE: more than one successful charge for one order;
 * - CHARGE_WITHOUT_PAYMENT: a charge whose payment row is missing, FAILED, or still PENDING after the settle time;
 * - CHARGE_WITHOUT_ORDER: a charge for an order that does not exist;
 * - MISSING_REFUND: a charge, no refund, and the order ended undelivered (cancelled, payment failed, rejected, or
 *   rejected by the restaurant) — or our row says REFUNDED — longer than the settle time ago;
 * - AMOUNT_MISMATCH: charge, payment, order total and refund do not all carry the same amount.
 *
 * Scale: it reads the ledger's time index (`byHour`: hour bucket, then time) for a window of the last
 * PAYMENT_RECONCILE_WINDOW_MINUTES, paginated and capped per run, then batch-gets only the rows of the orders it
 * found; nothing is scanned. Entries younger than PAYMENT_RECONCILE_GRACE_SECONDS are left for the next run (their
 * payment may be committing right now). A mismatch is reported on every run while its charge is in the window, so
 * the count is a gauge (Maximum) and the alarm stays in ALARM until it is fixed or ages out of the window.
 *
 * Boundary: payments owns the ledger and payments tables; the order's outcome is the orders service's. The
 * reconciler reads the orders table (a read-only grant, key lookups only) rather than payments' own view of the
 * order, because its job is to catch exactly the cases where payments never heard of the outcome (a lost
 * `restaurant.order-rejected`, a refund stuck in a DLQ): payments' copy would be blind to those.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { BatchGetCommand, type BatchGetCommandOutput, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { ddb } from '../shared/aws-clients';
import { numberEnv, requireEnv } from '../shared/env';
import type { Money } from '../shared/money';
import { publishGauges } from '../shared/gauges';
import { logger, metrics, tracing } from '../shared/powertools';
import { providerBreaker } from './breaker';
import type { Payment } from './payments';
import { ledgerHour } from './provider/simulated';

export const MISMATCH_KINDS = [
  'DOUBLE_CHARGE',
  'CHARGE_WITHOUT_PAYMENT',
  'CHARGE_WITHOUT_ORDER',
  'MISSING_REFUND',
  'AMOUNT_MISMATCH',
] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

/** The metric each kind is counted under (plus the total, PaymentMismatches). */
export const MISMATCH_METRICS: Record<MismatchKind, string> = {
  DOUBLE_CHARGE: 'DoubleCharges',
  CHARGE_WITHOUT_PAYMENT: 'ChargesWithoutPayment',
  CHARGE_WITHOUT_ORDER: 'ChargesWithoutOrder',
  MISSING_REFUND: 'MissingRefunds',
  AMOUNT_MISMATCH: 'PaymentAmountMismatches',
};

/** Bounds one run's reads; a bigger window is still reconciled in part, and the run says it was truncated. */
export const MAX_LEDGER_ENTRIES_PER_RUN = 10_000;

/** Orders that ended without being delivered: money taken for them must have gone back. */
const UNDELIVERED_ENDS = new Set(['CANCELLED', 'PAYMENT_FAILED', 'REJECTED']);

export interface Mismatch {
  kind: MismatchKind;
  orderId: string;
  correlationId?: string;
  detail: string;
  ledgerKeys: string[];
}

export interface PaymentReconcileResult {
  mismatches: Mismatch[];
  counts: Record<MismatchKind, number>;
  ledgerEntries: number;
  orders: number;
  truncated: boolean;
}

export interface ReconcileOptions {
  windowMinutes: number;
  graceSeconds: number;
  /** How long the saga may take to settle money (retries included) before a PENDING row or missing refund counts. */
  settleSeconds: number;
}

interface LedgerEntry {
  pk: string;
  at: string;
  kind?: 'charge' | 'refund';
  reference?: string;
  amount?: Money;
  result: { outcome?: string; chargeId?: string; refundId?: string };
}

interface OrderRow {
  orderId: string;
  status: string;
  total?: Money;
  correlationId?: string;
  updatedAt?: string;
  restaurantRejected?: boolean;
}

const env = () => ({
  ledger: requireEnv('PROVIDER_LEDGER_TABLE_NAME'),
  payments: requireEnv('PAYMENTS_TABLE_NAME'),
  orders: requireEnv('ORDERS_TABLE_NAME'),
  index: requireEnv('LEDGER_BY_HOUR_INDEX'),
});

export function optionsFromEnv(): ReconcileOptions {
  return {
    windowMinutes: numberEnv('PAYMENT_RECONCILE_WINDOW_MINUTES', 60),
    graceSeconds: numberEnv('PAYMENT_RECONCILE_GRACE_SECONDS', 60),
    settleSeconds: numberEnv('PAYMENT_RECONCILE_SETTLE_SECONDS', 600),
  };
}

/** Entries created in [from, to], hour bucket by hour bucket, paginated, at most `limit`. */
async function ledgerWindow(from: Date, to: Date, limit: number): Promise<{ entries: LedgerEntry[]; truncated: boolean }> {
  const { ledger, index } = env();
  const entries: LedgerEntry[] = [];
  const hourMs = 3600_000;
  // Every hour bucket the window touches: windowMinutes / 60 + 1 of them (two for the default hour).
  for (let h = Math.floor(from.getTime() / hourMs) * hourMs; h <= to.getTime(); h += hourMs) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await ddb.send(
        new QueryCommand({
          TableName: ledger,
          IndexName: index,
          KeyConditionExpression: 'ledgerHour = :h AND #at BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':h': ledgerHour(new Date(h).toISOString()), ':from': from.toISOString(), ':to': to.toISOString() },
          ExclusiveStartKey,
          Limit: Math.min(1000, limit - entries.length),
        }),
      );
      entries.push(...((page.Items ?? []) as LedgerEntry[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
      if (entries.length >= limit) return { entries, truncated: ExclusiveStartKey !== undefined || h + hourMs <= to.getTime() };
    } while (ExclusiveStartKey);
  }
  return { entries, truncated: false };
}

/** BatchGet in chunks of 100, retrying unprocessed keys a bounded number of times (then failing the run loudly). */
async function batchGet<T>(table: string, keys: Record<string, string>[], projection?: { expr: string; names: Record<string, string> }) {
  const out: T[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
    for (let attempt = 0; pending?.length; attempt++) {
      if (attempt === 5) throw new Error(`BatchGet on ${table}: keys still unprocessed after 5 attempts`);
      if (attempt) await sleep(50 * 2 ** attempt);
      const res: BatchGetCommandOutput = await ddb.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: pending,
              ConsistentRead: true,
              ...(projection ? { ProjectionExpression: projection.expr, ExpressionAttributeNames: projection.names } : {}),
            },
          },
        }),
      );
      out.push(...((res.Responses?.[table] ?? []) as T[]));
      pending = res.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return out;
}

/** The order an entry is about: the reference the provider kept, else the order id in our idempotency key. */
function classify(e: LedgerEntry): { kind: 'charge' | 'refund'; orderId: string } | undefined {
  const kind = e.kind ?? (e.pk.startsWith('charge-') ? 'charge' : e.pk.startsWith('refund-') ? 'refund' : undefined);
  if (!kind) return undefined;
  const orderId = e.reference ?? e.pk.slice(kind.length + 1);
  return orderId ? { kind, orderId } : undefined;
}

const sameMoney = (a?: Money, b?: Money) => a !== undefined && b !== undefined && a.amount === b.amount && a.currency === b.currency;
const fmt = (m?: Money) => (m ? `${m.amount} ${m.currency}` : 'unknown');

export async function reconcilePayments(now = new Date(), options: ReconcileOptions = optionsFromEnv()): Promise<PaymentReconcileResult> {
  const tables = env();
  const from = new Date(now.getTime() - options.windowMinutes * 60_000);
  const to = new Date(now.getTime() - options.graceSeconds * 1000);
  const settledBefore = now.getTime() - options.settleSeconds * 1000;
  const { entries, truncated } = await ledgerWindow(from, to, MAX_LEDGER_ENTRIES_PER_RUN);

  const byOrder = new Map<string, { charges: LedgerEntry[]; refunds: LedgerEntry[] }>();
  for (const e of entries) {
    const c = classify(e);
    if (!c) continue;
    if (c.kind === 'charge' && e.result?.outcome !== 'CHARGED') continue; // a decline moved no money
    const slot = byOrder.get(c.orderId) ?? { charges: [], refunds: [] };
    (c.kind === 'charge' ? slot.charges : slot.refunds).push(e);
    byOrder.set(c.orderId, slot);
  }
  // Only orders with a charge in the window are reconciled; a refund alone belongs to a charge already checked.
  const orderIds = [...byOrder].filter(([, s]) => s.charges.length > 0).map(([id]) => id);
  const [payments, orders, refunds] = await Promise.all([
    batchGet<Payment & { pk: string }>(
      tables.payments,
      orderIds.map((id) => ({ pk: `ORDER#${id}`, sk: 'PAYMENT' })),
    ),
    batchGet<OrderRow>(
      tables.orders,
      orderIds.map((id) => ({ pk: `ORDER#${id}`, sk: 'ORDER' })),
      {
        expr: 'orderId, #s, #t, correlationId, updatedAt, restaurantRejected',
        names: { '#s': 'status', '#t': 'total' }, // both reserved words
      },
    ),
    // The refund may be outside the window (it comes after the ack deadline): look it up by its key.
    batchGet<LedgerEntry>(
      tables.ledger,
      orderIds.filter((id) => byOrder.get(id)!.refunds.length === 0).map((id) => ({ pk: `refund-${id}` })),
    ),
  ]);
  const paymentOf = new Map(payments.map((p) => [p.orderId, p]));
  const orderOf = new Map(orders.map((o) => [o.orderId, o]));
  for (const r of refunds) {
    const c = classify(r);
    if (c) byOrder.get(c.orderId)?.refunds.push(r);
  }

  const mismatches: Mismatch[] = [];
  for (const orderId of orderIds) {
    const { charges, refunds: refundEntries } = byOrder.get(orderId)!;
    const payment = paymentOf.get(orderId);
    const order = orderOf.get(orderId);
    const correlationId = order?.correlationId ?? payment?.correlationId;
    const report = (kind: MismatchKind, detail: string, keys = charges.map((c) => c.pk)) =>
      mismatches.push({ kind, orderId, correlationId, detail, ledgerKeys: keys });
    const charge = charges[0];
    const chargedAt = Date.parse(charge.at);

    if (charges.length > 1) {
      report(
        'DOUBLE_CHARGE',
        `${charges.length} successful charges (${charges.map((c) => `${c.result.chargeId} ${fmt(c.amount)}`).join(', ')})`,
      );
    }
    if (!payment) report('CHARGE_WITHOUT_PAYMENT', 'the provider charged, no payment row');
    else if (payment.status === 'FAILED') report('CHARGE_WITHOUT_PAYMENT', `the provider charged, the payment row says FAILED`);
    else if (payment.status === 'PENDING' && chargedAt < settledBefore)
      report('CHARGE_WITHOUT_PAYMENT', `the provider charged at ${charge.at}, the payment row is still PENDING`);
    if (!order) report('CHARGE_WITHOUT_ORDER', 'the provider charged for an order that does not exist');

    for (const c of charges) {
      if (c.amount && payment && !sameMoney(c.amount, payment.amount))
        report('AMOUNT_MISMATCH', `charge ${fmt(c.amount)}, payment row ${fmt(payment.amount)}`, [c.pk]);
    }
    if (payment && order?.total && !sameMoney(payment.amount, order.total))
      report('AMOUNT_MISMATCH', `payment row ${fmt(payment.amount)}, order total ${fmt(order.total)}`);
    for (const r of refundEntries) {
      if (r.amount && charge.amount && !sameMoney(r.amount, charge.amount))
        report('AMOUNT_MISMATCH', `refund ${fmt(r.amount)}, charge ${fmt(charge.amount)}`, [r.pk]);
    }

    const endedUndelivered = order !== undefined && (UNDELIVERED_ENDS.has(order.status) || order.restaurantRejected === true);
    const refundExpected = endedUndelivered || payment?.status === 'REFUNDED';
    const endedAt = Date.parse(order?.updatedAt ?? payment?.createdAt ?? charge.at);
    if (refundExpected && refundEntries.length === 0 && endedAt < settledBefore) {
      const why = endedUndelivered ? `the order ended ${order!.restaurantRejected ? 'rejected by the restaurant' : order!.status}` : '';
      report('MISSING_REFUND', `${why || 'the payment row says REFUNDED'} at ${order?.updatedAt ?? '?'}, no refund at the provider`);
    }
  }

  const counts = Object.fromEntries(MISMATCH_KINDS.map((k) => [k, mismatches.filter((m) => m.kind === k).length])) as Record<
    MismatchKind,
    number
  >;
  return { mismatches, counts, ledgerEntries: entries.length, orders: orderIds.length, truncated };
}

export const handler = middy(async () => {
  const result = await reconcilePayments();
  for (const m of result.mismatches) {
    logger.error('payment mismatch', { ...m });
  }
  // Every run, zeros included, so the alarm always has data and returns to OK by itself.
  // The breaker's gauge also comes from here, once a minute, so it has data when no order is being charged.
  const breaker = await providerBreaker().read();
  // PutMetricData, not EMF: the path that reaches CloudWatch on every target, LocalStack included (shared/gauges.ts).
  await publishGauges({
    PaymentMismatches: { value: result.mismatches.length, unit: 'Count' },
    ...Object.fromEntries(MISMATCH_KINDS.map((kind) => [MISMATCH_METRICS[kind], { value: result.counts[kind], unit: 'Count' as const }])),
    LedgerEntriesReconciled: { value: result.ledgerEntries, unit: 'Count' },
    PaymentBreakerOpen: { value: breaker.state === 'CLOSED' ? 0 : 1, unit: 'Count' },
  });
  if (result.truncated)
    logger.warn('payment reconciliation truncated: more ledger entries than one run reads', { read: result.ledgerEntries });
  logger.info('payment reconciliation done', {
    mismatches: result.mismatches.length,
    counts: result.counts,
    ledgerEntries: result.ledgerEntries,
    orders: result.orders,
    breaker: breaker.state,
  });
  return {
    mismatches: result.mismatches.length,
    // The first ones, for whoever invoked it by hand (the runbook's `lambda invoke`); the logs have them all.
    found: result.mismatches.slice(0, 20).map(({ kind, orderId, correlationId }) => ({ kind, orderId, correlationId })),
    counts: result.counts,
    ledgerEntries: result.ledgerEntries,
    orders: result.orders,
    truncated: result.truncated,
    breaker: breaker.state,
  };
})
  .use(tracing())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
