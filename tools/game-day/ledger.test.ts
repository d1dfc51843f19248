/** The provider-ledger check of a game day: each way the provider and our payments can disagree, named by order. */
import { describe, expect, it } from 'vitest';
import { checkLedger, describeLedger, type LedgerRow } from './ledger';

const charge = (orderId: string, chargeId: string, extra: Partial<LedgerRow> = {}): LedgerRow => ({
  pk: `charge-${orderId}`,
  kind: 'charge',
  reference: orderId,
  result: { outcome: 'CHARGED', chargeId },
  ...extra,
});

describe('game-day provider ledger check', () => {
  it('matches one charge per order under its key, recorded by payments, and counts the replays', () => {
    const c = checkLedger({
      ledger: [
        charge('o1', 'ch1'),
        charge('o2', 'ch2', { replays: 2 }),
        { pk: 'charge-o3', kind: 'charge', reference: 'o3', result: { outcome: 'DECLINED' } },
        { pk: 'refund-o2', kind: 'refund', reference: 'o2', result: { refundId: 're2' }, replays: 1 },
        charge('other-run', 'chx'), // not this run's order: ignored
      ],
      payments: [
        { orderId: 'o1', status: 'CHARGED', providerChargeId: 'ch1' },
        { orderId: 'o2', status: 'REFUNDED', providerChargeId: 'ch2' },
        { orderId: 'o3', status: 'FAILED' },
      ],
      orderIds: new Set(['o1', 'o2', 'o3']),
    });
    expect(c).toMatchObject({ ordersCharged: 2, charges: 2, ordersReplayed: 1, replays: 3, matches: true });
    expect(describeLedger(c)).toMatch(/^2 charge\(s\) for 2 order\(s\) → exactly one per order.*3 for 1 order/);
  });

  it('names a double charge under a fresh key, a charge we did not record, and a payment the provider never charged', () => {
    const c = checkLedger({
      ledger: [
        charge('o1', 'ch1'),
        { ...charge('o1', 'ch1b'), pk: 'charge-o1-retry-2' }, // a retry that made up a new key
        charge('o2', 'ch2'), // our row is still PENDING: the answer was lost and never retried
        charge('o4', 'ch4-other'), // our row carries another charge id
      ],
      payments: [
        { orderId: 'o1', status: 'CHARGED', providerChargeId: 'ch1' },
        { orderId: 'o2', status: 'PENDING' },
        { orderId: 'o3', status: 'CHARGED', providerChargeId: 'ch3' },
        { orderId: 'o4', status: 'CHARGED', providerChargeId: 'ch4' },
      ],
      orderIds: new Set(['o1', 'o2', 'o3', 'o4']),
    });
    expect(c).toMatchObject({
      charges: 4,
      doubleCharged: ['o1'],
      chargeNotRecorded: ['o2', 'o4'],
      paymentWithoutCharge: ['o3'],
      foreignKeys: ['charge-o1-retry-2'],
      matches: false,
    });
    expect(describeLedger(c)).toMatch(/MISMATCH\*\* \(double charged: o1; charged without our record: o2, o4; .*o3; keys not the order's/);
  });

  it('names an order refunded twice', () => {
    const refund = (pk: string): LedgerRow => ({ pk, kind: 'refund', reference: 'o1', result: { refundId: pk } });
    const c = checkLedger({
      ledger: [charge('o1', 'ch1'), refund('refund-o1'), refund('refund-o1-again')],
      payments: [{ orderId: 'o1', status: 'REFUNDED', providerChargeId: 'ch1' }],
      orderIds: new Set(['o1']),
    });
    expect(c).toMatchObject({ doubleRefunded: ['o1'], foreignKeys: ['refund-o1-again'], matches: false });
  });
});
