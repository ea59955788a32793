import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.data/**'],
    environment: 'node',
    // One PostgreSQL server (DATABASE_URL or embedded) and the Redis check for the whole run.
    globalSetup: ['test/support/global-setup.ts'],
    // End-to-end suites start real servers and create databases; unit tests stay well below.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Database-heavy files run in separate processes; keep the machine from being oversubscribed.
    pool: 'forks',
  },
});
