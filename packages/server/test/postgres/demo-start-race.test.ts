import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createPostgresDatabase, postgresAdminUrl } from '../support/database.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

// The old code failed in 5 rounds of 9 with three instances: more of both, so that it could not pass.
const ROUNDS = 5;
const INSTANCES = 4;

/** README: start-up is safe in any number at once, and `--demo` seeds the example once. */
describe('instances started together with --demo on one empty PostgreSQL database', () => {
  it(`all start, and the example is seeded once (${ROUNDS} rounds of ${INSTANCES})`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const database = await createPostgresDatabase(postgresAdminUrl());
      const started = await Promise.allSettled(
        Array.from({ length: INSTANCES }, () => startServerProcess({ db: database.url, args: ['--demo'] })),
      );
      const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      await Promise.all(running.map((server: ServerProcess) => server.stop()));
      const store = await openStore(database.url);
      try {
        const counts = await sql<{ dealers: number; sites: number; clients: number }>`
          select (select count(*) from dealers) as dealers, (select count(*) from sites) as sites,
                 (select count(*) from clients) as clients`.execute(store.db);
        expect(counts.rows[0], `round ${round}`).toEqual({ dealers: 1, sites: 1, clients: 1 });
      } finally {
        await store.close();
        await database.drop();
      }
      const failures = started.flatMap((result) =>
        result.status === 'rejected' ? [String(result.reason)] : [],
      );
      expect(failures, `round ${round}`).toEqual([]);
    }
  }, 120_000);
});
