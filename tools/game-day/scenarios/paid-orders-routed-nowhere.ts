import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'paid-orders-routed-nowhere',
  seed: '001 (theory B)',
  title: "The restaurant's subscription stops matching order.paid",
  breaks:
    'The EventBridge rule feeding RestaurantConsumer no longer matches order.paid (its pattern was changed to a detail-type nobody publishes): the event reaches the bus and goes nowhere. No consumer error, no DLQ.',
  inject: {
    rules: { RestaurantConsumerRule: { eventPattern: { source: ['shopwave.orders'], 'detail-type': ['order.paid.v2'] } } },
  },
  alarms: {
    expected: ['LostOrders', 'FlowGap'],
    mayFire: ['OldestAwaitingOrder', 'OrdersPilingUp', 'DeliverySloFastBurn', 'DeliverySloSlowBurn'],
    falseLeads: ['RestaurantConsumerErrors', 'RestaurantConsumerDeadLetters', 'RestaurantConsumerBacklog', 'Api5xxRate'],
  },
  customerEffect: {
    what: 'charged orders never reach the restaurant (then cancelled and refunded by the ack deadline)',
    signal: 'orders-not-delivered',
  },
  runbook: 'docs/runbooks/lost-orders.md',
  mitigation: {
    summary: "Restore the rule's pattern from the stack (a deploy, or the kit's clear, which puts back what was there).",
    commands: ['npm run game-day -- clear', 'aws events describe-rule --name <RestaurantConsumerRule> (pattern matches order.paid again)'],
  },
  traffic: { ordersPerMetricMinute: 5 },
  postmortem: {
    rootCause: "The restaurant consumer's EventBridge rule pattern stopped matching order.paid.",
    trigger: 'A rule pattern change outside the stack (game-day: PutRule with detail-type order.paid.v2).',
    actionItems: [
      'Detect drift between the deployed rules and the stack (CloudFormation drift detection in the deploy pipeline).',
      'Alarm on events matched by no rule for a subscribed detail-type (EventBridge MatchedEvents per rule).',
    ],
    lessons: ['A routing change looks exactly like a dropped event: only the business flow SLI sees it.'],
  },
  customerMessage: 'Some orders were charged but did not reach the restaurant; they were cancelled and refunded automatically.',
});
