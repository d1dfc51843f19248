/**
 * The order status machine (docs/architecture.md): ranks only go up, and a terminal status never changes.
 * Terminal statuses share the top rank, so "raises the rank" alone already refuses to leave one of them;
 * DELIVERED is terminal too, and the explicit list in the condition keeps that true whatever the ranks become.
 */
export const STATUS_RANK = {
  PLACED: 0,
  RESERVED: 1,
  CHARGED: 2,
  RECEIVED_BY_RESTAURANT: 3,
  OUT_FOR_DELIVERY: 4,
  DELIVERED: 5,
  REJECTED: 9,
  PAYMENT_FAILED: 9,
  CANCELLED: 9,
} as const;

export type OrderStatus = keyof typeof STATUS_RANK;

export const TERMINAL_STATUSES = ['DELIVERED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'] as const satisfies readonly OrderStatus[];

/**
 * Milestones that are not statuses: they only ever appear in the history.
 * RESTAURANT_REJECTED waits for compensation; REFUNDED and STOCK_RELEASED are the compensations.
 */
export type Milestone = OrderStatus | 'RESTAURANT_REJECTED' | 'REFUNDED' | 'STOCK_RELEASED';

/** Sort key for history entries with the same timestamp: status order, then the side milestones. */
export function milestoneOrder(m: string): number {
  return m in STATUS_RANK ? STATUS_RANK[m as OrderStatus] : 6;
}
