import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests fork real processes under real filters; forks keep
    // each test file in its own process so a misbehaving child cannot take
    // the worker threads of other files with it.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
