import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'charged-but-response-lost',
  seed: '002 (payment double charges)',
  title: 'The provider charges, the answer is lost, the payment is retried',
  breaks:
    'On every third payment provider call (per Lambda environment) the provider charges the card and its answer never reaches us: the payment stays PENDING, the record fails and is retried with the same idempotency key, and the provider answers the retry from its first charge.',
  inject: { functions: { PaymentsConsumer: [{ mode: 'provider-lost-response', everyNth: 3 }] } },
  alarms: {
    expected: ['PaymentProviderFailures'],
    falseLeads: [
      // The reconciler compares the provider's ledger with payments every minute: quiet because the key was reused.
      'PaymentMismatch',
      'PaymentBreakerOpen',
      'PaymentProviderLatency',
      'PaymentsConsumerErrors',
      'PaymentsConsumerDeadLetters',
      'LostOrders',
      'FlowGap',
      'Api5xxRate',
    ],
  },
  customerEffect: {
    what: 'one order in three waits for a retry before its payment is confirmed (charged once)',
    signal: 'orders-delayed',
  },
  runbook: 'docs/runbooks/payment-provider-failures.md',
  mitigation: {
    summary:
      'Nothing to refund: each retry reused the order key, so the provider charged every order once. Restore the network path to the provider (here: clear the fault).',
    commands: ['npm run game-day -- clear'],
  },
  traffic: { ordersPerMetricMinute: 5 },
  postmortem: {
    rootCause: "The provider's answers to charges it had made were lost on the way back.",
    trigger: 'Lost provider responses on PaymentsConsumer (game-day fault provider-lost-response, every 3rd call).',
    actionItems: [
      'Keep the idempotency key derived from the order and write the PENDING payment row before calling: both are what made the retries safe.',
      'Keep the payment reconciler (PaymentMismatch) running: it is the check that would have caught a retry under a new key (test/e2e/payment-mismatch.test.ts plants one).',
    ],
    lessons: [
      'An error after the call is not a failed charge: retry with the same key, never with a new one.',
      'Exactly-once money is idempotent calls plus reconciliation, not exactly-once delivery.',
    ],
  },
  customerMessage:
    'Some payments took a little longer to confirm because answers from our card provider were lost. Every order was charged exactly once.',
});
