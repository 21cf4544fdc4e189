import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // Every API response a test fetches is checked against the OpenAPI document (no drift).
    setupFiles: ['packages/server/test/support/conformance-setup.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
    // Two cores: two test files at a time keeps server processes from starving each other.
    maxWorkers: 2,
  },
});
