import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'order-placement-fails',
  seed: '000 (challenge 1)',
  title: 'Placing an order fails for every customer',
  breaks:
    'The orders API loses a dependency: every DynamoDB and EventBridge call of POST /orders is refused (AccessDeniedException, as after a permission change). Customers get 500s; nothing is written.',
  inject: { functions: { OrdersApi: [{ mode: 'fail-dependency', routes: ['POST /orders'], error: 'AccessDeniedException' }] } },
  alarms: {
    expected: ['Api5xxRate'],
    mayFire: ['ApiLatencyP99', 'FlowGap', 'DeliverySloFastBurn', 'DeliverySloSlowBurn'],
    falseLeads: ['OrdersApiErrors', 'LostOrders', 'OrdersSagaErrors', 'OutboxRelayLag'],
  },
  customerEffect: { what: 'customers cannot place orders (HTTP 500)', signal: 'api-errors' },
  runbook: 'docs/runbooks/api-5xx.md',
  mitigation: {
    summary: "Restore the orders API's permission/configuration (roll back the change); customers retry.",
    commands: ['npm run game-day -- clear'],
  },
  traffic: { ordersPerMetricMinute: 8 },
  postmortem: {
    rootCause: 'The orders API could not reach its datastore: its calls were refused (access denied).',
    trigger: "A permission or configuration change on the orders API's function (game-day fault fail-dependency).",
    actionItems: [
      'Smoke-test POST /orders after every configuration or IAM change (synthetic canary).',
      'Page on the API 5xx rate per route, not only on the Lambda Errors metric (a handled 500 is not a Lambda error).',
    ],
    lessons: ['A handled error returns 500 cleanly, so the function Errors alarm stays quiet: the API alarm is the signal.'],
  },
  customerMessage: 'For a while customers could not place orders; nobody was charged for a failed attempt. They can order again now.',
});
