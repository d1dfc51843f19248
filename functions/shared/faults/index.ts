/**
 * Game-day faults: one mechanism, one small file per mode (after gunnargrosch/failure-lambda's src/failures/), one
 * registry. A function's `SHOPWAVE_FAULTS` environment variable holds a JSON list of `{ "mode": ..., ...params }`
 * (./config.ts validates it and fails closed). The modes are applied at four hook points in shared code only —
 * never a branch in a handler:
 *   consumer  createEventConsumer (../event-consumer.ts): drop-events, crash-on-init
 *   api       createApiHandler (../http.ts): fail-dependency (with the SDK hook)
 *   sdk       the AWS SDK clients' middleware (../aws-clients.ts): datastore-errors, fail-dependency
 *   provider  the payment provider's wrapper (functions/payments/provider/index.ts): provider-*
 *   relay     the outbox relay's publish (functions/outbox/relay.ts): duplicate-events
 *   consumer  also reorder-events, poison-events (before the idempotency layer)
 * Adding a mode: a file here, its zod schema in config.ts's union, its row below, its hook call, a unit test.
 */
import type { FaultMode } from './config';

export * from './config';
export { dropsEvent } from './drop-events';
export { crashIfInjected, InitCrash } from './crash-on-init';
export { dependencyFailure, duringRoute } from './fail-dependency';
export { datastoreFailure } from './datastore-errors';
export { withProviderFaults } from './provider';
export { extraCopies } from './duplicate-events';
export { reorderIfInjected } from './reorder-events';
export { poisonIfInjected } from './poison-events';

export const FAULT_MODES: Record<FaultMode, { hook: 'consumer' | 'api' | 'sdk' | 'provider' | 'relay'; what: string }> = {
  'drop-events': { hook: 'consumer', what: 'acknowledge matching detail-types without handling them (no error, no DLQ)' },
  'crash-on-init': { hook: 'consumer', what: 'the consumer fails at initialisation: every invocation errors (crashloop)' },
  'fail-dependency': { hook: 'api', what: "the API route's AWS SDK calls fail as a lost permission or configuration would" },
  'datastore-errors': { hook: 'sdk', what: 'a share of DynamoDB calls fail (throttled or access denied)' },
  'provider-latency': {
    hook: 'provider',
    what: 'the payment provider is slow by delayMs on every Nth call, before processing it or (phase after) after',
  },
  'provider-errors': { hook: 'provider', what: 'a share of payment provider calls fail (transient)' },
  'provider-lost-response': { hook: 'provider', what: 'the provider charges on every Nth call but the answer is lost' },
  'duplicate-events': { hook: 'relay', what: 'the outbox relay publishes a share of events more than once (same event id)' },
  'reorder-events': { hook: 'consumer', what: 'a share of deliveries is held back on its first receive, so later events overtake it' },
  'poison-events': { hook: 'consumer', what: 'the consumer fails a share of events permanently (a consumer bug): they park in its DLQ' },
};
