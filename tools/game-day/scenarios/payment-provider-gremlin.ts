import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'payment-provider-gremlin',
  seed: '003 (gremlin latency, timeouts, idempotency)',
  title: 'The payment provider answers too late on every third call',
  breaks:
    "Every third payment provider call (per Lambda environment) is processed but answered after 5 s, past the payments service's 3 s timeout: the charge happens, the answer is cut off, the record is retried with the same idempotency key and the provider answers it from its first outcome.",
  // phase 'after': the provider charges, then answers late (seed 003's "Schrödinger" case). With 'before' the slow
  // call never reaches the provider and the idempotency key is never put to the test.
  inject: { functions: { PaymentsConsumer: [{ mode: 'provider-latency', everyNth: 3, delayMs: 5000, phase: 'after' }] } },
  alarms: {
    expected: ['PaymentProviderLatency', 'PaymentProviderFailures'],
    falseLeads: [
      // The breaker counts consecutive failures: two answered calls in three never let it open (breaker.ts).
      'PaymentBreakerOpen',
      // Idempotency holds: the reconciler finds one charge per order.
      'PaymentMismatch',
      'PaymentsConsumerErrors',
      'PaymentsConsumerDeadLetters',
      'LostOrders',
      'FlowGap',
      'Api5xxRate',
    ],
  },
  customerEffect: {
    what: 'one order in three waits about 3 s longer for its payment confirmation (a timed-out charge, retried)',
    signal: 'orders-delayed',
  },
  runbook: 'docs/runbooks/payment-provider-latency.md',
  mitigation: {
    summary:
      'Nothing to repair in our data: the retries with the same key already charged every order once. Remove the latency (the provider recovers; here: clear the fault).',
    commands: ['npm run game-day -- clear'],
  },
  // Enough calls that each metric minute has a third call in every environment (the alarms need 2 of 3 minutes).
  traffic: { ordersPerMetricMinute: 6 },
  postmortem: {
    rootCause:
      'The payment provider processed one call in three but answered after our 3 s timeout; the charge had been made when we gave up on it.',
    trigger: 'Provider latency on PaymentsConsumer (game-day fault provider-latency: every 3rd call, 5 s, after processing).',
    actionItems: [
      'Keep the provider idempotency key derived from the order (charge-<orderId>) and never regenerate it on retry: it is what kept the timed-out charges single.',
      'Ask the provider for its latency SLO; keep our timeout under it and the PaymentProviderLatency threshold at two thirds of the timeout.',
      'Add a p99 alarm beside the Maximum one on AWS (LocalStack and offline evaluate only plain statistics).',
    ],
    lessons: [
      'A timeout says nothing about whether the call happened: only the idempotency key makes the retry safe.',
      'A breaker on consecutive failures rightly stays closed for a provider that is slow now and then; latency needs its own alarm.',
    ],
  },
  customerMessage:
    'Some payments took a few seconds longer to confirm because our card provider was slow. Every order went through and nobody was charged twice.',
});
