import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'datastore-failing',
  seed: '002 (Black Friday), 004 (database errors)',
  title: "One service's DynamoDB calls fail",
  breaks:
    'Every DynamoDB call of ShippingConsumer fails with ThrottlingException: restaurant.order-received is retried, then parked in the shipping DLQ; orders accepted by the restaurant are not shipped.',
  inject: { functions: { ShippingConsumer: [{ mode: 'datastore-errors', error: 'ThrottlingException', share: 1 }] } },
  alarms: {
    expected: ['ShippingConsumerDeadLetters'],
    // TrackingNotIngested is a true consequence, not a false lead: orders the restaurant received get no shipment, so
    // analytics waits for tracking that never comes (whether it fires depends on how long the fault lasts).
    mayFire: ['ShippingConsumerErrors', 'ShippingConsumerBacklog', 'DeliverySloFastBurn', 'DeliverySloSlowBurn', 'TrackingNotIngested'],
    falseLeads: ['LostOrders', 'FlowGap', 'Api5xxRate', 'RestaurantConsumerErrors'],
    // Each record fails on its own (partial batch response), so the function does not error and
    // ShippingConsumerErrors stays quiet: the first alarm is the DLQ's, once a record has used its five receives
    // (the shared consumer's backoff, functions/shared/retry-policy.ts: 8-15 s deployed, scaled offline).
    why: 'record-level failures are not Lambda errors: the DLQ alarm, after the retries, is the first signal',
  },
  customerEffect: { what: 'orders accepted by the restaurant are not handed to a courier', signal: 'orders-not-delivered' },
  runbook: 'docs/runbooks/lambda-errors.md',
  mitigation: {
    summary: 'Restore the datastore (capacity or permission); redrive the shipping DLQ so every parked order ships.',
    commands: ['npm run game-day -- clear', 'POST /ops/api/dlq/<ShippingConsumer DLQ>/redrive (or tools/redrive.ts on AWS)'],
    redrive: ['ShippingConsumer'],
  },
  traffic: { ordersPerMetricMinute: 5 },
  postmortem: {
    rootCause: "The shipping service's DynamoDB calls were throttled.",
    trigger: 'Datastore errors on ShippingConsumer (game-day fault datastore-errors, ThrottlingException on every call).',
    actionItems: [
      "Alarm on the consumers' EventsFailed metric: record-level failures (partial batch response) never raise Lambda Errors.",
      'Alarm on DynamoDB ThrottledRequests per table.',
      'Back off and retry throttled writes before failing the record.',
    ],
    lessons: [
      'Retries plus a DLQ keep throttling from losing orders, but only the redrive finishes the job.',
      'The function Errors alarm misses failures a batch handler reports per record: detection waited for the DLQ.',
    ],
  },
  customerMessage: 'Some orders were delayed between the restaurant and the courier; all of them have now been dispatched.',
});
