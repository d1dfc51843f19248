/**
 * The shape of a game-day scenario (one module per scenario in ./scenarios/, registered in ./scenarios/index.ts).
 * Everything a facilitator, the injector, the runner and the report need is data here: no scenario has code.
 */
import type { DetailType } from '../../functions/shared/contracts/events';
import type { FaultInput } from '../../functions/shared/faults/config';

/** A change to one EventBridge rule, found by its watch name (the construct id: 'RestaurantConsumerRule'). */
export type RuleChange = { state: 'DISABLED' } | { eventPattern: Record<string, unknown> };

/**
 * Traffic as the fault (flash-sale, hostile-client, dinner-rush): a bounded load generator (./load.ts) runs it against
 * the API, the same on every target (offline the runner, on a stack `inject` from the CLI against its ApiUrl).
 * `clear` stops it. Rates are per metric minute, so test speed compresses them with the alarms.
 */
export type LoadSpec =
  | {
      /** Demand of `demandMultiple` × `stock` single-unit orders for one product within `withinSeconds` (real time). */
      kind: 'flash-sale';
      merchantId: string;
      productId: string;
      /** Units on sale: the runner restocks the product to this before the baseline (a sale starts with its stock). */
      stock: number;
      demandMultiple: number;
      withinSeconds: number;
      /** Customers placing the orders, in turn. */
      customers: string[];
    }
  | {
      /** A hostile client for `metricMinutes`: token probing, other customers' ids, injection strings, request floods. */
      kind: 'hostile';
      /** A real customer account the attacker holds (its own token), and the customer whose data it is after. */
      attacker: string;
      victim: string;
      metricMinutes: number;
      /** Probe rounds per metric minute (each round: every probe once). */
      roundsPerMetricMinute: number;
      /** Requests of each flood (at most 500), sent at once at the start of each metric minute. */
      floodRequests: number;
    }
  | {
      /**
       * Orders rise from the steady traffic's rate to `multiple` times it over `rampMetricMinutes`, hold, then (with
       * `rampDownMetricMinutes`) fall back to it. The load sends the part above the steady traffic, which the runner
       * sends itself; `withNormal` (the bench, which runs no steady traffic) sends the whole rate.
       */
      kind: 'ramp';
      multiple: number;
      rampMetricMinutes: number;
      holdMetricMinutes: number;
      rampDownMetricMinutes?: number;
      withNormal?: boolean;
    };

export interface Scenario {
  /** The name used on every target: `npm run game-day -- inject <name>`. */
  name: string;
  /** The seed incident it reproduces (../../../shared/seeds/), e.g. '001 (theory A)'. */
  seed: string;
  title: string;
  /** What breaks, in one or two sentences, technically. */
  breaks: string;
  /** How it is injected, the same on every target (offline platform, LocalStack, AWS). */
  inject: {
    /** Faults (functions/shared/faults/) set in SHOPWAVE_FAULTS of functions named by their watch name (OrdersApi). */
    functions?: Record<string, FaultInput[]>;
    /** Rule changes by the rule's watch name (its logical id without the hash). */
    rules?: Record<string, RuleChange>;
    /** Injected traffic instead of (or with) a fault: see LoadSpec. */
    load?: LoadSpec;
  };
  alarms: {
    /** Alarm names without the stack prefix ('LostOrders'): each must go to ALARM; the first is the primary signal. */
    expected: string[];
    /** Consequences that may also fire (downstream symptoms): neither required nor a false lead. */
    mayFire?: string[];
    /**
     * Consequences only at test speed (`--speed test`, a metric minute of 8 s): the delivery SLI deadline is 10 s of
     * real time there, which a burst of orders on the offline platform (two Lambda environments per function) can
     * exceed while demo speed (120 s) absorbs it. Allowed at test speed only; at demo speed they are false leads.
     */
    mayFireAtTestSpeed?: string[];
    /** Alarms a responder might look at that must stay quiet (documentation; anything not listed above is a false lead). */
    falseLeads: string[];
    /** How long the runner waits for the expected alarms, in metric minutes (default 12), and why when longer. */
    withinMetricMinutes?: number;
    why?: string;
    /** When the expected alarms cannot detect it within 3 minutes at demo speed: what would (the scorecard says it). */
    faster?: string;
  };
  /** What a customer notices first, and how the runner sees it: orders not delivered, or the API refusing orders. */
  customerEffect: { what: string; signal: 'orders-not-delivered' | 'api-errors' | 'orders-delayed' };
  /** The runbook(s) the alarm points to (repository paths). */
  runbook: string;
  mitigation: {
    summary: string;
    /** The commands an operator runs, in order. The runner applies `clear` and `redrive` itself. */
    commands: string[];
    /** Dead-letter queues (consumer watch names) to redrive after the fix, so nothing parked is lost. */
    redrive?: string[];
    /**
     * Events a consumer never received (routed elsewhere, not parked anywhere) to re-publish from the outbox after the
     * fix: these detail-types over the incident window (from just before the injection to the fix), with the replay
     * tool (tools/replay.ts, `npm run replay -- --detail-type <t> --since <injection> --until <fix> --send`). The
     * runner applies it itself, then waits for `consumer`'s queue to drain. Consumers are idempotent by event id,
     * so the ones that had the events do nothing twice; `reprocess` (replay --reprocess) only for a consumer that
     * recorded them as handled without doing the work.
     */
    replay?: { detailTypes: DetailType[]; consumer: string; reprocess?: boolean };
  };
  /** Steady traffic the scenario needs to show: orders per metric minute. */
  traffic: { ordersPerMetricMinute: number };
  postmortem: { rootCause: string; trigger: string; actionItems: string[]; lessons: string[] };
  /** For account management: what to tell customers, in plain words. */
  customerMessage: string;
}

export const defineScenario = (s: Scenario): Scenario => s;
