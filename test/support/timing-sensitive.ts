/**
 * Tests whose assertions ride on wall-clock time (alarms on an accelerated clock against real hop latencies, retry
 * backoff at real time):
 * they run after everything else (vitest.config.ts's `timing` project), one file at a time, so a neighbour's load (the fuzz hammering DynamoDB Local)
 * cannot turn a slow machine into a false alarm.
 */
export const TIMING_SENSITIVE = [
  'test/e2e/lost-orders.test.ts',
  'test/e2e/lost-orders-localstack.test.ts',
  'test/e2e/retry-backoff.test.ts',
  'test/e2e/payment-mismatch.test.ts',
  'test/e2e/freshness-and-auth-alarms.test.ts',
  'test/e2e/game-day.test.ts',
  'test/e2e/game-day-events.test.ts',
  'test/e2e/game-day-payments.test.ts',
  'test/e2e/game-day-traffic.test.ts',
  'test/e2e/acceptance.test.ts',
];
