import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'payment-provider-outage',
  seed: '002 (Black Friday: circuit breaker state shared, not in memory)',
  title: 'The payment provider is down',
  breaks:
    'Every payment provider call fails. After five failures in a row, counted across every Lambda environment in one DynamoDB item, the circuit breaker opens: no call is made, orders are held RESERVED with their payment PENDING, and one half-open probe per cool-down tests the provider.',
  // Orders are held (RetryLaterError until the cool-down ends), not failed: failing one is no proof it was not
  // charged, and the sale is kept. docs/game-days/payment-provider-outage.md gives the reasons and the cost.
  inject: { functions: { PaymentsConsumer: [{ mode: 'provider-errors', share: 1 }] } },
  alarms: {
    expected: ['PaymentBreakerOpen', 'PaymentProviderFailures'],
    // Held records come back at each cool-down's end; an outage longer than five cool-downs (2.5 min deployed) spends
    // their receives and parks them in the DLQ, redriven after recovery: a consequence, not a false lead. At low
    // traffic the first order parks even sooner: its own five receives (seconds apart) are the five failures that
    // open the breaker (measured: the DLQ alarm with the breaker's, 70 s after the injection at demo speed).
    mayFire: ['PaymentsConsumerDeadLetters', 'PaymentsConsumerBacklog'],
    falseLeads: ['PaymentMismatch', 'PaymentProviderLatency', 'PaymentsConsumerErrors', 'LostOrders', 'FlowGap', 'Api5xxRate'],
  },
  customerEffect: {
    what: 'orders wait at "placing your order" (held, not charged, stock kept) until the provider is back',
    signal: 'orders-delayed',
  },
  runbook: 'docs/runbooks/payment-breaker-open.md',
  mitigation: {
    summary:
      'Wait for the provider (here: clear the fault); the next half-open probe closes the breaker and held orders are charged once with their own key; redrive what reached the payments DLQ.',
    commands: ['npm run game-day -- clear', 'POST /ops/api/dlq/<PaymentsConsumer DLQ>/redrive (or tools/redrive.ts on AWS)'],
    redrive: ['PaymentsConsumer'],
  },
  traffic: { ordersPerMetricMinute: 5 },
  postmortem: {
    rootCause: 'The payment provider failed every call.',
    trigger: 'Provider errors on PaymentsConsumer (game-day fault provider-errors, every call).',
    actionItems: [
      'The breaker opens after 5 failures and a record has 5 receives: at low traffic the first order spends them all tripping it and parks in the DLQ. Open sooner (a threshold below the receive count) or hold records whose failure opened it.',
      'Hold longer than five cool-downs without the DLQ: grow the retry-later delay with the receive count, or give the payments queue more receives.',
      'Switch ordering to read-only (npm run ordering -- read-only) when the breaker stays open for more than a few minutes, so customers are not left waiting.',
      'Tell customers "payment pending" on the order page while the breaker is open.',
    ],
    lessons: [
      'The breaker stopped us from hammering a dead provider, and because its state is shared every Lambda environment stopped at once.',
      'Holding orders (RetryLaterError) rather than failing them lost no sale: every held order was charged once when the provider came back.',
    ],
  },
  customerMessage:
    'Our card provider had an outage. Orders placed during it waited for payment and went through once it was back; nobody was charged twice and no order was lost.',
});
