/**
 * The provider's side of the money, for one game day's orders: the provider ledger (functions/payments/provider/
 * simulated.ts, one entry per idempotency key) against our payment rows. "Charges = delivered value + refunds"
 * (./impact.ts) reads only our rows, which say CHARGED once however often the provider charged; this is the check
 * that sees a double charge, a charge we have no record of, and whether retries came back with the same key.
 * The reconciler (functions/payments/reconciler.ts) checks the same in production, every minute, with an alarm.
 */

export interface LedgerRow {
  /** The idempotency key the call was made with. */
  pk: string;
  kind?: 'charge' | 'refund';
  /** Our order id. */
  reference?: string;
  result: { outcome?: string; chargeId?: string; refundId?: string };
  /** How many times the key came back after the first call (answered from the provider's idempotency record). */
  replays?: number;
}

export interface LedgerPaymentRow {
  orderId: string;
  status: string;
  providerChargeId?: string;
}

export interface LedgerCheck {
  /** Orders of the run with a successful charge at the provider, and those successful charge entries. */
  ordersCharged: number;
  charges: number;
  /** Orders the provider charged more than once (under different keys: the same key cannot charge twice). */
  doubleCharged: string[];
  /** Orders the provider charged whose payment row is not CHARGED/REFUNDED with that charge id. */
  chargeNotRecorded: string[];
  /** Payment rows CHARGED/REFUNDED without a successful charge at the provider. */
  paymentWithoutCharge: string[];
  /** Orders the provider refunded more than once. */
  doubleRefunded: string[];
  /** Entries whose key is not the order's (`charge-<orderId>`, `refund-<orderId>`): a retry that made up a new key. */
  foreignKeys: string[];
  /** Orders whose key came back to the provider, and the replays in all: the retries, seen from the provider. */
  ordersReplayed: number;
  replays: number;
  /** Those orders: their customers waited for a retry. */
  replayedIds: string[];
  /** Nothing above is wrong: exactly one charge per charged order, recorded by us, under the order's key. */
  matches: boolean;
}

export function checkLedger(input: { ledger: LedgerRow[]; payments: LedgerPaymentRow[]; orderIds: Set<string> }): LedgerCheck {
  const entries = input.ledger.filter((e) => e.reference && input.orderIds.has(e.reference));
  const payments = new Map(input.payments.filter((p) => input.orderIds.has(p.orderId)).map((p) => [p.orderId, p]));
  const group = (pred: (e: LedgerRow) => boolean) => {
    const by = new Map<string, LedgerRow[]>();
    for (const e of entries.filter(pred)) by.set(e.reference!, [...(by.get(e.reference!) ?? []), e]);
    return by;
  };
  const charges = group((e) => e.kind === 'charge' && e.result.outcome === 'CHARGED');
  const refunds = group((e) => e.kind === 'refund');
  const settled = (p: LedgerPaymentRow | undefined) => p?.status === 'CHARGED' || p?.status === 'REFUNDED';
  const doubleCharged = [...charges].filter(([, es]) => es.length > 1).map(([id]) => id);
  const chargeNotRecorded = [...charges]
    .filter(([id, es]) => {
      const p = payments.get(id);
      return !settled(p) || !es.some((e) => e.result.chargeId === p!.providerChargeId);
    })
    .map(([id]) => id);
  const paymentWithoutCharge = [...payments.values()].filter((p) => settled(p) && !charges.has(p.orderId)).map((p) => p.orderId);
  const doubleRefunded = [...refunds].filter(([, es]) => es.length > 1).map(([id]) => id);
  const foreignKeys = entries.filter((e) => e.pk !== `${e.kind}-${e.reference}`).map((e) => e.pk);
  const replayed = entries.filter((e) => (e.replays ?? 0) > 0);
  const sorted = (xs: string[]) => [...xs].sort();
  const check = {
    ordersCharged: charges.size,
    charges: [...charges.values()].reduce((n, es) => n + es.length, 0),
    doubleCharged: sorted(doubleCharged),
    chargeNotRecorded: sorted(chargeNotRecorded),
    paymentWithoutCharge: sorted(paymentWithoutCharge),
    doubleRefunded: sorted(doubleRefunded),
    foreignKeys: sorted(foreignKeys),
    ordersReplayed: new Set(replayed.map((e) => e.reference)).size,
    replayedIds: sorted([...new Set(replayed.map((e) => e.reference!))]),
    replays: replayed.reduce((n, e) => n + (e.replays ?? 0), 0),
  };
  return {
    ...check,
    matches: [check.doubleCharged, check.chargeNotRecorded, check.paymentWithoutCharge, check.doubleRefunded, check.foreignKeys].every(
      (xs) => xs.length === 0,
    ),
  };
}

/** One line for the report. */
export function describeLedger(l: LedgerCheck): string {
  const wrong = [
    l.doubleCharged.length && `double charged: ${l.doubleCharged.join(', ')}`,
    l.chargeNotRecorded.length && `charged without our record: ${l.chargeNotRecorded.join(', ')}`,
    l.paymentWithoutCharge.length && `recorded as charged, no charge at the provider: ${l.paymentWithoutCharge.join(', ')}`,
    l.doubleRefunded.length && `refunded twice: ${l.doubleRefunded.join(', ')}`,
    l.foreignKeys.length && `keys not the order's: ${l.foreignKeys.join(', ')}`,
  ].filter(Boolean);
  return `${l.charges} charge(s) for ${l.ordersCharged} order(s) → ${l.matches ? 'exactly one per order, each recorded by payments' : `**MISMATCH** (${wrong.join('; ')})`}; retries the provider answered from its idempotency record (same key): ${l.replays} for ${l.ordersReplayed} order(s)`;
}
