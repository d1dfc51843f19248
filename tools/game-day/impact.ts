/**
 * The incident's impact, measured from the tables (orders, payments) and the traffic's refused requests — no
 * estimate: every number in the report and the stakeholder updates comes from here, and the unit test checks them
 * against rows written to DynamoDB.
 */
import type { Money } from '../../functions/shared/money';

export interface OrderRow {
  orderId: string;
  customerId: string;
  merchantId: string;
  status: string;
  total: Money;
  createdAt: string;
  milestones: Record<string, string | undefined>;
  items: { productId: string; quantity: number }[];
}
export interface PaymentRow {
  orderId: string;
  status: string;
  amount: Money;
}
export interface RefusedRequest {
  at: number;
  customerId: string;
  status: number;
}
export interface Window {
  /** Injection. */
  from: number;
  /** Mitigation (or the end of the observation when not mitigated). */
  to: number;
}

export interface Impact {
  window: { from: string; to: string; minutes: number };
  orders: {
    placed: number;
    inWindow: number;
    affected: number;
    affectedIds: string[];
    byStatus: Record<string, number>;
    notTerminal: number;
  };
  customersAffected: number;
  refusedRequests: number;
  money: {
    currency: string;
    charged: number;
    deliveredValue: number;
    refunded: number;
    chargedNotDelivered: number;
    /** Charged, not delivered and not refunded: money the company owes customers. */
    chargedNotDeliveredNotRefunded: number;
    reconciled: boolean;
  };
  refunds: { count: number; medianSecondsToRefund: number | null; maxSecondsToRefund: number | null };
}

const TERMINAL = new Set(['DELIVERED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED']);
const at = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);

/**
 * An order is affected when it was placed during the incident window and did not end DELIVERED, or was delivered
 * after the mitigation and late: slower than twice the slowest delivery of the orders placed before the window (the
 * baseline), so an order merely in flight at the fix does not count. Refused placements count their customers too.
 */
export function computeImpact(input: { orders: OrderRow[]; payments: PaymentRow[]; refused: RefusedRequest[]; window: Window }): Impact {
  const { orders, payments, refused, window } = input;
  const paymentOf = new Map(payments.map((p) => [p.orderId, p]));
  const inWindow = orders.filter((o) => {
    const t = Date.parse(o.createdAt);
    return t >= window.from && t <= window.to;
  });
  const took = (o: OrderRow) => (at(o.milestones.DELIVERED) ?? 0) - Date.parse(o.createdAt);
  const baseline = orders.filter((o) => Date.parse(o.createdAt) < window.from && o.status === 'DELIVERED');
  const lateAfterMs = 2 * Math.max(0, ...baseline.map(took));
  const affected = inWindow.filter(
    (o) => o.status !== 'DELIVERED' || ((at(o.milestones.DELIVERED) ?? 0) > window.to && took(o) > lateAfterMs),
  );
  const refusedInWindow = refused.filter((r) => r.at >= window.from && r.at <= window.to);
  const customers = new Set([...affected.map((o) => o.customerId), ...refusedInWindow.map((r) => r.customerId)]);
  const byStatus: Record<string, number> = {};
  for (const o of orders) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;

  let charged = 0;
  let refunded = 0;
  let deliveredValue = 0;
  let chargedNotDelivered = 0;
  let owed = 0;
  const refundSeconds: number[] = [];
  for (const o of orders) {
    const p = paymentOf.get(o.orderId);
    const wasCharged = p && (p.status === 'CHARGED' || p.status === 'REFUNDED');
    if (wasCharged) charged += p.amount.amount;
    if (p?.status === 'REFUNDED') refunded += p.amount.amount;
    if (o.status === 'DELIVERED') deliveredValue += o.total.amount;
    if (wasCharged && o.status !== 'DELIVERED') {
      chargedNotDelivered += p.amount.amount;
      if (p.status !== 'REFUNDED') owed += p.amount.amount;
    }
    const c = at(o.milestones.CHARGED);
    const r = at(o.milestones.REFUNDED);
    if (c !== undefined && r !== undefined) refundSeconds.push((r - c) / 1000);
  }
  refundSeconds.sort((a, b) => a - b);
  return {
    window: {
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      minutes: (window.to - window.from) / 60_000,
    },
    orders: {
      placed: orders.length,
      inWindow: inWindow.length,
      affected: affected.length,
      affectedIds: affected.map((o) => o.orderId).sort(),
      byStatus,
      notTerminal: orders.filter((o) => !TERMINAL.has(o.status)).length,
    },
    customersAffected: customers.size,
    refusedRequests: refusedInWindow.length,
    money: {
      currency: orders[0]?.total.currency ?? 'EUR',
      charged,
      deliveredValue,
      refunded,
      chargedNotDelivered,
      chargedNotDeliveredNotRefunded: owed,
      reconciled: charged === deliveredValue + refunded,
    },
    refunds: {
      count: refundSeconds.length,
      medianSecondsToRefund: refundSeconds.length ? refundSeconds[Math.floor(refundSeconds.length / 2)] : null,
      maxSecondsToRefund: refundSeconds.length ? refundSeconds.at(-1)! : null,
    },
  };
}

export const formatMoney = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;
