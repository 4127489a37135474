import { defineConfig } from 'vitest/config';

// One suite, two backends: DATABASE_URL set = every store test runs on that
// Postgres server (a fresh database per test file); unset = embedded PGlite.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // One test CA per run for the HTTPS fakes (sets NODE_EXTRA_CA_CERTS before workers fork).
    globalSetup: ['test/fakes/tls-setup.ts'],
    // The fakes listen on 127.0.0.1, which the outbound URL policy refuses unless trusted
    // (src/net/url-policy.ts); the policy's own tests set their own list.
    env: { ROSTER_TRUSTED_HOSTS: '127.0.0.1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
