import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import type { SqliteStore, Store } from './store.js';

/**
 * Runs `work` in one transaction, all or nothing, so that processes doing the same at the same
 * moment take turns: instances or commands started together do not each find "nothing there yet"
 * and insert it twice, and a process stopped halfway leaves nothing half done.
 * - PostgreSQL: the transaction first takes an advisory lock named after the work, held until it
 *   commits.
 * - SQLite: BEGIN IMMEDIATE takes the file's write lock first, waiting for another process's
 *   (busy_timeout), so what `work` reads is still true when it writes. (A transaction that read
 *   first could not wait: a commit by another process in between fails it at once.)
 *
 * On SQLite `work` runs on the store's one connection: nothing else may use the store meanwhile
 * (it runs before the server serves, or in a CLI command).
 */
export async function oneInstanceAtATime<T>(
  store: Store,
  name: string,
  work: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (store.dialect === 'sqlite') return withWriteLock(store, work);
  return store.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`chekt-partner: ${name}`}))`.execute(trx);
    return work(trx);
  });
}

async function withWriteLock<T>(store: SqliteStore, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  await sql`begin immediate`.execute(store.db);
  try {
    const result = await work(store.db);
    await sql`commit`.execute(store.db);
    return result;
  } catch (error) {
    // Some failures (a full disk, say) end the transaction themselves.
    if (store.sync.inTransaction()) await sql`rollback`.execute(store.db);
    throw error;
  }
}
