import { DETAIL_TYPES } from '../../../functions/shared/contracts/events';
import { CONSUMER_SOURCE_PREFIX } from '../../../functions/analytics/subscriptions';
import { defineScenario } from '../scenario';

/**
 * Why a rule change and not a fault in shipping's publisher: seed 000's analytics team "is not receiving any tracking
 * data" while the tracking service keeps working and nothing errors. Here the half-done migration to a new version of
 * the tracking event does exactly that: analytics' subscription was rewritten as a list of the detail-types it takes,
 * naming `tracking.updated.v2`, while shipping still publishes `tracking.updated`. The event reaches the bus and is
 * matched by no analytics rule: no consumer error, no DLQ, customers unaffected; only the freshness signal sees it.
 * The other shape — shipping publishing a name analytics' contract rejects — is louder (AnalyticsConsumerDeadLetters
 * fires; the runbook's "rejected" branch), and a rename in shipping's own outbox would make the outbox replay
 * re-publish the wrong name. The rule change is injected the same way on every target (PutRule, the emulator).
 */
const analyticsTakes = [...DETAIL_TYPES.filter((t) => t !== 'tracking.updated'), 'tracking.updated.v2'];

export default defineScenario({
  name: 'tracking-stops-reaching-analytics',
  seed: '000 (challenge 2)',
  title: 'Tracking keeps flowing from shipping, analytics stops ingesting it',
  breaks:
    "AnalyticsConsumerRule's pattern lists the detail-types analytics takes with the tracking event at a version shipping does not publish yet (tracking.updated.v2): every tracking.updated reaches the bus and no analytics rule. Shipping, the courier and deliveries carry on; no error, no DLQ.",
  inject: {
    rules: { AnalyticsConsumerRule: { eventPattern: { source: [{ prefix: CONSUMER_SOURCE_PREFIX }], 'detail-type': analyticsTakes } } },
  },
  alarms: {
    expected: ['TrackingNotIngested'],
    falseLeads: [
      'AnalyticsConsumerDeadLetters',
      'AnalyticsConsumerErrors',
      'AnalyticsConsumerBacklog',
      'ShippingConsumerErrors',
      'CourierSimulatorErrors',
      'LostOrders',
      'FlowGap',
      'DeliverySloFastBurn',
    ],
    why: 'the freshness check runs every minute and alarms once the oldest untracked order has waited past the threshold (90 s demo, 20 s test)',
  },
  customerEffect: {
    // Read in the updates as "for N seconds <what>": customers are not affected, the Analytics team is.
    what: 'the Analytics team received no tracking data for its shipping performance reports (customers and deliveries were not affected)',
    signal: 'orders-delayed',
  },
  runbook: 'docs/runbooks/tracking-not-ingested.md',
  mitigation: {
    summary:
      "Restore analytics' rule (take tracking.updated again), then replay the window's tracking.updated from the outbox so analytics gets every missed point, once.",
    commands: [
      'npm run game-day -- clear   (or redeploy the stack: the rule as lib/services/analytics.ts builds it)',
      'npm run replay -- --detail-type tracking.updated --since <injection> --until <fix>          (dry run: read what would go)',
      'npm run replay -- --detail-type tracking.updated --since <injection> --until <fix> --send',
    ],
    replay: { detailTypes: ['tracking.updated'], consumer: 'AnalyticsConsumer' },
  },
  traffic: { ordersPerMetricMinute: 5 },
  postmortem: {
    rootCause:
      "Analytics' EventBridge rule stopped matching tracking.updated: it named the tracking event's next version, which shipping does not publish.",
    trigger: "A change to analytics' subscription ahead of the producer's migration (game-day: PutRule on AnalyticsConsumerRule).",
    actionItems: [
      'Version events additively: the producer publishes both versions until every subscriber takes the new one; subscriptions never drop the old one first.',
      "Contract test in CI: every detail-type a producer publishes matches every subscriber's rule that claims it (the event catalog is the one list).",
      'Keep TrackingNotIngested paging the analytics on-call: nothing technical failed, only the freshness signal saw it.',
      'Alarm on events matched by no rule (EventBridge MatchedEvents vs. PutEvents per detail-type).',
    ],
    lessons: [
      'A routing mismatch is silent: no error, no DLQ. Only a signal built on what should arrive (freshness) sees it.',
      'The outbox keeps the original envelopes: the replay filled the hole with the same event ids, so nothing was counted twice.',
    ],
  },
  customerMessage:
    'Deliveries were not affected. For a while tracking updates did not reach the analytics reports; the missing data has been restored, and shipping performance reports for that period are complete again.',
});
