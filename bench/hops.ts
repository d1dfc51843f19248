/**
 * The load profiles' arithmetic (latency, throughput, dinner-rush; bench/load-profiles.ts runs them), kept apart so
 * it is tested (test/bench-hops.test.ts): the hops of an order read from its own history, their percentiles, the
 * throughput steps and the rule that ends them, and the phases of a dinner rush.
 */
import type { LoadSpec } from '../tools/game-day/scenario';
import { percentile } from './stats';

/** The statuses an order passes on the happy path, in order (functions/orders/status.ts: STATUS_RANK). */
export const HAPPY_PATH = ['PLACED', 'RESERVED', 'CHARGED', 'RECEIVED_BY_RESTAURANT', 'OUT_FOR_DELIVERY', 'DELIVERED'] as const;
type HappyStatus = (typeof HAPPY_PATH)[number];

export interface Hop {
  name: string;
  from: HappyStatus;
  to: HappyStatus;
  /** The services that work on this hop (docs/architecture.md), for "where the time goes". */
  path: string;
}

/**
 * Each consecutive pair of HAPPY_PATH, then the two spans people ask about. A milestone's time is the occurredAt of
 * the event that caused it (functions/orders/saga-consumer.ts), so a hop ends when the service doing the step emits
 * its event; orders-saga's own leg after it is not in any hop. Every "→" in `path` between services is one outbox
 * leg: the writer's outbox row → DynamoDB stream → outbox-relay → EventBridge → the consumer's SQS queue → consumer.
 */
export const HOPS: readonly Hop[] = [
  { name: 'placed → reserved', from: 'PLACED', to: 'RESERVED', path: 'orders-api → inventory-consumer' },
  { name: 'reserved → charged', from: 'RESERVED', to: 'CHARGED', path: 'inventory-consumer → payments-consumer (provider call)' },
  {
    name: 'charged → received by restaurant',
    from: 'CHARGED',
    to: 'RECEIVED_BY_RESTAURANT',
    path: 'payments-consumer → orders-saga (order.paid) → restaurant-consumer → tablet-simulator → merchant ack API',
  },
  {
    name: 'received → out for delivery',
    from: 'RECEIVED_BY_RESTAURANT',
    to: 'OUT_FOR_DELIVERY',
    path: 'merchant ack API → shipping-consumer',
  },
  { name: 'out for delivery → delivered', from: 'OUT_FOR_DELIVERY', to: 'DELIVERED', path: 'shipping-consumer → courier-simulator steps' },
  { name: 'placed → received by restaurant', from: 'PLACED', to: 'RECEIVED_BY_RESTAURANT', path: 'span' },
  { name: 'placed → delivered', from: 'PLACED', to: 'DELIVERED', path: 'span' },
];
export const PLACED_TO_RECEIVED = 'placed → received by restaurant';

export interface HistoryEntry {
  status: string;
  at: string;
}

/** ms of every hop whose two ends are in the history (a milestone missing or out of order: that hop is left out). */
export function hopDurations(history: readonly HistoryEntry[]): Record<string, number> {
  const at = new Map<string, number>();
  for (const h of history) {
    const t = Date.parse(h.at);
    if (Number.isFinite(t) && !at.has(h.status)) at.set(h.status, t);
  }
  const out: Record<string, number> = {};
  for (const hop of HOPS) {
    const [a, b] = [at.get(hop.from), at.get(hop.to)];
    if (a !== undefined && b !== undefined && b >= a) out[hop.name] = b - a;
  }
  return out;
}

export interface HopRow {
  hop: string;
  orders: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

const round = (n: number | null) => (n === null ? null : Math.round(n));

/** p50/p95/p99/max of each hop over the orders' histories, in HOPS order. */
export function hopTable(histories: readonly (readonly HistoryEntry[])[]): HopRow[] {
  const durations = histories.map(hopDurations);
  return HOPS.map(({ name }) => {
    const ms = durations.map((d) => d[name]).filter((v): v is number => v !== undefined);
    ms.sort((a, b) => a - b);
    return {
      hop: name,
      orders: ms.length,
      p50Ms: round(percentile(ms, 50)),
      p95Ms: round(percentile(ms, 95)),
      p99Ms: round(percentile(ms, 99)),
      maxMs: ms.at(-1) ?? null,
    };
  });
}

/** The consecutive hop (not a span) with the largest p50, and its share of placed → delivered's p50. */
export function dominantHop(rows: readonly HopRow[]): { hop: string; p50Ms: number; share: number | null } | undefined {
  const spans = new Set(HOPS.filter((h) => h.path === 'span').map((h) => h.name));
  const hops = rows.filter((r) => !spans.has(r.hop) && r.p50Ms !== null);
  if (hops.length === 0) return undefined;
  const top = hops.reduce((a, b) => (b.p50Ms! > a.p50Ms! ? b : a));
  const total = rows.find((r) => r.hop === 'placed → delivered')?.p50Ms;
  return { hop: top.hop, p50Ms: top.p50Ms!, share: total ? Number((top.p50Ms! / total).toFixed(2)) : null };
}

export interface ThroughputStep {
  perSecond: number;
  seconds: number;
  /** perSecond × seconds, at most the bound given. */
  orders: number;
}

/** One step per rate, each bounded in time (`seconds`) and in count (`maxOrders`). */
export function throughputSteps(rates: readonly number[], seconds: number, maxOrders: number): ThroughputStep[] {
  if (!(seconds > 0) || !(maxOrders > 0)) throw new RangeError('seconds and maxOrders must be positive');
  return rates.map((perSecond) => {
    if (!(perSecond > 0)) throw new RangeError(`rate ${perSecond} is not a positive number of orders a second`);
    return { perSecond, seconds, orders: Math.min(maxOrders, Math.round(perSecond * seconds)) };
  });
}

export interface StepOutcome {
  perSecond: number;
  sent: number;
  /** 202 answers. */
  accepted: number;
  /** HTTP status → count of the POSTs (0: no answer). */
  statuses: Record<string, number>;
  /** Accepted orders that reached no terminal status within the bounded wait. */
  unfinished: number;
  /** Accepted orders that ended otherwise than DELIVERED (REJECTED, PAYMENT_FAILED, CANCELLED). */
  failed: number;
  placedToReceivedP99Ms: number | null;
}

export interface StepVerdict {
  sustained: boolean;
  /** Why not, one phrase each; empty when sustained. */
  reasons: string[];
}

/** A step is sustained when every POST was accepted, every order was delivered in time, and p99 stayed under the limit. */
export function judgeStep(o: StepOutcome, p99LimitMs = 2000): StepVerdict {
  const reasons: string[] = [];
  const refused = o.sent - o.accepted;
  if (refused > 0) {
    const why = Object.entries(o.statuses)
      .filter(([s]) => s !== '202')
      .map(([s, n]) => `${n}× ${s === '0' ? 'no answer' : s}`)
      .join(', ');
    reasons.push(`${refused} of ${o.sent} POSTs not accepted (${why})`);
  }
  if (o.unfinished > 0) reasons.push(`${o.unfinished} orders not terminal within the wait`);
  if (o.failed > 0) reasons.push(`${o.failed} orders ended otherwise than DELIVERED`);
  if (o.placedToReceivedP99Ms === null) reasons.push('no order reached the restaurant');
  else if (o.placedToReceivedP99Ms > p99LimitMs) reasons.push(`placed → received p99 ${o.placedToReceivedP99Ms} ms > ${p99LimitMs} ms`);
  return { sustained: reasons.length === 0, reasons };
}

/** The highest rate of the steps before the first one not sustained (steps in the order they ran); null if none. */
export function highestSustained(results: readonly { perSecond: number; verdict: StepVerdict }[]): number | null {
  let best: number | null = null;
  for (const r of results) {
    if (!r.verdict.sustained) break;
    best = r.perSecond;
  }
  return best;
}

export type RushPhase = 'ramp up' | 'peak' | 'ramp down';

/** The phase of a ramp at metric minute t (after its end: 'ramp down'). */
export function rushPhase(spec: Extract<LoadSpec, { kind: 'ramp' }>, t: number): RushPhase {
  if (t < spec.rampMetricMinutes) return 'ramp up';
  if (t < spec.rampMetricMinutes + spec.holdMetricMinutes) return 'peak';
  return 'ramp down';
}
