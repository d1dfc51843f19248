import { defineScenario } from '../scenario';

/**
 * Seed 002's "Kafka event chaos": duplicated, reordered and poison events. Duplicates come from the one publisher
 * (the outbox relay publishes half the events twice, same event id); reordering is the consumers' queues giving
 * some deliveries back seconds later, after the ones behind them (held through SQS visibility, never in memory);
 * the poison is a consumer bug: the notifications consumer cannot render half the order confirmations, order.created (seed 002's
 * symbol-vs-string keys), so they park in its DLQ. The events themselves are valid: clearing the fault is the fix,
 * and the redrive then delivers every parked one, once. Duplicates and reordering must change nothing (one effect
 * per event); the poison is the one thing that alarms.
 */
export default defineScenario({
  name: 'event-chaos',
  seed: '002 (Kafka event chaos)',
  title: 'Duplicated, reordered and poison events reach the consumers',
  breaks:
    'The outbox relay publishes half of all events twice (same event id); the notifications and analytics consumers get half their deliveries back seconds late, after later ones; and the notifications consumer fails every other order.created (the order confirmation) permanently, a bug on that payload, so those park in its DLQ.',
  inject: {
    functions: {
      OutboxRelay: [{ mode: 'duplicate-events', share: 0.5, copies: 1 }],
      NotificationsConsumer: [
        { mode: 'reorder-events', share: 0.5, delaySeconds: 8 },
        // order.created: every order has one at once, so the poison shows within a minute whatever the load.
        { mode: 'poison-events', detailTypes: ['order.created'], share: 0.5 },
      ],
      // Short: analytics' freshness threshold is 20 s at test speed, and a held tracking point must not look lost.
      AnalyticsConsumer: [{ mode: 'reorder-events', share: 0.5, delaySeconds: 3 }],
    },
  },
  alarms: {
    expected: ['NotificationsConsumerDeadLetters'],
    mayFire: ['NotificationsConsumerBacklog'],
    falseLeads: [
      'PaymentMismatch',
      'LostOrders',
      'FlowGap',
      'InventoryConsumerDeadLetters',
      'PaymentsConsumerDeadLetters',
      'RestaurantConsumerDeadLetters',
      'AnalyticsConsumerDeadLetters',
      'OrdersSagaErrors',
      'TrackingNotIngested',
      'OutboxRelayFailures',
    ],
    why: 'a permanent failure is parked within seconds (visibility 0 until its five receives are spent): the DLQ alarm fires at the next metric minute',
  },
  customerEffect: {
    what: 'some customers did not get their order confirmation until the fix (their orders were delivered)',
    signal: 'orders-delayed',
  },
  runbook: 'docs/runbooks/dlq-messages.md',
  mitigation: {
    summary:
      'Nothing to do for duplicates and reordering (idempotent consumers absorb them). Roll back the notifications consumer (the fix), then redrive its DLQ: every parked order confirmation is sent, once.',
    commands: [
      'npm run game-day -- clear',
      'npm run redrive -- list <NotificationsConsumer DLQ url>   (detail-type, order id, receive count, last error)',
      'npm run redrive -- <NotificationsConsumer DLQ url> <NotificationsConsumer queue url>   (dry run), then again with --send',
    ],
    redrive: ['NotificationsConsumer'],
  },
  traffic: { ordersPerMetricMinute: 5 },
  postmortem: {
    rootCause:
      "The notifications consumer could not handle some order.created events (a bug on that payload's shape); at-least-once delivery duplicated and reordered events at the same time.",
    trigger:
      'Game-day faults duplicate-events (OutboxRelay), reorder-events (NotificationsConsumer, AnalyticsConsumer) and poison-events (NotificationsConsumer, order.created).',
    actionItems: [
      'Contract tests of every consumer against the event catalog with generated payloads (fuzz), so a payload a consumer cannot handle fails CI, not production.',
      "Alarm on the consumers' EventsFailedPermanently metric: a poison event is known at its first receive, before the DLQ.",
      'Keep every consumer idempotent by event id and its writes conditional: duplicates and reordering were absorbed with no double effect.',
    ],
    lessons: [
      'Exactly-once effects come from idempotent consumers, not from the bus: the duplicates changed nothing.',
      'A DLQ is only half the answer: the redrive after the fix is what delivers the parked events.',
    ],
  },
  customerMessage:
    'Some customers received their order confirmation late; every order was delivered and nobody was charged twice. The delayed messages have been sent.',
});
