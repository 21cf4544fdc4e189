import { defineConfig } from 'vitest/config';

/**
 * One suite, two backends: every server test runs once on SQLite and, when TEST_POSTGRES_URL
 * names a PostgreSQL server, once more on PostgreSQL (each test file on a fresh database).
 * Tests that only make sense with PostgreSQL (several instances, database faults) live in
 * packages/server/test/postgres/.
 */
const postgresUrl = process.env.TEST_POSTGRES_URL;
// Vitest loads this file twice in one process (once more for its projects): the warning once.
const warned = Symbol.for('chekt-partner.postgres-skip-warned');
const state = globalThis as { [warned]?: true };
if (!postgresUrl && !state[warned]) {
  state[warned] = true;
  console.warn(
    '\n[chekt-partner] TEST_POSTGRES_URL is not set: the PostgreSQL suite is SKIPPED (SQLite only).\n' +
      '  Run it with: TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres npm test\n',
  );
}

const postgresOnly = 'packages/server/test/postgres/**';

export default defineConfig({
  test: {
    // Every API response a test fetches is checked against the OpenAPI document (no drift).
    setupFiles: ['packages/server/test/support/conformance-setup.ts'],
    testTimeout: 30000,
    hookTimeout: 60000,
    // Two cores: two test files at a time keeps server processes from starving each other.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['packages/*/test/**/*.test.ts', 'bench/**/*.test.mjs'],
          exclude: [postgresOnly, '**/node_modules/**'],
          env: { TEST_BACKEND: 'sqlite' },
        },
      },
      ...(postgresUrl
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['packages/server/test/**/*.test.ts'],
                env: { TEST_BACKEND: 'postgres', TEST_POSTGRES_URL: postgresUrl },
              },
            },
          ]
        : []),
    ],
  },
});
