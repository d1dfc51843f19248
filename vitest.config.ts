import { defineConfig } from 'vitest/config';

/**
 * Tests whose assertions ride on wall-clock time (alarms on an accelerated clock against real hop latencies, retry
 * backoff at real time):
 * they run after everything else, one file at a time, so a neighbour's load (the fuzz hammering DynamoDB Local)
 * cannot turn a slow machine into a false alarm.
 */
const TIMING_SENSITIVE = [
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
const ALL = ['test/**/*.test.ts', 'functions/**/*.test.ts', 'offline/**/*.test.ts', 'tools/**/*.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    // Offline end-to-end tests start emulators and workers: keep files few and parallelism at the core count.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'offline',
      AWS_SECRET_ACCESS_KEY: 'offline',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
      // The SDK's "Node 22 from January 2027" notice, printed once per process on Node 20: known, and in the README.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    // `include` only per project: with `extends: true` a root include would be merged into both.
    projects: [
      { extends: true, test: { name: 'main', include: ALL, exclude: TIMING_SENSITIVE, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'timing', include: TIMING_SENSITIVE, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
