/**
 * The report's numbers against the tables: rows written to DynamoDB Local in the shapes the orders and payments
 * services write, read back with the runner's own scan, must give exactly these impact numbers.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTables, type TestTables } from '../../test/support/tables';
import { computeImpact, type OrderRow, type PaymentRow } from './impact';
import { scanAll } from './tables';

const T0 = Date.parse('2026-12-01T12:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const eur = (amount: number) => ({ amount, currency: 'EUR' as const });

/** One before the window (baseline: 30 s to deliver), four in it (lost and refunded, late, owed, in flight), one refused. */
const ORDERS: OrderRow[] = [
  {
    orderId: 'o-before',
    customerId: 'c-alice',
    merchantId: 'm-pizza',
    status: 'DELIVERED',
    total: eur(1000),
    createdAt: iso(-60),
    milestones: { PLACED: iso(-60), CHARGED: iso(-59), DELIVERED: iso(-30) },
    items: [{ productId: 'p-1', quantity: 1 }],
  },
  {
    orderId: 'o-lost',
    customerId: 'c-bob',
    merchantId: 'm-pizza',
    status: 'CANCELLED',
    total: eur(950),
    createdAt: iso(10),
    milestones: { PLACED: iso(10), CHARGED: iso(11), REFUNDED: iso(41), CANCELLED: iso(41) },
    items: [{ productId: 'p-1', quantity: 1 }],
  },
  {
    orderId: 'o-late',
    customerId: 'c-carol',
    merchantId: 'm-sushi',
    status: 'DELIVERED',
    total: eur(1200),
    createdAt: iso(20),
    milestones: { PLACED: iso(20), CHARGED: iso(21), DELIVERED: iso(150) },
    items: [{ productId: 'p-2', quantity: 2 }],
  },
  {
    orderId: 'o-owed',
    customerId: 'c-dave',
    merchantId: 'm-sushi',
    status: 'CANCELLED',
    total: eur(500),
    createdAt: iso(30),
    milestones: { PLACED: iso(30), CHARGED: iso(31), CANCELLED: iso(90) },
    items: [{ productId: 'p-2', quantity: 1 }],
  },
  // In flight at the fix, delivered after it but as fast as the baseline: not affected.
  {
    orderId: 'o-in-flight',
    customerId: 'c-alice',
    merchantId: 'm-pizza',
    status: 'DELIVERED',
    total: eur(800),
    createdAt: iso(95),
    milestones: { PLACED: iso(95), CHARGED: iso(96), DELIVERED: iso(120) },
    items: [{ productId: 'p-1', quantity: 1 }],
  },
];
const PAYMENTS: PaymentRow[] = [
  { orderId: 'o-in-flight', status: 'CHARGED', amount: eur(800) },
  { orderId: 'o-before', status: 'CHARGED', amount: eur(1000) },
  { orderId: 'o-lost', status: 'REFUNDED', amount: eur(950) },
  { orderId: 'o-late', status: 'CHARGED', amount: eur(1200) },
  { orderId: 'o-owed', status: 'CHARGED', amount: eur(500) },
];

let tables: TestTables;
beforeAll(async () => {
  tables = await useTables();
  for (const o of ORDERS)
    await tables.doc.send(new PutCommand({ TableName: tables.names.orders, Item: { pk: `ORDER#${o.orderId}`, sk: 'ORDER', ...o } }));
  for (const p of PAYMENTS)
    await tables.doc.send(
      new PutCommand({
        TableName: tables.names.payments,
        Item: { pk: `ORDER#${p.orderId}`, sk: 'PAYMENT', paymentId: `pay-${p.orderId}`, customerId: 'x', createdAt: iso(0), ...p },
      }),
    );
});

describe('impact from the tables', () => {
  it('counts affected orders and customers, money not delivered, refunds and time to refund', async () => {
    const orders = await scanAll<OrderRow>(tables.doc, tables.names.orders, (r) => r.sk === 'ORDER');
    const payments = await scanAll<PaymentRow>(tables.doc, tables.names.payments, (r) => r.sk === 'PAYMENT');
    expect(orders).toHaveLength(5);
    const impact = computeImpact({
      orders,
      payments,
      refused: [{ at: T0 + 5000, customerId: 'c-erin', status: 500 }],
      window: { from: T0, to: T0 + 100_000 },
    });
    expect(impact.orders).toMatchObject({ placed: 5, inWindow: 4, affected: 3, notTerminal: 0, byStatus: { DELIVERED: 3, CANCELLED: 2 } });
    expect(impact.orders.affectedIds).toEqual(['o-late', 'o-lost', 'o-owed']);
    expect(impact.customersAffected).toBe(4); // bob, carol, dave + erin refused
    expect(impact.refusedRequests).toBe(1);
    expect(impact.money).toEqual({
      currency: 'EUR',
      charged: 4450,
      deliveredValue: 3000,
      refunded: 950,
      chargedNotDelivered: 1450,
      chargedNotDeliveredNotRefunded: 500,
      reconciled: false, // o-owed: charged, cancelled, not refunded
    });
    expect(impact.refunds).toEqual({ count: 1, medianSecondsToRefund: 30, maxSecondsToRefund: 30 });
  });
});
