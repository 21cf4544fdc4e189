import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
    // Two cores: two test files at a time keeps server processes from starving each other.
    maxWorkers: 2,
  },
});
