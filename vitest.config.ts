import { defineConfig } from 'vitest/config';
import { TIMING_SENSITIVE } from './test/support/timing-sensitive';

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
