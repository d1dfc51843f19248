/**
 * The shape of a game-day scenario (one module per scenario in ./scenarios/, registered in ./scenarios/index.ts).
 * Everything a facilitator, the injector, the runner and the report need is data here: no scenario has code.
 */
import type { DetailType } from '../../functions/shared/contracts/events';
import type { FaultInput } from '../../functions/shared/faults/config';

/** A change to one EventBridge rule, found by its watch name (the construct id: 'RestaurantConsumerRule'). */
export type RuleChange = { state: 'DISABLED' } | { eventPattern: Record<string, unknown> };

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
  };
  alarms: {
    /** Alarm names without the stack prefix ('LostOrders'): each must go to ALARM; the first is the primary signal. */
    expected: string[];
    /** Consequences that may also fire (downstream symptoms): neither required nor a false lead. */
    mayFire?: string[];
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
