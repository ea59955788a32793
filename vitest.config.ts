import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.data/**'],
    environment: 'node',
    // End-to-end suites start real servers and create databases; unit tests stay well below.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Database-heavy files run in separate processes; keep the machine from being oversubscribed.
    pool: 'forks',
  },
});
