import { defineConfig } from 'vitest/config';

/**
 * Four projects, named after what their tests need:
 * - `unit`: nothing but the code under test (no network, no child process, no server). Seconds.
 * - `emulator`: the local stack's emulators (function host, gateways, event source mapping) against
 *   in-process servers and child processes, one piece at a time.
 * - `cdk`: synthesis of the CDK app and assertions on the template.
 * - `stack`: integration and end-to-end tests against one real local stack.
 *
 * Timeouts fit a loaded 2-core machine (CI): hooks get the same room as tests, since a `beforeAll`
 * that synthesizes or starts a server is the slowest part of a file.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Any process, connection, server or name lookup throws (test/setup/unit-no-io.ts).
          setupFiles: ['test/setup/unit-no-io.ts'],
          // Cores that fall back to the process's metrics would print EMF lines between test results.
          env: { POWERTOOLS_METRICS_DISABLED: 'true' },
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'emulator',
          include: ['test/emulator/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'cdk',
          include: ['test/cdk/**/*.test.ts'],
          environment: 'node',
          // Synthesizes the stack once for every file (test/setup/cdk-pipeline.ts); only the mutation
          // tests synthesize again, the first time in a worker taking seconds, several times that on a
          // busy core.
          globalSetup: ['test/setup/cdk-pipeline.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'stack',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          // One real local stack (OpenSearch, DynamoDB Local, kinesalite, ElasticMQ, gateways) for all files.
          globalSetup: ['test/helpers/local-stack-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          // The chaos test (test/chaos): faults one after another under load, on a local stack of its own
          // (its faults would disturb other tests), started by the test file. About five minutes; it runs
          // after the other projects, alone, so that its lag bounds measure the pipeline and not a machine
          // busy with another stack. `npm run test:chaos` runs it alone.
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 900_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
