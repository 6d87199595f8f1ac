import { defineConfig } from 'vitest/config';

const CONVERGENCE = 'test/integration/convergence.test.ts';

export default defineConfig({
  test: {
    // The stand-ins and the browser run in the test processes; forks keep each file's servers apart.
    pool: 'forks',
    testTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Every local stack of the run writes its callers' access here (merged by the global setup's teardown).
      NEWSROOM_ACCESS_REPORT_DIR: 'test-results/access',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [CONVERGENCE],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The convergence properties run on real timers (leases, retries with backoff): they get the machine
        // to themselves, after the rest, so that a busy browser or validator next to them cannot stretch them.
        extends: true,
        test: { name: 'convergence', include: [CONVERGENCE], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
