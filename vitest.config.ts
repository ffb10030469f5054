import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Integration tests start real daemons (pcscd, the issuer, Chromium); give them room on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Ends a test blocked in a synchronous call (which the timeouts above cannot reach) instead of the whole run.
    setupFiles: ['test/setup/stall-watchdog.ts'],
    pool: 'forks',
    maxWorkers: 2,
  },
});
