import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/**
 * Runs `work` so that instances doing the same at the same moment take turns: on PostgreSQL in a
 * transaction that first takes an advisory lock named after the work (held until it commits), so
 * instances started together do not each find "nothing there yet" and insert it twice. On SQLite
 * `work` runs as it is: one file is served by one server, and a transaction that reads before it
 * writes may fail at once instead of waiting for another process's write lock.
 */
export async function oneInstanceAtATime<T>(
  store: Store,
  name: string,
  work: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (store.dialect === 'sqlite') return work(store.db);
  return store.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`chekt-partner: ${name}`}))`.execute(trx);
    return work(trx);
  });
}
