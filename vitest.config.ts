import { defineConfig } from 'vitest/config';

// One suite, two backends: DATABASE_URL set = every store test runs on that
// Postgres server (a fresh database per test file); unset = embedded PGlite.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
