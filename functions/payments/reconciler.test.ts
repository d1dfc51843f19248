/**
 * The payment reconciler on DynamoDB Local: ledger entries, payment rows and orders are planted as each service
 * writes them, and every kind of mismatch must be found — each on its own order, so one finding cannot hide another
 * — while a clean ledger reports zeros. `now` is passed in, so the grace and settle times are exact.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTables, type TestTables } from '../../test/support/tables';
import { LEDGER_BY_HOUR_INDEX } from '../../lib/constructs/data-tables';

let t: TestTables;
let rec: typeof import('./reconciler');

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'payments';
  process.env.LEDGER_BY_HOUR_INDEX = LEDGER_BY_HOUR_INDEX;
  rec = await import('./reconciler');
});

const OPTIONS = { windowMinutes: 60, graceSeconds: 60, settleSeconds: 600 };
const eur = (amount: number) => ({ amount, currency: 'EUR' });
/** Each test reconciles at its own instant, a day apart, so its window holds only its own entries. */
let day = 0;
const instant = () => new Date(Date.UTC(2026, 10, 1 + day++, 12, 30));
const ago = (now: Date, seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const put = (TableName: string, Item: Record<string, unknown>) => t.doc.send(new PutCommand({ TableName, Item }));

/** A ledger entry as the simulated provider writes it (functions/payments/provider/simulated.ts). */
function ledgerEntry(pk: string, at: string, kind: 'charge' | 'refund', orderId: string, amount = 1234) {
  const result =
    kind === 'charge' ? { outcome: 'CHARGED', chargeId: `ch_${randomUUID().slice(0, 8)}` } : { refundId: `re_${randomUUID().slice(0, 8)}` };
  return put(t.names.providerLedger, { pk, at, ledgerHour: at.slice(0, 13), kind, reference: orderId, amount: eur(amount), result });
}
const payment = (orderId: string, status: string, amount = 1234) =>
  put(t.names.payments, {
    pk: `ORDER#${orderId}`,
    sk: 'PAYMENT',
    orderId,
    paymentId: `pay_${orderId}`,
    customerId: 'c1',
    amount: eur(amount),
    status,
    createdAt: '2026-01-01T00:00:00.000Z',
    correlationId: `corr-${orderId}`,
  });
const order = (orderId: string, status: string, updatedAt: string, extra: Record<string, unknown> = {}) =>
  put(t.names.orders, {
    pk: `ORDER#${orderId}`,
    sk: 'ORDER',
    orderId,
    status,
    total: eur(1234),
    updatedAt,
    correlationId: `corr-${orderId}`,
    ...extra,
  });

/** A healthy delivered order: one charge, payment CHARGED, order DELIVERED. */
async function healthy(now: Date, orderId: string, chargedSecondsAgo = 900) {
  await ledgerEntry(`charge-${orderId}`, ago(now, chargedSecondsAgo), 'charge', orderId);
  await payment(orderId, 'CHARGED');
  await order(orderId, 'DELIVERED', ago(now, chargedSecondsAgo - 60));
}

const kinds = (r: Awaited<ReturnType<typeof rec.reconcilePayments>>) => r.mismatches.map((m) => `${m.kind} ${m.orderId}`).sort();

describe('payment reconciliation: ledger against payments and orders', () => {
  it('reports zeros for a clean ledger: charges, a refunded cancellation, a decline', async () => {
    const now = instant();
    const id = randomUUID();
    await healthy(now, `${id}-a`);
    await healthy(now, `${id}-b`, 120);
    // Rejected by the restaurant, refunded: charge, refund, payment REFUNDED, order CANCELLED.
    await ledgerEntry(`charge-${id}-c`, ago(now, 1500), 'charge', `${id}-c`);
    await ledgerEntry(`refund-${id}-c`, ago(now, 1100), 'refund', `${id}-c`);
    await payment(`${id}-c`, 'REFUNDED');
    await order(`${id}-c`, 'CANCELLED', ago(now, 1100), { restaurantRejected: true });
    // A decline moved no money: not a charge.
    await put(t.names.providerLedger, {
      pk: `charge-${id}-d`,
      at: ago(now, 300),
      ledgerHour: ago(now, 300).slice(0, 13),
      kind: 'charge',
      reference: `${id}-d`,
      amount: eur(1234),
      result: { outcome: 'DECLINED', reason: 'card declined' },
    });
    await payment(`${id}-d`, 'FAILED');
    await order(`${id}-d`, 'PAYMENT_FAILED', ago(now, 300));

    const r = await rec.reconcilePayments(now, OPTIONS);
    expect(r.mismatches).toEqual([]);
    expect(Object.values(r.counts)).toEqual([0, 0, 0, 0, 0]);
    expect(r.ledgerEntries).toBe(5);
    expect(r.orders).toBe(3);
  });

  it('finds a double charge: two successful charges for one order under different keys', async () => {
    const now = instant();
    const id = randomUUID();
    await healthy(now, id);
    await ledgerEntry(`charge-${id}-retry`, ago(now, 880), 'charge', id);
    const r = await rec.reconcilePayments(now, OPTIONS);
    expect(kinds(r)).toEqual([`DOUBLE_CHARGE ${id}`]);
    expect(r.mismatches[0]).toMatchObject({ correlationId: `corr-${id}`, ledgerKeys: [`charge-${id}`, `charge-${id}-retry`].sort() });
    expect(r.counts.DOUBLE_CHARGE).toBe(1);
  });

  it('finds charges without a payment row, with a FAILED row, and PENDING past the settle time — not PENDING within it', async () => {
    const now = instant();
    const id = randomUUID();
    await ledgerEntry(`charge-${id}-none`, ago(now, 300), 'charge', `${id}-none`);
    await order(`${id}-none`, 'RESERVED', ago(now, 300));
    await ledgerEntry(`charge-${id}-failed`, ago(now, 300), 'charge', `${id}-failed`);
    await payment(`${id}-failed`, 'FAILED');
    await order(`${id}-failed`, 'RESERVED', ago(now, 300));
    await ledgerEntry(`charge-${id}-stuck`, ago(now, 700), 'charge', `${id}-stuck`);
    await payment(`${id}-stuck`, 'PENDING');
    await order(`${id}-stuck`, 'RESERVED', ago(now, 700));
    // Response lost a moment ago: the retry will commit it (seed 002's scenario 7 must not page).
    await ledgerEntry(`charge-${id}-retrying`, ago(now, 120), 'charge', `${id}-retrying`);
    await payment(`${id}-retrying`, 'PENDING');
    await order(`${id}-retrying`, 'RESERVED', ago(now, 120));
    const r = await rec.reconcilePayments(now, OPTIONS);
    expect(kinds(r)).toEqual([
      `CHARGE_WITHOUT_PAYMENT ${id}-failed`,
      `CHARGE_WITHOUT_PAYMENT ${id}-none`,
      `CHARGE_WITHOUT_PAYMENT ${id}-stuck`,
    ]);
    expect(r.mismatches.find((m) => m.orderId === `${id}-none`)?.correlationId).toBe(`corr-${id}-none`); // from the order
  });

  it('finds a charge for an order that does not exist', async () => {
    const now = instant();
    const id = randomUUID();
    await ledgerEntry(`charge-${id}`, ago(now, 300), 'charge', id);
    await payment(id, 'CHARGED');
    const r = await rec.reconcilePayments(now, OPTIONS);
    expect(kinds(r)).toEqual([`CHARGE_WITHOUT_ORDER ${id}`]);
    expect(r.mismatches[0].correlationId).toBe(`corr-${id}`); // from the payment row
  });

  it('finds missing refunds once the settle time has passed: cancelled, rejected by the restaurant, row says REFUNDED', async () => {
    const now = instant();
    const id = randomUUID();
    for (const [suffix, status, extra, paymentStatus] of [
      ['cancelled', 'CANCELLED', {}, 'CHARGED'],
      ['rejected', 'CHARGED', { restaurantRejected: true }, 'CHARGED'],
      ['payment-failed', 'PAYMENT_FAILED', {}, 'CHARGED'],
      ['row-refunded', 'DELIVERED', {}, 'REFUNDED'],
    ] as const) {
      await ledgerEntry(`charge-${id}-${suffix}`, ago(now, 1800), 'charge', `${id}-${suffix}`);
      await payment(`${id}-${suffix}`, paymentStatus);
      await order(`${id}-${suffix}`, status, ago(now, 1200), extra);
    }
    // Rejected only a minute ago: the refund may still be on its way (retries), not a mismatch yet.
    await ledgerEntry(`charge-${id}-recent`, ago(now, 1800), 'charge', `${id}-recent`);
    await payment(`${id}-recent`, 'CHARGED');
    await order(`${id}-recent`, 'CHARGED', ago(now, 60), { restaurantRejected: true });
    // Refunded long after its charge, the refund outside the window's order of reading: still found by key.
    await ledgerEntry(`charge-${id}-ok`, ago(now, 1800), 'charge', `${id}-ok`);
    await ledgerEntry(`refund-${id}-ok`, ago(now, 30), 'refund', `${id}-ok`); // younger than the grace: not in the window
    await payment(`${id}-ok`, 'REFUNDED');
    await order(`${id}-ok`, 'CANCELLED', ago(now, 1200));
    const r = await rec.reconcilePayments(now, OPTIONS);
    expect(kinds(r)).toEqual(['cancelled', 'payment-failed', 'rejected', 'row-refunded'].map((s) => `MISSING_REFUND ${id}-${s}`));
    expect(r.counts.MISSING_REFUND).toBe(4);
  });

  it('finds amounts that differ: charge against payment, payment against order, refund against charge', async () => {
    const now = instant();
    const id = randomUUID();
    await ledgerEntry(`charge-${id}-a`, ago(now, 900), 'charge', `${id}-a`, 1300);
    await payment(`${id}-a`, 'CHARGED', 1234);
    await order(`${id}-a`, 'DELIVERED', ago(now, 800));
    await ledgerEntry(`charge-${id}-b`, ago(now, 900), 'charge', `${id}-b`, 999);
    await payment(`${id}-b`, 'CHARGED', 999);
    await order(`${id}-b`, 'DELIVERED', ago(now, 800)); // total 1234
    await ledgerEntry(`charge-${id}-c`, ago(now, 900), 'charge', `${id}-c`);
    await ledgerEntry(`refund-${id}-c`, ago(now, 800), 'refund', `${id}-c`, 234);
    await payment(`${id}-c`, 'REFUNDED');
    await order(`${id}-c`, 'CANCELLED', ago(now, 800));
    const r = await rec.reconcilePayments(now, OPTIONS);
    expect(kinds(r)).toEqual([`AMOUNT_MISMATCH ${id}-a`, `AMOUNT_MISMATCH ${id}-b`, `AMOUNT_MISMATCH ${id}-c`]);
    expect(r.mismatches.find((m) => m.orderId === `${id}-c`)?.detail).toBe('refund 234 EUR, charge 1234 EUR');
  });

  it('reads only its window, across an hour boundary, page by page', async () => {
    const now = new Date(Date.UTC(2026, 11, 20, 10, 10)); // the window spans 09:10 → 10:09
    const id = randomUUID();
    // 1,200 clean charges in the earlier hour (more than one page of the index) and one double charge in each hour.
    await Promise.all(
      Array.from({ length: 1200 }, (_, i) =>
        put(t.names.providerLedger, {
          pk: `charge-${id}-${i}`,
          at: ago(now, 1800 + i),
          ledgerHour: ago(now, 1800 + i).slice(0, 13),
          kind: 'charge',
          reference: `${id}-bulk`,
          amount: eur(1),
          result: { outcome: 'CHARGED', chargeId: `ch_${i}` },
        }),
      ),
    );
    await healthy(now, `${id}-late`, 300); // 10:05
    await ledgerEntry(`charge-${id}-late-2`, ago(now, 290), 'charge', `${id}-late`);
    // Outside the window: older than an hour, and younger than the grace.
    await ledgerEntry(`charge-${id}-old`, ago(now, 3700), 'charge', `${id}-old`);
    await ledgerEntry(`charge-${id}-new`, ago(now, 10), 'charge', `${id}-new`);
    const r = await rec.reconcilePayments(now, OPTIONS);
    expect(r.ledgerEntries).toBe(1202);
    expect(r.truncated).toBe(false);
    expect(r.counts.DOUBLE_CHARGE).toBe(2); // the 1,200 share one order id: one double charge; and `late`
    expect(r.mismatches.map((m) => m.orderId)).not.toContain(`${id}-old`);
    expect(r.mismatches.map((m) => m.orderId)).not.toContain(`${id}-new`);
  });
});
