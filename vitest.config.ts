import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'lib/**/*.test.ts'],
    // One DynamoDB Local and one kinesis-mock for the whole run; each test file uses its own table
    // and streams (see test/support/engines.ts).
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    // Integration tests drive real engines, real sockets and matrix-js-sdk on a 2-core machine; a
    // test that fails once is run once more, and vitest reports it as retried (flaky), so a flake
    // stays visible while a real failure still fails twice. Known flake: see issue 6's note.
    retry: 1,
    hookTimeout: 120_000,
    // expect.poll waits for a topology's effect (keys dropped, an inbox emptied), not for its speed:
    // its default 1 s is often not enough on a loaded 2-core machine, where a poll that fails once
    // fails again on retry. Timing is what benchmarks measure.
    expect: { poll: { timeout: 30_000, interval: 100 } },
    teardownTimeout: 30_000,
  },
});
