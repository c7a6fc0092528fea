import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'sdk',
          environment: 'happy-dom',
          // Script tags put in the page stay inert, as tests expect, without an error logged for each.
          environmentOptions: { happyDOM: { settings: { handleDisabledFileLoadingAsSuccess: true } } },
          include: ['sdk/src/**/*.test.ts'],
          setupFiles: ['sdk/src/testSetup.ts'],
        },
      },
      {
        test: {
          name: 'ingest',
          environment: 'node',
          include: ['ingest/**/*.test.{ts,tsx}', 'shared/**/*.test.ts', 'demo-site/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          setupFiles: ['test/support/loopbackOnly.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
          setupFiles: ['test/support/loopbackOnly.ts'],
          // One browser at a time: the machine has two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
