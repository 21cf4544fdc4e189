import { existsSync } from 'node:fs';
import { openStore, type Store, sqliteFileOf } from '../store/store.js';

/**
 * Runs a command against the database and always closes it, so the process can exit.
 *
 * A command that cannot succeed on a new database (it needs a dealer or a client to be there)
 * passes `refusalIfNew`: a SQLite file that does not exist is then that refusal, and is not
 * created. Otherwise a mistyped --db, or the default relative path run from another folder, would
 * leave an empty database behind a command that failed anyway.
 */
export async function withStore<T>(
  url: string,
  work: (store: Store) => Promise<T>,
  refusalIfNew?: (where: string) => Error,
): Promise<T> {
  const file = sqliteFileOf(url);
  if (refusalIfNew && file !== undefined && file !== ':memory:' && !existsSync(file)) {
    throw refusalIfNew(`the database ${url} does not exist yet`);
  }
  const store = await openStore(url);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
