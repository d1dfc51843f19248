import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'restaurant-drops-orders',
  seed: '001 (theory A)',
  title: 'Charged, never received by the restaurant',
  breaks:
    'RestaurantConsumer takes order.paid off its queue and acknowledges it without putting the order on the tablet: no error, no DLQ, every technical signal green.',
  inject: { functions: { RestaurantConsumer: [{ mode: 'drop-events', detailTypes: ['order.paid'] }] } },
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
    summary: 'Remove the fault from the restaurant consumer; the ack deadline refunds what the restaurant never got.',
    commands: ['npm run game-day -- clear'],
  },
  traffic: { ordersPerMetricMinute: 5 },
  postmortem: {
    rootCause: 'The restaurant consumer acknowledged order.paid without delivering the order to the tablet.',
    trigger: 'A configuration change on RestaurantConsumer (game-day fault drop-events on order.paid).',
    actionItems: [
      'Keep the delivery SLI alarms (LostOrders, FlowGap) paging: no technical alarm saw this.',
      'Replay dropped order.paid events from the outbox after the fix instead of refunding (issue 9, outbox replay).',
    ],
    lessons: ['Success metrics of a consumer say nothing about the business outcome; measure the flow end to end.'],
  },
  customerMessage: 'Some orders were charged but did not reach the restaurant; they were cancelled and refunded automatically.',
});
